/**
 * NumericDate (RFC 7519 §2): "A JSON numeric value representing the number of seconds from
 * 1970-01-01T00:00:00Z UTC until the specified UTC date/time". The RFC bounds neither end; Tessera accepts
 * what every output can carry: finite seconds from the epoch to the last second of year 9999, the end of a
 * four-digit xs:dateTime year (XML Schema 1.0 §3.2.7, SAML core §1.3.3). Outside that, a claim names no
 * instant an identity could have been authenticated at, and the token is refused (INVALID_TOKEN) instead of
 * becoming `null` in an ID token or a RangeError in a SAML assertion.
 */

/** 9999-12-31T23:59:59Z. */
export const MAX_NUMERIC_DATE = 253_402_300_799;

/** True for a number of seconds within [0, 9999-12-31T23:59:59Z]. */
export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_NUMERIC_DATE;
}

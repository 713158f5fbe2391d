/**
 * What the two JWT providers (OPENIDCONNECT ID tokens, ACCESS_TOKEN access tokens) share: mapped claims, the
 * delegation claim, and checking a JWT this instance issued (validate and cancel).
 */
import type { KeyObject } from 'node:crypto';
import type { KeyProvider, VerifiedSubject, VerifyIssuedResult } from '../../engine/types.js';

export { actClaim, actDepth } from '../../engine/exchange.js';
import { REGISTERED_CLAIMS, UNSAFE_KEYS } from './claims.js';
import { parseCompactJws, parseJsonPayload, verifyJwsSignature, type JwsSigningAlgorithm } from './jws.js';

export function toSeconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

/** Mapped user attributes (claimMap: claim → attribute). Lists stay arrays; missing attributes are omitted. */
export function mappedClaims(claimMap: Record<string, string>, attributes: VerifiedSubject['attributes']): Array<[string, string | string[]]> {
  const out: Array<[string, string | string[]]> = [];
  for (const [claim, attribute] of Object.entries(claimMap)) {
    // Publish refuses registered claim names; this keeps a stored config from ever overriding iss/sub/aud/...
    if (REGISTERED_CLAIMS.has(claim) || UNSAFE_KEYS.has(claim)) continue;
    if (!Object.hasOwn(attributes, attribute)) continue;
    const value: unknown = attributes[attribute];
    if (typeof value === 'string') out.push([claim, value]);
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out.push([claim, [...value]]);
  }
  return out;
}

export interface IssuedJwtCheck {
  token: string;
  algorithm: JwsSigningAlgorithm;
  /** HS256: the shared secret; otherwise the keys come from `keys` by kid. */
  secret?: Buffer;
  keys: KeyProvider;
  /** The token's `typ` as this instance writes it (`JWT`, `at+jwt`); another is not ours. */
  typ: string;
  /** Whether iss and aud say this instance issued it (keys may be shared between instances). */
  ours(claims: Record<string, unknown>): boolean;
  now: Date;
  checkExpiry: boolean;
}

/** Checks a JWT this instance issued: its pinned algorithm and key, then iss/aud, then expiry. Never throws. */
export async function verifyIssuedJwt(c: IssuedJwtCheck): Promise<VerifyIssuedResult> {
  if (typeof c.token !== 'string') return { ok: false, reason: 'MALFORMED' };
  const parsed = parseCompactJws(c.token);
  if (!parsed) return { ok: false, reason: 'MALFORMED' };
  const { header } = parsed;
  // RFC 7515 §4.1.11: an extension we do not understand must be rejected; Tessera never emits `crit`.
  if (header.crit !== undefined) return { ok: false, reason: 'MALFORMED' };
  // RFC 8725 §3.1: the algorithm is the instance's, never the token's choice; RFC 8725 §3.11: so is the type.
  if (header.alg !== c.algorithm || header.typ !== c.typ) return { ok: false, reason: 'BAD_SIGNATURE' };
  let key: KeyObject | Buffer | undefined;
  if (c.algorithm === 'HS256') {
    key = c.secret && c.secret.length >= 32 ? c.secret : undefined;
  } else {
    if (typeof header.kid !== 'string') return { ok: false, reason: 'BAD_SIGNATURE' };
    key = (await c.keys.verificationKeys()).find((k) => k.kid === header.kid && k.algorithm === c.algorithm)?.publicKey;
  }
  if (!key || !verifyJwsSignature(c.algorithm, parsed.signingInput, parsed.signature, key)) return { ok: false, reason: 'BAD_SIGNATURE' };
  // Only now is the payload authenticated and worth reading.
  const claims = parseJsonPayload(parsed.payloadBytes);
  if (!claims) return { ok: false, reason: 'MALFORMED' };
  if (!c.ours(claims)) return { ok: false, reason: 'BAD_SIGNATURE' };
  const { exp, jti, sub } = claims;
  if (typeof exp !== 'number' || !Number.isFinite(exp) || typeof jti !== 'string' || typeof sub !== 'string') return { ok: false, reason: 'MALFORMED' };
  // RFC 7519 §4.1.4: the token must not be accepted on or after exp. Our own clock: no skew allowance.
  if (c.checkExpiry && toSeconds(c.now) >= exp) return { ok: false, reason: 'EXPIRED' };
  return { ok: true, tokenId: jti, subject: sub, expiresAt: new Date(exp * 1000) };
}

/**
 * Claim names shared by the OIDC provider and validator.
 */

/**
 * Claims with a protocol meaning: RFC 7519 §4.1 (iss sub aud exp nbf iat jti), OIDC Core §2 and §3.1.3.6
 * (nonce auth_time azp acr amr at_hash c_hash), OIDC Front/Back-Channel Logout (sid), RFC 7800 (cnf), OIDC Core
 * §3.3.2.11 (s_hash), RFC 8693 §4 (act may_act scope client_id) and RFC 9068 §2.2 (client_id). A claim map may
 * never produce them, and an input token's values for them never become user attributes: they describe the
 * token, not the user.
 */
export const REGISTERED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'nonce',
  'auth_time',
  'azp',
  'acr',
  'amr',
  'cnf',
  'sid',
  'at_hash',
  'c_hash',
  's_hash',
  'act',
  'may_act',
  'scope',
  'client_id',
]);

/**
 * Property names that change an object's prototype or shadow its methods when assigned on a plain object
 * (JSON.parse creates them as own properties, so a hostile token can carry them).
 */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

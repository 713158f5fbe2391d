/**
 * A private_key_jwt client's JWK Set (RFC 7517 §5): public keys only, of the kinds and sizes Tessera signs with
 * itself (RSA of 2048 bits or more, EC P-256, Ed25519), at most ten. What the client assertions verify with.
 */
import { createPublicKey } from 'node:crypto';
import { fail, isObject } from '../engine/config-toolkit.js';
import type { Obj } from '../engine/types.js';

export interface ClientJwk {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  [member: string]: unknown;
}

export interface ClientJwks {
  keys: ClientJwk[];
}

const MAX_KEYS = 10;
/** Members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
};
const COMMON_MEMBERS = ['kty', 'kid', 'alg', 'use', 'key_ops', 'x5c', 'x5t', 'x5t#S256'];
/** The JWS algorithms a client assertion may use, per key type (RFC 7518 §3.1, RFC 8037 §3.1). */
export const CLIENT_ASSERTION_ALGORITHMS: Record<string, readonly string[]> = {
  RSA: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  EC: ['ES256'],
  OKP: ['EdDSA'],
};

export function parseClientJwks(raw: unknown, field: string): ClientJwks {
  if (!isObject(raw)) fail(field, 'must be a JWK Set: {"keys": [...]}.');
  const extra = Object.keys(raw).filter((k) => k !== 'keys');
  if (extra.length > 0) fail(`${field}.${extra[0]}`, 'is not a JWK Set member Tessera reads (only "keys").');
  const keys = (raw as Obj).keys;
  if (!Array.isArray(keys) || keys.length === 0) fail(`${field}.keys`, 'must list at least one public key.');
  if (keys.length > MAX_KEYS) fail(`${field}.keys`, `may list at most ${MAX_KEYS} keys.`);
  const kids = new Set<string>();
  const out: ClientJwk[] = keys.map((k: unknown, i: number) => {
    const f = `${field}.keys[${i}]`;
    if (!isObject(k)) fail(f, 'must be a JWK object.');
    const jwk = k as Obj;
    const kty = jwk.kty;
    if (typeof kty !== 'string' || !(kty in PUBLIC_MEMBERS)) fail(`${f}.kty`, 'must be RSA, EC or OKP.');
    for (const m of PRIVATE_MEMBERS) if (m in jwk) fail(`${f}.${m}`, 'is private key material: give the public key only.');
    const allowed = new Set([...COMMON_MEMBERS, ...PUBLIC_MEMBERS[kty]!]);
    for (const m of Object.keys(jwk)) if (!allowed.has(m)) fail(`${f}.${m}`, `is not a member of a public ${kty} JWK.`);
    for (const m of ['kid', 'alg', 'use']) if (jwk[m] !== undefined && typeof jwk[m] !== 'string') fail(`${f}.${m}`, 'must be a string.');
    if (jwk.use !== undefined && jwk.use !== 'sig') fail(`${f}.use`, 'must be "sig" (the key verifies client assertions).');
    if (jwk.alg !== undefined && !CLIENT_ASSERTION_ALGORITHMS[kty]!.includes(jwk.alg as string)) {
      fail(`${f}.alg`, `must be one of ${CLIENT_ASSERTION_ALGORITHMS[kty]!.join(', ')} for a ${kty} key.`);
    }
    if (kty === 'EC' && jwk.crv !== 'P-256') fail(`${f}.crv`, 'must be P-256.');
    if (kty === 'OKP' && jwk.crv !== 'Ed25519') fail(`${f}.crv`, 'must be Ed25519.');
    if (typeof jwk.kid === 'string') {
      if (kids.has(jwk.kid)) fail(`${f}.kid`, 'is used by another key of the set.');
      kids.add(jwk.kid);
    }
    let key;
    try {
      key = createPublicKey({ key: Object.fromEntries(Object.entries(jwk).filter(([m]) => m !== 'x5c' && m !== 'key_ops')) as import('node:crypto').JsonWebKey, format: 'jwk' });
    } catch {
      fail(f, `is not a valid public ${kty} key.`);
    }
    if (kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) fail(f, 'is an RSA key shorter than 2048 bits.');
    return structuredClone(jwk) as ClientJwk;
  });
  return { keys: out };
}

/**
 * Compact JWS (RFC 7515 §7.1) with node:crypto: signing Tessera's tokens, and verifying them and trusted issuers' tokens.
 *
 * Synchronous `crypto.sign` / `createHmac` is several times faster than jose's WebCrypto path, which matters
 * on the translate hot path. Verification (verifyJwsSignature) serves both Tessera's own tokens and other issuers'
 * (oidc.validator.ts): the caller pins the algorithm and the key first; this module never takes either from the token.
 */
import { constants, createHmac, sign, timingSafeEqual, verify, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import { signOnPool } from '../../keys/pool-sign.js';

export const JWS_SIGNING_ALGORITHMS = ['RS256', 'RS512', 'PS256', 'ES256', 'EdDSA', 'HS256'] as const;
export type JwsSigningAlgorithm = (typeof JWS_SIGNING_ALGORITHMS)[number];

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function base64url(input: Buffer | string): string {
  return (typeof input === 'string' ? Buffer.from(input, 'utf8') : input).toString('base64url');
}

/**
 * Strict base64url decoding (RFC 7515 §2: no padding, no line breaks, URL-safe alphabet only). Node's decoder
 * silently skips foreign characters and ignores trailing bits, so the result is re-encoded and compared: one
 * byte string has exactly one accepted encoding, which keeps a token string from having look-alike variants.
 * Returns null when the text is not canonical base64url.
 */
export function decodeBase64urlStrict(text: string): Buffer | null {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

function isJwsSigningAlgorithm(alg: string): alg is JwsSigningAlgorithm {
  return (JWS_SIGNING_ALGORITHMS as readonly string[]).includes(alg);
}

type SignOptions = Omit<SignKeyObjectInput, 'key'> | undefined;

/** The algorithm-specific `crypto.sign` digest and key options for an asymmetric JWS algorithm. */
function signParams(alg: Exclude<JwsSigningAlgorithm, 'HS256'>): [string | null, SignOptions] {
  switch (alg) {
    case 'RS256':
      return ['sha256', undefined];
    case 'RS512':
      return ['sha512', undefined];
    case 'PS256':
      // RFC 7518 §3.5: RSASSA-PSS with SHA-256, MGF1 with SHA-256, salt as long as the hash (32 bytes).
      return ['sha256', { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }];
    case 'ES256':
      // RFC 7518 §3.4: the signature is R || S (64 bytes), not the DER structure OpenSSL produces by default.
      return ['sha256', { dsaEncoding: 'ieee-p1363' }];
    case 'EdDSA':
      // RFC 8037 §3.1: Ed25519 hashes internally, so no digest is named.
      return [null, undefined];
  }
}

function rawSign(alg: JwsSigningAlgorithm, data: Buffer, key: KeyObject | Buffer): Buffer {
  if (alg === 'HS256') {
    if (!Buffer.isBuffer(key)) throw new TypeError('HS256 needs the secret as bytes');
    return createHmac('sha256', key).update(data).digest();
  }
  if (Buffer.isBuffer(key)) throw new TypeError(`${alg} needs a private KeyObject`);
  const [digest, options] = signParams(alg);
  return sign(digest, data, options ? { ...options, key } : key);
}

/**
 * Like signJws, but the asymmetric signature runs on libuv's thread pool (crypto.sign with a callback), so the
 * event loop keeps serving while RSA works: on a multi-core machine signatures then proceed in parallel.
 */
export function signJwsAsync(header: object, payload: object, key: KeyObject | Buffer, alg: JwsSigningAlgorithm): Promise<string> {
  if (!isJwsSigningAlgorithm(alg)) return Promise.reject(new TypeError(`unsupported JWS algorithm ${String(alg)}`));
  if (alg === 'HS256' || Buffer.isBuffer(key)) {
    try {
      return Promise.resolve(signJws(header, payload, key, alg));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  const signingInput = `${base64url(JSON.stringify({ ...header, alg }))}.${base64url(JSON.stringify(payload))}`;
  const [digest, options] = signParams(alg);
  return signOnPool(digest, Buffer.from(signingInput, 'ascii'), key, options).then(
    (sig) => `${signingInput}.${sig.toString('base64url')}`,
  );
}

/** Signs `payload` with `header` (whose `alg` is set to `alg`) and returns the compact serialization. */
export function signJws(header: object, payload: object, key: KeyObject | Buffer, alg: JwsSigningAlgorithm): string {
  if (!isJwsSigningAlgorithm(alg)) throw new TypeError(`unsupported JWS algorithm ${String(alg)}`);
  const signingInput = `${base64url(JSON.stringify({ ...header, alg }))}.${base64url(JSON.stringify(payload))}`;
  const signature = rawSign(alg, Buffer.from(signingInput, 'ascii'), key);
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** JWS algorithms Tessera can verify (RFC 7518 §3): what it issues, plus what trusted issuers may use. */
const VERIFY: Record<string, { hash: string | null; kind: 'rsa' | 'pss' | 'ec' | 'ed25519' | 'hmac'; curve?: string; size?: number }> = {
  RS256: { hash: 'sha256', kind: 'rsa' },
  RS384: { hash: 'sha384', kind: 'rsa' },
  RS512: { hash: 'sha512', kind: 'rsa' },
  PS256: { hash: 'sha256', kind: 'pss', size: 32 },
  PS384: { hash: 'sha384', kind: 'pss', size: 48 },
  PS512: { hash: 'sha512', kind: 'pss', size: 64 },
  ES256: { hash: 'sha256', kind: 'ec', curve: 'prime256v1', size: 64 },
  ES384: { hash: 'sha384', kind: 'ec', curve: 'secp384r1', size: 96 },
  EdDSA: { hash: null, kind: 'ed25519' },
  HS256: { hash: 'sha256', kind: 'hmac' },
};

/**
 * Verifies `signature` over `signingInput` with a key the caller chose for `alg` (public KeyObject, or the
 * HS256 secret). The key must fit the algorithm (RFC 8725 §3.1) and RSA keys need 2048 bits (RFC 7518 §3.3).
 * Returns false, never throws, for a signature that does not verify or a key that does not fit.
 */
export function verifyJwsSignature(alg: string, signingInput: string, signature: Buffer, key: KeyObject | Buffer): boolean {
  const spec = Object.hasOwn(VERIFY, alg) ? VERIFY[alg] : undefined;
  if (!spec) return false;
  const data = Buffer.from(signingInput, 'ascii');
  try {
    if (spec.kind === 'hmac') {
      if (!Buffer.isBuffer(key)) return false;
      const expected = createHmac(spec.hash!, key).update(data).digest();
      // Constant-time comparison: an HMAC check must not leak how many leading bytes matched.
      return signature.length === expected.length && timingSafeEqual(signature, expected);
    }
    if (Buffer.isBuffer(key)) return false;
    switch (spec.kind) {
      case 'rsa':
      case 'pss': {
        const rsa = key.asymmetricKeyType === 'rsa' || (spec.kind === 'pss' && key.asymmetricKeyType === 'rsa-pss');
        if (!rsa || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return false;
        const opts = spec.kind === 'pss' ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.size } : key;
        return verify(spec.hash, data, opts, signature);
      }
      case 'ec':
        return (
          key.asymmetricKeyType === 'ec' &&
          key.asymmetricKeyDetails?.namedCurve === spec.curve &&
          signature.length === spec.size &&
          verify(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature)
        );
      case 'ed25519':
        return key.asymmetricKeyType === 'ed25519' && verify(null, data, key, signature);
    }
  } catch {
    return false;
  }
}

export interface ParsedCompactJws {
  header: Record<string, unknown>;
  /** The payload bytes; not yet authenticated. */
  payloadBytes: Buffer;
  signingInput: string;
  signature: Buffer;
}

function parseJsonObject(bytes: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Splits a compact JWS into its parts (RFC 7515 §7.1: exactly three base64url segments) and parses the
 * protected header. Nothing returned here is authenticated yet. Returns null for anything else (JWE, garbage).
 */
export function parseCompactJws(token: string): ParsedCompactJws | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  // An empty signature is syntactically valid (RFC 7519 §6.1 unsecured JWT); it simply never verifies.
  if (h.length === 0) return null;
  const headerBytes = decodeBase64urlStrict(h);
  const payloadBytes = decodeBase64urlStrict(p);
  const signature = decodeBase64urlStrict(s);
  if (!headerBytes || !payloadBytes || !signature) return null;
  const header = parseJsonObject(headerBytes);
  if (!header) return null;
  return { header, payloadBytes, signingInput: `${h}.${p}`, signature };
}

/** Parses payload bytes as a JSON object (RFC 7519 §7.2 step 10), or null. */
export function parseJsonPayload(bytes: Buffer): Record<string, unknown> | null {
  return parseJsonObject(bytes);
}

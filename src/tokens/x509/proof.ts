/**
 * Proof of possession for X.509 input (API.md §3): a certificate alone proves nothing, so the presenter
 * signs a short-lived compact JWS with the certificate's private key:
 *   protected header {"alg": RS256|PS256|ES256|EdDSA, "typ": "tessera-pop+jwt"}
 *   payload          {"aud": "<instance name>", "iat": <seconds>, "jti": "<unique>"}
 * Verified with the leaf's public key only; the algorithm is pinned to what that key allows.
 */
import type { KeyObject } from 'node:crypto';
import { compactVerify } from 'jose';
import { BadUserInputError, InvalidTokenError } from '../../engine/errors.js';
import { isNumericDate } from '../numeric-date.js';

export const PROOF_TYP = 'tessera-pop+jwt';
/** iat may lie up to 300 s in the past and 60 s in the future (API.md §3). */
export const PROOF_MAX_AGE_SECONDS = 300;
export const PROOF_MAX_FUTURE_SECONDS = 60;
export const PROOF_MAX_JTI_LENGTH = 128;
/** How long a used jti is remembered: past the end of the iat window, so an expired replay is refused by age. */
export const PROOF_REPLAY_TTL_SECONDS = 360;
const MAX_PROOF_TEXT = 64 * 1024;

/** Header parameters that point at other keys. RFC 8725 §3.10: never let the token pick its own key. */
const FORBIDDEN_HEADERS = ['jku', 'jwk', 'x5u', 'x5c', 'b64'] as const;

export interface VerifiedProof {
  iat: number;
  jti: string;
}

/** RFC 8725 §3.1: the algorithms a proof may use, bound to the leaf's key type. Never `none`, never HS*. */
export function proofAlgorithmsFor(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'PS256'];
    case 'rsa-pss':
      return ['PS256']; // RFC 4055 §1.2: an RSASSA-PSS key must not make PKCS#1 v1.5 signatures
    case 'ec':
      return key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? ['ES256'] : [];
    case 'ed25519':
      return ['EdDSA'];
    default:
      return [];
  }
}

function invalid(message: string, cause?: unknown): never {
  throw new InvalidTokenError(message, cause);
}

/**
 * Verifies `proof` against the leaf's public key, for instance `audience`, at `now`.
 * Does not consult the replay store: the caller does that last, once everything else has passed.
 */
export async function verifyPossessionProof(proof: unknown, leafKey: KeyObject, opts: { audience: string; now: Date }): Promise<VerifiedProof> {
  if (proof === undefined || proof === null || proof === '') {
    invalid('A proof of possession signed with the certificate\'s private key is required.');
  }
  if (typeof proof !== 'string') invalid('The proof of possession must be a compact JWS string.');
  if (proof.length > MAX_PROOF_TEXT) throw new BadUserInputError('the proof is larger than 64 KiB', 'input.proof');
  const jws = proof.trim();
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(jws)) {
    invalid('The proof of possession is not a compact JWS.');
  }

  const algorithms = proofAlgorithmsFor(leafKey);
  if (algorithms.length === 0) {
    invalid(`The certificate's ${leafKey.asymmetricKeyType ?? 'unknown'} key cannot sign a proof (RSA, P-256 or Ed25519 keys only).`);
  }

  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(jws, leafKey, { algorithms });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') {
      invalid(`The proof's algorithm is not allowed for the certificate's key (allowed: ${algorithms.join(', ')}).`, e);
    }
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') {
      invalid('The proof of possession is not signed by the certificate\'s private key.', e);
    }
    invalid('The proof of possession is malformed.', e);
  }

  const header = verified.protectedHeader as Record<string, unknown>;
  // RFC 8725 §3.11: explicit typing keeps other JWTs signed by the same key from passing as a proof.
  if (header.typ !== PROOF_TYP) {
    invalid(`The proof of possession must carry the protected header "typ": "${PROOF_TYP}".`);
  }
  for (const name of FORBIDDEN_HEADERS) {
    if (name in header) invalid(`The proof of possession must not carry the "${name}" header; it is verified with the certificate's key only.`);
  }

  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(verified.payload));
  } catch (e) {
    invalid('The proof\'s payload is not JSON.', e);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    invalid('The proof\'s payload is not a JSON object.');
  }
  const claims = payload as Record<string, unknown>;

  // RFC 7519 §4.1.3: aud is a string or an array of strings; one of them must name this instance.
  const aud = claims.aud;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? (aud as string[]) : null;
  if (!audiences) invalid('The proof has no "aud" claim naming this instance.');
  if (!audiences.includes(opts.audience)) invalid('The proof is meant for another audience ("aud" does not name this instance).');

  const now = opts.now.getTime() / 1000;
  // RFC 7519 §2: iat, exp and nbf are NumericDates; iat becomes the authentication instant of what is issued.
  const iat = claims.iat;
  if (iat === undefined) invalid('The proof has no numeric "iat" claim.');
  if (!isNumericDate(iat)) invalid('The proof\'s "iat" claim is not a valid NumericDate.');
  if (iat > now + PROOF_MAX_FUTURE_SECONDS) invalid('The proof is dated in the future ("iat" is more than 60 s ahead).');
  if (iat < now - PROOF_MAX_AGE_SECONDS) invalid('The proof is too old ("iat" is more than 300 s ago).');
  if ('exp' in claims) {
    if (!isNumericDate(claims.exp)) invalid('The proof\'s "exp" claim is not a valid NumericDate.');
    if (claims.exp <= now - PROOF_MAX_FUTURE_SECONDS) invalid('The proof has expired ("exp").');
  }
  if ('nbf' in claims) {
    if (!isNumericDate(claims.nbf)) invalid('The proof\'s "nbf" claim is not a valid NumericDate.');
    if (claims.nbf > now + PROOF_MAX_FUTURE_SECONDS) invalid('The proof is not valid yet ("nbf").');
  }

  const jti = claims.jti;
  if (typeof jti !== 'string' || jti.length === 0) invalid('The proof has no "jti" claim.');
  if (jti.length > PROOF_MAX_JTI_LENGTH) invalid(`The proof's "jti" is longer than ${PROOF_MAX_JTI_LENGTH} characters.`);

  return { iat, jti };
}

/**
 * Validates OpenID Connect ID tokens from trusted issuers (OPENIDCONNECT input, API §3 "OIDC input").
 *
 * Every token is hostile until its signature verifies (node:crypto) with a key from the issuer's configured key
 * source. Before that, only the protected header and the `iss` claim are read, and only to pick the key: the
 * header's algorithm must fit that key source (RFC 8725 §3.1), and the header can never supply a key itself.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { InternalError, InvalidTokenError } from '../../engine/errors.js';
import type { KindValidator } from '../../engine/kind.js';
import type { Actor, Attributes, TokenEnvelope, ValidatorContext, VerifiedSubject } from '../../engine/types.js';
import { AUTHN_CONTEXT_CLASS } from '../authn-context.js';
import { REGISTERED_CLAIMS, UNSAFE_KEYS } from './claims.js';
import { fetchJwks, JwksFetchError } from './jwks-fetch.js';
import { parseCompactJws, parseJsonPayload, verifyJwsSignature, type ParsedCompactJws } from './jws.js';
import { oidcTrustOf, type OidcTrustConfig } from './oidc.config.js';
import { isNumericDate } from '../numeric-date.js';
import { hasControlCharacters } from '../../identity/text.js';
/** API §3: 60 s of clock skew. */
export const CLOCK_SKEW_SECONDS = 60;
/** API §3: an unknown `kid` triggers at most one JWK Set refetch a minute per issuer. */
export const DEFAULT_JWKS_REFETCH_INTERVAL_MS = 60_000;
/** A cached JWK Set is fetched again after this long, so keys the issuer withdrew stop verifying. */
export const DEFAULT_JWKS_MAX_AGE_MS = 10 * 60_000;

/** Algorithms accepted with keys from `jwks` / `jwksUri`: asymmetric only, so a public key is never an HMAC secret. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'] as const;
/** Algorithms accepted with `clientSecret`. */
export const SYMMETRIC_ALGORITHMS = ['HS256'] as const;

/** Header parameters that point at or carry a key. The key comes from the trust configuration only (RFC 8725 §3.10). */
const KEY_BEARING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

type JwkRecord = Record<string, unknown>;

/**
 * Reads the claims of a token whose signature has NOT been checked. The result only selects the trust entry
 * (by `iss`); nothing else may be taken from it.
 */
export function decodeUnverifiedClaims(parsed: ParsedCompactJws): Record<string, unknown> | null {
  return parseJsonPayload(parsed.payloadBytes);
}

/** Whether a JWK may verify `alg`: its kty/crv/alg fit (RFC 7518 §6, RFC 8037 §2) and it is a public signing key. */
export function jwkFitsAlgorithm(jwk: JwkRecord, alg: string): boolean {
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  // A published set holds public keys only; private (`d`) or symmetric (`k`) members are refused outright.
  if (jwk.d !== undefined || jwk.k !== undefined) return false;
  switch (alg) {
    case 'RS256':
    case 'RS384':
    case 'RS512':
    case 'PS256':
    case 'PS384':
    case 'PS512':
      return jwk.kty === 'RSA';
    case 'ES256':
      return jwk.kty === 'EC' && jwk.crv === 'P-256';
    case 'ES384':
      return jwk.kty === 'EC' && jwk.crv === 'P-384';
    case 'EdDSA':
      return jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
    default:
      return false;
  }
}

/** Token claims that become user attributes: not registered, string or list of strings; numbers/booleans as text. */
export function claimsToAttributes(claims: Record<string, unknown>): Attributes {
  const attributes: Attributes = {};
  for (const [name, value] of Object.entries(claims)) {
    if (REGISTERED_CLAIMS.has(name) || UNSAFE_KEYS.has(name)) continue;
    if (typeof value === 'string') attributes[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') attributes[name] = String(value);
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) attributes[name] = [...(value as string[])];
    // Objects, null and mixed lists have no faithful attribute form: dropped.
  }
  return attributes;
}

function isExplicitlyTypedOtherJwt(typ: unknown): boolean {
  if (typ === undefined) return false;
  if (typeof typ !== 'string') return true;
  // RFC 7515 §4.1.9: compared case-insensitively, "application/" may be left out.
  const t = typ.toLowerCase().replace(/^application\//, '');
  // RFC 9068 §2.1 (at+jwt) and RFC 8725 §3.11: an explicitly typed JWT (`*+jwt`: access token, logout token,
  // security event, DPoP proof, ...) is some other kind of token, and must not pass as an ID token.
  return t.endsWith('+jwt');
}

export type JWTPayload = Record<string, unknown> & { sub?: string; iat?: number; exp?: number; nbf?: number; azp?: string; auth_time?: number };

/** A signature that does not verify with one key (another key with the same kid may still verify it). */
class SignatureMismatchError extends InvalidTokenError {
  constructor(noun: string) {
    super(`The ${noun} signature does not verify.`);
  }
}

/** RFC 7519 §4.1 and OIDC Core §2, with API §3's 60 s skew: the claims an ID token must carry and satisfy. */
function checkClaims(payload: JWTPayload, trust: OidcTrustConfig, now: Date, noun: string): JWTPayload {
  for (const claim of ['sub', 'iat', 'exp'] as const) {
    if (payload[claim] === undefined) throw new InvalidTokenError(`The ${noun} has no "${claim}" claim.`);
  }
  // RFC 7519 §2 NumericDate, bounded to instants every output can carry (numeric-date.ts).
  for (const claim of ['iat', 'exp', 'nbf', 'auth_time'] as const) {
    const v = payload[claim];
    if (v !== undefined && !isNumericDate(v)) throw new InvalidTokenError(`The ${noun}'s "${claim}" claim is not a valid NumericDate.`);
  }
  if (payload.iss !== trust.issuer) throw new InvalidTokenError(`The ${noun} comes from an untrusted issuer.`);
  const aud = payload.aud;
  if (aud === undefined) throw new InvalidTokenError(`The ${noun} has no "aud" claim.`);
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.some((a) => typeof a === 'string' && trust.audience.includes(a))) {
    throw new InvalidTokenError(`The ${noun} is not meant for this audience.`);
  }
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if ((payload.exp as number) <= nowSeconds - CLOCK_SKEW_SECONDS) throw new InvalidTokenError(`The ${noun} has expired.`);
  if (payload.nbf !== undefined && payload.nbf > nowSeconds + CLOCK_SKEW_SECONDS) throw new InvalidTokenError(`The ${noun} is not valid yet (nbf).`);
  return payload;
}

interface JwksCacheEntry {
  keys: JwkRecord[];
  /** ctx.now (ms) of the last fetch attempt, successful or not: the refetch budget counts attempts. */
  attemptedAt: number;
  fetchedAt: number;
}

export interface OidcValidatorDeps {
  fetch?: typeof fetch;
  jwksRefetchIntervalMs?: number;
  jwksMaxAgeMs?: number;
  jwksFetchTimeoutMs?: number;
}

/**
 * What a JWT from a trusted issuer is checked as: an ID token (OIDC Core §2; an explicitly typed `*+jwt` is some
 * other kind of token and refused) or a JWT access token (RFC 9068 §2.1: `typ` must be `at+jwt`, and only from
 * an issuer whose trust entry accepts access tokens).
 */
export type JwtProfile = 'id_token' | 'access_token';

/** A JWT whose signature verified with its issuer's configured key and whose registered claims hold. */
export interface VerifiedJwt {
  payload: JWTPayload;
  trust: OidcTrustConfig;
}

export interface JwtVerifier {
  verify(token: string, ctx: ValidatorContext, profile: JwtProfile): Promise<VerifiedJwt>;
}

/**
 * The verifier shared by the OPENIDCONNECT and ACCESS_TOKEN validators: trust entries from `oidcTrust`, one JWK
 * Set cache per issuer (with the refetch budget of API.md §3), the algorithm bound to the key.
 */
export function createJwtVerifier(deps: OidcValidatorDeps = {}): JwtVerifier {
  const fetchImpl = deps.fetch ?? fetch;
  const refetchIntervalMs = deps.jwksRefetchIntervalMs ?? DEFAULT_JWKS_REFETCH_INTERVAL_MS;
  const maxAgeMs = deps.jwksMaxAgeMs ?? DEFAULT_JWKS_MAX_AGE_MS;
  // One cache per issuer and URI (a republished trust entry with another URI starts afresh).
  const cache = new Map<string, JwksCacheEntry>();
  const inflight = new Map<string, Promise<JwkRecord[]>>();
  // Imported keys, per JWK object and algorithm: importing is the costly part of a verification.

  function cacheKey(trust: OidcTrustConfig, uri: string): string {
    return `${trust.issuer}\n${uri}`;
  }

  async function fetchInto(key: string, uri: string, nowMs: number, noun: string): Promise<JwkRecord[]> {
    // Concurrent requests for one issuer share a single fetch.
    let pending = inflight.get(key);
    if (!pending) {
      const previous = cache.get(key);
      if (previous) previous.attemptedAt = nowMs;
      pending = fetchJwks(uri, { fetch: fetchImpl, timeoutMs: deps.jwksFetchTimeoutMs })
        .then((keys) => {
          cache.set(key, { keys, attemptedAt: nowMs, fetchedAt: nowMs });
          return keys;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    try {
      return await pending;
    } catch (e) {
      const reason = e instanceof JwksFetchError ? e.message : 'the issuer JWK Set could not be fetched';
      throw new InvalidTokenError(`The ${noun} cannot be checked: ${reason}.`, e);
    }
  }

  /** The issuer's current keys and whether they were fetched for this very request. */
  async function remoteKeys(trust: OidcTrustConfig, uri: string, nowMs: number, noun: string): Promise<{ keys: JwkRecord[]; fresh: boolean }> {
    const key = cacheKey(trust, uri);
    const entry = cache.get(key);
    const age = entry ? nowMs - entry.fetchedAt : Infinity;
    if (entry && age >= 0 && age < maxAgeMs) return { keys: entry.keys, fresh: false };
    return { keys: await fetchInto(key, uri, nowMs, noun), fresh: true };
  }

  /** On an unknown kid: the refetched keys, or null when this issuer was (re)fetched less than the interval ago. */
  async function refetchForUnknownKid(trust: OidcTrustConfig, uri: string, nowMs: number, noun: string): Promise<JwkRecord[] | null> {
    const key = cacheKey(trust, uri);
    const entry = cache.get(key);
    if (entry && nowMs - entry.attemptedAt < refetchIntervalMs && nowMs >= entry.attemptedAt) return null;
    return fetchInto(key, uri, nowMs, noun);
  }

  function candidatesFor(keys: JwkRecord[], kid: string | undefined, alg: string): { found: boolean; fitting: JwkRecord[] } {
    if (kid === undefined) {
      // No kid: acceptable only when exactly one key could have made the signature.
      const fitting = keys.filter((k) => jwkFitsAlgorithm(k, alg));
      return { found: fitting.length > 0, fitting: fitting.length === 1 ? fitting : [] };
    }
    const sameKid = keys.filter((k) => k.kid === kid);
    return { found: sameKid.length > 0, fitting: sameKid.filter((k) => jwkFitsAlgorithm(k, alg)) };
  }

  const imported = new WeakMap<JwkRecord, KeyObject>();

  function importKey(jwk: JwkRecord): KeyObject {
    let key = imported.get(jwk);
    if (!key) {
      // Only the public members: an `ext` or `key_ops` quirk in a foreign JWK must not change how it imports.
      const { kty, crv, n, e, x, y } = jwk;
      const publicJwk = Object.fromEntries(Object.entries({ kty, crv, n, e, x, y }).filter(([, v]) => v !== undefined));
      key = createPublicKey({ key: publicJwk as never, format: 'jwk' });
      imported.set(jwk, key);
    }
    return key;
  }

  function verifyWith(parsed: ParsedCompactJws, key: KeyObject | Buffer, alg: string, trust: OidcTrustConfig, now: Date, noun: string): JWTPayload {
    // RFC 7515 §4.1.11: no extension we would have to understand; RFC 7797 unencoded payloads are not ID tokens.
    if (parsed.header.crit !== undefined || parsed.header.b64 !== undefined) throw new InvalidTokenError(`The ${noun} is malformed.`);
    if (!verifyJwsSignature(alg, parsed.signingInput, parsed.signature, key)) throw new SignatureMismatchError(noun);
    const payload = decodeUnverifiedClaims(parsed);
    if (!payload) throw new InvalidTokenError(`The ${noun} is malformed.`);
    return checkClaims(payload as JWTPayload, trust, now, noun);
  }

  async function verifyWithJwks(
    token: string,
    parsed: ParsedCompactJws,
    alg: string,
    trust: OidcTrustConfig,
    now: Date,
    noun: string,
  ): Promise<JWTPayload> {
    const kid = parsed.header.kid;
    if (kid !== undefined && typeof kid !== 'string') throw new InvalidTokenError(`The ${noun} header "kid" is malformed.`);
    const nowMs = now.getTime();
    let keys: JwkRecord[];
    let fresh = false;
    const uri = trust.jwks ? undefined : trust.jwksUri;
    if (trust.jwks) {
      keys = Array.isArray(trust.jwks.keys) ? trust.jwks.keys.filter((k) => k !== null && typeof k === 'object') : [];
    } else {
      ({ keys, fresh } = await remoteKeys(trust, uri as string, nowMs, noun));
    }
    let { found, fitting } = candidatesFor(keys, kid, alg);
    // The issuer may have rotated its keys since the last fetch: an unknown kid triggers one refetch, at most
    // once per interval, so a stream of made-up kids cannot turn us into a load generator against the issuer.
    if (!found && kid !== undefined && uri !== undefined && !fresh) {
      const refetched = await refetchForUnknownKid(trust, uri, nowMs, noun);
      if (refetched) ({ found, fitting } = candidatesFor(refetched, kid, alg));
    }
    if (!found) {
      throw new InvalidTokenError(
        kid === undefined ? `The ${noun} has no "kid" and the issuer has no single key for its algorithm.` : `The ${noun} names an unknown key (kid).`,
      );
    }
    if (fitting.length === 0) {
      throw new InvalidTokenError(
        kid === undefined
          ? `The ${noun} has no "kid" and the issuer has several keys for its algorithm.`
          : "The ID token's algorithm does not fit the issuer key it names.",
      );
    }
    let lastError: unknown;
    // Several keys may share a kid (rare, but allowed by RFC 7517 §4.5): the token verifies if one of them works.
    for (const jwk of fitting) {
      let key: KeyObject;
      try {
        key = importKey(jwk);
      } catch (e) {
        lastError = new InvalidTokenError("The issuer's key cannot be used.", e);
        continue;
      }
      try {
        return verifyWith(parsed, key, alg, trust, now, noun);
      } catch (e) {
        lastError = e;
        // Only a signature mismatch is worth trying the next key for; claim failures are final.
        if (!(e instanceof SignatureMismatchError)) break;
      }
    }
    throw lastError instanceof InvalidTokenError ? lastError : new InvalidTokenError(`The ${noun} signature does not verify.`, lastError);
  }

  async function verify(token: string, ctx: ValidatorContext, profile: JwtProfile): Promise<VerifiedJwt> {
    const noun = profile === 'id_token' ? 'ID token' : 'access token';
    if (token.split('.').length === 5) throw new InvalidTokenError(`Encrypted ${noun}s (JWE) are not accepted.`);
    const parsed = parseCompactJws(token);
    if (!parsed) throw new InvalidTokenError(`The ${noun} is not a compact JWS.`);
    const { header } = parsed;
    const alg = header.alg;
    if (typeof alg !== 'string') throw new InvalidTokenError(`The ${noun} header has no "alg".`);
    // RFC 8725 §3.1 / §2.1: an unsigned token is never accepted, whatever the configuration.
    if (alg.toLowerCase() === 'none') throw new InvalidTokenError(`Unsigned ${noun}s (alg "none") are not accepted.`);
    for (const name of KEY_BEARING_HEADERS) {
      if (Object.hasOwn(header, name)) {
        throw new InvalidTokenError(`The ${noun} header "${name}" is not accepted: keys come from the trust configuration only.`);
      }
    }
    if (profile === 'id_token' && isExplicitlyTypedOtherJwt(header.typ)) {
      throw new InvalidTokenError('The token is typed as another kind of JWT (such as an access token), not an ID token.');
    }
    // RFC 9068 §2.1 and §4: a JWT access token is explicitly typed, and one that is not must be refused as one.
    if (profile === 'access_token' && !isAccessTokenType(header.typ)) {
      throw new InvalidTokenError('The token is not typed as a JWT access token (typ at+jwt, RFC 9068).');
    }

    // Unverified: `iss` only picks the trust entry, whose key then has to verify the whole token.
    const unverified = decodeUnverifiedClaims(parsed);
    if (!unverified) throw new InvalidTokenError(`The ${noun} payload is not a JSON object.`);
    const iss = unverified.iss;
    const trust = typeof iss === 'string' ? oidcTrustOf(ctx.instance.config).find((t) => t.issuer === iss) : undefined;
    if (!trust) throw new InvalidTokenError(`The ${noun} comes from an untrusted issuer.`);
    if (profile === 'access_token' && !trust.acceptAccessTokens) {
      throw new InvalidTokenError('This instance does not accept access tokens from that issuer (oidcTrust acceptAccessTokens).');
    }

    const sources = [trust.jwks, trust.jwksUri, trust.clientSecret].filter((s) => s !== undefined).length;
    if (sources !== 1) {
      throw new InternalError(`instance ${ctx.instance.config.name}: trust entry for ${trust.issuer} needs exactly one key source`);
    }

    let payload: JWTPayload;
    if (trust.clientSecret !== undefined) {
      // RFC 8725 §3.1: a shared secret verifies HMAC only.
      if (!(SYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
        throw new InvalidTokenError(`The ${noun} algorithm ${sanitizeAlg(alg)} is not allowed for this issuer (HS256 only).`);
      }
      const secret = Buffer.from(trust.clientSecret, 'utf8');
      // RFC 7518 §3.2: an HS256 key shorter than the hash output is not acceptable.
      if (secret.byteLength < 32) {
        throw new InternalError(`instance ${ctx.instance.config.name}: client secret for ${trust.issuer} is shorter than 32 bytes`);
      }
      payload = verifyWith(parsed, secret, alg, trust, ctx.now, noun);
    } else {
      // RFC 8725 §3.1 / §2.1: a public key must never serve as an HMAC secret (HS/RS confusion).
      if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
        throw new InvalidTokenError(`The ${noun} algorithm ${sanitizeAlg(alg)} is not allowed for this issuer.`);
      }
      payload = await verifyWithJwks(token, parsed, alg, trust, ctx.now, noun);
    }

    // Verified from here on; checkClaims saw exp, nbf and the types of iat/nbf/exp. What it leaves out:
    const nowSeconds = ctx.now.getTime() / 1000;
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new InvalidTokenError(`The ${noun} "sub" claim is not valid.`);
    // The subject is stored with every issued-token record and audit event: no control characters (a NUL is
    // refused by PostgreSQL and cuts SQLite's text short), as for an X.509 subject's CN.
    if (hasControlCharacters(payload.sub)) throw new InvalidTokenError(`The ${noun} "sub" claim contains control characters.`);
    const iat = payload.iat as number;
    // RFC 7519 §4.1.6 with API §3's skew: a token issued in the future was not issued by a sane clock.
    if (iat > nowSeconds + CLOCK_SKEW_SECONDS) throw new InvalidTokenError(`The ${noun} was issued in the future (iat).`);
    const authTime = payload.auth_time;
    // OIDC Core §2: auth_time is when the End-User authenticated, so not after now; its range was checked above.
    if (authTime !== undefined && (!isNumericDate(authTime) || authTime > nowSeconds + CLOCK_SKEW_SECONDS)) {
      throw new InvalidTokenError(`The ${noun} "auth_time" claim is not valid.`);
    }
    if (profile === 'id_token' && trust.authorizedParties !== undefined) {
      // OIDC Core §2: azp names the party the token was issued to; the trust entry limits which ones we accept.
      if (typeof payload.azp !== 'string' || !trust.authorizedParties.includes(payload.azp)) {
        throw new InvalidTokenError(`The ${noun} was issued to a party (azp) this instance does not accept.`);
      }
    }
    return { payload, trust };
  }

  return { verify };
}

/** RFC 9068 §2.1: `at+jwt`, or its full media type (RFC 7515 §4.1.9: case-insensitive, "application/" optional). */
function isAccessTokenType(typ: unknown): boolean {
  return typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === 'at+jwt';
}

/** RFC 8693 §4.1 `act` and §4.4 `may_act` from a verified token, kept when well-formed (else dropped). */
export function actorClaims(payload: Record<string, unknown>): { act?: Actor; mayAct?: { sub?: string; iss?: string } } {
  const out: { act?: Actor; mayAct?: { sub?: string; iss?: string } } = {};
  const act = readActor(payload.act, 0);
  if (act) out.act = act;
  const m = payload.may_act;
  if (m && typeof m === 'object' && !Array.isArray(m)) {
    const { sub, iss } = m as Record<string, unknown>;
    const mayAct: { sub?: string; iss?: string } = {};
    if (typeof sub === 'string' && !hasControlCharacters(sub)) mayAct.sub = sub;
    if (typeof iss === 'string' && !hasControlCharacters(iss)) mayAct.iss = iss;
    if (mayAct.sub !== undefined || mayAct.iss !== undefined) out.mayAct = mayAct;
  }
  return out;
}

const MAX_ACTOR_DEPTH = 16;

function readActor(v: unknown, depth: number): Actor | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v) || depth >= MAX_ACTOR_DEPTH) return undefined;
  const { sub, iss, act } = v as Record<string, unknown>;
  if (typeof sub !== 'string' || sub === '' || hasControlCharacters(sub)) return undefined;
  const out: Actor = { sub };
  if (typeof iss === 'string' && !hasControlCharacters(iss)) out.iss = iss;
  const inner = readActor(act, depth + 1);
  if (inner) out.act = inner;
  return out;
}

/** The OPENIDCONNECT validator: an ID token from an issuer in `oidcTrust`. */
export function createOidcValidator(deps: OidcValidatorDeps | { verifier: JwtVerifier } = {}): KindValidator {
  const verifier = 'verifier' in deps ? deps.verifier : createJwtVerifier(deps);
  return {
    fields: [
      {
        key: 'idToken',
        rule: 'token',
        required: true,
        rest: 'oidc_id_token',
        oauth: 'subject_token',
        graphql: { name: 'idToken', type: 'String', description: 'OPENIDCONNECT: an ID token from an issuer in oidcTrust.' },
      },
    ],
    needs: ['oidcTrust'],
    async validate(input: TokenEnvelope, ctx: ValidatorContext): Promise<VerifiedSubject> {
      // The engine checked presence and size (engine/fields.ts).
      const { payload, trust } = await verifier.verify(input.idToken as string, ctx, 'id_token');
      const authTime = payload.auth_time;
      return {
        name: payload.sub as string,
        // From the token only: an external `sub` that equals a local username must not pick up that user's data.
        attributes: claimsToAttributes(payload),
        inputType: 'OPENIDCONNECT',
        authn: {
          // OIDC Core §2: auth_time is the original authentication; without it, the token's issue time is the best bound.
          instant: new Date((typeof authTime === 'number' ? authTime : (payload.iat as number)) * 1000),
          // The upstream issuer authenticated the user and its method is not carried over (its acr/amr are
          // registered claims, never copied); RFC 8176 has no "federated" value. A SAML AuthnStatement still needs
          // a class: PingAM's default mapper names PasswordProtectedTransport for OIDC input.
          assumedContextClass: AUTHN_CONTEXT_CLASS.passwordProtectedTransport,
        },
        issuer: trust.issuer,
        ...actorClaims(payload),
      };
    },
  };
}

function sanitizeAlg(alg: string): string {
  return JSON.stringify(alg.length > 20 ? `${alg.slice(0, 20)}…` : alg);
}

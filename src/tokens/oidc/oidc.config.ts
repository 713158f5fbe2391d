/**
 * The OIDC kind's configuration sections (API.md §3): `oidc` (what the provider issues) and `oidcTrust` (the
 * issuers whose ID tokens the validator accepts). Parsed here with the tables the provider and validator use
 * themselves, so what publishes is what runs.
 *
 * Choices where the contract is silent (also in the README):
 * - `jwksUri` must be https; plain http is allowed only for loopback hosts (localhost, 127.0.0.0/8, ::1), for
 *   development against a local issuer.
 * - An empty `oidcTrust` list that no transform needs is dropped.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import {
  absent,
  fail,
  get,
  httpUrl,
  isLoopbackHost,
  lifetime,
  MAX_TRUST_ENTRIES,
  object,
  onlyKeys,
  optionalString,
  quote,
  requiredString,
  secret,
  stringList,
  stringMap,
} from '../../engine/config-toolkit.js';
import { BadUserInputError, TesseraError } from '../../engine/errors.js';
import type { ConfigSection, GqlObject } from '../../engine/kind.js';
import type { InstanceConfig, KeyProvider } from '../../engine/types.js';
import { REGISTERED_CLAIMS, UNSAFE_KEYS } from './claims.js';
import { JWS_SIGNING_ALGORITHMS, type JwsSigningAlgorithm } from './jws.js';

export interface OidcConfig {
  issuer?: string; // default: <publicUrl>/sts/<instance>
  audience: string[];
  authorizedParty?: string;
  signatureAlgorithm: JwsSigningAlgorithm;
  signingKeyId?: string;
  clientSecret?: string; // HS256 only
  claimMap: Record<string, string>;
  lifetimeSeconds: number;
}

export interface OidcTrustConfig {
  issuer: string;
  audience: string[];
  authorizedParties?: string[];
  jwks?: { keys: Record<string, unknown>[] };
  jwksUri?: string;
  clientSecret?: string;
  /** Accept JWT access tokens (RFC 9068, `typ: at+jwt`) from this issuer as ACCESS_TOKEN input. */
  acceptAccessTokens?: boolean;
}

export const oidcOf = (c: InstanceConfig): OidcConfig | undefined => c.oidc as OidcConfig | undefined;
export const oidcTrustOf = (c: InstanceConfig): OidcTrustConfig[] => (c.oidcTrust as OidcTrustConfig[] | undefined) ?? [];

/** JWK members that only a private or symmetric key has (RFC 7518 6.2.2, 6.3.2, 6.4.1; RFC 8037 2). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MAX_JWKS_KEYS = 64;
const MAX_JWKS_JSON = 64 * 1024;

/** The default issuer: what strict discovery clients expect (API.md §3). */
export function defaultIssuer(publicUrl: string, instanceName: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/sts/${instanceName}`;
}

/** A pinned key must be one the key store hands out for this algorithm: the provider's own call decides. */
async function checkSigningKey(keys: KeyProvider, kid: string, algorithm: string, field: string): Promise<void> {
  try {
    await keys.signingKey(algorithm, kid);
  } catch (e) {
    if (e instanceof TesseraError && e.code === 'BAD_USER_INPUT') {
      throw new BadUserInputError(`no usable ${algorithm} signing key with kid ${quote(kid)}: ${e.message.replace(/^signingKeyId: /, '')}`, field);
    }
    throw e;
  }
}

function parseOidc(v: unknown, existing: OidcConfig | undefined): OidcConfig {
  const field = 'input.oidc';
  const o = object(v, field);
  onlyKeys(o, ['issuer', 'audience', 'authorizedParty', 'signatureAlgorithm', 'signingKeyId', 'clientSecret', 'claimMap', 'lifetimeSeconds'], field);
  const issuer = optionalString(o, 'issuer', `${field}.issuer`);
  if (issuer !== undefined) httpUrl(issuer, `${field}.issuer`);
  const audienceValue = get(o, 'audience');
  if (absent(audienceValue)) fail(`${field}.audience`, 'is required.');
  const audience = stringList(audienceValue, `${field}.audience`);
  const authorizedParty = optionalString(o, 'authorizedParty', `${field}.authorizedParty`);

  const alg = optionalString(o, 'signatureAlgorithm', `${field}.signatureAlgorithm`) ?? 'RS256';
  if (!(JWS_SIGNING_ALGORITHMS as readonly string[]).includes(alg)) {
    fail(`${field}.signatureAlgorithm`, `unsupported algorithm ${quote(alg)}; one of ${JWS_SIGNING_ALGORITHMS.join(', ')}.`);
  }
  const signatureAlgorithm = alg as JwsSigningAlgorithm;
  const signingKeyId = optionalString(o, 'signingKeyId', `${field}.signingKeyId`, { max: 256 });
  if (signingKeyId !== undefined && signatureAlgorithm === 'HS256') {
    fail(`${field}.signingKeyId`, 'is not used with HS256, which signs with clientSecret.');
  }

  const secretValue = get(o, 'clientSecret');
  let clientSecret: string | undefined;
  if (!absent(secretValue)) {
    if (signatureAlgorithm !== 'HS256') fail(`${field}.clientSecret`, 'is only allowed with signatureAlgorithm HS256.');
    clientSecret = secret(secretValue, `${field}.clientSecret`);
  } else if (signatureAlgorithm === 'HS256') {
    // Write-only: an update that omits the secret keeps the stored one.
    clientSecret = existing?.clientSecret;
    if (clientSecret === undefined) fail(`${field}.clientSecret`, 'is required with signatureAlgorithm HS256.');
  }

  // The provider's own list: a claim it would set itself (or drop as unsafe) cannot be mapped.
  const claimMap = stringMap(get(o, 'claimMap'), `${field}.claimMap`, (key, f) => {
    if (REGISTERED_CLAIMS.has(key)) fail(f, `${quote(key)} is a registered claim that Tessera sets itself and cannot be mapped.`);
    if (UNSAFE_KEYS.has(key)) fail(f, `${quote(key)} cannot be a claim name.`);
  });

  const out: OidcConfig = { audience, signatureAlgorithm, claimMap, lifetimeSeconds: lifetime(o, 'lifetimeSeconds', `${field}.lifetimeSeconds`) };
  if (issuer !== undefined) out.issuer = issuer;
  if (authorizedParty !== undefined) out.authorizedParty = authorizedParty;
  if (signingKeyId !== undefined) out.signingKeyId = signingKeyId;
  if (clientSecret !== undefined) out.clientSecret = clientSecret;
  return out;
}

function parseJwks(v: unknown, field: string): { keys: Record<string, unknown>[] } {
  const j = object(v, field);
  let size: number;
  try {
    size = JSON.stringify(j).length;
  } catch {
    fail(field, 'must be a JSON object.');
  }
  if (size > MAX_JWKS_JSON) fail(field, `must be at most ${MAX_JWKS_JSON} bytes of JSON.`);
  const keys = get(j, 'keys');
  if (!Array.isArray(keys) || keys.length === 0) fail(`${field}.keys`, 'must be a non-empty list of JWKs (RFC 7517 5).');
  if (keys.length > MAX_JWKS_KEYS) fail(`${field}.keys`, `must hold at most ${MAX_JWKS_KEYS} keys.`);
  return {
    keys: keys.map((k, i) => {
      const f = `${field}.keys[${i}]`;
      const jwk = object(k, f);
      const priv = PRIVATE_JWK_MEMBERS.filter((m) => Object.prototype.hasOwnProperty.call(jwk, m));
      if (priv.length > 0) {
        fail(f, `holds private or symmetric key material (${priv.join(', ')}); publish public keys only (use clientSecret for HMAC).`);
      }
      try {
        createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      } catch {
        fail(f, 'is not a usable RSA, EC or OKP public JWK.');
      }
      return { ...jwk };
    }),
  };
}

function parseOidcTrust(v: unknown, existing: OidcTrustConfig[] | undefined): OidcTrustConfig[] | undefined {
  const field = 'input.oidcTrust';
  if (!Array.isArray(v)) fail(field, 'must be a list of trusted issuers.');
  if (v.length > MAX_TRUST_ENTRIES) fail(field, `must hold at most ${MAX_TRUST_ENTRIES} issuers.`);
  const issuers = new Set<string>();
  const entries = v.map((item, i) => {
    const f = `${field}[${i}]`;
    const t = object(item, f);
    onlyKeys(t, ['issuer', 'audience', 'authorizedParties', 'jwks', 'jwksUri', 'clientSecret', 'acceptAccessTokens'], f);
    const issuer = requiredString(t, 'issuer', `${f}.issuer`);
    if (issuers.has(issuer)) fail(`${f}.issuer`, `${quote(issuer)} is already listed; each trusted issuer appears once.`);
    issuers.add(issuer);
    const audienceValue = get(t, 'audience');
    if (absent(audienceValue)) fail(`${f}.audience`, 'is required.');
    const out: OidcTrustConfig = { issuer, audience: stringList(audienceValue, `${f}.audience`) };
    const azp = get(t, 'authorizedParties');
    if (!absent(azp)) out.authorizedParties = stringList(azp, `${f}.authorizedParties`);
    const accept = get(t, 'acceptAccessTokens');
    if (!absent(accept)) {
      if (typeof accept !== 'boolean') fail(`${f}.acceptAccessTokens`, 'must be true or false.');
      if (accept) out.acceptAccessTokens = true;
    }

    const jwks = get(t, 'jwks');
    const jwksUri = optionalString(t, 'jwksUri', `${f}.jwksUri`);
    const secretValue = get(t, 'clientSecret');
    const given = [!absent(jwks), jwksUri !== undefined, !absent(secretValue)].filter(Boolean).length;
    if (given > 1) fail(f, 'give exactly one key source: jwks, jwksUri or clientSecret.');
    if (!absent(jwks)) {
      out.jwks = parseJwks(jwks, `${f}.jwks`);
    } else if (jwksUri !== undefined) {
      const url = httpUrl(jwksUri, `${f}.jwksUri`);
      if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname)) {
        fail(`${f}.jwksUri`, 'must be https (plain http only for a loopback host), since the keys it serves decide trust.');
      }
      if (url.hash !== '') fail(`${f}.jwksUri`, 'must not carry a fragment.');
      out.jwksUri = jwksUri;
    } else if (!absent(secretValue)) {
      out.clientSecret = secret(secretValue, `${f}.clientSecret`);
    } else {
      // Write-only: an update that omits the secret keeps the one stored for the same issuer.
      const kept = existing?.find((e) => e.issuer === issuer)?.clientSecret;
      if (kept === undefined) fail(f, 'give exactly one key source: jwks, jwksUri or clientSecret.');
      out.clientSecret = kept;
    }
    return out;
  });
  return entries.length > 0 ? entries : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// GraphQL shapes (API.md §3)
// ---------------------------------------------------------------------------------------------------------------
const OIDC_COMMON = {
  audience: { type: { list: 'String' }, required: true, description: 'The `aud` of every issued ID token (a JSON array); non-empty.' },
  authorizedParty: { type: 'String', description: '`azp`, emitted only when set.' },
  signatureAlgorithm: { type: 'String', description: `JWS algorithm: ${JWS_SIGNING_ALGORITHMS.join(', ')}. Default RS256.` },
  signingKeyId: { type: 'String', description: 'A kid to sign with; default: the active key for the algorithm (created on demand).' },
  claimMap: { type: 'JSON', description: '{ "<claim>": "<user attribute>" }; registered claims (iss sub aud exp nbf iat jti nonce auth_time azp acr amr cnf sid at_hash c_hash s_hash) are refused.' },
  lifetimeSeconds: { type: 'Int', description: 'Lifetime of issued ID tokens, 1..86400 s. Default 600.' },
} as const;

const OIDC_INPUT: GqlObject = {
  object: 'OidcInput',
  description: 'What OPENIDCONNECT output issues: an OpenID Connect ID token (signed JWT).',
  fields: {
    issuer: { type: 'String', description: 'The `iss`; default TESSERA_PUBLIC_URL/sts/<instance>, which the discovery document names.' },
    ...OIDC_COMMON,
    clientSecret: { type: 'String', description: 'HS256 only, at least 32 bytes; write-only; kept when omitted on update.' },
  },
};

const OIDC_OUTPUT: GqlObject = {
  object: 'OidcConfig',
  description: 'The ID token settings of an instance (secrets are never returned).',
  fields: {
    issuer: { type: 'String', required: true, description: 'The effective issuer (the default when none was configured).' },
    ...OIDC_COMMON,
    audience: { ...OIDC_COMMON.audience },
    signatureAlgorithm: { type: 'String', required: true, description: OIDC_COMMON.signatureAlgorithm.description },
    claimMap: { type: 'JSON', required: true, description: OIDC_COMMON.claimMap.description },
    lifetimeSeconds: { type: 'Int', required: true, description: OIDC_COMMON.lifetimeSeconds.description },
    hasClientSecret: { type: 'Boolean', required: true, description: 'True when an HS256 client secret is set.' },
  },
};

const TRUST_COMMON = {
  issuer: { type: 'String', required: true, description: 'The exact `iss` of the trusted issuer; unique within the instance.' },
  audience: { type: { list: 'String' }, required: true, description: 'Accepted `aud` values; non-empty.' },
  authorizedParties: { type: { list: 'String' }, description: 'If set, `azp` must be one of them.' },
  jwks: { type: 'JSON', description: 'The issuer\'s public keys as a JWK Set (one key source of three).' },
  jwksUri: { type: 'String', description: 'Where to fetch the JWK Set (https; http for loopback only); 5 s timeout, 256 KiB, cached.' },
  acceptAccessTokens: { type: 'Boolean', description: 'Accept this issuer\'s JWT access tokens (RFC 9068, typ at+jwt) as ACCESS_TOKEN input.' },
} as const;

const TRUST_INPUT: GqlObject = {
  object: 'OidcTrustInput',
  description: 'An issuer whose ID tokens (and, if allowed, access tokens) this instance accepts.',
  fields: { ...TRUST_COMMON, clientSecret: { type: 'String', description: 'HS256 shared secret (one key source of three); write-only.' } },
};

const TRUST_OUTPUT: GqlObject = {
  object: 'OidcTrust',
  description: 'A trusted issuer (secrets are never returned).',
  fields: { ...TRUST_COMMON, hasClientSecret: { type: 'Boolean', required: true, description: 'True when an HS256 secret is the key source.' } },
};

export function oidcSection(deps: { keys: KeyProvider; publicUrl: string }): ConfigSection<OidcConfig> {
  return {
    key: 'oidc',
    parse: (raw, ctx) => parseOidc(raw, ctx.existing),
    async check(value) {
      if (value.signingKeyId !== undefined) await checkSigningKey(deps.keys, value.signingKeyId, value.signatureAlgorithm, 'input.oidc.signingKeyId');
    },
    publicView(value, ctx) {
      const { clientSecret, ...rest } = structuredClone(value);
      return { ...rest, issuer: value.issuer ?? defaultIssuer(deps.publicUrl, ctx.instanceName), hasClientSecret: clientSecret !== undefined };
    },
    graphql: { input: OIDC_INPUT, output: OIDC_OUTPUT, description: 'Required when a transform outputs OPENIDCONNECT.' },
    topLevelFlags: { hasClientSecret: { description: 'True when oidc.clientSecret is set (never returned).', of: (v) => v.clientSecret !== undefined } },
  };
}

export const oidcTrustSection: ConfigSection<OidcTrustConfig[]> = {
  key: 'oidcTrust',
  parse: (raw, ctx) => parseOidcTrust(raw, ctx.existing),
  publicView: (value) => value.map(({ clientSecret, ...t }) => ({ ...structuredClone(t), hasClientSecret: clientSecret !== undefined })),
  missingMessage: 'must list at least one trusted issuer',
  graphql: { input: { list: TRUST_INPUT }, output: { list: TRUST_OUTPUT }, description: 'Required when a transform takes OPENIDCONNECT (or ACCESS_TOKEN) input.' },
};

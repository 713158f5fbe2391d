/**
 * The ACCESS_TOKEN kind's configuration section `accessToken` (API.md §7): the RFC 9068 JWT access tokens an
 * instance issues. Parsed with the provider's own tables; a pinned key is checked with the key store's own call.
 */
import { absent, fail, get, httpUrl, lifetime, object, onlyKeys, optionalString, quote, stringList, stringMap } from '../../engine/config-toolkit.js';
import { BadUserInputError, TesseraError } from '../../engine/errors.js';
import type { ConfigSection, GqlObject } from '../../engine/kind.js';
import type { InstanceConfig, KeyProvider } from '../../engine/types.js';
import { REGISTERED_CLAIMS, UNSAFE_KEYS } from '../oidc/claims.js';

/** Asymmetric only: an access token is verified by resource servers that must not hold a signing secret. */
export const ACCESS_TOKEN_ALGORITHMS = ['RS256', 'RS512', 'PS256', 'ES256', 'EdDSA'] as const;
export type AccessTokenAlgorithm = (typeof ACCESS_TOKEN_ALGORITHMS)[number];

export interface AccessTokenConfig {
  issuer?: string; // default <publicUrl>/sts/<instance>
  audience: string[];
  lifetimeSeconds: number;
  signatureAlgorithm: AccessTokenAlgorithm;
  signingKeyId?: string;
  claimMap: Record<string, string>;
}

export const accessTokenOf = (c: InstanceConfig): AccessTokenConfig | undefined => c.accessToken as AccessTokenConfig | undefined;

function parse(raw: unknown): AccessTokenConfig {
  const field = 'input.accessToken';
  const o = object(raw, field);
  onlyKeys(o, ['issuer', 'audience', 'lifetimeSeconds', 'signatureAlgorithm', 'signingKeyId', 'claimMap'], field);
  const issuer = optionalString(o, 'issuer', `${field}.issuer`);
  if (issuer !== undefined) httpUrl(issuer, `${field}.issuer`);
  const audienceValue = get(o, 'audience');
  if (absent(audienceValue)) fail(`${field}.audience`, 'is required.');
  const alg = optionalString(o, 'signatureAlgorithm', `${field}.signatureAlgorithm`) ?? 'RS256';
  if (!(ACCESS_TOKEN_ALGORITHMS as readonly string[]).includes(alg)) {
    fail(`${field}.signatureAlgorithm`, `unsupported algorithm ${quote(alg)}; one of ${ACCESS_TOKEN_ALGORITHMS.join(', ')} (asymmetric: resource servers verify with the published keys).`);
  }
  const out: AccessTokenConfig = {
    audience: stringList(audienceValue, `${field}.audience`),
    lifetimeSeconds: lifetime(o, 'lifetimeSeconds', `${field}.lifetimeSeconds`),
    signatureAlgorithm: alg as AccessTokenAlgorithm,
    claimMap: stringMap(get(o, 'claimMap'), `${field}.claimMap`, (key, f) => {
      if (REGISTERED_CLAIMS.has(key)) fail(f, `${quote(key)} is a registered claim that Tessera sets itself and cannot be mapped.`);
      if (UNSAFE_KEYS.has(key)) fail(f, `${quote(key)} cannot be a claim name.`);
    }),
  };
  if (issuer !== undefined) out.issuer = issuer;
  const kid = optionalString(o, 'signingKeyId', `${field}.signingKeyId`, { max: 256 });
  if (kid !== undefined) out.signingKeyId = kid;
  return out;
}

const COMMON = {
  issuer: { type: 'String', description: 'The `iss`; default TESSERA_PUBLIC_URL/sts/<instance>.' },
  audience: { type: { list: 'String' }, required: true, description: 'The `aud` when the request names none; non-empty.' },
  lifetimeSeconds: { type: 'Int', description: 'Lifetime of issued access tokens, 1..86400 s, whatever the subject token\'s. Default 600.' },
  signatureAlgorithm: { type: 'String', description: `JWS algorithm: ${ACCESS_TOKEN_ALGORITHMS.join(', ')}. Default RS256.` },
  signingKeyId: { type: 'String', description: 'A kid to sign with; default: the active key for the algorithm.' },
  claimMap: { type: 'JSON', description: '{ "<claim>": "<user attribute>" }; registered claims are refused.' },
} as const;

const INPUT: GqlObject = { object: 'AccessTokenInput', description: 'What ACCESS_TOKEN output issues: an RFC 9068 JWT access token.', fields: COMMON };
const OUTPUT: GqlObject = {
  object: 'AccessTokenConfig',
  description: 'The access token settings of an instance.',
  fields: {
    ...COMMON,
    lifetimeSeconds: { ...COMMON.lifetimeSeconds, required: true },
    signatureAlgorithm: { ...COMMON.signatureAlgorithm, required: true },
    claimMap: { ...COMMON.claimMap, required: true },
  },
};

export function accessTokenSection(deps: { keys: KeyProvider }): ConfigSection<AccessTokenConfig> {
  return {
    key: 'accessToken',
    parse: (raw) => parse(raw),
    async check(value) {
      if (value.signingKeyId === undefined) return;
      try {
        await deps.keys.signingKey(value.signatureAlgorithm, value.signingKeyId);
      } catch (e) {
        if (e instanceof TesseraError && e.code === 'BAD_USER_INPUT') {
          throw new BadUserInputError(`no usable ${value.signatureAlgorithm} signing key with kid ${quote(value.signingKeyId)}: ${e.message.replace(/^signingKeyId: /, '')}`, 'input.accessToken.signingKeyId');
        }
        throw e;
      }
    },
    graphql: { input: INPUT, output: OUTPUT, description: 'Required when a transform outputs ACCESS_TOKEN.' },
  };
}

/**
 * Publish-time validation of an STS instance (API.md §3 InstanceInput → InstanceConfig).
 *
 * Config is resolved once and rejected early: every mistake a user can make fails here, at publish or update,
 * with a BAD_USER_INPUT naming the field (`input.saml2.spEntityId`, `input.transforms[2].output`), rather than
 * at the first translate. The function is pure apart from parsing certificates and keys with node:crypto; it is
 * fed both GraphQL input objects and plain JSON, so it trusts nothing about the shape it receives.
 *
 * Choices where the contract is silent (also in the README):
 * - A section no transform needs (e.g. `saml2` without a SAML2 output) is accepted and fully validated, so an
 *   operator can stage configuration before enabling a transform; an empty `oidcTrust` list that no transform
 *   needs is dropped.
 * - `callerRoles: []` is refused: "nobody" and "anyone" are both plausible readings, so the caller must say
 *   which by giving roles or omitting the field.
 * - `jwksUri` must be https; plain http is allowed only for loopback hosts (localhost, 127.0.0.0/8, ::1), for
 *   development against a local issuer. Certificates are stored re-encoded as canonical PEM.
 * - `x509Trust.offloadHeader` is stored lower-cased, since header names are case-insensitive (RFC 9110 5.1)
 *   and the HTTP layer sees them lower-cased.
 * - `keyExists` receives the JWS name of the algorithm a SAML signature URI needs (rsa-sha256 → RS256,
 *   rsa-sha512 → RS512, ecdsa-sha256 → ES256), the names the key store uses.
 */
import { X509Certificate, createPublicKey, type JsonWebKey } from 'node:crypto';
import { isIP } from 'node:net';
import { BadUserInputError } from './errors.js';
import {
  CUSTOM_TOKEN_TYPE_PATTERN,
  RESERVED_TOKEN_NAMES,
  type BuiltInTokenType,
  type InstanceConfig,
  type OidcConfig,
  type OidcTrustConfig,
  type Saml2Config,
  type Saml2PluginSelection,
  type TransformConfig,
  type X509TrustConfig,
} from './types.js';

export interface ValidateOptions {
  /** On update: omitted write-only secrets keep their value (oidcTrust entries matched by issuer). */
  existing?: InstanceConfig;
  /** On update: the name in the URL/argument, which the input must repeat. */
  nameMustEqual?: string;
  /** Token types of the loaded custom validators. */
  customValidators: ReadonlySet<string>;
  /** Token types of the loaded custom providers. */
  customProviders: ReadonlySet<string>;
  /** The statement kind of a known SAML plugin (built-in or loaded), undefined when unknown. */
  samlPluginStatement(name: string): string | undefined;
  /** Optional check that a pinned signing key exists and fits the JWS algorithm. */
  keyExists?(kid: string, algorithm: string): boolean;
}

export const INSTANCE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const TRANSFORM_INPUTS = ['USERNAME', 'OPENIDCONNECT', 'X509', 'SESSION', 'CUSTOM'] as const;
export const TRANSFORM_OUTPUTS = ['OPENIDCONNECT', 'SAML2', 'CUSTOM'] as const;

export const OIDC_SIGNATURE_ALGORITHMS = ['RS256', 'RS512', 'PS256', 'ES256', 'EdDSA', 'HS256'] as const;

const XMLDSIG_MORE = 'http://www.w3.org/2001/04/xmldsig-more#';
export const SAML_SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  [`${XMLDSIG_MORE}rsa-sha256`]: 'RS256',
  [`${XMLDSIG_MORE}rsa-sha512`]: 'RS512',
  [`${XMLDSIG_MORE}ecdsa-sha256`]: 'ES256',
};
export const DEFAULT_SAML_SIGNATURE_ALGORITHM = `${XMLDSIG_MORE}rsa-sha256`;

export const DATA_ENCRYPTION_ALGORITHMS = [
  'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
] as const;
export const KEY_TRANSPORT_ALGORITHMS = ['http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p'] as const;

export const DEFAULT_NAME_ID_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
export const DEFAULT_LIFETIME_SECONDS = 600;
export const MAX_LIFETIME_SECONDS = 86400;

/** Claims the OIDC provider sets itself (RFC 7519 4.1, OIDC Core 2, RFC 7800); a claim map may not override them. */
export const REGISTERED_CLAIMS: readonly string[] = [
  'iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'nonce', 'auth_time', 'azp', 'acr', 'amr', 'cnf', 'sid', 'at_hash', 'c_hash',
];

/** JWK members that only a private or symmetric key has (RFC 7518 6.2.2, 6.3.2, 6.4.1; RFC 8037 2). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** HS256 needs a key at least as long as the hash output (RFC 7518 3.2). */
export const MIN_SECRET_BYTES = 32;

// Caps that keep hostile input small before anything parses it.
const MAX_STRING = 2048;
const MAX_PEM = 64 * 1024;
const MAX_SECRET_BYTES = 1024;
const MAX_LIST = 64;
const MAX_MAP_ENTRIES = 256;
const MAX_JWKS_KEYS = 64;
const MAX_JWKS_JSON = 64 * 1024;
const MAX_TRANSFORMS = 64;
const MAX_TRUST_ENTRIES = 32;

const PLUGIN_KINDS = [
  'conditions',
  'subject',
  'authenticationStatements',
  'attributeStatements',
  'authorizationDecisionStatements',
] as const;

type Obj = Record<string, unknown>;

function fail(field: string, message: string): never {
  throw new BadUserInputError(message, field);
}

/** Quotes user-supplied text in a message without letting it grow the message or carry control characters. */
function quote(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  return JSON.stringify(clean.length > 64 ? clean.slice(0, 64) + '…' : clean);
}

/** A user-chosen key as part of a field path: capped, control characters removed. */
function keyPath(key: string): string {
  // eslint-disable-next-line no-control-regex
  return key.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').slice(0, 64);
}

function isObject(v: unknown): v is Obj {
  // GraphQL layers may hand class instances, so only arrays and null are excluded, not other prototypes.
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function absent(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

function object(v: unknown, field: string): Obj {
  if (!isObject(v)) fail(field, 'must be an object.');
  return v;
}

/** Unknown keys are refused so a misspelt option (`signAssertions`) fails loudly instead of doing nothing. */
function onlyKeys(o: Obj, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(o)) {
    if (o[key] === undefined) continue;
    if (!allowed.includes(key)) fail(`${field}.${keyPath(key)}`, `unknown field ${quote(key)}; allowed: ${allowed.join(', ')}.`);
  }
}

/** Own property only: a JSON key like `constructor` must not resolve to Object.prototype. */
function get(o: Obj, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

interface StringRules {
  max?: number;
  allowEmpty?: boolean;
}

function string(v: unknown, field: string, rules: StringRules = {}): string {
  if (typeof v !== 'string') fail(field, 'must be a string.');
  if (!rules.allowEmpty && v.trim() === '') fail(field, 'must not be empty.');
  const max = rules.max ?? MAX_STRING;
  if (v.length > max) fail(field, `must be at most ${max} characters.`);
  return v;
}

function optionalString(o: Obj, key: string, field: string, rules?: StringRules): string | undefined {
  const v = get(o, key);
  return absent(v) ? undefined : string(v, field, rules);
}

function requiredString(o: Obj, key: string, field: string, rules?: StringRules): string {
  const v = get(o, key);
  if (absent(v)) fail(field, 'is required.');
  return string(v, field, rules);
}

function optionalBoolean(o: Obj, key: string, field: string, dflt: boolean): boolean {
  const v = get(o, key);
  if (absent(v)) return dflt;
  if (typeof v !== 'boolean') fail(field, 'must be true or false.');
  return v;
}

function lifetime(o: Obj, key: string, field: string): number {
  const v = get(o, key);
  if (absent(v)) return DEFAULT_LIFETIME_SECONDS;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_LIFETIME_SECONDS) {
    fail(field, `must be an integer number of seconds from 1 to ${MAX_LIFETIME_SECONDS}.`);
  }
  return v;
}

function stringList(v: unknown, field: string, max = MAX_LIST): string[] {
  if (!Array.isArray(v)) fail(field, 'must be a list of strings.');
  if (v.length === 0) fail(field, 'must hold at least one value.');
  if (v.length > max) fail(field, `must hold at most ${max} values.`);
  return v.map((item, i) => string(item, `${field}[${i}]`));
}

/** A JSON object of string → string, copied into a fresh object (an own `__proto__` key stays data). */
function stringMap(v: unknown, field: string, checkKey?: (key: string, field: string) => void): Record<string, string> {
  if (absent(v)) return {};
  if (!isObject(v)) fail(field, 'must be a JSON object of strings.');
  const entries = Object.entries(v);
  if (entries.length > MAX_MAP_ENTRIES) fail(field, `must hold at most ${MAX_MAP_ENTRIES} entries.`);
  const out: Array<[string, string]> = [];
  for (const [key, value] of entries) {
    if (key.trim() === '') fail(field, 'keys must not be empty.');
    if (key.length > MAX_STRING) fail(field, `keys must be at most ${MAX_STRING} characters.`);
    const entryField = `${field}.${keyPath(key)}`;
    checkKey?.(key, entryField);
    out.push([key, string(value, entryField)]);
  }
  return Object.fromEntries(out);
}

function secret(v: unknown, field: string): string {
  if (typeof v !== 'string') fail(field, 'must be a string.');
  const bytes = Buffer.byteLength(v, 'utf8');
  if (bytes < MIN_SECRET_BYTES) fail(field, `must be at least ${MIN_SECRET_BYTES} bytes (UTF-8) for HMAC-SHA-256.`);
  if (bytes > MAX_SECRET_BYTES) fail(field, `must be at most ${MAX_SECRET_BYTES} bytes.`);
  return v;
}

function httpUrl(v: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    fail(field, 'must be an absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(field, 'must be an http or https URL.');
  if (url.username !== '' || url.password !== '') fail(field, 'must not carry credentials.');
  return url;
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

interface PemRules {
  ca?: boolean;
  rsa?: boolean;
}

/** Parses one PEM certificate and returns it re-encoded, so stray text around the block is not stored. */
function certificate(v: unknown, field: string, rules: PemRules = {}): string {
  const pem = string(v, field, { max: MAX_PEM });
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length !== 1) fail(field, 'must hold exactly one PEM certificate (-----BEGIN CERTIFICATE-----).');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(blocks[0]!);
  } catch {
    fail(field, 'is not a parseable X.509 certificate.');
  }
  if (rules.ca && !cert.ca) fail(field, 'must be a CA certificate (basicConstraints cA=true), a trust anchor.');
  if (rules.rsa && cert.publicKey.asymmetricKeyType !== 'rsa') {
    fail(field, 'must hold an RSA public key: the key transport is RSA-OAEP.');
  }
  return cert.toString();
}

// ---------------------------------------------------------------------------------------------------------------

function validateTransforms(v: unknown, opts: ValidateOptions): TransformConfig[] {
  const field = 'input.transforms';
  if (absent(v)) fail(field, 'is required.');
  if (!Array.isArray(v)) fail(field, 'must be a list of transforms.');
  if (v.length === 0) fail(field, 'must hold at least one transform.');
  if (v.length > MAX_TRANSFORMS) fail(field, `must hold at most ${MAX_TRANSFORMS} transforms.`);
  const seen = new Set<string>();
  return v.map((item, i) => {
    const f = `${field}[${i}]`;
    const t = object(item, f);
    onlyKeys(t, ['input', 'output', 'invalidateInterimSession', 'customInput', 'customOutput'], f);
    const input = requiredString(t, 'input', `${f}.input`);
    const output = requiredString(t, 'output', `${f}.output`);
    if (input === 'SAML2') fail(`${f}.input`, 'SAML2 is never a translate input; it is an output only.');
    if (!(TRANSFORM_INPUTS as readonly string[]).includes(input)) {
      fail(`${f}.input`, `unknown input type ${quote(input)}; one of ${TRANSFORM_INPUTS.join(', ')}.`);
    }
    if (!(TRANSFORM_OUTPUTS as readonly string[]).includes(output)) {
      fail(`${f}.output`, `unknown output type ${quote(output)}; one of ${TRANSFORM_OUTPUTS.join(', ')}.`);
    }
    const customInput = optionalString(t, 'customInput', `${f}.customInput`, { max: 64 });
    const customOutput = optionalString(t, 'customOutput', `${f}.customOutput`, { max: 64 });
    if (input === 'CUSTOM') {
      if (customInput === undefined) fail(`${f}.customInput`, 'is required when input is CUSTOM: name the custom token type.');
      customTypeName(customInput, `${f}.customInput`);
      if (!opts.customValidators.has(customInput)) {
        fail(`${f}.customInput`, `no custom token validator for ${quote(customInput)} is loaded.`);
      }
    } else if (customInput !== undefined) {
      fail(`${f}.customInput`, 'is only allowed when input is CUSTOM.');
    }
    if (output === 'CUSTOM') {
      if (customOutput === undefined) fail(`${f}.customOutput`, 'is required when output is CUSTOM: name the custom token type.');
      customTypeName(customOutput, `${f}.customOutput`);
      if (!opts.customProviders.has(customOutput)) {
        fail(`${f}.customOutput`, `no custom token provider for ${quote(customOutput)} is loaded.`);
      }
    } else if (customOutput !== undefined) {
      fail(`${f}.customOutput`, 'is only allowed when output is CUSTOM.');
    }
    const pair = `${customInput ?? input}→${customOutput ?? output}`;
    if (seen.has(pair)) fail(f, `duplicates the transform ${pair}; each input→output pair appears once.`);
    seen.add(pair);
    const out: TransformConfig = {
      input: input as BuiltInTokenType,
      output: output as BuiltInTokenType,
      invalidateInterimSession: optionalBoolean(t, 'invalidateInterimSession', `${f}.invalidateInterimSession`, false),
    };
    if (customInput !== undefined) out.customInput = customInput;
    if (customOutput !== undefined) out.customOutput = customOutput;
    return out;
  });
}

function customTypeName(name: string, field: string): void {
  if (!CUSTOM_TOKEN_TYPE_PATTERN.test(name) || RESERVED_TOKEN_NAMES.includes(name)) {
    fail(field, `${quote(name)} is not a custom token type name (^[A-Z][A-Z0-9_]{0,31}$, not a built-in name).`);
  }
}

function checkKey(opts: ValidateOptions, kid: string, algorithm: string, field: string): void {
  if (opts.keyExists && !opts.keyExists(kid, algorithm)) {
    fail(field, `no usable ${algorithm} signing key with kid ${quote(kid)}.`);
  }
}

function validateSaml2(v: unknown, opts: ValidateOptions): Saml2Config {
  const field = 'input.saml2';
  const s = object(v, field);
  onlyKeys(
    s,
    [
      'issuer', 'spEntityId', 'spAcsUrl', 'nameIdFormat', 'attributeMap', 'lifetimeSeconds', 'signAssertion',
      'signatureAlgorithm', 'signingKeyId', 'encryptAssertion', 'encryptNameId', 'encryptAttributes',
      'dataEncryptionAlgorithm', 'keyTransportAlgorithm', 'spEncryptionCertificate', 'plugins',
    ],
    field,
  );
  const issuer = requiredString(s, 'issuer', `${field}.issuer`);
  const spEntityId = requiredString(s, 'spEntityId', `${field}.spEntityId`);
  const spAcsUrl = optionalString(s, 'spAcsUrl', `${field}.spAcsUrl`);
  if (spAcsUrl !== undefined) httpUrl(spAcsUrl, `${field}.spAcsUrl`);
  const nameIdFormat = optionalString(s, 'nameIdFormat', `${field}.nameIdFormat`) ?? DEFAULT_NAME_ID_FORMAT;

  const signatureAlgorithm = optionalString(s, 'signatureAlgorithm', `${field}.signatureAlgorithm`) ?? DEFAULT_SAML_SIGNATURE_ALGORITHM;
  const jwsAlgorithm = SAML_SIGNATURE_ALGORITHMS[signatureAlgorithm];
  if (jwsAlgorithm === undefined) {
    // SHA-1 signatures are forgeable by chosen-prefix collision (SHAttered, 2017); refuse them by name.
    if (/sha-?1(?![0-9])/i.test(signatureAlgorithm)) {
      fail(`${field}.signatureAlgorithm`, 'SHA-1 signature algorithms are refused as insecure; use rsa-sha256, rsa-sha512 or ecdsa-sha256.');
    }
    fail(`${field}.signatureAlgorithm`, `unsupported algorithm; one of ${Object.keys(SAML_SIGNATURE_ALGORITHMS).join(', ')}.`);
  }
  const signingKeyId = optionalString(s, 'signingKeyId', `${field}.signingKeyId`, { max: 256 });
  if (signingKeyId !== undefined) checkKey(opts, signingKeyId, jwsAlgorithm, `${field}.signingKeyId`);

  const encryptAssertion = optionalBoolean(s, 'encryptAssertion', `${field}.encryptAssertion`, false);
  const encryptNameId = optionalBoolean(s, 'encryptNameId', `${field}.encryptNameId`, false);
  const encryptAttributes = optionalBoolean(s, 'encryptAttributes', `${field}.encryptAttributes`, false);
  // SAML core 6: an EncryptedAssertion already hides its NameID and attributes; encrypting them inside it too
  // is what AM refuses as well (SAML2Config).
  if (encryptAssertion && (encryptNameId || encryptAttributes)) {
    fail(`${field}.encryptAssertion`, 'excludes encryptNameId and encryptAttributes: the whole assertion is already encrypted.');
  }
  const dataEncryptionAlgorithm =
    optionalString(s, 'dataEncryptionAlgorithm', `${field}.dataEncryptionAlgorithm`) ?? DATA_ENCRYPTION_ALGORITHMS[0];
  if (!(DATA_ENCRYPTION_ALGORITHMS as readonly string[]).includes(dataEncryptionAlgorithm)) {
    fail(`${field}.dataEncryptionAlgorithm`, `unsupported algorithm; one of ${DATA_ENCRYPTION_ALGORITHMS.join(', ')}.`);
  }
  const keyTransportAlgorithm =
    optionalString(s, 'keyTransportAlgorithm', `${field}.keyTransportAlgorithm`) ?? KEY_TRANSPORT_ALGORITHMS[0];
  if (!(KEY_TRANSPORT_ALGORITHMS as readonly string[]).includes(keyTransportAlgorithm)) {
    // RSA PKCS#1 v1.5 key transport is open to Bleichenbacher-style padding oracles (XML Encryption 1.1 5.5.1).
    fail(`${field}.keyTransportAlgorithm`, `unsupported algorithm; only ${KEY_TRANSPORT_ALGORITHMS[0]} (RSA-OAEP) is offered.`);
  }
  const certValue = get(s, 'spEncryptionCertificate');
  const spEncryptionCertificate = absent(certValue)
    ? undefined
    : certificate(certValue, `${field}.spEncryptionCertificate`, { rsa: true });
  if ((encryptAssertion || encryptNameId || encryptAttributes) && spEncryptionCertificate === undefined) {
    fail(`${field}.spEncryptionCertificate`, 'is required when encryptAssertion, encryptNameId or encryptAttributes is true.');
  }

  const out: Saml2Config = {
    issuer,
    spEntityId,
    nameIdFormat,
    attributeMap: stringMap(get(s, 'attributeMap'), `${field}.attributeMap`),
    lifetimeSeconds: lifetime(s, 'lifetimeSeconds', `${field}.lifetimeSeconds`),
    signAssertion: optionalBoolean(s, 'signAssertion', `${field}.signAssertion`, true),
    signatureAlgorithm,
    encryptAssertion,
    encryptNameId,
    encryptAttributes,
    dataEncryptionAlgorithm,
    keyTransportAlgorithm,
    plugins: validatePlugins(get(s, 'plugins'), opts),
  };
  if (spAcsUrl !== undefined) out.spAcsUrl = spAcsUrl;
  if (signingKeyId !== undefined) out.signingKeyId = signingKeyId;
  if (spEncryptionCertificate !== undefined) out.spEncryptionCertificate = spEncryptionCertificate;
  return out;
}

function validatePlugins(v: unknown, opts: ValidateOptions): Saml2PluginSelection {
  const field = 'input.saml2.plugins';
  if (absent(v)) return {};
  const p = object(v, field);
  onlyKeys(p, PLUGIN_KINDS, field);
  const out: Saml2PluginSelection = {};
  for (const kind of PLUGIN_KINDS) {
    const name = optionalString(p, kind, `${field}.${kind}`, { max: 256 });
    if (name === undefined) continue;
    const statement = opts.samlPluginStatement(name);
    if (statement === undefined) fail(`${field}.${kind}`, `no SAML plugin named ${quote(name)} is loaded.`);
    if (statement !== kind) fail(`${field}.${kind}`, `plugin ${quote(name)} provides ${statement}, not ${kind}.`);
    out[kind] = name;
  }
  return out;
}

function validateOidc(v: unknown, opts: ValidateOptions): OidcConfig {
  const field = 'input.oidc';
  const o = object(v, field);
  onlyKeys(
    o,
    ['issuer', 'audience', 'authorizedParty', 'signatureAlgorithm', 'signingKeyId', 'clientSecret', 'claimMap', 'lifetimeSeconds'],
    field,
  );
  const issuer = optionalString(o, 'issuer', `${field}.issuer`);
  if (issuer !== undefined) httpUrl(issuer, `${field}.issuer`);
  const audienceValue = get(o, 'audience');
  if (absent(audienceValue)) fail(`${field}.audience`, 'is required.');
  const audience = stringList(audienceValue, `${field}.audience`);
  const authorizedParty = optionalString(o, 'authorizedParty', `${field}.authorizedParty`);

  const alg = optionalString(o, 'signatureAlgorithm', `${field}.signatureAlgorithm`) ?? 'RS256';
  if (!(OIDC_SIGNATURE_ALGORITHMS as readonly string[]).includes(alg)) {
    fail(`${field}.signatureAlgorithm`, `unsupported algorithm ${quote(alg)}; one of ${OIDC_SIGNATURE_ALGORITHMS.join(', ')}.`);
  }
  const signatureAlgorithm = alg as OidcConfig['signatureAlgorithm'];
  const signingKeyId = optionalString(o, 'signingKeyId', `${field}.signingKeyId`, { max: 256 });
  if (signingKeyId !== undefined) {
    if (signatureAlgorithm === 'HS256') fail(`${field}.signingKeyId`, 'is not used with HS256, which signs with clientSecret.');
    checkKey(opts, signingKeyId, signatureAlgorithm, `${field}.signingKeyId`);
  }

  const secretValue = get(o, 'clientSecret');
  let clientSecret: string | undefined;
  if (!absent(secretValue)) {
    if (signatureAlgorithm !== 'HS256') fail(`${field}.clientSecret`, 'is only allowed with signatureAlgorithm HS256.');
    clientSecret = secret(secretValue, `${field}.clientSecret`);
  } else if (signatureAlgorithm === 'HS256') {
    // Write-only: an update that omits the secret keeps the stored one.
    clientSecret = opts.existing?.oidc?.clientSecret;
    if (clientSecret === undefined) fail(`${field}.clientSecret`, 'is required with signatureAlgorithm HS256.');
  }

  const claimMap = stringMap(get(o, 'claimMap'), `${field}.claimMap`, (key, f) => {
    if (REGISTERED_CLAIMS.includes(key)) fail(f, `${quote(key)} is a registered claim that Tessera sets itself and cannot be mapped.`);
  });

  const out: OidcConfig = {
    audience,
    signatureAlgorithm,
    claimMap,
    lifetimeSeconds: lifetime(o, 'lifetimeSeconds', `${field}.lifetimeSeconds`),
  };
  if (issuer !== undefined) out.issuer = issuer;
  if (authorizedParty !== undefined) out.authorizedParty = authorizedParty;
  if (signingKeyId !== undefined) out.signingKeyId = signingKeyId;
  if (clientSecret !== undefined) out.clientSecret = clientSecret;
  return out;
}

function validateJwks(v: unknown, field: string): { keys: Record<string, unknown>[] } {
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

function validateOidcTrust(v: unknown, opts: ValidateOptions): OidcTrustConfig[] {
  const field = 'input.oidcTrust';
  if (!Array.isArray(v)) fail(field, 'must be a list of trusted issuers.');
  if (v.length > MAX_TRUST_ENTRIES) fail(field, `must hold at most ${MAX_TRUST_ENTRIES} issuers.`);
  const issuers = new Set<string>();
  return v.map((item, i) => {
    const f = `${field}[${i}]`;
    const t = object(item, f);
    onlyKeys(t, ['issuer', 'audience', 'authorizedParties', 'jwks', 'jwksUri', 'clientSecret'], f);
    const issuer = requiredString(t, 'issuer', `${f}.issuer`);
    if (issuers.has(issuer)) fail(`${f}.issuer`, `${quote(issuer)} is already listed; each trusted issuer appears once.`);
    issuers.add(issuer);
    const audienceValue = get(t, 'audience');
    if (absent(audienceValue)) fail(`${f}.audience`, 'is required.');
    const out: OidcTrustConfig = { issuer, audience: stringList(audienceValue, `${f}.audience`) };
    const azp = get(t, 'authorizedParties');
    if (!absent(azp)) out.authorizedParties = stringList(azp, `${f}.authorizedParties`);

    const jwks = get(t, 'jwks');
    const jwksUri = optionalString(t, 'jwksUri', `${f}.jwksUri`);
    const secretValue = get(t, 'clientSecret');
    const given = [!absent(jwks), jwksUri !== undefined, !absent(secretValue)].filter(Boolean).length;
    if (given > 1) fail(f, 'give exactly one key source: jwks, jwksUri or clientSecret.');
    if (!absent(jwks)) {
      out.jwks = validateJwks(jwks, `${f}.jwks`);
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
      const kept = opts.existing?.oidcTrust?.find((e) => e.issuer === issuer)?.clientSecret;
      if (kept === undefined) fail(f, 'give exactly one key source: jwks, jwksUri or clientSecret.');
      out.clientSecret = kept;
    }
    return out;
  });
}

function validateX509Trust(v: unknown): X509TrustConfig {
  const field = 'input.x509Trust';
  const x = object(v, field);
  onlyKeys(x, ['caCertificates', 'offloadHeader', 'trustedProxies'], field);
  const cas = get(x, 'caCertificates');
  if (absent(cas)) fail(`${field}.caCertificates`, 'is required.');
  if (!Array.isArray(cas) || cas.length === 0) fail(`${field}.caCertificates`, 'must be a non-empty list of PEM CA certificates.');
  if (cas.length > MAX_TRUST_ENTRIES) fail(`${field}.caCertificates`, `must hold at most ${MAX_TRUST_ENTRIES} certificates.`);
  const out: X509TrustConfig = {
    caCertificates: cas.map((c, i) => certificate(c, `${field}.caCertificates[${i}]`, { ca: true })),
  };
  const header = optionalString(x, 'offloadHeader', `${field}.offloadHeader`, { max: 256 });
  const proxiesValue = get(x, 'trustedProxies');
  // A header without a proxy list would let any client assert a certificate; a list without a header is a
  // half-finished configuration (AM's DeploymentConfig refuses both the same way).
  if ((header === undefined) !== absent(proxiesValue)) {
    fail(header === undefined ? `${field}.offloadHeader` : `${field}.trustedProxies`, 'offloadHeader and trustedProxies come together: give both or neither.');
  }
  if (header !== undefined) {
    // RFC 9110 5.1: field-name = token.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) fail(`${field}.offloadHeader`, 'must be a valid HTTP header name.');
    out.offloadHeader = header.toLowerCase();
    out.trustedProxies = stringList(proxiesValue, `${field}.trustedProxies`).map((p, i) => {
      if (!isAddressOrCidr(p)) fail(`${field}.trustedProxies[${i}]`, `${quote(p)} is not an IP address or CIDR block.`);
      return p;
    });
  }
  return out;
}

function isAddressOrCidr(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 0) return isIP(value) !== 0;
  const family = isIP(value.slice(0, slash));
  const prefix = value.slice(slash + 1);
  if (family === 0 || !/^[0-9]{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Validates a GraphQL `InstanceInput` (or the same shape as JSON) and resolves defaults.
 * Throws BadUserInputError naming the field path on the first problem found.
 */
export function validateInstanceInput(input: unknown, opts: ValidateOptions): InstanceConfig {
  const root = object(input, 'input');
  onlyKeys(root, ['name', 'transforms', 'persistIssuedTokens', 'callerRoles', 'saml2', 'oidc', 'oidcTrust', 'x509Trust'], 'input');

  const name = requiredString(root, 'name', 'input.name', { max: 63 });
  if (!INSTANCE_NAME_PATTERN.test(name)) {
    fail('input.name', 'must be 1 to 63 lower-case letters, digits or hyphens, starting with a letter or digit.');
  }
  if (opts.nameMustEqual !== undefined && name !== opts.nameMustEqual) {
    fail('input.name', `must equal the instance being updated (${quote(opts.nameMustEqual)}); an instance cannot be renamed.`);
  }

  const transforms = validateTransforms(get(root, 'transforms'), opts);
  const config: InstanceConfig = {
    name,
    transforms,
    persistIssuedTokens: optionalBoolean(root, 'persistIssuedTokens', 'input.persistIssuedTokens', true),
  };

  const roles = get(root, 'callerRoles');
  if (!absent(roles)) {
    if (Array.isArray(roles) && roles.length === 0) {
      fail('input.callerRoles', 'must hold at least one role; omit it to let any caller use the instance.');
    }
    config.callerRoles = stringList(roles, 'input.callerRoles');
  }

  const saml2 = get(root, 'saml2');
  if (!absent(saml2)) config.saml2 = validateSaml2(saml2, opts);
  const oidc = get(root, 'oidc');
  if (!absent(oidc)) config.oidc = validateOidc(oidc, opts);
  const trust = get(root, 'oidcTrust');
  if (!absent(trust)) {
    const entries = validateOidcTrust(trust, opts);
    if (entries.length > 0) config.oidcTrust = entries;
  }
  const x509 = get(root, 'x509Trust');
  if (!absent(x509)) config.x509Trust = validateX509Trust(x509);

  // Each section a transform needs must be there; named after the first transform that needs it.
  transforms.forEach((t, i) => {
    const f = `input.transforms[${i}]`;
    if (t.output === 'SAML2' && !config.saml2) fail('input.saml2', `is required: ${f} outputs SAML2.`);
    if (t.output === 'OPENIDCONNECT' && !config.oidc) fail('input.oidc', `is required: ${f} outputs OPENIDCONNECT.`);
    if (t.input === 'OPENIDCONNECT' && !config.oidcTrust) {
      fail('input.oidcTrust', `must list at least one trusted issuer: ${f} takes OPENIDCONNECT input.`);
    }
    if (t.input === 'X509' && !config.x509Trust) fail('input.x509Trust', `is required: ${f} takes X509 input.`);
  });
  return config;
}

// ---------------------------------------------------------------------------------------------------------------

export type PublicOidcConfig = Omit<OidcConfig, 'clientSecret'> & { hasClientSecret: boolean };
export type PublicOidcTrustConfig = Omit<OidcTrustConfig, 'clientSecret'> & { hasClientSecret: boolean };

/** An instance as the API returns it: write-only secrets replaced by `hasClientSecret`. */
export type PublicInstanceView = Omit<InstanceConfig, 'oidc' | 'oidcTrust'> & {
  oidc?: PublicOidcConfig;
  oidcTrust?: PublicOidcTrustConfig[];
};

/** A deep copy without secrets, so neither the API nor a caller mutating the result can reach the stored config. */
export function toPublicInstance(config: InstanceConfig): PublicInstanceView {
  const { oidc, oidcTrust, ...rest } = structuredClone(config);
  const view: PublicInstanceView = rest;
  if (oidc) {
    const { clientSecret, ...o } = oidc;
    view.oidc = { ...o, hasClientSecret: clientSecret !== undefined };
  }
  if (oidcTrust) {
    view.oidcTrust = oidcTrust.map(({ clientSecret, ...t }) => ({ ...t, hasClientSecret: clientSecret !== undefined }));
  }
  return view;
}

export interface InstanceEndpoints {
  rest: string;
  jwks: string;
  openidConfiguration: string;
  samlMetadata: string;
}

export function instanceEndpoints(publicUrl: string, name: string): InstanceEndpoints {
  const base = publicUrl.replace(/\/+$/, '');
  const n = encodeURIComponent(name);
  return {
    rest: `${base}/rest-sts/${n}`,
    jwks: `${base}/sts/${n}/jwks.json`,
    openidConfiguration: `${base}/sts/${n}/.well-known/openid-configuration`,
    samlMetadata: `${base}/sts/${n}/saml-metadata.xml`,
  };
}

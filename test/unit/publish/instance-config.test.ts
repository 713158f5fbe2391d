import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { BadUserInputError } from '../../../src/engine/errors.js';
import type { InstanceConfig, KeyProvider, SigningKey } from '../../../src/engine/types.js';
import {
  instanceEndpoints,
  parseInstanceInput,
  toPublicInstance as publicView,
  validateInstanceInput as validateWithServices,
} from '../../../src/engine/instance-config.js';
import { TokenRegistry } from '../../../src/engine/registry.js';
import { tokenExchangeExtension } from '../../../src/engine/exchange.js';
import { builtInKinds } from '../../../src/tokens/index.js';
import { customTokenKinds } from '../../../src/plugins/custom-tokens.js';
import type { OidcConfig, OidcTrustConfig } from '../../../src/tokens/oidc/oidc.config.js';
import type { Saml2Config } from '../../../src/tokens/saml2/saml2.config.js';
import type { X509TrustConfig } from '../../../src/tokens/x509/x509.config.js';
import { testCertificates, type TestCertificates } from './certificates.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const PLUGINS: Record<string, string> = {
  'acme-conditions': 'conditions',
  'acme-attributes': 'attributeStatements',
  'acme-subject': 'subject',
};
const KEYS: Record<string, string> = { 'rsa-1': 'RS256', 'rsa512-1': 'RS512', 'ec-1': 'ES256', 'ps-1': 'PS256' };

/** What a server would know: the loaded custom types and SAML plugins, the key store, an update's stored config. */
interface Options {
  customValidators: Set<string>;
  customProviders: Set<string>;
  samlPluginStatement(name: string): string | undefined;
  existing?: InstanceConfig;
  nameMustEqual?: string;
}

function options(extra: Partial<Options> = {}): Options {
  return {
    customValidators: new Set(['ACME_TOKEN']),
    customProviders: new Set(['ACME_TOKEN', 'OTHER']),
    samlPluginStatement: (name) => PLUGINS[name],
    ...extra,
  };
}

/** The key store's own rule (KeyStore.signingKey): a pinned kid must exist and be bound to the algorithm. */
const fakeKeys: KeyProvider = {
  async signingKey(algorithm: string, kid?: string): Promise<SigningKey> {
    if (kid !== undefined && KEYS[kid] === undefined) throw new BadUserInputError(`signing key ${kid} does not exist or is retired`, 'signingKeyId');
    if (kid !== undefined && KEYS[kid] !== algorithm) throw new BadUserInputError(`signing key ${kid} is a ${KEYS[kid]} key, not ${algorithm}`, 'signingKeyId');
    return { kid: kid ?? 'active', algorithm } as SigningKey;
  },
  async verificationKeys() {
    return [];
  },
};

/** The registry a server with these plugins would build: the built-in kinds and one kind per custom type. */
function registryFor(o: Partial<Options>): TokenRegistry {
  const registry = new TokenRegistry();
  const kinds = builtInKinds({
    identity: { verifyPassword: async () => null, resolveSession: async () => null, endSession: async () => false },
    keys: fakeKeys,
    replay: { useOnce: async () => true },
    publicUrl: 'https://sts.example.com',
    samlPlugins: { resolve: () => undefined, statementOf: (n) => (o.samlPluginStatement ?? (() => undefined))(n) },
    pluginTimeoutMs: 1000,
  });
  const plugin = { validate: () => ({ subject: 'x' }), issue: () => ({ token: 't' }) };
  const validators = [...(o.customValidators ?? [])].map((tokenType) => ({ kind: 'token-validator' as const, tokenType, validate: plugin.validate }));
  const providers = [...(o.customProviders ?? [])].map((tokenType) => ({ kind: 'token-provider' as const, tokenType, issue: plugin.issue }));
  for (const k of [...kinds, ...customTokenKinds({ validators, providers }, 1000)]) {
    try {
      registry.register(k);
    } catch {
      // A name no kind may have (e.g. lower case) is never registered: the server would refuse the plugin.
    }
  }
  registry.registerExtension(tokenExchangeExtension(registry));
  return registry.seal();
}

/** A parsed instance, with each kind's section typed for the assertions below. */
type Parsed = InstanceConfig & { saml2?: Saml2Config; oidc?: OidcConfig; oidcTrust?: OidcTrustConfig[]; x509Trust?: X509TrustConfig };

/** The synchronous checks: shapes, values and defaults, as publish runs them before the service checks. */
function validateInstanceInput(input: unknown, o: Options): Parsed {
  return parseInstanceInput(input, { registry: registryFor(o), existing: o.existing, nameMustEqual: o.nameMustEqual }) as Parsed;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toPublicInstance(config: InstanceConfig): Record<string, any> {
  return publicView(config, registryFor({}));
}

const SECRET = 'a-client-secret-of-at-least-32-bytes!';
const TRUST_SECRET = 'trusted-issuer-hmac-secret-0123456789';
const ecJwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' };
const rsaPrivateJwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

function minimalSaml(): Json {
  return {
    name: 'saml-sp',
    transforms: [{ input: 'USERNAME', output: 'SAML2' }],
    saml2: { issuer: 'https://idp.example.com', spEntityId: 'https://sp.example.com/metadata' },
  };
}

function full(c: TestCertificates): Json {
  return {
    name: 'full-1',
    transforms: [
      { input: 'USERNAME', output: 'SAML2', invalidateInterimSession: false },
      { input: 'OPENIDCONNECT', output: 'OPENIDCONNECT' },
      { input: 'X509', output: 'SAML2' },
      { input: 'SESSION', output: 'OPENIDCONNECT', invalidateInterimSession: true },
      { input: 'CUSTOM', customInput: 'ACME_TOKEN', output: 'SAML2' },
      { input: 'USERNAME', output: 'CUSTOM', customOutput: 'ACME_TOKEN' },
      { input: 'CUSTOM', customInput: 'ACME_TOKEN', output: 'CUSTOM', customOutput: 'OTHER' },
    ],
    persistIssuedTokens: false,
    callerRoles: ['sts-client', 'gateway'],
    saml2: {
      issuer: 'https://idp.example.com',
      spEntityId: 'https://sp.example.com/metadata',
      spAcsUrl: 'https://sp.example.com/acs',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      attributeMap: { EmailAddress: 'mail', 'urn:oid:2.5.4.3': 'cn' },
      lifetimeSeconds: 300,
      signAssertion: true,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
      signingKeyId: 'ec-1',
      encryptAssertion: false,
      encryptNameId: true,
      encryptAttributes: true,
      dataEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
      keyTransportAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
      spEncryptionCertificate: c.rsaLeaf,
      plugins: { conditions: 'acme-conditions', attributeStatements: 'acme-attributes' },
      envelope: { enabled: true, signResponse: true },
      metadata: { sign: true, validitySeconds: 86400, cacheDurationSeconds: 600 },
    },
    oidc: {
      issuer: 'https://sts.example.com/sts/full-1',
      audience: ['client-a', 'client-b'],
      authorizedParty: 'client-a',
      signatureAlgorithm: 'HS256',
      clientSecret: SECRET,
      claimMap: { email: 'mail', groups: 'memberOf' },
      lifetimeSeconds: 86400,
    },
    oidcTrust: [
      { issuer: 'https://issuer-a.example.com', audience: ['tessera'], authorizedParties: ['app'], jwks: { keys: [ecJwk] } },
      { issuer: 'https://issuer-b.example.com', audience: ['tessera'], jwksUri: 'https://issuer-b.example.com/jwks' },
      { issuer: 'https://issuer-c.example.com', audience: ['tessera', 'other'], clientSecret: TRUST_SECRET },
    ],
    x509Trust: {
      caCertificates: [c.rsaCa],
      offloadHeader: 'X-SSL-Client-Cert',
      trustedProxies: ['10.0.0.6', '10.1.0.0/16', '::1', 'fd00::/8'],
    },
  };
}

function assertBad(fn: () => unknown, field: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BadUserInputError, `expected BadUserInputError, got ${String(e)}`);
    assert.equal(e.code, 'BAD_USER_INPUT');
    assert.equal(e.field, field, `field of: ${e.message}`);
    assert.ok(e.message.startsWith(`${field}: `), e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('a minimal SAML2 instance resolves every default', () => {
  const config = validateInstanceInput(minimalSaml(), options());
  assert.deepEqual(config, {
    name: 'saml-sp',
    transforms: [{ input: 'USERNAME', output: 'SAML2', invalidateInterimSession: false }],
    persistIssuedTokens: true,
    saml2: {
      issuer: 'https://idp.example.com',
      spEntityId: 'https://sp.example.com/metadata',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
      attributeMap: {},
      lifetimeSeconds: 600,
      signAssertion: true,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      encryptAssertion: false,
      encryptNameId: false,
      encryptAttributes: false,
      dataEncryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
      keyTransportAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
      plugins: {},
      envelope: { enabled: false, signResponse: false },
      metadata: { sign: false, validitySeconds: 604800, cacheDurationSeconds: 3600 },
    },
  });
});

test('a minimal OIDC instance defaults to RS256 and 600 s', () => {
  const config = validateInstanceInput(
    { name: 'o', transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }], oidc: { audience: ['app'] } },
    options(),
  );
  assert.deepEqual(config.oidc, { audience: ['app'], signatureAlgorithm: 'RS256', claimMap: {}, lifetimeSeconds: 600 });
  assert.equal(config.saml2, undefined);
});

test('an instance with every option is accepted and kept', async () => {
  const c = await testCertificates();
  const input = full(c);
  const config = validateInstanceInput(input, options());
  assert.equal(config.name, 'full-1');
  assert.equal(config.persistIssuedTokens, false);
  assert.deepEqual(config.callerRoles, ['sts-client', 'gateway']);
  assert.equal(config.transforms.length, 7);
  assert.deepEqual(config.transforms[3], { input: 'SESSION', output: 'OPENIDCONNECT', invalidateInterimSession: true });
  assert.deepEqual(config.transforms[6], {
    input: 'CUSTOM',
    output: 'CUSTOM',
    customInput: 'ACME_TOKEN',
    customOutput: 'OTHER',
    invalidateInterimSession: false,
  });
  const { spEncryptionCertificate, ...saml } = config.saml2!;
  const { spEncryptionCertificate: _given, ...samlIn } = input.saml2;
  assert.deepEqual(saml, samlIn);
  assert.equal(spEncryptionCertificate!.trim(), c.rsaLeaf.trim());
  assert.deepEqual(config.oidc, input.oidc);
  assert.deepEqual(config.oidcTrust, input.oidcTrust);
  assert.deepEqual(config.x509Trust, {
    caCertificates: [config.x509Trust!.caCertificates[0]],
    offloadHeader: 'x-ssl-client-cert', // stored lower-case: header names are case-insensitive
    trustedProxies: ['10.0.0.6', '10.1.0.0/16', '::1', 'fd00::/8'],
  });
  assert.equal(config.x509Trust!.caCertificates[0]!.trim(), c.rsaCa.trim());
  // The result is JSON-safe: it survives the round trip through storage unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(config)), config);
});

test('accepted variations', async (t) => {
  const c = await testCertificates();
  const ok: Array<[string, (i: Json) => void, (cfg: Parsed) => void]> = [
    ['null optional fields count as absent', (i) => Object.assign(i, { persistIssuedTokens: null, callerRoles: null, oidc: null, oidcTrust: null, x509Trust: null }), (cfg) => assert.equal(cfg.persistIssuedTokens, true)],
    ['a section no transform needs is accepted and validated', (i) => (i.oidc = { audience: ['x'] }), (cfg) => assert.deepEqual(cfg.oidc?.audience, ['x'])],
    ['an empty oidcTrust no transform needs is dropped', (i) => (i.oidcTrust = []), (cfg) => assert.equal(cfg.oidcTrust, undefined)],
    ['encryptAssertion alone with an RSA certificate', (i) => Object.assign(i.saml2, { encryptAssertion: true, spEncryptionCertificate: c.rsaLeaf, dataEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc' }), (cfg) => assert.equal(cfg.saml2?.encryptAssertion, true)],
    ['rsa-sha512 with a pinned key', (i) => Object.assign(i.saml2, { signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', signingKeyId: 'rsa512-1' }), () => undefined],
    ['a PEM with text around the block is stored canonical', (i) => (i.saml2.spEncryptionCertificate = `Bag Attributes\n  friendlyName: sp\n${c.rsaLeaf}\ntrailing`), (cfg) => assert.match(cfg.saml2!.spEncryptionCertificate!, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n?$/)],
    ['jwksUri over http for a loopback host', (i) => { i.transforms.push({ input: 'OPENIDCONNECT', output: 'SAML2' }); i.oidcTrust = [{ issuer: 'http://localhost:8080', audience: ['a'], jwksUri: 'http://127.0.0.1:8080/jwks' }, { issuer: 'i2', audience: ['a'], jwksUri: 'http://[::1]/jwks' }, { issuer: 'i3', audience: ['a'], jwksUri: 'http://localhost/jwks' }]; }, (cfg) => assert.equal(cfg.oidcTrust?.length, 3)],
    ['a UTF-8 secret is measured in bytes', (i) => { i.transforms = [{ input: 'USERNAME', output: 'OPENIDCONNECT' }]; i.oidc = { audience: ['a'], signatureAlgorithm: 'HS256', clientSecret: '€'.repeat(11) }; }, (cfg) => assert.equal(cfg.oidc?.clientSecret, '€'.repeat(11))],
    ['lifetimes at the bounds', (i) => (i.saml2.lifetimeSeconds = 1), (cfg) => assert.equal(cfg.saml2?.lifetimeSeconds, 1)],
    ['an undefined unknown key is ignored (GraphQL objects may carry them)', (i) => (i.extra = undefined), () => undefined],
    ['a name of 63 characters', (i) => (i.name = 'a'.repeat(63)), (cfg) => assert.equal(cfg.name.length, 63)],
    ['every SAML plugin kind', (i) => (i.saml2.plugins = { subject: 'acme-subject', conditions: null }), (cfg) => assert.deepEqual(cfg.saml2?.plugins, { subject: 'acme-subject' })],
  ];
  for (const [name, mutate, check] of ok) {
    await t.test(name, () => {
      const input = minimalSaml();
      mutate(input);
      check(validateInstanceInput(input, options()));
    });
  }
});

test('a "__proto__" key in a JSON map stays data and pollutes nothing', () => {
  const input = minimalSaml();
  input.saml2.attributeMap = JSON.parse('{"__proto__": "x", "mail": "mail"}');
  const config = validateInstanceInput(input, options());
  assert.equal(Object.getPrototypeOf(config.saml2!.attributeMap), Object.prototype);
  assert.deepEqual(Object.keys(config.saml2!.attributeMap).sort(), ['__proto__', 'mail']);
  assert.equal(({} as Json).x, undefined);
});

type Case = [name: string, mutate: (i: Json, c: TestCertificates) => void, field: string, message?: RegExp];

const FAILURES: Case[] = [
  // root
  ['unknown top-level key', (i) => (i.sam2 = {}), 'input.sam2', /unknown field "sam2"/],
  ['name missing', (i) => delete i.name, 'input.name', /required/],
  ['name upper-case', (i) => (i.name = 'SAML'), 'input.name'],
  ['name starting with a hyphen', (i) => (i.name = '-a'), 'input.name'],
  ['name with a slash', (i) => (i.name = 'a/b'), 'input.name'],
  ['name of 64 characters', (i) => (i.name = 'a'.repeat(64)), 'input.name'],
  ['name not a string', (i) => (i.name = 7), 'input.name'],
  ['persistIssuedTokens as a string', (i) => (i.persistIssuedTokens = 'true'), 'input.persistIssuedTokens'],
  ['callerRoles empty', (i) => (i.callerRoles = []), 'input.callerRoles', /at least one role/],
  ['callerRoles with an empty role', (i) => (i.callerRoles = ['ok', '']), 'input.callerRoles[1]'],
  ['callerRoles not a list', (i) => (i.callerRoles = 'admin'), 'input.callerRoles'],
  // transforms
  ['transforms missing', (i) => delete i.transforms, 'input.transforms', /required/],
  ['transforms empty', (i) => (i.transforms = []), 'input.transforms', /at least one/],
  ['transforms not a list', (i) => (i.transforms = { input: 'USERNAME' }), 'input.transforms'],
  ['transform not an object', (i) => (i.transforms = ['USERNAME|SAML2|true']), 'input.transforms[0]'],
  ['transform unknown key', (i) => (i.transforms[0].invalidate = true), 'input.transforms[0].invalidate'],
  ['transform input missing', (i) => delete i.transforms[0].input, 'input.transforms[0].input'],
  ['SAML2 as input without saml2Trust', (i) => (i.transforms[0].input = 'SAML2'), 'input.saml2Trust', /takes SAML2 input/],
  ['OPENAM as input (a REST alias, not a transform type)', (i) => (i.transforms[0].input = 'OPENAM'), 'input.transforms[0].input'],
  ['lower-case input', (i) => (i.transforms[0].input = 'username'), 'input.transforms[0].input'],
  ['USERNAME as output', (i) => (i.transforms[0].output = 'USERNAME'), 'input.transforms[0].output'],
  ['X509 as output', (i) => (i.transforms[0].output = 'X509'), 'input.transforms[0].output'],
  ['CUSTOM input without customInput', (i) => (i.transforms[0].input = 'CUSTOM'), 'input.transforms[0].customInput', /required/],
  ['customInput naming no loaded validator', (i) => Object.assign(i.transforms[0], { input: 'CUSTOM', customInput: 'NOPE' }), 'input.transforms[0].customInput', /no custom token validator/],
  ['customInput naming a provider-only type', (i) => Object.assign(i.transforms[0], { input: 'CUSTOM', customInput: 'OTHER' }), 'input.transforms[0].customInput'],
  ['customInput a reserved name', (i) => Object.assign(i.transforms[0], { input: 'CUSTOM', customInput: 'OPENAM' }), 'input.transforms[0].customInput', /not a custom token type name/],
  ['customInput with a built-in input', (i) => (i.transforms[0].customInput = 'ACME_TOKEN'), 'input.transforms[0].customInput', /only allowed when input is CUSTOM/],
  ['CUSTOM output without customOutput', (i) => (i.transforms[0].output = 'CUSTOM'), 'input.transforms[0].customOutput'],
  ['customOutput naming no loaded provider', (i) => Object.assign(i.transforms[0], { output: 'CUSTOM', customOutput: 'MISSING' }), 'input.transforms[0].customOutput', /no custom token provider/],
  ['customOutput with a built-in output', (i) => (i.transforms[0].customOutput = 'ACME_TOKEN'), 'input.transforms[0].customOutput'],
  ['duplicate pair', (i) => i.transforms.push({ input: 'USERNAME', output: 'SAML2', invalidateInterimSession: true }), 'input.transforms[1]', /duplicates/],
  ['duplicate custom pair', (i) => i.transforms.push({ input: 'CUSTOM', customInput: 'ACME_TOKEN', output: 'SAML2' }, { input: 'CUSTOM', customInput: 'ACME_TOKEN', output: 'SAML2' }), 'input.transforms[2]'],
  ['invalidateInterimSession not boolean', (i) => (i.transforms[0].invalidateInterimSession = 'yes'), 'input.transforms[0].invalidateInterimSession'],
  // sections a transform needs
  ['saml2 missing for a SAML2 output', (i) => delete i.saml2, 'input.saml2', /transforms\[0\] outputs SAML2/],
  ['oidc missing for an OPENIDCONNECT output', (i) => i.transforms.push({ input: 'USERNAME', output: 'OPENIDCONNECT' }), 'input.oidc', /transforms\[1\]/],
  ['oidcTrust missing for OPENIDCONNECT input', (i) => (i.transforms[0].input = 'OPENIDCONNECT'), 'input.oidcTrust'],
  ['oidcTrust empty for OPENIDCONNECT input', (i) => { i.transforms[0].input = 'OPENIDCONNECT'; i.oidcTrust = []; }, 'input.oidcTrust'],
  ['x509Trust missing for X509 input', (i) => (i.transforms[0].input = 'X509'), 'input.x509Trust'],
  // saml2
  ['saml2 not an object', (i) => (i.saml2 = 'x'), 'input.saml2'],
  ['saml2 unknown key', (i) => (i.saml2.signAssertions = true), 'input.saml2.signAssertions'],
  ['saml2 issuer missing', (i) => delete i.saml2.issuer, 'input.saml2.issuer'],
  ['saml2 issuer blank', (i) => (i.saml2.issuer = '  '), 'input.saml2.issuer', /empty/],
  ['saml2 issuer too long', (i) => (i.saml2.issuer = 'x'.repeat(2049)), 'input.saml2.issuer', /at most 2048/],
  ['spEntityId missing', (i) => delete i.saml2.spEntityId, 'input.saml2.spEntityId'],
  ['spEntityId empty', (i) => (i.saml2.spEntityId = ''), 'input.saml2.spEntityId'],
  ['spAcsUrl relative', (i) => (i.saml2.spAcsUrl = '/acs'), 'input.saml2.spAcsUrl', /absolute URL/],
  ['spAcsUrl not http', (i) => (i.saml2.spAcsUrl = 'javascript:alert(1)'), 'input.saml2.spAcsUrl'],
  ['nameIdFormat not a string', (i) => (i.saml2.nameIdFormat = 1), 'input.saml2.nameIdFormat'],
  ['attributeMap a list', (i) => (i.saml2.attributeMap = ['mail']), 'input.saml2.attributeMap'],
  ['attributeMap value not a string', (i) => (i.saml2.attributeMap = { mail: ['mail'] }), 'input.saml2.attributeMap.mail'],
  ['attributeMap empty key', (i) => (i.saml2.attributeMap = { '': 'mail' }), 'input.saml2.attributeMap'],
  ['saml2 lifetime 0', (i) => (i.saml2.lifetimeSeconds = 0), 'input.saml2.lifetimeSeconds'],
  ['saml2 lifetime 86401', (i) => (i.saml2.lifetimeSeconds = 86401), 'input.saml2.lifetimeSeconds'],
  ['saml2 lifetime fractional', (i) => (i.saml2.lifetimeSeconds = 1.5), 'input.saml2.lifetimeSeconds'],
  ['saml2 lifetime as a string', (i) => (i.saml2.lifetimeSeconds = '600'), 'input.saml2.lifetimeSeconds'],
  ['signAssertion as a string', (i) => (i.saml2.signAssertion = 'true'), 'input.saml2.signAssertion'],
  ['rsa-sha1 refused', (i) => (i.saml2.signatureAlgorithm = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1'), 'input.saml2.signatureAlgorithm', /SHA-1/],
  ['ecdsa-sha1 refused', (i) => (i.saml2.signatureAlgorithm = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1'), 'input.saml2.signatureAlgorithm', /SHA-1/],
  ['a JWS name is not a signature URI', (i) => (i.saml2.signatureAlgorithm = 'RS256'), 'input.saml2.signatureAlgorithm', /unsupported/],
  ['tripledes refused', (i) => (i.saml2.dataEncryptionAlgorithm = 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc'), 'input.saml2.dataEncryptionAlgorithm'],
  ['rsa-1_5 key transport refused', (i) => (i.saml2.keyTransportAlgorithm = 'http://www.w3.org/2001/04/xmlenc#rsa-1_5'), 'input.saml2.keyTransportAlgorithm', /RSA-OAEP/],
  ['encryptAssertion without a certificate', (i) => (i.saml2.encryptAssertion = true), 'input.saml2.spEncryptionCertificate', /required/],
  ['encryptNameId without a certificate', (i) => (i.saml2.encryptNameId = true), 'input.saml2.spEncryptionCertificate'],
  ['encryptAttributes without a certificate', (i) => (i.saml2.encryptAttributes = true), 'input.saml2.spEncryptionCertificate'],
  ['encryptAssertion with encryptNameId', (i, c) => Object.assign(i.saml2, { encryptAssertion: true, encryptNameId: true, spEncryptionCertificate: c.rsaLeaf }), 'input.saml2.encryptAssertion', /excludes/],
  ['encryptAssertion with encryptAttributes', (i, c) => Object.assign(i.saml2, { encryptAssertion: true, encryptAttributes: true, spEncryptionCertificate: c.rsaLeaf }), 'input.saml2.encryptAssertion'],
  ['encryption certificate garbage', (i) => (i.saml2.spEncryptionCertificate = 'not a pem'), 'input.saml2.spEncryptionCertificate', /exactly one PEM/],
  ['encryption certificate with a broken body', (i) => (i.saml2.spEncryptionCertificate = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), 'input.saml2.spEncryptionCertificate', /parseable/],
  ['encryption certificate with an EC key', (i, c) => (i.saml2.spEncryptionCertificate = c.ecLeaf), 'input.saml2.spEncryptionCertificate', /RSA/],
  ['two certificates in one field', (i, c) => (i.saml2.spEncryptionCertificate = c.rsaLeaf + c.rsaCa), 'input.saml2.spEncryptionCertificate'],
  ['encryption certificate over 64 KiB', (i, c) => (i.saml2.spEncryptionCertificate = c.rsaLeaf + ' '.repeat(65536)), 'input.saml2.spEncryptionCertificate', /at most 65536/],
  ['plugins unknown kind', (i) => (i.saml2.plugins = { statements: 'acme-conditions' }), 'input.saml2.plugins.statements'],
  ['plugin not loaded', (i) => (i.saml2.plugins = { conditions: 'ghost' }), 'input.saml2.plugins.conditions', /no SAML plugin/],
  ['plugin of another statement kind', (i) => (i.saml2.plugins = { subject: 'acme-conditions' }), 'input.saml2.plugins.subject', /provides conditions/],
  // oidc
  ...(
    [
      ['oidc not an object', (i) => (i.oidc = []), 'input.oidc'],
      ['oidc unknown key', (i) => (i.oidc.publicKeyReferenceType = 'JWK'), 'input.oidc.publicKeyReferenceType'],
      ['oidc issuer not a URL', (i) => (i.oidc.issuer = 'sts'), 'input.oidc.issuer', /absolute URL/],
      ['oidc issuer not http', (i) => (i.oidc.issuer = 'urn:example:sts'), 'input.oidc.issuer'],
      ['oidc issuer with credentials', (i) => (i.oidc.issuer = 'https://u:p@sts.example.com'), 'input.oidc.issuer', /credentials/],
      ['oidc audience missing', (i) => delete i.oidc.audience, 'input.oidc.audience', /required/],
      ['oidc audience empty', (i) => (i.oidc.audience = []), 'input.oidc.audience', /at least one/],
      ['oidc audience a string', (i) => (i.oidc.audience = 'app'), 'input.oidc.audience'],
      ['oidc audience empty value', (i) => (i.oidc.audience = ['app', '']), 'input.oidc.audience[1]'],
      ['oidc authorizedParty empty', (i) => (i.oidc.authorizedParty = ''), 'input.oidc.authorizedParty'],
      ['alg none', (i) => (i.oidc.signatureAlgorithm = 'none'), 'input.oidc.signatureAlgorithm'],
      ['alg HS512', (i) => (i.oidc.signatureAlgorithm = 'HS512'), 'input.oidc.signatureAlgorithm'],
      ['alg lower-case', (i) => (i.oidc.signatureAlgorithm = 'rs256'), 'input.oidc.signatureAlgorithm'],
      ['HS256 without a secret', (i) => (i.oidc.signatureAlgorithm = 'HS256'), 'input.oidc.clientSecret', /required/],
      ['HS256 with a 31-byte secret', (i) => Object.assign(i.oidc, { signatureAlgorithm: 'HS256', clientSecret: 'x'.repeat(31) }), 'input.oidc.clientSecret', /32 bytes/],
      ['HS256 with a 10-character, 30-byte secret', (i) => Object.assign(i.oidc, { signatureAlgorithm: 'HS256', clientSecret: '€'.repeat(10) }), 'input.oidc.clientSecret'],
      ['clientSecret with RS256', (i) => (i.oidc.clientSecret = SECRET), 'input.oidc.clientSecret', /only allowed with signatureAlgorithm HS256/],
      ['signingKeyId with HS256', (i) => Object.assign(i.oidc, { signatureAlgorithm: 'HS256', clientSecret: SECRET, signingKeyId: 'rsa-1' }), 'input.oidc.signingKeyId'],
      ['claimMap maps sub', (i) => (i.oidc.claimMap = { sub: 'uid' }), 'input.oidc.claimMap.sub', /registered claim/],
      ['claimMap maps nonce', (i) => (i.oidc.claimMap = { email: 'mail', nonce: 'x' }), 'input.oidc.claimMap.nonce'],
      ['claimMap maps cnf', (i) => (i.oidc.claimMap = { cnf: 'x' }), 'input.oidc.claimMap.cnf'],
      ['claimMap value not a string', (i) => (i.oidc.claimMap = { email: 1 }), 'input.oidc.claimMap.email'],
      ['claimMap empty key', (i) => (i.oidc.claimMap = { ' ': 'mail' }), 'input.oidc.claimMap'],
      ['claimMap not an object', (i) => (i.oidc.claimMap = 'email=mail'), 'input.oidc.claimMap'],
      ['oidc lifetime too long', (i) => (i.oidc.lifetimeSeconds = 100000), 'input.oidc.lifetimeSeconds'],
    ] as Case[]
  ).map(([n, m, f, r]): Case => [n, (i, c) => { i.transforms.push({ input: 'USERNAME', output: 'OPENIDCONNECT' }); i.oidc = { audience: ['app'] }; m(i, c); }, f, r]),
  // oidcTrust
  ...(
    [
      ['oidcTrust not a list', (i) => (i.oidcTrust = { issuer: 'x' }), 'input.oidcTrust'],
      ['oidcTrust entry not an object', (i) => (i.oidcTrust = ['https://issuer']), 'input.oidcTrust[0]'],
      ['oidcTrust unknown key', (i) => (i.oidcTrust[0].jwkUrl = 'https://x'), 'input.oidcTrust[0].jwkUrl'],
      ['oidcTrust issuer missing', (i) => delete i.oidcTrust[0].issuer, 'input.oidcTrust[0].issuer'],
      ['oidcTrust issuer empty', (i) => (i.oidcTrust[0].issuer = ''), 'input.oidcTrust[0].issuer'],
      ['oidcTrust duplicate issuer', (i) => i.oidcTrust.push({ ...i.oidcTrust[0] }), 'input.oidcTrust[1].issuer', /already listed/],
      ['oidcTrust audience missing', (i) => delete i.oidcTrust[0].audience, 'input.oidcTrust[0].audience'],
      ['oidcTrust audience empty', (i) => (i.oidcTrust[0].audience = []), 'input.oidcTrust[0].audience'],
      ['oidcTrust authorizedParties empty', (i) => (i.oidcTrust[0].authorizedParties = []), 'input.oidcTrust[0].authorizedParties'],
      ['no key source', (i) => delete i.oidcTrust[0].jwks, 'input.oidcTrust[0]', /exactly one key source/],
      ['two key sources', (i) => (i.oidcTrust[0].jwksUri = 'https://issuer.example.com/jwks'), 'input.oidcTrust[0]', /exactly one key source/],
      ['three key sources', (i) => Object.assign(i.oidcTrust[0], { jwksUri: 'https://i/jwks', clientSecret: TRUST_SECRET }), 'input.oidcTrust[0]'],
      ['jwks without keys', (i) => (i.oidcTrust[0].jwks = {}), 'input.oidcTrust[0].jwks.keys'],
      ['jwks with no key', (i) => (i.oidcTrust[0].jwks = { keys: [] }), 'input.oidcTrust[0].jwks.keys'],
      ['jwks a list', (i) => (i.oidcTrust[0].jwks = [ecJwk]), 'input.oidcTrust[0].jwks'],
      ['jwks key with private members', (i) => (i.oidcTrust[0].jwks = { keys: [ecJwk, rsaPrivateJwk] }), 'input.oidcTrust[0].jwks.keys[1]', /private/],
      ['jwks symmetric key', (i) => (i.oidcTrust[0].jwks = { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }), 'input.oidcTrust[0].jwks.keys[0]', /clientSecret/],
      ['jwks key of unknown kty', (i) => (i.oidcTrust[0].jwks = { keys: [{ kty: 'XYZ' }] }), 'input.oidcTrust[0].jwks.keys[0]', /usable/],
      ['jwks key not an object', (i) => (i.oidcTrust[0].jwks = { keys: ['abc'] }), 'input.oidcTrust[0].jwks.keys[0]'],
      ['jwks over 64 KiB', (i) => (i.oidcTrust[0].jwks = { keys: [ecJwk], padding: 'x'.repeat(70000) }), 'input.oidcTrust[0].jwks', /at most/],
      ['jwksUri over plain http', (i) => { delete i.oidcTrust[0].jwks; i.oidcTrust[0].jwksUri = 'http://issuer.example.com/jwks'; }, 'input.oidcTrust[0].jwksUri', /https/],
      ['jwksUri not a URL', (i) => { delete i.oidcTrust[0].jwks; i.oidcTrust[0].jwksUri = 'issuer/jwks'; }, 'input.oidcTrust[0].jwksUri'],
      ['jwksUri with a fragment', (i) => { delete i.oidcTrust[0].jwks; i.oidcTrust[0].jwksUri = 'https://issuer/jwks#x'; }, 'input.oidcTrust[0].jwksUri'],
      ['jwksUri on a look-alike loopback name', (i) => { delete i.oidcTrust[0].jwks; i.oidcTrust[0].jwksUri = 'http://localhost.evil.example/jwks'; }, 'input.oidcTrust[0].jwksUri'],
      ['trust clientSecret too short', (i) => { delete i.oidcTrust[0].jwks; i.oidcTrust[0].clientSecret = 'short'; }, 'input.oidcTrust[0].clientSecret', /32 bytes/],
    ] as Case[]
  ).map(([n, m, f, r]): Case => [n, (i, c) => { i.transforms.push({ input: 'OPENIDCONNECT', output: 'SAML2' }); i.oidcTrust = [{ issuer: 'https://issuer.example.com', audience: ['tessera'], jwks: { keys: [ecJwk] } }]; m(i, c); }, f, r]),
  // x509Trust
  ...(
    [
      ['x509Trust not an object', (i) => (i.x509Trust = true), 'input.x509Trust'],
      ['x509Trust unknown key', (i) => (i.x509Trust.crl = 'x'), 'input.x509Trust.crl'],
      ['caCertificates missing', (i) => delete i.x509Trust.caCertificates, 'input.x509Trust.caCertificates'],
      ['caCertificates empty', (i) => (i.x509Trust.caCertificates = []), 'input.x509Trust.caCertificates'],
      ['caCertificates a leaf', (i, c) => (i.x509Trust.caCertificates = [c.rsaCa, c.rsaLeaf]), 'input.x509Trust.caCertificates[1]', /CA certificate/],
      ['caCertificates garbage', (i) => (i.x509Trust.caCertificates = ['x']), 'input.x509Trust.caCertificates[0]'],
      ['offloadHeader without trustedProxies', (i) => (i.x509Trust.offloadHeader = 'ssl_client_cert'), 'input.x509Trust.trustedProxies', /both or neither/],
      ['trustedProxies without offloadHeader', (i) => (i.x509Trust.trustedProxies = ['10.0.0.1']), 'input.x509Trust.offloadHeader', /both or neither/],
      ['offloadHeader not a header name', (i) => Object.assign(i.x509Trust, { offloadHeader: 'X-Client Cert', trustedProxies: ['10.0.0.1'] }), 'input.x509Trust.offloadHeader'],
      ['offloadHeader with a colon', (i) => Object.assign(i.x509Trust, { offloadHeader: 'X-Cert:', trustedProxies: ['10.0.0.1'] }), 'input.x509Trust.offloadHeader'],
      ['trustedProxies empty', (i) => Object.assign(i.x509Trust, { offloadHeader: 'x-cert', trustedProxies: [] }), 'input.x509Trust.trustedProxies'],
      ['trustedProxies bad address', (i) => Object.assign(i.x509Trust, { offloadHeader: 'x-cert', trustedProxies: ['10.0.0.1', '10.0.0.300'] }), 'input.x509Trust.trustedProxies[1]', /not an IP/],
      ['trustedProxies IPv4 prefix 33', (i) => Object.assign(i.x509Trust, { offloadHeader: 'x-cert', trustedProxies: ['10.0.0.0/33'] }), 'input.x509Trust.trustedProxies[0]'],
      ['trustedProxies IPv6 prefix 129', (i) => Object.assign(i.x509Trust, { offloadHeader: 'x-cert', trustedProxies: ['::/129'] }), 'input.x509Trust.trustedProxies[0]'],
      ['trustedProxies a host name', (i) => Object.assign(i.x509Trust, { offloadHeader: 'x-cert', trustedProxies: ['proxy.local'] }), 'input.x509Trust.trustedProxies[0]'],
      ['trustedProxies "any"', (i) => Object.assign(i.x509Trust, { offloadHeader: 'x-cert', trustedProxies: ['any'] }), 'input.x509Trust.trustedProxies[0]'],
    ] as Case[]
  ).map(([n, m, f, r]): Case => [n, (i, c) => { i.transforms.push({ input: 'X509', output: 'SAML2' }); i.x509Trust = { caCertificates: [c.rsaCa] }; m(i, c); }, f, r]),
];

test('every rule refuses with BAD_USER_INPUT naming the field', async (t) => {
  const c = await testCertificates();
  for (const [name, mutate, field, message] of FAILURES) {
    await t.test(name, () => {
      const input = minimalSaml();
      mutate(input, c);
      assertBad(() => validateInstanceInput(input, options()), field, message);
    });
  }
});

test('non-object input is refused at the root', () => {
  for (const input of [null, undefined, 'x', 42, [], [minimalSaml()]]) {
    assertBad(() => validateInstanceInput(input, options()), 'input');
  }
});

test('an update must keep the name', () => {
  assertBad(() => validateInstanceInput(minimalSaml(), options({ nameMustEqual: 'other' })), 'input.name', /cannot be renamed/);
  assert.equal(validateInstanceInput(minimalSaml(), options({ nameMustEqual: 'saml-sp' })).name, 'saml-sp');
});

test('pinned signing keys are checked with the key store\'s own call, after the shapes', async (t) => {
  const input = minimalSaml();
  input.saml2.signingKeyId = 'anything';
  // The synchronous pass knows no keys.
  assert.equal(validateInstanceInput(input, options()).saml2?.signingKeyId, 'anything');
  const cases: Array<[string, (i: Json) => void, string, RegExp?]> = [
    ['saml2 signingKeyId unknown', (i) => (i.saml2.signingKeyId = 'nope'), 'input.saml2.signingKeyId', /RS256.*does not exist/],
    ['saml2 signingKeyId of the wrong algorithm', (i) => (i.saml2.signingKeyId = 'ec-1'), 'input.saml2.signingKeyId', /ES256 key, not RS256/],
    ['oidc signingKeyId unknown', (i) => Object.assign(i, { oidc: { audience: ['a'], signingKeyId: 'nope' } }), 'input.oidc.signingKeyId'],
    ['oidc signingKeyId of another algorithm', (i) => Object.assign(i, { oidc: { audience: ['a'], signatureAlgorithm: 'PS256', signingKeyId: 'rsa-1' } }), 'input.oidc.signingKeyId'],
  ];
  for (const [name, mutate, field, message] of cases) {
    await t.test(name, async () => {
      const i = minimalSaml();
      mutate(i);
      await assert.rejects(validateWithServices(i, { registry: registryFor(options()) }), (e: unknown) => {
        assert.ok(e instanceof BadUserInputError, String(e));
        assert.equal(e.field, field);
        if (message) assert.match(e.message, message);
        return true;
      });
    });
  }
  const ok = minimalSaml();
  ok.saml2.signingKeyId = 'rsa-1';
  assert.equal((await validateWithServices(ok, { registry: registryFor(options()) })).saml2 !== undefined, true);
});

test('a custom type the registry holds but with an invalid name is refused', () => {
  const input = minimalSaml();
  input.transforms = [{ input: 'CUSTOM', customInput: 'lower', output: 'SAML2' }];
  assertBad(() => validateInstanceInput(input, options({ customValidators: new Set(['lower']) })), 'input.transforms[0].customInput');
});

// ---------------------------------------------------------------------------------------------------------------
// Updates: write-only secrets
// ---------------------------------------------------------------------------------------------------------------

function hsInstance(): Json {
  return {
    name: 'hs',
    transforms: [
      { input: 'USERNAME', output: 'OPENIDCONNECT' },
      { input: 'OPENIDCONNECT', output: 'OPENIDCONNECT' },
    ],
    oidc: { audience: ['app'], signatureAlgorithm: 'HS256', clientSecret: SECRET },
    oidcTrust: [
      { issuer: 'https://hmac.example.com', audience: ['tessera'], clientSecret: TRUST_SECRET },
      { issuer: 'https://jwks.example.com', audience: ['tessera'], jwks: { keys: [ecJwk] } },
    ],
  };
}

function withoutSecrets(input: Json): Json {
  const copy = structuredClone(input);
  delete copy.oidc.clientSecret;
  for (const t of copy.oidcTrust) delete t.clientSecret;
  return copy;
}

test('update: omitted secrets keep their stored values', () => {
  const existing = validateInstanceInput(hsInstance(), options());
  const updated = validateInstanceInput(withoutSecrets(hsInstance()), options({ existing, nameMustEqual: 'hs' }));
  assert.equal(updated.oidc?.clientSecret, SECRET);
  assert.equal(updated.oidcTrust?.[0]?.clientSecret, TRUST_SECRET);
  assert.equal(updated.oidcTrust?.[1]?.clientSecret, undefined);
  assert.deepEqual(updated, existing);
});

test('update: a given secret replaces the stored one', () => {
  const existing = validateInstanceInput(hsInstance(), options());
  const input = hsInstance();
  input.oidc.clientSecret = 'z'.repeat(40);
  input.oidcTrust[0].clientSecret = 'y'.repeat(40);
  const updated = validateInstanceInput(input, options({ existing }));
  assert.equal(updated.oidc?.clientSecret, 'z'.repeat(40));
  assert.equal(updated.oidcTrust?.[0]?.clientSecret, 'y'.repeat(40));
});

test('update: a secret is dropped when its algorithm or key source changes', () => {
  const existing = validateInstanceInput(hsInstance(), options());
  const input = withoutSecrets(hsInstance());
  input.oidc.signatureAlgorithm = 'RS256';
  input.oidcTrust[0].jwksUri = 'https://hmac.example.com/jwks';
  const updated = validateInstanceInput(input, options({ existing }));
  assert.equal(updated.oidc?.clientSecret, undefined);
  assert.equal(updated.oidcTrust?.[0]?.clientSecret, undefined);
  assert.equal(updated.oidcTrust?.[0]?.jwksUri, 'https://hmac.example.com/jwks');
});

test('update: nothing to keep is still an error', () => {
  const existing = validateInstanceInput(hsInstance(), options());
  // An issuer renamed on update has no stored secret.
  const renamed = withoutSecrets(hsInstance());
  renamed.oidcTrust[0].issuer = 'https://renamed.example.com';
  assertBad(() => validateInstanceInput(renamed, options({ existing })), 'input.oidcTrust[0]', /exactly one key source/);
  // An entry that used jwks before has no secret to keep.
  const switched = withoutSecrets(hsInstance());
  delete switched.oidcTrust[1].jwks;
  assertBad(() => validateInstanceInput(switched, options({ existing })), 'input.oidcTrust[1]');
  // An instance that signed with RS256 before has no oidc secret to keep.
  const rsExisting = validateInstanceInput({ ...hsInstance(), oidc: { audience: ['app'] } }, options());
  assertBad(() => validateInstanceInput(withoutSecrets(hsInstance()), options({ existing: rsExisting })), 'input.oidc.clientSecret', /required/);
  // Without `existing` (publish), an omitted secret is simply missing.
  assertBad(() => validateInstanceInput(withoutSecrets(hsInstance()), options()), 'input.oidc.clientSecret');
});

// ---------------------------------------------------------------------------------------------------------------
// Public view and endpoints
// ---------------------------------------------------------------------------------------------------------------

test('toPublicInstance never holds a secret', async () => {
  const c = await testCertificates();
  const config = validateInstanceInput(full(c), options());
  const view = toPublicInstance(config);
  const text = JSON.stringify(view);
  assert.ok(!text.includes(SECRET), 'oidc secret leaked');
  assert.ok(!text.includes(TRUST_SECRET), 'trust secret leaked');
  assert.ok(!text.includes('clientSecret'), 'a clientSecret key remains');
  assert.equal(view.oidc?.hasClientSecret, true);
  assert.deepEqual(view.oidcTrust?.map((t: { hasClientSecret: boolean }) => t.hasClientSecret), [false, false, true]);
  // The top-level flag that predates the oidc section's own view.
  assert.equal(view.hasClientSecret, true);
  // Everything else is as stored.
  const { oidc, oidcTrust, hasClientSecret: _flag, ...rest } = view;
  const { oidc: cOidc, oidcTrust: cTrust, ...cRest } = config;
  assert.deepEqual(rest, cRest);
  const { clientSecret: _s, ...oidcNoSecret } = cOidc!;
  assert.deepEqual(oidc, { ...oidcNoSecret, hasClientSecret: true });
  assert.deepEqual(oidcTrust?.[1], { ...cTrust![1], hasClientSecret: false });
  // The view is a copy: changing it leaves the stored config alone.
  view.saml2!.attributeMap.injected = 'x';
  view.transforms.pop();
  assert.equal(config.saml2!.attributeMap.injected, undefined);
  assert.equal(config.transforms.length, 7);
  assert.equal(config.oidc?.clientSecret, SECRET);
});

test('toPublicInstance of an instance without oidc sections', () => {
  const view = toPublicInstance(validateInstanceInput(minimalSaml(), options()));
  assert.equal(view.oidc, undefined);
  assert.equal(view.oidcTrust, undefined);
  assert.ok(!('oidc' in view));
  const rs = toPublicInstance(
    validateInstanceInput({ name: 'o', transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }], oidc: { audience: ['a'] } }, options()),
  );
  assert.equal(rs.oidc?.hasClientSecret, false);
});

test('instanceEndpoints builds the per-instance URLs', () => {
  const expected = {
    rest: 'https://sts.example.com/rest-sts/my-sp',
    jwks: 'https://sts.example.com/sts/my-sp/jwks.json',
    openidConfiguration: 'https://sts.example.com/sts/my-sp/.well-known/openid-configuration',
    samlMetadata: 'https://sts.example.com/sts/my-sp/saml-metadata.xml',
    samlSpMetadata: 'https://sts.example.com/sts/my-sp/saml-sp-metadata.xml',
  };
  assert.deepEqual(instanceEndpoints('https://sts.example.com', 'my-sp'), expected);
  assert.deepEqual(instanceEndpoints('https://sts.example.com/', 'my-sp'), expected);
  assert.equal(instanceEndpoints('http://127.0.0.1:4000/base', 'a').rest, 'http://127.0.0.1:4000/base/rest-sts/a');
});

test('a hostile unknown key is named capped and without control characters', () => {
  const input = minimalSaml();
  const key = `evil\u0000\n${'k'.repeat(500)}`;
  input.saml2[key] = 1;
  assert.throws(
    () => validateInstanceInput(input, options()),
    (e: unknown) => {
      assert.ok(e instanceof BadUserInputError);
      assert.ok(e.field!.startsWith('input.saml2.evil  k'));
      assert.ok(e.field!.length <= 'input.saml2.'.length + 64);
      assert.ok(!/[\u0000-\u001f]/.test(e.message));
      assert.ok(e.message.length < 600, e.message);
      return true;
    },
  );
});

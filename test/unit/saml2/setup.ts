/** Shared setup for the SAML 2.0 tests: keys, certificates, a published instance and a provider. */
import type { Caller, ProviderContext, PublishedInstance, VerifiedSubject } from '../../../src/engine/types.js';
import type { Saml2Config } from '../../../src/tokens/saml2/saml2.config.js';
import { AUTHN_CONTEXT } from '../../../src/tokens/saml2/builtin-statements.js';
import type { Saml2StatementPlugin } from '../../../src/plugins/types.js';
import { createSaml2Provider } from '../../../src/tokens/saml2/saml2.provider.js';
import { ALG } from '../../../src/tokens/saml2/xml.js';
import { fakeKeyProvider, makeSelfSigned, signingKeyFrom, type TestCert } from '../../support/saml.js';

export interface Pki {
  rsa: TestCert;
  rsa512: TestCert;
  ec: TestCert;
  other: TestCert;
  sp: TestCert;
  client: TestCert;
  expired: TestCert;
  ca: TestCert;
}

let pki: Promise<Pki> | undefined;

/** Generated once per process (RSA key generation is the slow part). */
export function getPki(): Promise<Pki> {
  pki ??= (async () => {
    // Validity spans both the fixed test clock (NOW) and the real one (the tools may look at it).
    const v = { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2040-01-01T00:00:00Z') };
    const [rsa, rsa512, ec, other, sp, client, expired, ca] = await Promise.all([
      makeSelfSigned({ ...v, cn: 'idp rsa' }),
      makeSelfSigned({ ...v, cn: 'idp rsa512' }),
      makeSelfSigned({ ...v, kind: 'ec', cn: 'idp ec' }),
      makeSelfSigned({ ...v, cn: 'attacker' }),
      makeSelfSigned({ ...v, cn: 'sp encryption' }),
      makeSelfSigned({ ...v, kind: 'ec', cn: 'client' }),
      makeSelfSigned({ kind: 'ec', cn: 'expired', notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') }),
      makeSelfSigned({ ...v, kind: 'ec', cn: 'some ca', ca: true }),
    ]);
    return { rsa, rsa512, ec, other, sp, client, expired, ca };
  })();
  return pki;
}

export function samlConfig(over: Partial<Saml2Config> = {}): Saml2Config {
  return {
    issuer: 'https://sts.example.org/sts/demo',
    spEntityId: 'https://sp.example.org/saml',
    spAcsUrl: 'https://sp.example.org/saml/acs',
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
    attributeMap: { mail: 'mail', groups: 'memberOf', 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri|urn:oid:2.5.4.3': 'cn', note: 'note' },
    lifetimeSeconds: 600,
    signAssertion: true,
    signatureAlgorithm: ALG.rsaSha256,
    encryptAssertion: false,
    encryptNameId: false,
    encryptAttributes: false,
    dataEncryptionAlgorithm: ALG.aes256Gcm,
    keyTransportAlgorithm: ALG.rsaOaepMgf1p,
    plugins: {},
    ...over,
  };
}

export function instance(saml2: Saml2Config, name = 'demo'): PublishedInstance {
  return {
    id: 'inst-1',
    config: { name, transforms: [{ input: 'USERNAME', output: 'SAML2', invalidateInterimSession: false }], persistIssuedTokens: true, saml2 },
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
}

/** A value exercising every escape: markup, quotes, CR/LF/tab, non-ASCII and an astral character. */
export const TRICKY = `a&b <c> "d" 'e' \r\n\tf ü € 𝄞 ]]> &amp;`;

export function subject(over: Partial<VerifiedSubject> = {}): VerifiedSubject {
  return {
    name: 'demo',
    attributes: { mail: 'demo@example.org', memberOf: ['staff', 'dev'], cn: 'Demo User', note: TRICKY },
    inputType: 'USERNAME',
    authn: { instant: new Date('2030-01-01T11:55:00Z'), methods: ['pwd'], contextClass: AUTHN_CONTEXT.passwordProtectedTransport },
    ...over,
  };
}

/** A verified subject as the built-in statements read it (what the SAML2 provider hands them). */
export function statementSubject(s: VerifiedSubject = subject()) {
  return {
    name: s.name,
    attributes: s.attributes,
    inputType: s.inputType,
    authnInstant: s.authn.instant,
    authnContextClass: s.authn.contextClass ?? s.authn.assumedContextClass ?? AUTHN_CONTEXT.unspecified,
  };
}

export const NOW = new Date('2030-01-01T12:00:00.250Z');

export const CALLER: Caller = { userId: 'u1', username: 'alice', roles: ['sts'], sessionId: 's1' };

export function providerCtx(saml2: Saml2Config, over: Partial<ProviderContext> = {}): ProviderContext {
  return {
    instance: instance(saml2),
    request: { caller: null, clientAddress: '127.0.0.1', door: 'graphql' },
    now: NOW,
    inputType: 'USERNAME',
    ...over,
  };
}

export async function makeProvider(opts: { plugins?: Saml2StatementPlugin[]; pluginTimeoutMs?: number } = {}) {
  const p = await getPki();
  const keys = fakeKeyProvider([
    signingKeyFrom(p.rsa, 'rsa-1', 'RS256'),
    signingKeyFrom(p.rsa512, 'rsa512-1', 'RS512'),
    signingKeyFrom(p.ec, 'ec-1', 'ES256'),
  ]);
  const plugins = opts.plugins ?? [];
  const provider = createSaml2Provider({
    keys,
    resolvePlugin: (name) => plugins.find((x) => x.name === name),
    pluginTimeoutMs: opts.pluginTimeoutMs ?? 200,
  });
  return { provider, keys, pki: p };
}

/** The certificate that verifies each signature algorithm in makeProvider's key set. */
export function certFor(p: Pki, alg: string): TestCert {
  return alg === ALG.ecdsaSha256 ? p.ec : alg === ALG.rsaSha512 ? p.rsa512 : p.rsa;
}

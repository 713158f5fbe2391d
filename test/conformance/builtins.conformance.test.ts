/**
 * The conformance suite (suite.ts) for the built-in token kinds, on SQLite and PostgreSQL: the validators of
 * OPENIDCONNECT, X509, USERNAME, SESSION, SAML2 (partner assertions made by pysaml2) and ACCESS_TOKEN (RFC 9068
 * JWTs from a trusted issuer), and the providers of OPENIDCONNECT (checked by PyJWT) and SAML2 (checked by
 * xmlsec1 and xmllint).
 */
import { after, before, describe } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { makeIssuer, unsignedToken, type TestIssuer } from '../support/oidc.js';
import { makeCa, makeIntermediate, makeLeaf, makeProof, type TestCa, type TestCert } from '../support/pki.js';
import { pyjwtVerify } from '../support/engine.js';
import { verifyAssertion } from '../support/plugins-api.js';
import { TestClock } from '../support/clock.js';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { OpensslWorkspace } from '../support/openssl.js';
import { PartnerIdp, Pysaml2Batch, xsTime } from '../support/saml-partner.js';
import { providerConformance, validatorConformance, type Presented } from './suite.js';

const AUD = 'conformance-rp';
const OIDC_OUT = { gql: { type: 'OPENIDCONNECT' }, rest: { token_type: 'OPENIDCONNECT', allow_access: true } };
const PASSWORD = 'conformance-password';
const BIG = 'x'.repeat(64 * 1024 + 1);
const now = () => Math.floor(Date.now() / 1000);

const idToken = (t: string): Presented => ({ gql: { type: 'OPENIDCONNECT', idToken: t }, rest: { token_type: 'OPENIDCONNECT', oidc_id_token: t } });
const accessToken = (t: string): Presented => ({ gql: { type: 'ACCESS_TOKEN', accessToken: t }, rest: { token_type: 'ACCESS_TOKEN', access_token: t } });
const samlAssertion = (xml: string): Presented => ({ gql: { type: 'SAML2', samlAssertion: xml }, rest: { token_type: 'SAML2', saml2_token: xml } });
const SAML_AUDIENCE = 'https://sts.conformance.test/saml-in';
const SAML_RECIPIENT = 'https://sts.conformance.test/saml-in/acs';
const AT_AUDIENCE = 'https://api.conformance.test';

/** RFC 9068 §2.2 claims of a JWT access token for `aud`, plus `extra`. */
function atClaims(issuer: TestIssuer, aud: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = now();
  return { iss: issuer.issuer, sub: 'alice', aud, iat, exp: iat + 300, client_id: 'conformance-client', jti: `at-${Math.random()}`, ...extra };
}

async function publishAll(s: TestServer, idp: TestIssuer, ca: TestCa, partner: PartnerIdp, atIssuer: TestIssuer): Promise<void> {
  const instances = [
    {
      name: 'conf-saml-in',
      transforms: [{ input: 'SAML2', output: 'OPENIDCONNECT' }],
      oidc: { audience: [AUD] },
      saml2Trust: [{ issuer: partner.entityId, certificates: [partner.cert.pem], audience: [SAML_AUDIENCE], recipients: [SAML_RECIPIENT] }],
    },
    {
      name: 'conf-at',
      transforms: [{ input: 'ACCESS_TOKEN', output: 'OPENIDCONNECT' }],
      oidc: { audience: [AUD] },
      oidcTrust: [{ issuer: atIssuer.issuer, audience: [AT_AUDIENCE], jwks: atIssuer.jwks, acceptAccessTokens: true }],
    },
    { name: 'conf-oidc', transforms: [{ input: 'OPENIDCONNECT', output: 'OPENIDCONNECT' }], oidc: { audience: [AUD] }, oidcTrust: [{ issuer: idp.issuer, audience: [AUD], jwks: idp.jwks }] },
    { name: 'conf-x509', transforms: [{ input: 'X509', output: 'OPENIDCONNECT' }], oidc: { audience: [AUD] }, x509Trust: { caCertificates: [ca.certPem] } },
    { name: 'conf-user', transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }, { input: 'USERNAME', output: 'SAML2' }], oidc: { audience: [AUD] }, saml2: { issuer: 'https://idp.conformance.test', spEntityId: 'https://sp.conformance.test' } },
    { name: 'conf-session', transforms: [{ input: 'SESSION', output: 'OPENIDCONNECT', invalidateInterimSession: true }], oidc: { audience: [AUD] } },
  ];
  for (const i of instances) {
    const r = await s.gql(`mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }`, { i }, s.adminToken);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
  }
  const u = await s.gql(`mutation($i: UserInput!) { createUser(input: $i) { id } }`, { i: { username: 'conformer', password: PASSWORD, attributes: { mail: 'c@example.com' } } }, s.adminToken);
  if (u.errors) throw new Error(JSON.stringify(u.errors));
}

for (const db of DB_KINDS) {
  describe(`conformance of the built-in kinds, on ${db}`, () => {
    let s: TestServer;
    let idp: TestIssuer;
    let ca: TestCa;
    let stranger: TestCa;
    let leaf: TestCert;
    let expiredLeaf: TestCert;
    let futureLeaf: TestCert;
    let strangerLeaf: TestCert;
    let chainedLeaf: TestCert;
    let ws: OpensslWorkspace;
    let partner: PartnerIdp;
    let atIssuer: TestIssuer;
    let saml: Pysaml2Batch;
    /** Fresh assertions for the tests that use one up (valid at each door, replay at each door). */
    const fresh: string[] = [];
    const clock = new TestClock();

    before(async () => {
      idp = makeIssuer({ alg: 'RS256' });
      [s, ca, stranger] = await Promise.all([startServer({ db, clock }), makeCa('Conformance CA'), makeCa('Stranger CA')]);
      const inter = await makeIntermediate(ca, { name: 'Conformance Issuing CA' });
      const day = 86400_000;
      [leaf, expiredLeaf, futureLeaf, strangerLeaf, chainedLeaf] = await Promise.all([
        makeLeaf(ca, { cn: 'carol' }),
        makeLeaf(ca, { cn: 'old', notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) }),
        makeLeaf(ca, { cn: 'early', notBefore: new Date(Date.now() + day), notAfter: new Date(Date.now() + 10 * day) }),
        makeLeaf(stranger, { cn: 'mallory' }),
        makeLeaf(inter, { cn: 'dave' }),
      ]);
      ws = new OpensslWorkspace();
      partner = new PartnerIdp(ws, 'https://partner-idp.conformance.test', { audience: SAML_AUDIENCE, recipient: SAML_RECIPIENT });
      const attacker = new PartnerIdp(ws, partner.entityId, { audience: SAML_AUDIENCE, recipient: SAML_RECIPIENT });
      const strangerIdp = new PartnerIdp(ws, 'https://stranger-idp.conformance.test', { audience: SAML_AUDIENCE, recipient: SAML_RECIPIENT });
      atIssuer = makeIssuer({ alg: 'ES256' });
      const t = Date.now();
      saml = new Pysaml2Batch()
        .add('genuine', partner.spec())
        .add('expired', partner.spec({ now: t - 3600_000 }))
        .add('not-yet-valid', partner.spec({ not_before: xsTime(t + 3600_000), not_on_or_after: xsTime(t + 7200_000) }))
        .add('wrong-audience', partner.spec({ audiences: [['https://another-sp.conformance.test']] }))
        .add('wrong-issuer', strangerIdp.spec())
        .add('unsigned', partner.spec({ sign: null }))
        .add('unknown-key', partner.spec({ sign: attacker.signer() }))
        .add('oversized', partner.spec({ attributes: [{ name: 'pad', values: [BIG] }] }));
      for (let i = 0; i < 4; i++) saml.add(`fresh-${i}`, partner.spec());
      await saml.run();
      for (let i = 0; i < 4; i++) fresh.push(saml.get(`fresh-${i}`));
      await publishAll(s, idp, ca, partner, atIssuer);
    });
    after(async () => {
      await s?.destroy();
      ws?.cleanup();
    });

    describe('OPENIDCONNECT validator', () => {
      validatorConformance(() => ({
        kind: 'OPENIDCONNECT',
        server: () => s,
        instance: 'conf-oidc',
        output: OIDC_OUT,
        valid: async () => idToken(idp.sign(idp.claims(AUD))),
        defects: {
          expired: async () => idToken(idp.sign(idp.claims(AUD, { exp: now() - 3600, iat: now() - 7200 }))),
          'not-yet-valid': async () => idToken(idp.sign(idp.claims(AUD, { nbf: now() + 3600 }))),
          'wrong-audience': async () => idToken(idp.sign(idp.claims('another-rp'))),
          'wrong-issuer': async () => idToken(makeIssuer({ alg: 'RS256' }).sign(idp.claims(AUD))),
          'bad-signature': async () => {
            const t = idp.sign(idp.claims(AUD));
            return idToken(t.slice(0, -6) + (t.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'));
          },
          unsigned: async () => idToken(unsignedToken(idp.claims(AUD))),
          'unknown-key': async () => {
            const other = makeIssuer({ alg: 'RS256', issuer: idp.issuer });
            return idToken(other.sign(idp.claims(AUD)));
          },
          oversized: async () => idToken(idp.sign(idp.claims(AUD, { pad: BIG }))),
        },
        replay: 'an ID token may be presented more than once until it expires (OIDC Core §3.1.3.7 has no one-time use)',
      }));
    });

    describe('X509 validator', () => {
      const x509 = (certificate: string, proof: string): Presented => ({
        gql: { type: 'X509', certificate, proof },
        rest: { token_type: 'X509', x509_cert: certificate, proof },
      });
      const proved = async (c: TestCert, opts: Parameters<typeof makeProof>[1] = { aud: 'conf-x509' }) => x509(c.certPem, await makeProof(c.privateKey, opts));
      validatorConformance(() => ({
        kind: 'X509',
        server: () => s,
        instance: 'conf-x509',
        output: OIDC_OUT,
        valid: () => proved(leaf),
        defects: {
          expired: () => proved(expiredLeaf),
          'not-yet-valid': () => proved(futureLeaf),
          'wrong-audience': () => proved(leaf, { aud: 'another-instance' }),
          'wrong-issuer': () => proved(strangerLeaf),
          'bad-signature': async () => x509(leaf.certPem, await makeProof(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, { aud: 'conf-x509' })),
          unsigned: async () => x509(leaf.certPem, unsignedToken({ aud: 'conf-x509', iat: now(), jti: 'unsigned' }, { alg: 'none', typ: 'tessera-pop+jwt' })),
          // The issuing CA's key is unknown: the intermediate that holds it was not presented.
          'unknown-key': () => proved(chainedLeaf),
          oversized: async () => x509(BIG, 'a.b.c'),
        },
        // A captured proof of possession is refused the second time (its jti is remembered).
        replay: () => proved(leaf),
      }));
    });

    describe('USERNAME validator', () => {
      const user = (username: string, password: string): Presented => ({
        gql: { type: 'USERNAME', username, password },
        rest: { token_type: 'USERNAME', username, password },
      });
      validatorConformance(() => ({
        kind: 'USERNAME',
        server: () => s,
        instance: 'conf-user',
        output: OIDC_OUT,
        valid: async () => user('conformer', PASSWORD),
        defects: {
          expired: 'a password does not expire',
          'not-yet-valid': 'a password has no validity period',
          'wrong-audience': 'a password names no audience',
          'wrong-issuer': 'a password is checked against the local user store only',
          'bad-signature': async () => user('conformer', 'not-the-password'),
          unsigned: 'a password carries no signature',
          'unknown-key': async () => user('nobody-of-that-name', PASSWORD),
          oversized: async () => user('conformer', BIG),
        },
        replay: 'a password may be presented again (the throttle bounds guesses, not uses)',
      }));
    });

    describe('SESSION validator', () => {
      const session = (token: string): Presented => ({ gql: { type: 'SESSION', sessionToken: token }, rest: { token_type: 'SESSION', session_id: token } });
      validatorConformance(() => ({
        kind: 'SESSION',
        server: () => s,
        instance: 'conf-session',
        output: OIDC_OUT,
        valid: async () => session(await s.login('conformer', PASSWORD)),
        defects: {
          // Logged in a session lifetime ago, by the server's clock.
          expired: async () => session(await clock.during(-3601_000, () => s.login('conformer', PASSWORD))),
          'not-yet-valid': 'a session is valid from its login',
          'wrong-audience': 'a session names no audience',
          'wrong-issuer': 'sessions are this server\'s own',
          'bad-signature': async () => {
            const t = await s.login('conformer', PASSWORD);
            return session(t.slice(0, -4) + (t.endsWith('AAAA') ? 'BBBB' : 'AAAA'));
          },
          unsigned: 'a session token is an opaque random value, not a signed token',
          'unknown-key': async () => session('tsn_' + 'A'.repeat(43)),
          oversized: async () => session(BIG),
        },
        // The instance invalidates the interim session: the same session twice is refused.
        replay: async () => session(await s.login('conformer', PASSWORD)),
      }));
    });

    describe('SAML2 validator', () => {
      const take = (): Presented => {
        const xml = fresh.shift();
        if (!xml) throw new Error('no fresh assertion left');
        return samlAssertion(xml);
      };
      validatorConformance(() => ({
        kind: 'SAML2',
        server: () => s,
        instance: 'conf-saml-in',
        output: OIDC_OUT,
        valid: async () => take(),
        defects: {
          expired: async () => samlAssertion(saml.get('expired')),
          'not-yet-valid': async () => samlAssertion(saml.get('not-yet-valid')),
          'wrong-audience': async () => samlAssertion(saml.get('wrong-audience')),
          'wrong-issuer': async () => samlAssertion(saml.get('wrong-issuer')),
          // Signed by the partner, then its NameID changed.
          'bad-signature': async () => samlAssertion(saml.get('genuine').replace(/(NameID\b[^>]*>)[^<]+/, '$1mallory@partner.test')),
          unsigned: async () => samlAssertion(saml.get('unsigned')),
          // The trusted issuer's name, another key (and that key's certificate in KeyInfo).
          'unknown-key': async () => samlAssertion(saml.get('unknown-key')),
          oversized: async () => samlAssertion(saml.get('oversized')),
        },
        // API.md §8: an assertion ID is accepted once.
        replay: async () => take(),
      }));
    });

    describe('ACCESS_TOKEN validator', () => {
      const at = (claims: Record<string, unknown>, issuer: TestIssuer = atIssuer) => accessToken(issuer.sign(claims, { typ: 'at+jwt' }));
      validatorConformance(() => ({
        kind: 'ACCESS_TOKEN',
        server: () => s,
        instance: 'conf-at',
        output: OIDC_OUT,
        valid: async () => at(atClaims(atIssuer, AT_AUDIENCE)),
        defects: {
          expired: async () => at(atClaims(atIssuer, AT_AUDIENCE, { iat: now() - 7200, exp: now() - 3600 })),
          'not-yet-valid': async () => at(atClaims(atIssuer, AT_AUDIENCE, { nbf: now() + 3600 })),
          'wrong-audience': async () => at(atClaims(atIssuer, 'https://another-api.conformance.test')),
          'wrong-issuer': async () => {
            const other = makeIssuer({ alg: 'ES256' });
            return at(atClaims(other, AT_AUDIENCE), other);
          },
          'bad-signature': async () => {
            const t = atIssuer.sign(atClaims(atIssuer, AT_AUDIENCE), { typ: 'at+jwt' });
            const [h, p, sig] = t.split('.');
            const claims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8'));
            return accessToken(`${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url')}.${sig}`);
          },
          unsigned: async () => accessToken(unsignedToken(atClaims(atIssuer, AT_AUDIENCE), { alg: 'none', typ: 'at+jwt' })),
          'unknown-key': async () => {
            const other = makeIssuer({ alg: 'ES256', issuer: atIssuer.issuer });
            return at(atClaims(atIssuer, AT_AUDIENCE), other);
          },
          oversized: async () => at(atClaims(atIssuer, AT_AUDIENCE, { pad: BIG })),
        },
        replay: 'a JWT access token is a bearer token, presented to every resource server it names until it expires (RFC 9068 and RFC 6750 have no one-time use)',
      }));
    });

    describe('OPENIDCONNECT provider', () => {
      providerConformance(() => ({
        kind: 'OPENIDCONNECT',
        server: () => s,
        instance: 'conf-user',
        input: async () => ({ gql: { type: 'USERNAME', username: 'conformer', password: PASSWORD }, rest: { token_type: 'USERNAME', username: 'conformer', password: PASSWORD } }),
        output: OIDC_OUT,
        validateType: 'OPENIDCONNECT',
        restState: (token) => ({ token_type: 'OPENIDCONNECT', oidc_id_token: token }),
        verifyIndependently: async (token) => {
          await pyjwtVerify(`${s.url}/sts/conf-user/jwks.json`, token, AUD, `${s.url}/sts/conf-user`);
        },
        tamper: (token) => {
          const [h, p, sig] = token.split('.');
          const claims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8'));
          return `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url')}.${sig}`;
        },
        tamperedReason: 'BAD_SIGNATURE',
      }));
    });

    describe('SAML2 provider', () => {
      providerConformance(() => ({
        kind: 'SAML2',
        server: () => s,
        instance: 'conf-user',
        input: async () => ({ gql: { type: 'USERNAME', username: 'conformer', password: PASSWORD }, rest: { token_type: 'USERNAME', username: 'conformer', password: PASSWORD } }),
        output: { gql: { type: 'SAML2' }, rest: { token_type: 'SAML2' } },
        validateType: 'SAML2',
        restState: (token) => ({ token_type: 'SAML2', saml2_token: token }),
        verifyIndependently: async (token) => {
          await verifyAssertion(token, s.url, 'conf-user');
        },
        tamper: (token) => token.replace('>conformer<', '>mallory<'),
        tamperedReason: 'BAD_SIGNATURE',
      }));
    });
  });
}

/**
 * The conformance suite (suite.ts) for the built-in token kinds, on SQLite and PostgreSQL: the validators of
 * OPENIDCONNECT, X509, USERNAME and SESSION, and the providers of OPENIDCONNECT (checked by PyJWT) and SAML2
 * (checked by xmlsec1 and xmllint).
 */
import { after, before, describe } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { makeIssuer, unsignedToken, type TestIssuer } from '../support/oidc.js';
import { makeCa, makeIntermediate, makeLeaf, makeProof, type TestCa, type TestCert } from '../support/pki.js';
import { pyjwtVerify } from '../support/engine.js';
import { verifyAssertion } from '../support/plugins-api.js';
import { TestClock } from '../support/clock.js';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { providerConformance, validatorConformance, type Presented } from './suite.js';

const AUD = 'conformance-rp';
const OIDC_OUT = { gql: { type: 'OPENIDCONNECT' }, rest: { token_type: 'OPENIDCONNECT', allow_access: true } };
const PASSWORD = 'conformance-password';
const BIG = 'x'.repeat(64 * 1024 + 1);
const now = () => Math.floor(Date.now() / 1000);

const idToken = (t: string): Presented => ({ gql: { type: 'OPENIDCONNECT', idToken: t }, rest: { token_type: 'OPENIDCONNECT', oidc_id_token: t } });

async function publishAll(s: TestServer, idp: TestIssuer, ca: TestCa): Promise<void> {
  const instances = [
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
      await publishAll(s, idp, ca);
    });
    after(async () => {
      await s?.destroy();
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

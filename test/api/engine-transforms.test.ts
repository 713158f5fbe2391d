/**
 * The four transforms to OPENIDCONNECT (USERNAME, OPENIDCONNECT, X509, SESSION) end to end, over GraphQL and
 * PingAM's REST JSON; ID token content; every signing algorithm verified by PyJWT from the instance's JWKS;
 * the discovery document.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { makeCa, makeLeaf, makeProof, type TestCa, type TestCert } from '../support/pki.js';
import { makeIssuer, startJwksServer, type JwksServer, type TestIssuer } from '../support/oidc.js';
import {
  createUser,
  decodeJwt,
  errorCode,
  mustTranslate,
  nowSeconds,
  oidcInstance,
  publish,
  pyjwtVerify,
  restUsernameBody,
  translate,
  uniqueName,
} from '../support/engine.js';
import { TestClock } from '../support/clock.js';

const DEMO_PASSWORD = 'changeit';
const ALICE_PASSWORD = 'alice-password-1';

/** The server's clock: tests move it instead of sleeping. */
const clock = new TestClock();

for (const db of DB_KINDS) {
  describe(`engine transforms (${db})`, () => {
    let s: TestServer;
    let ca: TestCa;
    let leaf: TestCert;
    let idp: TestIssuer;
    let jwksServer: JwksServer;
    const inst = uniqueName('all');
    const offloadInst = uniqueName('offload');
    const untrustedInst = uniqueName('untrusted');
    const header = 'x-ssl-client-cert';

    before(async () => {
      [s, ca, jwksServer] = await Promise.all([startServer({ db, clock }), makeCa('Engine Test CA'), startJwksServer()]);
      leaf = await makeLeaf(ca, { cn: 'carol', email: 'carol@example.com' });
      idp = makeIssuer({ alg: 'ES256' });
      jwksServer.setJwks(idp.jwks);
      await createUser(s, 'demo', DEMO_PASSWORD, { attributes: { mail: 'demo@example.com', memberOf: ['staff', 'dev'] } });
      await createUser(s, 'alice', ALICE_PASSWORD, { attributes: { mail: 'alice@example.com', memberOf: ['ops'] } });
      const x509Trust = { caCertificates: [ca.certPem] };
      await publish(
        s,
        oidcInstance(
          inst,
          [{ input: 'USERNAME' }, { input: 'OPENIDCONNECT' }, { input: 'X509' }, { input: 'SESSION' }],
          { oidcTrust: [{ issuer: idp.issuer, audience: ['tessera'], jwksUri: jwksServer.url }], x509Trust },
          { audience: ['rp-client', 'rp-other'], authorizedParty: 'rp-client', claimMap: { email: 'mail', groups: 'memberOf' }, lifetimeSeconds: 300 },
        ),
      );
      await publish(s, oidcInstance(offloadInst, [{ input: 'X509' }], { x509Trust: { ...x509Trust, offloadHeader: header, trustedProxies: ['127.0.0.1'] } }));
      await publish(s, oidcInstance(untrustedInst, [{ input: 'X509' }], { x509Trust: { ...x509Trust, offloadHeader: header, trustedProxies: ['10.9.9.9'] } }));
    });
    after(async () => {
      await jwksServer?.close();
      await s?.destroy();
    });

    test('USERNAME → OPENIDCONNECT over GraphQL: every claim and header', async () => {
      const before = nowSeconds();
      const t = await mustTranslate(s, inst, { type: 'USERNAME', username: 'demo', password: DEMO_PASSWORD }, { type: 'OPENIDCONNECT', nonce: 'n-123' });
      const after = nowSeconds();
      assert.equal(t.type, 'OPENIDCONNECT');
      assert.equal(t.subject, 'demo');
      const { header: h, payload: p } = decodeJwt(t.token);
      assert.equal(h.alg, 'RS256');
      assert.equal(h.typ, 'JWT');
      assert.equal(typeof h.kid, 'string');
      assert.equal(h.jwk, undefined);
      assert.equal(p.iss, `${s.url}/sts/${inst}`);
      assert.equal(p.sub, 'demo');
      assert.deepEqual(p.aud, ['rp-client', 'rp-other']);
      assert.equal(p.azp, 'rp-client');
      assert.ok(p.iat >= before && p.iat <= after, 'iat is now');
      assert.equal(p.exp, p.iat + 300);
      assert.ok(p.auth_time >= before && p.auth_time <= after, 'auth_time is the password check');
      assert.equal(p.nonce, 'n-123');
      assert.equal(p.jti, t.tokenId);
      assert.equal(p.acr, 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport');
      assert.deepEqual(p.amr, ['pwd']);
      assert.equal(p.email, 'demo@example.com');
      assert.deepEqual(p.groups, ['staff', 'dev'], 'a list attribute stays an array');
      assert.equal(new Date(t.issuedAt).getTime(), p.iat * 1000);
      assert.equal(new Date(t.expiresAt).getTime(), p.exp * 1000);
      // A one-element list stays a list too.
      const a = decodeJwt((await mustTranslate(s, inst, { type: 'USERNAME', username: 'alice', password: ALICE_PASSWORD })).token).payload;
      assert.deepEqual(a.groups, ['ops']);
      assert.equal(a.nonce, undefined, 'no nonce asked, none issued');
    });

    test('the PingAM documentation example works unchanged over REST', async () => {
      const body = {
        input_token_state: { token_type: 'USERNAME', username: 'demo', password: 'changeit' },
        output_token_state: { token_type: 'OPENIDCONNECT', nonce: '471564333', allow_access: true },
      };
      const r = await s.rest(inst, 'translate', body);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body), ['issued_token']);
      assert.match(r.body.issued_token, /^eyJ/);
      const p = decodeJwt(r.body.issued_token).payload;
      assert.equal(p.sub, 'demo');
      assert.equal(p.nonce, '471564333');
      // allow_access is required, as in AM.
      const refused = await s.rest(inst, 'translate', { ...body, output_token_state: { token_type: 'OPENIDCONNECT', nonce: '1' } });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.detail.code, 'BAD_USER_INPUT');
    });

    test('OPENIDCONNECT → OPENIDCONNECT over GraphQL and REST (jwksUri on 127.0.0.1)', async () => {
      const authTime = nowSeconds() - 100;
      const idToken = idp.sign(idp.claims('tessera', { sub: 'ext-user', auth_time: authTime, email_verified: true, mail: 'ext@example.org', memberOf: ['x', 'y'] }));
      const t = await mustTranslate(s, inst, { type: 'OPENIDCONNECT', idToken }, { type: 'OPENIDCONNECT', nonce: 'abc' });
      assert.equal(t.subject, 'ext-user');
      const p = decodeJwt(t.token).payload;
      assert.equal(p.sub, 'ext-user');
      assert.equal(p.iss, `${s.url}/sts/${inst}`);
      assert.equal(p.auth_time, authTime, 'auth_time carries over from the input token');
      assert.equal(p.email, 'ext@example.org');
      assert.deepEqual(p.groups, ['x', 'y']);
      assert.equal(p.acr, undefined);
      assert.equal(p.amr, undefined);

      const idToken2 = idp.sign(idp.claims('tessera', { sub: 'ext-rest' }));
      const r = await s.rest(inst, 'translate', {
        input_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: idToken2 },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const p2 = decodeJwt(r.body.issued_token).payload;
      assert.equal(p2.sub, 'ext-rest');
      assert.equal(p2.auth_time, decodeJwt(idToken2).payload.auth_time);
    });

    test('X509 → OPENIDCONNECT over GraphQL with certificate and proof', async () => {
      const iat = nowSeconds() - 10;
      const proof = await makeProof(leaf.privateKey, { aud: inst, iat });
      const t = await mustTranslate(s, inst, { type: 'X509', certificate: leaf.certPem, proof });
      assert.equal(t.subject, 'carol');
      const p = decodeJwt(t.token).payload;
      assert.equal(p.sub, 'carol');
      assert.equal(p.email, 'carol@example.com');
      assert.equal(p.auth_time, iat, "auth_time is the proof's iat");
      assert.equal(p.acr, 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509');
      assert.deepEqual(p.amr, ['pop']);
    });

    test('X509 → OPENIDCONNECT over REST with x509_cert and proof', async () => {
      const proof = await makeProof(leaf.privateKey, { aud: inst });
      const r = await s.rest(inst, 'translate', {
        input_token_state: { token_type: 'X509', x509_cert: leaf.certDerB64, proof },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(decodeJwt(r.body.issued_token).payload.sub, 'carol');
      // The same proof a second time is a replay.
      const again = await s.rest(inst, 'translate', {
        input_token_state: { token_type: 'X509', x509_cert: leaf.certPem, proof },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(again.status, 401);
      assert.equal(again.body.detail.code, 'INVALID_TOKEN');
    });

    test('X509 over REST from the offload header of a trusted proxy (127.0.0.1)', async () => {
      const body = { input_token_state: { token_type: 'X509' }, output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true } };
      const r = await s.rest(offloadInst, 'translate', body, { [header]: leaf.certDerB64 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const p = decodeJwt(r.body.issued_token).payload;
      assert.equal(p.sub, 'carol');
      assert.equal(p.iss, `${s.url}/sts/${offloadInst}`);
      // A certificate from another CA in the header is still checked against the trust anchors.
      const other = await makeLeaf(await makeCa('Other CA'), { cn: 'mallory' });
      const bad = await s.rest(offloadInst, 'translate', body, { [header]: other.certDerB64 });
      assert.equal(bad.status, 401);
      assert.equal(bad.body.detail.code, 'INVALID_TOKEN');
      // The header counts over REST only: GraphQL still needs a proof.
      const g = await translate(s, offloadInst, { type: 'X509', certificate: leaf.certPem }, { type: 'OPENIDCONNECT' }, null);
      assert.equal(errorCode(g), 'INVALID_TOKEN');
    });

    test('the offload header from an address that is not a trusted proxy is ignored', async () => {
      const body = { input_token_state: { token_type: 'X509' }, output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true } };
      const r = await s.rest(untrustedInst, 'translate', body, { [header]: leaf.certDerB64, 'x-forwarded-for': '10.9.9.9' });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.detail.code, 'BAD_USER_INPUT');
      assert.equal(r.body.issued_token, undefined);
      // With x509_cert but no proof, the ignored header does not stand in for the proof either.
      const r2 = await s.rest(untrustedInst, 'translate', { ...body, input_token_state: { token_type: 'X509', x509_cert: leaf.certDerB64 } }, { [header]: leaf.certDerB64 });
      assert.equal(r2.status, 401);
      assert.equal(r2.body.detail.code, 'INVALID_TOKEN');
    });

    test('SESSION → OPENIDCONNECT over GraphQL: auth_time is the login time, not the translate time', async () => {
      // The login happens 1.1 s in the server's past.
      const t0 = Math.floor((Date.now() - 1100) / 1000);
      const session = await clock.during(-1100, () => s.login('alice', ALICE_PASSWORD));
      const t1 = Math.floor((Date.now() - 1100) / 1000);
      const t = await mustTranslate(s, inst, { type: 'SESSION', sessionToken: session });
      const p = decodeJwt(t.token).payload;
      assert.equal(p.sub, 'alice');
      assert.ok(p.auth_time >= t0 && p.auth_time <= t1, `auth_time ${p.auth_time} is the login (${t0}..${t1})`);
      assert.ok(p.iat > p.auth_time, 'issued after the login');
      assert.equal(p.acr, 'urn:oasis:names:tc:SAML:2.0:ac:classes:PreviousSession');
      assert.equal(p.email, 'alice@example.com');
    });

    test('SESSION over REST: OPENAM and SESSION token types with session_id', async () => {
      const session = await s.login('alice', ALICE_PASSWORD);
      for (const tokenType of ['OPENAM', 'SESSION']) {
        const r = await s.rest(inst, 'translate', {
          input_token_state: { token_type: tokenType, session_id: session },
          output_token_state: { token_type: 'OPENIDCONNECT', nonce: 'x', allow_access: true },
        });
        assert.equal(r.status, 200, `${tokenType}: ${JSON.stringify(r.body)}`);
        assert.equal(decodeJwt(r.body.issued_token).payload.sub, 'alice');
      }
      const bad = await s.rest(inst, 'translate', {
        input_token_state: { token_type: 'OPENAM', session_id: 'tsn_not-a-session' },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(bad.status, 401);
      assert.equal(bad.body.detail.code, 'INVALID_TOKEN');
    });

    for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA'] as const) {
      test(`${alg}: PyJWT verifies the ID token with the instance's jwks.json only; discovery matches`, async () => {
        const name = uniqueName(alg.toLowerCase());
        const published = await publish(s, oidcInstance(name, [{ input: 'USERNAME' }], {}, { signatureAlgorithm: alg, audience: ['rp-a'] }));
        const t = await mustTranslate(s, name, { type: 'USERNAME', username: 'demo', password: DEMO_PASSWORD });
        const { header: h, payload: p } = decodeJwt(t.token);
        assert.equal(h.alg, alg);
        assert.equal(h.typ, 'JWT');
        const iss = `${s.url}/sts/${name}`;
        assert.equal(published.oidc?.issuer, iss);
        assert.equal(published.endpoints.jwks, `${iss}/jwks.json`);

        const jwks = (await (await fetch(`${iss}/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> };
        const key = jwks.keys.find((k) => k.kid === h.kid);
        assert.ok(key, 'the header kid is published');
        assert.equal(key.alg, alg);
        assert.equal(key.d, undefined, 'no private member');

        const claims = await pyjwtVerify(`${iss}/jwks.json`, t.token, 'rp-a', iss);
        assert.equal(claims.sub, 'demo');
        assert.equal(claims.jti, p.jti);
        // PyJWT refuses a wrong audience and a wrong issuer: the check is real.
        await assert.rejects(pyjwtVerify(`${iss}/jwks.json`, t.token, 'rp-b', iss));
        await assert.rejects(pyjwtVerify(`${iss}/jwks.json`, t.token, 'rp-a', `${iss}x`));

        const disco = await fetch(`${iss}/.well-known/openid-configuration`);
        assert.equal(disco.status, 200);
        const d = (await disco.json()) as Record<string, any>;
        assert.equal(d.issuer, iss);
        assert.equal(d.issuer, p.iss);
        assert.equal(d.jwks_uri, `${iss}/jwks.json`);
        assert.deepEqual(d.id_token_signing_alg_values_supported, [alg]);
        assert.ok(Array.isArray(d.subject_types_supported) && d.subject_types_supported.includes('public'));
        assert.ok(Array.isArray(d.response_types_supported) && d.response_types_supported.includes('id_token'));
      });
    }

    test('HS256 with the instance client secret: PyJWT verifies it with that secret; no key is published', async () => {
      const name = uniqueName('hs256');
      const secret = 'hs256-client-secret-of-at-least-32-bytes!';
      await publish(s, oidcInstance(name, [{ input: 'USERNAME' }], {}, { signatureAlgorithm: 'HS256', clientSecret: secret, audience: ['rp-h'] }));
      const t = await mustTranslate(s, name, { type: 'USERNAME', username: 'demo', password: DEMO_PASSWORD });
      const { header: h } = decodeJwt(t.token);
      assert.equal(h.alg, 'HS256');
      assert.equal(h.typ, 'JWT');
      const iss = `${s.url}/sts/${name}`;
      const claims = await pyjwtVerify('-', t.token, 'rp-h', iss, secret);
      assert.equal(claims.sub, 'demo');
      await assert.rejects(pyjwtVerify('-', t.token, 'rp-h', iss, `${secret}-wrong`));
      const jwks = (await (await fetch(`${iss}/jwks.json`)).json()) as { keys: unknown[] };
      assert.deepEqual(jwks.keys, []);
      // The secret is write-only: it is never returned.
      const got = await s.gql(`query($n: String!) { instance(name: $n) { hasClientSecret oidc { hasClientSecret } } }`, { n: name }, s.adminToken);
      assert.equal(got.data?.instance.hasClientSecret, true);
      assert.ok(!JSON.stringify(got).includes(secret));
    });

    test('a configured issuer replaces the default one', async () => {
      const name = uniqueName('iss');
      await publish(s, oidcInstance(name, [{ input: 'USERNAME' }], {}, { issuer: 'https://sts.example.com/custom' }));
      const p = decodeJwt((await mustTranslate(s, name, { type: 'USERNAME', username: 'demo', password: DEMO_PASSWORD })).token).payload;
      assert.equal(p.iss, 'https://sts.example.com/custom');
      assert.equal(p.azp, undefined, 'azp only when configured');
      const d = (await (await fetch(`${s.url}/sts/${name}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      assert.equal(d.issuer, 'https://sts.example.com/custom');
    });

    test('REST USERNAME with a wrong password is 401 INVALID_TOKEN with a PingAM body', async () => {
      await createUser(s, 'rest-wrong', 'right-password-1');
      const r = await s.rest(inst, 'translate', restUsernameBody('rest-wrong', 'wrong-password'));
      assert.equal(r.status, 401);
      assert.equal(r.body.code, 401);
      assert.equal(r.body.reason, 'Unauthorized');
      assert.equal(typeof r.body.message, 'string');
      assert.equal(r.body.detail.code, 'INVALID_TOKEN');
    });
  });
}

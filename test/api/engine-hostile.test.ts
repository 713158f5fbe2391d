/**
 * Hostile input to translateToken: forged, misdirected, expired and replayed tokens, certificates and proofs,
 * each refused with its error code and no token; oversized tokens; aliased brute force and the password
 * throttle shared with login; unsupported transforms, unknown instances, callerRoles and REST actions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { makeCa, makeIntermediate, makeLeaf, makeProof, type TestCa, type TestCert } from '../support/pki.js';
import { compactJws, makeIssuer, rawSignature, unsignedToken, type TestIssuer } from '../support/oidc.js';
import {
  GQL,
  auditEvents,
  createUser,
  decodeJwt,
  errorCode,
  mustTranslate,
  nowSeconds,
  oidcInstance,
  ok,
  publish,
  restUsernameBody,
  tamperPayload,
  translate,
  uniqueName,
  validate,
} from '../support/engine.js';

const DAY = 86400_000;
const PASSWORD = 'hostile-password-1';
const MAX_FAILURES = 5;

type Input = Record<string, unknown>;

for (const db of DB_KINDS) {
  describe(`engine hostile input (${db})`, () => {
    let s: TestServer;
    let ca: TestCa;
    let leaf: TestCert;
    let idp: TestIssuer;
    let stranger: TestIssuer;
    const inst = uniqueName('hostile');
    const rolesInst = uniqueName('roles');
    const aliasInst = uniqueName('alias');

    before(async () => {
      [s, ca] = await Promise.all([startServer({ db, env: { TESSERA_AUTH_MAX_FAILURES: String(MAX_FAILURES) } }), makeCa('Hostile Test CA')]);
      leaf = await makeLeaf(ca, { cn: 'carol' });
      idp = makeIssuer({ alg: 'RS256' });
      stranger = makeIssuer({ alg: 'RS256' });
      await createUser(s, 'alice', PASSWORD, { attributes: { mail: 'alice-local@corp.example', memberOf: ['admins'] } });
      await createUser(s, 'demo', PASSWORD, { roles: ['sts-client'] });
      await createUser(s, 'outsider', PASSWORD, { roles: ['other'] });
      await publish(
        s,
        oidcInstance(
          inst,
          [{ input: 'USERNAME' }, { input: 'OPENIDCONNECT' }, { input: 'X509' }, { input: 'SESSION' }],
          { oidcTrust: [{ issuer: idp.issuer, audience: ['tessera'], jwks: idp.jwks }], x509Trust: { caCertificates: [ca.certPem] } },
          { claimMap: { email: 'mail', groups: 'memberOf' } },
        ),
      );
      await publish(s, oidcInstance(rolesInst, [{ input: 'USERNAME' }], { callerRoles: ['sts-client'] }));
      await publish(s, oidcInstance(aliasInst, [{ input: 'USERNAME' }]));
    });
    after(async () => {
      await s?.destroy();
    });

    const claims = (extra: Record<string, unknown> = {}) => idp.claims('tessera', extra);
    const oidcIn = (idToken: string): Input => ({ type: 'OPENIDCONNECT', idToken });
    const x509In = (cert: TestCert, proof?: string): Input => ({ type: 'X509', certificate: cert.certPem, ...(proof === undefined ? {} : { proof }) });

    async function refused(input: Input, code: string, output: Input = { type: 'OPENIDCONNECT' }): Promise<void> {
      const r = await translate(s, inst, input, output);
      assert.equal(errorCode(r), code, JSON.stringify(r.errors));
      assert.equal(r.data?.translateToken ?? null, null, 'no token');
    }

    const table: Array<[string, () => Promise<Input>, string]> = [
      ['OIDC alg none', async () => oidcIn(unsignedToken(claims())), 'INVALID_TOKEN'],
      [
        "OIDC HS256 signed with the issuer's RSA public key",
        async () => {
          const pem = Buffer.from(idp.publicKey!.export({ type: 'spki', format: 'pem' }) as string);
          return oidcIn(compactJws({ alg: 'HS256', typ: 'JWT', kid: idp.kid }, claims(), (si) => rawSignature('HS256', si, pem)));
        },
        'INVALID_TOKEN',
      ],
      ['OIDC wrong issuer (near miss of a trusted one)', async () => oidcIn(idp.sign(claims({ iss: `${idp.issuer}/` }))), 'INVALID_TOKEN'],
      ['OIDC untrusted issuer', async () => oidcIn(stranger.sign(stranger.claims('tessera'))), 'INVALID_TOKEN'],
      ['OIDC untrusted key claiming a trusted issuer', async () => oidcIn(stranger.sign(claims(), { kid: idp.kid })), 'INVALID_TOKEN'],
      ['OIDC wrong audience', async () => oidcIn(idp.sign(idp.claims('someone-else'))), 'INVALID_TOKEN'],
      ['OIDC expired', async () => oidcIn(idp.sign(claims({ iat: nowSeconds() - 900, exp: nowSeconds() - 120 }))), 'INVALID_TOKEN'],
      ['OIDC not yet valid (nbf)', async () => oidcIn(idp.sign(claims({ nbf: nowSeconds() + 600 }))), 'INVALID_TOKEN'],
      ['OIDC issued in the future (iat)', async () => oidcIn(idp.sign(claims({ iat: nowSeconds() + 600, exp: nowSeconds() + 900 }))), 'INVALID_TOKEN'],
      ['OIDC tampered payload', async () => oidcIn(tamperPayload(idp.sign(claims()), (p) => (p.sub = 'admin'))), 'INVALID_TOKEN'],
      ['OIDC unknown kid', async () => oidcIn(idp.sign(claims(), { kid: 'no-such-kid' })), 'INVALID_TOKEN'],
      ['OIDC jku header', async () => oidcIn(idp.sign(claims(), { jku: 'http://127.0.0.1:9/jwks.json' })), 'INVALID_TOKEN'],
      ['OIDC embedded jwk (even the right key)', async () => oidcIn(idp.sign(claims(), { jwk: idp.jwks.keys[0] })), 'INVALID_TOKEN'],
      ['OIDC x5u header', async () => oidcIn(idp.sign(claims(), { x5u: 'http://127.0.0.1:9/cert.pem' })), 'INVALID_TOKEN'],
      ['OIDC typ at+jwt', async () => oidcIn(idp.sign(claims(), { typ: 'at+jwt' })), 'INVALID_TOKEN'],
      ['OIDC without sub', async () => oidcIn(idp.sign(claims({ sub: undefined }))), 'INVALID_TOKEN'],
      ['OIDC without exp', async () => oidcIn(idp.sign(claims({ exp: undefined }))), 'INVALID_TOKEN'],
      ['OIDC not a JWS', async () => oidcIn('definitely.not.a-token'), 'INVALID_TOKEN'],
      ['OIDC token over 64 KiB', async () => oidcIn(`eyJ${'A'.repeat(64 * 1024)}`), 'BAD_USER_INPUT'],
      ['X509 certificate from another CA', async () => {
        const other = await makeLeaf(await makeCa('Other CA'), { cn: 'carol' });
        return x509In(other, await makeProof(other.privateKey, { aud: inst }));
      }, 'INVALID_TOKEN'],
      ['X509 expired certificate', async () => {
        const old = await makeLeaf(ca, { cn: 'carol', notBefore: new Date(Date.now() - 3 * DAY), notAfter: new Date(Date.now() - DAY) });
        return x509In(old, await makeProof(old.privateKey, { aud: inst }));
      }, 'INVALID_TOKEN'],
      ['X509 CA certificate as the leaf (intermediate)', async () => {
        const sub = await makeIntermediate(ca, { name: 'carol' });
        return x509In(sub, await makeProof(sub.privateKey, { aud: inst }));
      }, 'INVALID_TOKEN'],
      ['X509 the trust anchor itself as the leaf', async () => x509In(ca, await makeProof(ca.privateKey, { aud: inst })), 'INVALID_TOKEN'],
      ['X509 leaf marked cA', async () => {
        const l = await makeLeaf(ca, { cn: 'carol', isCa: true });
        return x509In(l, await makeProof(l.privateKey, { aud: inst }));
      }, 'INVALID_TOKEN'],
      ['X509 proof signed by another key', async () => {
        const other = await makeLeaf(ca, { cn: 'mallory' });
        return x509In(leaf, await makeProof(other.privateKey, { aud: inst }));
      }, 'INVALID_TOKEN'],
      ['X509 proof without typ', async () => x509In(leaf, await makeProof(leaf.privateKey, { aud: inst, typ: null })), 'INVALID_TOKEN'],
      ['X509 proof with another typ', async () => x509In(leaf, await makeProof(leaf.privateKey, { aud: inst, typ: 'JWT' })), 'INVALID_TOKEN'],
      ['X509 proof dated in the future', async () => x509In(leaf, await makeProof(leaf.privateKey, { aud: inst, iat: nowSeconds() + 600 })), 'INVALID_TOKEN'],
      ['X509 proof too old', async () => x509In(leaf, await makeProof(leaf.privateKey, { aud: inst, iat: nowSeconds() - 600 })), 'INVALID_TOKEN'],
      ['X509 proof for another instance', async () => x509In(leaf, await makeProof(leaf.privateKey, { aud: 'some-other-instance' })), 'INVALID_TOKEN'],
      ['X509 proof with an embedded jwk', async () => x509In(leaf, await makeProof(leaf.privateKey, { aud: inst, header: { jwk: leaf.publicKey.export({ format: 'jwk' }) } })), 'INVALID_TOKEN'],
      ['X509 missing proof', async () => x509In(leaf), 'INVALID_TOKEN'],
      ['X509 not a certificate', async () => ({ type: 'X509', certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', proof: 'a.b.c' }), 'INVALID_TOKEN'],
      ['SESSION unknown session', async () => ({ type: 'SESSION', sessionToken: 'tsn_made-up-session-token' }), 'INVALID_TOKEN'],
      ['SESSION token over 64 KiB', async () => ({ type: 'SESSION', sessionToken: 'x'.repeat(64 * 1024 + 1) }), 'BAD_USER_INPUT'],
      ['USERNAME password over 64 KiB', async () => ({ type: 'USERNAME', username: 'alice', password: 'p'.repeat(64 * 1024 + 1) }), 'BAD_USER_INPUT'],
      ['USERNAME unknown user', async () => ({ type: 'USERNAME', username: 'nobody-here', password: PASSWORD }), 'INVALID_TOKEN'],
      ['SAML2 as input on an instance with no SAML2 transform', async () => ({ type: 'SAML2', samlAssertion: '<saml:Assertion/>' }), 'UNSUPPORTED_TRANSFORM'],
    ];
    for (const [name, make, code] of table) {
      test(`refused: ${name} → ${code}`, async () => refused(await make(), code));
    }

    test('refused: a replayed X.509 proof', async () => {
      const proof = await makeProof(leaf.privateKey, { aud: inst });
      await mustTranslate(s, inst, x509In(leaf, proof));
      await refused(x509In(leaf, proof), 'INVALID_TOKEN');
      // A fresh proof still works: the certificate is not blocked, only the jti.
      await mustTranslate(s, inst, x509In(leaf, await makeProof(leaf.privateKey, { aud: inst })));
    });

    test('refused: an ended session', async () => {
      const session = await s.login('alice', PASSWORD);
      await mustTranslate(s, inst, { type: 'SESSION', sessionToken: session });
      assert.equal(ok(await s.gql(GQL.logout, {}, session)).logout, true);
      await refused({ type: 'SESSION', sessionToken: session }, 'INVALID_TOKEN');
    });

    test('a genuine token from the trusted issuer passes (the table is not refusing everything)', async () => {
      const t = await mustTranslate(s, inst, oidcIn(idp.sign(claims({ sub: 'bob' }))));
      assert.equal(decodeJwt(t.token).payload.sub, 'bob');
    });

    test("an external sub equal to a local username gets none of the local user's attributes", async () => {
      const t = await mustTranslate(s, inst, oidcIn(idp.sign(claims({ sub: 'alice' }))));
      assert.equal(t.subject, 'alice');
      const p = decodeJwt(t.token).payload;
      assert.equal(p.sub, 'alice');
      assert.equal(p.email, undefined, 'no local mail');
      assert.equal(p.groups, undefined, 'no local groups');
      assert.ok(!t.token.includes('alice-local') && !JSON.stringify(p).includes('alice-local'));
      assert.ok(!JSON.stringify(p).includes('admins'));
      // With its own claims, only those appear.
      const t2 = await mustTranslate(s, inst, oidcIn(idp.sign(claims({ sub: 'alice', mail: 'alice@external.example' }))));
      const p2 = decodeJwt(t2.token).payload;
      assert.equal(p2.email, 'alice@external.example');
      assert.equal(p2.groups, undefined);
    });

    test('50 aliased translate calls in one request are refused by the alias limit before any password check', async () => {
      await createUser(s, 'alias-victim', PASSWORD);
      const fields = Array.from({ length: 50 }, (_, i) =>
        `a${i}: translateToken(instance: $n, input: { type: USERNAME, username: "alias-victim", password: "guess-${i}" }, output: { type: OPENIDCONNECT }) { token }`,
      );
      const r = await s.gql(`mutation($n: String!) { ${fields.join('\n')} }`, { n: aliasInst });
      assert.equal(errorCode(r), 'BAD_USER_INPUT', JSON.stringify(r.errors));
      assert.match(r.errors![0].message, /alias/i);
      assert.equal(r.data, undefined, 'nothing executed');
      const events = (await auditEvents(s, aliasInst)).filter((e) => e.action === 'translate');
      assert.equal(events.length, 0, 'no password was checked');
      // The victim's correct password still works: no failure was counted.
      await mustTranslate(s, aliasInst, { type: 'USERNAME', username: 'alias-victim', password: PASSWORD });
    });

    test(`aliases within the limit cannot multiply guesses: at most ${MAX_FAILURES} password checks, then RATE_LIMITED`, async () => {
      await createUser(s, 'alias-victim2', PASSWORD);
      const n = 15;
      const fields = Array.from({ length: n }, (_, i) =>
        `a${i}: translateToken(instance: $n, input: { type: USERNAME, username: "alias-victim2", password: "guess-${i}" }, output: { type: OPENIDCONNECT }) { token }`,
      );
      const doc = `mutation($n: String!) { ${fields.join('\n')} }`;
      const seen: unknown[] = [];
      for (let round = 0; round < MAX_FAILURES + 2; round++) {
        const r = await s.gql(doc, { n: aliasInst });
        // Mutation fields run one after the other, and translateToken is non-null: the first failure ends
        // the request, so one request checks one password.
        assert.equal(r.data ?? null, null);
        assert.equal(r.errors?.length, 1, JSON.stringify(r.errors));
        seen.push(errorCode(r));
      }
      assert.deepEqual(seen, [...Array(MAX_FAILURES).fill('INVALID_TOKEN'), 'RATE_LIMITED', 'RATE_LIMITED']);
      const checks = (await auditEvents(s, aliasInst)).filter((e) => e.action === 'translate' && e.outcome === 'INVALID_TOKEN');
      assert.equal(checks.length, MAX_FAILURES, 'no more password checks than the limit');
      // And the right password is refused now too.
      const r = await translate(s, aliasInst, { type: 'USERNAME', username: 'alias-victim2', password: PASSWORD }, { type: 'OPENIDCONNECT' });
      assert.equal(errorCode(r), 'RATE_LIMITED');
    });

    test(`concurrent requests cannot multiply guesses either: at most ${MAX_FAILURES} password checks`, async () => {
      await createUser(s, 'parallel-victim', PASSWORD);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          translate(s, inst, { type: 'USERNAME', username: 'parallel-victim', password: `guess-${i}` }, { type: 'OPENIDCONNECT' }),
        ),
      );
      const codes = results.map((r) => errorCode(r));
      const checked = codes.filter((c) => c === 'INVALID_TOKEN').length;
      assert.ok(checked >= 1 && checked <= MAX_FAILURES, `password checks: ${checked} (${codes.join(',')})`);
      assert.equal(codes.filter((c) => c === 'RATE_LIMITED').length, 20 - checked);
      assert.equal(errorCode(await s.gql(GQL.login, { u: 'parallel-victim', p: PASSWORD })), 'RATE_LIMITED');
    });

    test('USERNAME throttling is shared with login; REST answers 429 with Retry-After', async () => {
      await createUser(s, 'throttled', PASSWORD);
      for (let i = 0; i < MAX_FAILURES; i++) {
        const r = await translate(s, inst, { type: 'USERNAME', username: 'throttled', password: `wrong-${i}` }, { type: 'OPENIDCONNECT' });
        assert.equal(errorCode(r), 'INVALID_TOKEN', `attempt ${i}`);
      }
      const login = await s.gql(GQL.login, { u: 'throttled', p: PASSWORD });
      assert.equal(errorCode(login), 'RATE_LIMITED', 'login with the correct password is throttled');
      const t = await translate(s, inst, { type: 'USERNAME', username: 'throttled', password: PASSWORD }, { type: 'OPENIDCONNECT' });
      assert.equal(errorCode(t), 'RATE_LIMITED');
      const rest = await s.rest(inst, 'translate', restUsernameBody('throttled', PASSWORD));
      assert.equal(rest.status, 429);
      assert.equal(rest.body.code, 429);
      assert.equal(rest.body.detail.code, 'RATE_LIMITED');
      assert.match(rest.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
      assert.equal(rest.body.issued_token, undefined);

      // The other way round: failed logins throttle USERNAME input.
      await createUser(s, 'throttled2', PASSWORD);
      for (let i = 0; i < MAX_FAILURES; i++) assert.equal(errorCode(await s.gql(GQL.login, { u: 'throttled2', p: `wrong-${i}` })), 'UNAUTHENTICATED');
      assert.equal(errorCode(await translate(s, inst, { type: 'USERNAME', username: 'throttled2', password: PASSWORD }, { type: 'OPENIDCONNECT' })), 'RATE_LIMITED');
    });

    test('an unsupported transform is UNSUPPORTED_TRANSFORM over GraphQL and REST', async () => {
      const r = await translate(s, aliasInst, { type: 'SESSION', sessionToken: 'tsn_x' }, { type: 'OPENIDCONNECT' });
      assert.equal(errorCode(r), 'UNSUPPORTED_TRANSFORM');
      const saml = await translate(s, inst, { type: 'USERNAME', username: 'alice', password: PASSWORD }, { type: 'SAML2' });
      assert.equal(errorCode(saml), 'UNSUPPORTED_TRANSFORM');
      const rest = await s.rest(aliasInst, 'translate', {
        input_token_state: { token_type: 'OPENAM', session_id: 'tsn_x' },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(rest.status, 400);
      assert.equal(rest.body.detail.code, 'UNSUPPORTED_TRANSFORM');
      const samlIn = await s.rest(aliasInst, 'translate', {
        input_token_state: { token_type: 'SAML2', saml2_token: '<x/>' },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(samlIn.status, 400);
      assert.equal(samlIn.body.detail.code, 'UNSUPPORTED_TRANSFORM');
    });

    test('an unknown instance is NOT_FOUND; over REST 404 with the PingAM body', async () => {
      const input = { type: 'USERNAME', username: 'alice', password: PASSWORD };
      assert.equal(errorCode(await translate(s, 'no-such-instance', input, { type: 'OPENIDCONNECT' })), 'NOT_FOUND');
      assert.equal(errorCode(await validate(s, 'no-such-instance', 'a.b.c')), 'NOT_FOUND');
      assert.equal(errorCode(await s.gql(GQL.cancel, { n: 'no-such-instance', t: 'OPENIDCONNECT', tok: 'a.b.c' })), 'NOT_FOUND');
      for (const [action, body] of [
        ['translate', restUsernameBody('alice', PASSWORD)],
        ['validate', { validated_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: 'a.b.c' } }],
        ['cancel', { cancelled_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: 'a.b.c' } }],
      ] as const) {
        const r = await s.rest('no-such-instance', action, body);
        assert.equal(r.status, 404, action);
        assert.deepEqual(Object.keys(r.body).sort(), ['code', 'detail', 'message', 'reason']);
        assert.equal(r.body.code, 404);
        assert.equal(r.body.reason, 'Not Found');
        assert.equal(typeof r.body.message, 'string');
        assert.deepEqual(r.body.detail, { code: 'NOT_FOUND' });
      }
    });

    test('callerRoles: anonymous UNAUTHENTICATED, wrong role FORBIDDEN, right role OK (GraphQL and REST)', async () => {
      const input = { type: 'USERNAME', username: 'demo', password: PASSWORD };
      const out = { type: 'OPENIDCONNECT' };
      assert.equal(errorCode(await translate(s, rolesInst, input, out)), 'UNAUTHENTICATED');
      const outsider = await s.login('outsider', PASSWORD);
      assert.equal(errorCode(await translate(s, rolesInst, input, out, outsider)), 'FORBIDDEN');
      const client = await s.login('demo', PASSWORD);
      const t = await mustTranslate(s, rolesInst, input, out, client);
      assert.equal(t.subject, 'demo');
      assert.equal(errorCode(await translate(s, rolesInst, input, out, 'tsn_bogus')), 'UNAUTHENTICATED');
      // validate and cancel are guarded the same way.
      assert.equal(errorCode(await validate(s, rolesInst, t.token)), 'UNAUTHENTICATED');
      assert.equal(errorCode(await validate(s, rolesInst, t.token, { as: outsider })), 'FORBIDDEN');
      assert.equal(ok(await validate(s, rolesInst, t.token, { as: client })).validateToken.valid, true);
      assert.equal(errorCode(await s.gql(GQL.cancel, { n: rolesInst, t: 'OPENIDCONNECT', tok: t.token }, outsider)), 'FORBIDDEN');

      const body = restUsernameBody('demo', PASSWORD);
      const anon = await s.rest(rolesInst, 'translate', body);
      assert.equal(anon.status, 401);
      assert.equal(anon.body.detail.code, 'UNAUTHENTICATED');
      const wrong = await s.rest(rolesInst, 'translate', body, { authorization: `Bearer ${outsider}` });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.detail.code, 'FORBIDDEN');
      const right = await s.rest(rolesInst, 'translate', body, { authorization: `Bearer ${client}` });
      assert.equal(right.status, 200, JSON.stringify(right.body));
      assert.match(right.body.issued_token, /^eyJ/);
    });

    test('REST: an unknown or missing _action is 400', async () => {
      const body = restUsernameBody('alice', PASSWORD);
      for (const action of ['issue', 'TRANSLATE', '']) {
        const r = await s.rest(inst, action, body);
        assert.equal(r.status, 400, `_action=${action}`);
        assert.equal(r.body.code, 400);
        assert.equal(r.body.detail.code, 'BAD_USER_INPUT');
        assert.equal(r.body.issued_token, undefined);
      }
    });

    test('REST: a token field over 64 KiB is 400 BAD_USER_INPUT', async () => {
      const r = await s.rest(inst, 'translate', {
        input_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: 'e'.repeat(64 * 1024 + 1) },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.detail.code, 'BAD_USER_INPUT');
    });
  });
}

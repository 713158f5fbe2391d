/**
 * Hostile text and dates at both doors, on SQLite and PostgreSQL: control characters never reach the database
 * (typed BAD_USER_INPUT naming the argument, or the answer for a wrong credential), passwords with control
 * characters are refused when set, usernames are unique without regard to case, and NumericDates outside a
 * sane range are INVALID_TOKEN instead of `auth_time: null` or INTERNAL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { codeOf, DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { createUser, decodeJwt, oidcInstance, publish, restUsernameBody, translate, uniqueName } from '../support/engine.js';
import { makeIssuer, type TestIssuer } from '../support/oidc.js';

const PASSWORD = 'hardening-password';
const NUL = '\u0000';

for (const db of DB_KINDS) {
  describe(`hostile input on ${db}`, () => {
    let s: TestServer;
    let idp: TestIssuer;
    const oidcOut = uniqueName('h-oidc');
    const samlOut = uniqueName('h-saml');

    before(async () => {
      s = await startServer({ db });
      idp = makeIssuer({ alg: 'ES256' });
      const trust = { oidcTrust: [{ issuer: idp.issuer, audience: ['tessera'], jwks: idp.jwks }] };
      await publish(s, oidcInstance(oidcOut, [{ input: 'USERNAME' }, { input: 'OPENIDCONNECT' }], trust));
      await publish(s, {
        name: samlOut,
        transforms: [{ input: 'USERNAME', output: 'SAML2' }, { input: 'OPENIDCONNECT', output: 'SAML2' }],
        saml2: { issuer: 'https://idp.example.com', spEntityId: 'https://sp.example.com' },
        ...trust,
      });
      await createUser(s, 'victim', PASSWORD);
    });
    after(async () => {
      await s?.destroy();
    });

    // Every string argument that reaches a query, with a NUL and with other control characters.
    const lookups: Array<[string, string, (v: string) => Record<string, unknown>, string]> = [
      ['instance(name:)', 'query($v: String!) { instance(name: $v) { name } }', (v) => ({ v }), 'name'],
      ['deleteUser(username:)', 'mutation($v: String!) { deleteUser(username: $v) }', (v) => ({ v }), 'username'],
      ['issuedTokens(subject:)', 'query($v: String) { issuedTokens(subject: $v) { tokenId } }', (v) => ({ v }), 'subject'],
      ['issuedTokens(instance:)', 'query($v: String) { issuedTokens(instance: $v) { tokenId } }', (v) => ({ v }), 'instance'],
      ['issuedTokens(after:)', 'query($v: String) { issuedTokens(after: $v) { tokenId } }', (v) => ({ v }), 'after'],
      ['auditEvents(instance:)', 'query($v: String) { auditEvents(instance: $v) { action } }', (v) => ({ v }), 'instance'],
      ['deleteInstance(name:)', 'mutation($v: String!) { deleteInstance(name: $v) }', (v) => ({ v }), 'name'],
      ['rotateKey(kid:)', 'mutation($v: String!) { rotateKey(kid: $v) { kid } }', (v) => ({ v }), 'kid'],
      ['retireKey(kid:)', 'mutation($v: String!) { retireKey(kid: $v) { kid } }', (v) => ({ v }), 'kid'],
      ['generateKey(algorithm:)', 'mutation($v: String!) { generateKey(algorithm: $v) { kid } }', (v) => ({ v }), 'algorithm'],
      ['translateToken(instance:)', 'mutation($v: String!) { translateToken(instance: $v, input: { type: USERNAME, username: "victim", password: "x" }, output: { type: OPENIDCONNECT }) { token } }', (v) => ({ v }), 'instance'],
      ['validateToken(instance:)', 'mutation($v: String!) { validateToken(instance: $v, type: OPENIDCONNECT, token: "x") { valid } }', (v) => ({ v }), 'instance'],
      ['cancelToken(instance:)', 'mutation($v: String!) { cancelToken(instance: $v, type: OPENIDCONNECT, token: "x") }', (v) => ({ v }), 'instance'],
      ['updateInstance(name:)', 'mutation($v: String!, $i: InstanceInput!) { updateInstance(name: $v, input: $i) { name } }', (v) => ({ v, i: { name: 'x', transforms: [] } }), 'name'],
      ['publishInstance(input.saml2.issuer)', 'mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }', (v) => ({ i: { name: 'nul-saml', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { issuer: `https://idp${v}.example.com`, spEntityId: 'sp' } } }), 'input.saml2.issuer'],
      ['publishInstance(input.saml2.attributeMap)', 'mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }', (v) => ({ i: { name: 'nul-map', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { issuer: 'i', spEntityId: 'sp', attributeMap: { mail: `m${v}` } } } }), 'input.saml2.attributeMap.mail'],
      ['createUser(input.attributes)', 'mutation($i: UserInput!) { createUser(input: $i) { id } }', (v) => ({ i: { username: 'attr-user', password: PASSWORD, attributes: { memberOf: ['ok', `x${v}`] } } }), 'input.attributes.memberOf[1]'],
    ];
    for (const [label, query, vars, field] of lookups) {
      test(`${label} with a control character is BAD_USER_INPUT naming ${field}`, async () => {
        for (const bad of [`a${NUL}b`, `${NUL}`, 'a\u001bb', 'a\u007fb', 'a\u0085b']) {
          const r = await s.gql(query, vars(bad), s.adminToken);
          assert.equal(codeOf(r), 'BAD_USER_INPUT', `${JSON.stringify(bad)}: ${JSON.stringify(r.errors)}`);
          assert.equal(r.errors![0].extensions?.field, field);
          assert.match(r.errors![0].message, /control characters/);
        }
      });
    }

    test('the same lookups with ordinary values still answer as before (null, NOT_FOUND, an empty list)', async () => {
      assert.equal((await s.gql('query { instance(name: "no-such") { name } }', {}, s.adminToken)).data.instance, null);
      assert.equal(codeOf(await s.gql('mutation { deleteUser(username: "no-such") }', {}, s.adminToken)), 'NOT_FOUND');
      assert.deepEqual((await s.gql('query { issuedTokens(subject: "no-such") { tokenId } }', {}, s.adminToken)).data.issuedTokens, []);
      // Multi-line configuration text passes: a PEM-like value with line breaks in a nested field.
      const r = await s.gql('mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }', { i: { name: uniqueName('h-lines'), transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { issuer: 'https://idp.example.com', spEntityId: 'https://sp.example.com', attributeMap: { mail: 'mail' } } } }, s.adminToken);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    });

    test('JSON nested deeper than 32 levels is refused at the door', async () => {
      let deep: unknown = 'x';
      for (let i = 0; i < 40; i++) deep = [deep];
      const r = await s.gql('mutation($i: UserInput!) { createUser(input: $i) { id } }', { i: { username: 'deep-user', password: PASSWORD, attributes: { a: deep } } }, s.adminToken);
      assert.equal(codeOf(r), 'BAD_USER_INPUT');
      assert.match(r.errors![0].message, /nested more than 32 levels/);
    });

    test('login with a NUL or other control character in the username is UNAUTHENTICATED, like an unknown user', async () => {
      const unknown = await s.gql('mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: 'no-such-user', p: PASSWORD }, null);
      for (const u of [`victim${NUL}`, `vic${NUL}tim`, `${NUL}`, 'victim\u001b', 'vic\ud800tim']) {
        const r = await s.gql('mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u, p: PASSWORD }, null);
        assert.equal(codeOf(r), 'UNAUTHENTICATED', `${JSON.stringify(u)}: ${JSON.stringify(r.errors)}`);
        assert.equal(r.errors![0].message, unknown.errors![0].message);
        assert.equal(r.data, null);
      }
    });

    test('a USERNAME token with control characters is INVALID_TOKEN over GraphQL and REST, with no token', async () => {
      for (const username of [`victim${NUL}`, `vic${NUL}tim`, 'victim\u0085']) {
        const g = await translate(s, oidcOut, { type: 'USERNAME', username, password: PASSWORD }, { type: 'OPENIDCONNECT' });
        assert.equal(codeOf(g), 'INVALID_TOKEN', JSON.stringify(g.errors));
        const r = await s.rest(oidcOut, 'translate', restUsernameBody(username, PASSWORD));
        assert.equal(r.status, 401, JSON.stringify(r.body));
        assert.equal(r.body.detail.code, 'INVALID_TOKEN');
        assert.equal(r.body.issued_token, undefined);
      }
      // A password with a NUL after the right one is a wrong password, not the right one.
      const g = await translate(s, oidcOut, { type: 'USERNAME', username: 'victim', password: `${PASSWORD}${NUL}` }, { type: 'OPENIDCONNECT' });
      assert.equal(codeOf(g), 'INVALID_TOKEN');
    });

    test('createUser and changePassword refuse passwords with control characters; "abc" and five NULs cannot log in as "abc"', async () => {
      const r = await s.gql('mutation($i: UserInput!) { createUser(input: $i) { id } }', { i: { username: 'nul-pad', password: `abc${NUL.repeat(5)}` } }, s.adminToken);
      assert.equal(codeOf(r), 'BAD_USER_INPUT');
      assert.equal(r.errors![0].extensions?.field, 'input.password');
      const login = await s.gql('mutation { login(username: "nul-pad", password: "abc") { token } }', {}, null);
      assert.equal(codeOf(login), 'UNAUTHENTICATED', 'no such user was created');
      for (const p of [`pass${NUL}word`, 'pass\tword', 'pass\u001bword']) {
        const c = await s.gql('mutation($i: UserInput!) { createUser(input: $i) { id } }', { i: { username: 'ctl-pass', password: p } }, s.adminToken);
        assert.equal(codeOf(c), 'BAD_USER_INPUT', JSON.stringify(p));
        assert.equal(c.errors![0].extensions?.field, 'input.password');
      }
      await createUser(s, 'changer', PASSWORD);
      const session = await s.login('changer', PASSWORD);
      const ch = await s.gql('mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) }', { o: PASSWORD, n: `abc${NUL.repeat(5)}` }, session);
      assert.equal(codeOf(ch), 'BAD_USER_INPUT');
      assert.equal(ch.errors![0].extensions?.field, 'newPassword');
      // A NUL in the old password is a wrong old password.
      const wrongOld = await s.gql('mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) }', { o: `${PASSWORD}${NUL}`, n: 'another-password' }, session);
      assert.equal(codeOf(wrongOld), 'UNAUTHENTICATED');
    });

    test('usernames are unique without regard to case: "Mallory" then "mallory" is CONFLICT; login in any case gives the stored name', async () => {
      await createUser(s, 'Mallory', PASSWORD);
      for (const twin of ['mallory', 'MALLORY']) {
        const r = await s.gql('mutation($i: UserInput!) { createUser(input: $i) { id } }', { i: { username: twin, password: PASSWORD } }, s.adminToken);
        assert.equal(codeOf(r), 'CONFLICT', JSON.stringify(r.errors));
      }
      const users = (await s.gql('{ users { username } }', {}, s.adminToken)).data.users as Array<{ username: string }>;
      assert.deepEqual(users.filter((u) => u.username.toLowerCase() === 'mallory').map((u) => u.username), ['Mallory']);
      const l = await s.gql('mutation { login(username: "MALLORY", password: "hardening-password") { user { username } } }', {}, null);
      assert.equal(l.data.login.user.username, 'Mallory');
      const t = await translate(s, oidcOut, { type: 'USERNAME', username: 'mallory', password: PASSWORD }, { type: 'OPENIDCONNECT' });
      assert.equal(t.data!.translateToken.subject, 'Mallory');
      assert.equal(decodeJwt(t.data!.translateToken.token).payload.sub, 'Mallory');
    });

    // RFC 7519 §2 NumericDate: finite, within [1970, 9999]; anything else is INVALID_TOKEN, never a token.
    const dates: Array<[string, Record<string, unknown>]> = [
      ['iat -1e15', { iat: -1e15 }],
      ['iat -1', { iat: -1 }],
      ['auth_time -1e15', { auth_time: -1e15 }],
      ['auth_time 1e300', { auth_time: 1e300 }],
      ['exp 1e300', { exp: 1e300 }],
      ['exp past year 9999', { exp: 253402300800 }],
      ['nbf -1e15', { nbf: -1e15 }],
    ];
    for (const [label, claims] of dates) {
      test(`an ID token with ${label} is INVALID_TOKEN for OIDC and SAML output alike`, async () => {
        const token = idp.sign(idp.claims('tessera', claims));
        for (const [instance, output] of [[oidcOut, { type: 'OPENIDCONNECT' }], [samlOut, { type: 'SAML2' }]] as const) {
          const r = await translate(s, instance, { type: 'OPENIDCONNECT', idToken: token }, output);
          assert.equal(codeOf(r), 'INVALID_TOKEN', `${instance}: ${JSON.stringify(r.errors)}`);
          assert.equal(r.data?.translateToken ?? null, null);
        }
      });
    }

    test('sane NumericDates still work, and auth_time is carried over', async () => {
      const token = idp.sign(idp.claims('tessera', { exp: 253402300799 }));
      const r = await translate(s, oidcOut, { type: 'OPENIDCONNECT', idToken: token }, { type: 'OPENIDCONNECT' });
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      assert.equal(typeof decodeJwt(r.data!.translateToken.token).payload.auth_time, 'number');
      const saml = await translate(s, samlOut, { type: 'OPENIDCONNECT', idToken: idp.sign(idp.claims('tessera')) }, { type: 'SAML2' });
      assert.equal(saml.errors, undefined, JSON.stringify(saml.errors));
    });

    test('an ID token whose sub holds a NUL is INVALID_TOKEN (it would be stored with the record)', async () => {
      const r = await translate(s, oidcOut, { type: 'OPENIDCONNECT', idToken: idp.sign(idp.claims('tessera', { sub: `ali${NUL}ce` })) }, { type: 'OPENIDCONNECT' });
      assert.equal(codeOf(r), 'INVALID_TOKEN', JSON.stringify(r.errors));
    });
  });
}

/**
 * AM-style authentication end to end, on SQLite and PostgreSQL: zero-page login at every realm form AM clients
 * use, the same throttle as GraphQL `login`, logout and validate; the tokenId read as iPlanetDirectoryPro (header
 * or cookie) wherever a Bearer session is — GraphQL, the REST STS (sender-vouches, callerRoles), the publish
 * service; and a wrong or ended session refused with 401 in PingAM's body. The cookie name is configurable.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { CM, ISSUED, NS, assertionOf, createUser, el, judge, metadataCert, publish } from '../support/saml-api.js';
import { amAuthenticate, amCookie, amFetch, amHeader, amLogin, assertAmError, restAt } from '../support/am.js';

const PASSWORD = 'carol-password-1';
const ME = '{ me { username } }';
const SV = (password = PASSWORD) => ({
  input_token_state: { token_type: 'USERNAME', username: 'carol', password },
  output_token_state: { token_type: 'SAML2', subject_confirmation: 'SENDER_VOUCHES' },
});

for (const db of DB_KINDS) {
  describe(`AM authentication and the iPlanetDirectoryPro session on ${db}`, () => {
    let s: TestServer;

    before(async () => {
      s = await startServer({ db, env: { TESSERA_AUTH_MAX_FAILURES: '3' } });
      await createUser(s, 'carol', PASSWORD, { mail: 'carol@example.com' }, ['user', 'broker']);
      await createUser(s, 'dave', 'dave-password-1', {}, ['user']);
      await createUser(s, 'zoe', 'pässwörd-✓-lang', {}, ['user']);
      await createUser(s, 'throttled', 'throttled-password-1', {}, ['user']);
      const saml2 = { issuer: 'https://tessera.example.com/idp', spEntityId: 'https://sp.example.com' };
      await publish(s, { name: 'sv', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2 });
      await publish(s, { name: 'brokers-only', transforms: [{ input: 'USERNAME', output: 'SAML2' }], callerRoles: ['broker'], saml2 });
    });
    after(async () => {
      await s?.destroy();
    });

    const PATHS: Array<[string, string]> = [
      ['/json/authenticate', '/'],
      ['/json//authenticate', '/'],
      ['/json/realms/root/authenticate', '/'],
      ['/json/alpha/authenticate', '/alpha'],
      ['/json/realms/alpha/authenticate', '/alpha'],
      ['/json/realms/root/realms/alpha/authenticate', '/alpha'],
    ];
    for (const [path, realm] of PATHS) {
      test(`POST ${path} with X-OpenAM-* headers gives a session for the realm ${realm}`, async () => {
        const r = await amAuthenticate(s, 'carol', PASSWORD, path);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual(Object.keys(r.body).sort(), ['realm', 'successUrl', 'tokenId']);
        assert.equal(r.body.realm, realm);
        assert.equal(r.body.successUrl, '/admin');
        assert.equal(r.headers.get('cache-control'), 'no-store');
        // The tokenId is a Tessera session: Bearer, iPlanetDirectoryPro header and cookie all name carol.
        for (const h of [{ authorization: `Bearer ${r.body.tokenId}` }, amHeader(r.body.tokenId), amCookie(r.body.tokenId)]) {
          const me = await s.gql(ME, {}, null, h);
          assert.equal(me.data?.me?.username, 'carol', JSON.stringify(me));
        }
      });
    }

    test('credentials as RFC 2047 encoded-words (non-ASCII passwords, as AM takes them)', async () => {
      const encoded = `=?UTF-8?B?${Buffer.from('pässwörd-✓-lang').toString('base64')}?=`;
      assert.equal(typeof (await amLogin(s, 'zoe', encoded)), 'string');
    });

    const REFUSED: Array<[string, Record<string, string>, number, string]> = [
      ['a wrong password', { 'X-OpenAM-Username': 'dave', 'X-OpenAM-Password': 'wrong-password' }, 401, 'UNAUTHENTICATED'],
      ['an unknown user', { 'X-OpenAM-Username': 'nobody', 'X-OpenAM-Password': 'whatever-password' }, 401, 'UNAUTHENTICATED'],
      ['no password header', { 'X-OpenAM-Username': 'dave' }, 401, 'UNAUTHENTICATED'],
      ['no headers at all', {}, 401, 'UNAUTHENTICATED'],
      ['an encoded-word in an unknown charset', { 'X-OpenAM-Username': 'dave', 'X-OpenAM-Password': '=?KOI8-R?B?AAAA?=' }, 400, 'BAD_USER_INPUT'],
    ];
    for (const [what, headers, status, code] of REFUSED) {
      test(`login with ${what} is ${status} ${code} in PingAM's body`, async () => {
        const r = await amFetch(s, 'POST', '/json/authenticate', {}, headers);
        assertAmError(r, status, code);
      });
    }

    test('unknown user and wrong password fail alike; no headers names what to send; GET is 405', async () => {
      const wrong = await amFetch(s, 'POST', '/json/authenticate', {}, { 'X-OpenAM-Username': 'dave', 'X-OpenAM-Password': 'wrong-password' });
      const unknown = await amFetch(s, 'POST', '/json/authenticate', {}, { 'X-OpenAM-Username': 'nobody', 'X-OpenAM-Password': 'wrong-password' });
      assert.equal(wrong.body.message, unknown.body.message);
      const none = await amFetch(s, 'POST', '/json/authenticate', {});
      assert.match(none.body.message, /X-OpenAM-Username and X-OpenAM-Password/);
      const get = await amFetch(s, 'GET', '/json/authenticate');
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST');
    });

    test('AM login and GraphQL login share one throttle', async () => {
      const bad = { 'X-OpenAM-Username': 'throttled', 'X-OpenAM-Password': 'not-the-password' };
      assertAmError(await amFetch(s, 'POST', '/json/authenticate', {}, bad), 401, 'UNAUTHENTICATED');
      assertAmError(await amFetch(s, 'POST', '/json/alpha/authenticate', {}, bad), 401, 'UNAUTHENTICATED');
      const gql = await s.gql('mutation { login(username: "throttled", password: "not-the-password") { token } }');
      assert.equal(gql.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      // The fourth failure is over the limit of 3, and even the right password is refused now, on both doors.
      const limited = await amAuthenticate(s, 'throttled', 'throttled-password-1');
      assertAmError(limited, 429, 'RATE_LIMITED');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      const gqlLimited = await s.gql('mutation { login(username: "throttled", password: "throttled-password-1") { token } }');
      assert.equal(gqlLimited.errors?.[0]?.extensions?.code, 'RATE_LIMITED');
    });

    test('logout ends the session; validate tells whether it is live; an ended session is 401 everywhere', async () => {
      const token = await amLogin(s, 'carol', PASSWORD);
      const live = await amFetch(s, 'POST', '/json/sessions?_action=validate', {}, amHeader(token));
      assert.deepEqual(live.body, { valid: true, uid: 'carol', realm: '/' });
      const out = await amFetch(s, 'POST', '/json/realms/root/sessions?_action=logout', {}, amCookie(token));
      assert.equal(out.status, 200);
      assert.deepEqual(out.body, { result: 'Successfully logged out' });
      assert.deepEqual((await amFetch(s, 'POST', '/json/sessions?_action=validate', {}, amHeader(token))).body, { valid: false });

      // The REST STS, the publish service and logout itself: 401 in PingAM's body, naming where it was sent.
      const rest = await restAt(s, '/rest-sts/sv', 'translate', SV(), amHeader(token));
      assertAmError(rest, 401, 'UNAUTHENTICATED');
      assert.match(rest.body.message, /iPlanetDirectoryPro header is invalid or expired/);
      const cookie = await restAt(s, '/rest-sts/sv', 'translate', SV(), amCookie(token));
      assertAmError(cookie, 401, 'UNAUTHENTICATED');
      assert.match(cookie.body.message, /iPlanetDirectoryPro cookie is invalid or expired/);
      assertAmError(await amFetch(s, 'GET', '/sts-publish/rest', undefined, amHeader(token)), 401, 'UNAUTHENTICATED');
      assertAmError(await amFetch(s, 'POST', '/json/sessions?_action=logout', {}, amHeader(token)), 401, 'UNAUTHENTICATED');
      // GraphQL: UNAUTHENTICATED on everything but login, as for a bad Bearer token.
      const me = await s.gql(ME, {}, null, amCookie(token));
      assert.equal(me.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      assert.match(me.errors![0]!.message, /iPlanetDirectoryPro cookie/);
      const login = await s.gql('mutation { login(username: "carol", password: "carol-password-1") { token } }', {}, null, amCookie(token));
      assert.equal(typeof login.data?.login?.token, 'string');
    });

    const BAD_SESSIONS: Array<[string, Record<string, string>]> = [
      ['a made-up header', amHeader('AQIC5wM2LY4SfczNotATesseraSession*')],
      ['a made-up cookie', amCookie('tsn_made-up')],
      ['an empty header', amHeader('')],
      ['two sessions in one header', { iPlanetDirectoryPro: 'tsn_a, tsn_b' }],
    ];
    for (const [what, headers] of BAD_SESSIONS) {
      test(`${what} is 401 in PingAM's body, not an anonymous call`, async () => {
        // The instance needs no caller, so only the bad session can make this fail.
        assertAmError(await restAt(s, '/rest-sts/sv', 'translate', { ...SV(), output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' } }, headers), 401, 'UNAUTHENTICATED');
      });
    }

    test('sender-vouches: the AM session is the sender; without one the message names the ways to send it', async () => {
      const broker = await amLogin(s, 'dave', 'dave-password-1');
      const r = await restAt(s, '/rest-sts/sv', 'translate', SV(), amCookie(broker));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const a = assertionOf(judge(r.body.issued_token, (await metadataCert(s, 'sv')).pem));
      assert.equal(el(a, NS.saml, 'SubjectConfirmation').getAttribute('Method'), CM.SENDER_VOUCHES);
      const records = (await s.gql(ISSUED, { n: 'sv' }, s.adminToken)).data.issuedTokens;
      assert.equal(records[0].sender, 'dave');

      const anonymous = await restAt(s, '/rest-sts/sv', 'translate', SV());
      assertAmError(anonymous, 401, 'UNAUTHENTICATED');
      for (const way of ['Authorization: Bearer', 'iPlanetDirectoryPro unless TESSERA_AM_COOKIE_NAME', '/json/authenticate']) assert.ok(anonymous.body.message.includes(way), anonymous.body.message);
    });

    test('callerRoles: the AM session is the caller whose roles count', async () => {
      const body = { ...SV(), output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' } };
      const carol = await amLogin(s, 'carol', PASSWORD);
      const dave = await amLogin(s, 'dave', 'dave-password-1');
      assert.equal((await restAt(s, '/rest-sts/brokers-only', 'translate', body, amHeader(carol))).status, 200);
      assertAmError(await restAt(s, '/rest-sts/brokers-only', 'translate', body, amHeader(dave)), 403, 'FORBIDDEN');
      const none = await restAt(s, '/rest-sts/brokers-only', 'translate', body);
      assertAmError(none, 401, 'UNAUTHENTICATED');
      assert.match(none.body.message, /iPlanetDirectoryPro/);
    });

    test('Authorization decides when present: a stale AM cookie does not override a Bearer session', async () => {
      const token = await amLogin(s, 'carol', PASSWORD);
      await amFetch(s, 'POST', '/json/sessions?_action=logout', {}, amHeader(token));
      const me = await s.gql(ME, {}, s.adminToken, amCookie(token));
      assert.equal(me.data?.me?.username, 'admin');
    });

    test('a session in the cookie is ended only by a JSON request: a cross-site form cannot log the user out', async () => {
      const token = await amLogin(s, 'carol', PASSWORD);
      for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
        const form = await amFetch(s, 'POST', '/json/sessions?_action=logout', '', { ...amCookie(token), 'content-type': type });
        assertAmError(form, 415, 'BAD_USER_INPUT');
        assert.match(form.body.message, /iPlanetDirectoryPro cookie is ended only by a request with Content-Type: application\/json/);
      }
      const bare = await fetch(`${s.url}/json/sessions?_action=logout`, { method: 'POST', headers: amCookie(token) });
      assert.equal(bare.status, 415, 'no content type at all');
      assert.deepEqual((await amFetch(s, 'POST', '/json/sessions?_action=validate', {}, amHeader(token))).body, { valid: true, uid: 'carol', realm: '/' });
      // The header (which a form cannot set) needs no content type; the cookie with JSON ends the session.
      const other = await amLogin(s, 'carol', PASSWORD);
      const viaHeader = await fetch(`${s.url}/json/sessions?_action=logout`, { method: 'POST', headers: amHeader(other) });
      assert.equal(viaHeader.status, 200);
      assert.equal((await amFetch(s, 'POST', '/json/sessions?_action=logout', {}, amCookie(token))).status, 200);
      assert.deepEqual((await amFetch(s, 'POST', '/json/sessions?_action=validate', {}, amHeader(token))).body, { valid: false });
    });

    test('sessions: a missing or unknown _action is 400 naming it', async () => {
      assertAmError(await amFetch(s, 'POST', '/json/sessions', {}), 400, 'BAD_USER_INPUT', '_action');
      assertAmError(await amFetch(s, 'POST', '/json/sessions?_action=getSessionInfo', {}), 400, 'BAD_USER_INPUT', '_action');
    });
  });

  describe(`TESSERA_AM_COOKIE_NAME on ${db}`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer({ db, env: { TESSERA_AM_COOKIE_NAME: 'tesseraAmSession' } });
    });
    after(async () => {
      await s?.destroy();
    });

    test('the configured name is read as header and cookie; iPlanetDirectoryPro is then just another header', async () => {
      const token = await amLogin(s, 'admin', 'admin-password-for-tests');
      assert.equal((await s.gql(ME, {}, null, { tesseraAmSession: token })).data?.me?.username, 'admin');
      assert.equal((await s.gql(ME, {}, null, { cookie: `tesseraAmSession=${token}` })).data?.me?.username, 'admin');
      assert.equal((await s.gql(ME, {}, null, amHeader(token))).data?.me, null);
      const r = await amFetch(s, 'GET', '/sts-publish/rest', undefined, { tesseraAmSession: 'tsn_bad' });
      assertAmError(r, 401, 'UNAUTHENTICATED');
      assert.match(r.body.message, /tesseraAmSession header/);
    });
  });
}

/**
 * The HTTP surface around the resolvers, through the public endpoints only: request limits (depth, aliases,
 * document and body size), Apollo's CSRF prevention, CORS, /healthz, unknown paths, the Authorization header,
 * and that no internal detail (SQL, file paths, stacks) ever reaches a client when the database fails.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { Database } from '../../src/persistence/database.js';
import { INTERNAL_MESSAGE } from '../../src/engine/errors.js';
import { ADMIN_PASSWORD, DB_KINDS, codeOf, startServer, type TestServer } from '../support/server.js';

const APP_ORIGIN = 'https://app.example.com';
const OTHER_ORIGIN = 'https://evil.example.net';

const OIDC_INSTANCE = {
  name: 'surface-oidc',
  transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }],
  oidc: { audience: ['surface-client'] },
};

const TRANSLATE = `mutation($p: String!) {
  translateToken(instance: "surface-oidc", input: { type: USERNAME, username: "admin", password: $p }, output: { type: OPENIDCONNECT }) { token type }
}`;

interface Raw {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function raw(url: string, init: RequestInit = {}): Promise<Raw> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

function postGraphql(s: TestServer, body: unknown, headers: Record<string, string> = {}): Promise<Raw> {
  return raw(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** `{ __schema { queryType { fields { type { ofType { … { name } } } } } } }` with exactly `levels` field levels. */
function nestedQuery(levels: number): string {
  assert.ok(levels >= 5);
  const names = ['__schema', 'queryType', 'fields', 'type', ...Array<string>(levels - 5).fill('ofType'), 'name'];
  return '{ ' + names.map((n, i) => (i === names.length - 1 ? n : `${n} {`)).join(' ') + ' }'.repeat(levels - 1) + ' }';
}

function aliasQuery(count: number): string {
  return '{ ' + Array.from({ length: count }, (_, i) => `a${i}: __typename`).join(' ') + ' }';
}

/** A GraphQL document of exactly `length` characters that runs `{ __typename }`. */
function paddedQuery(length: number): string {
  const head = '{ __typename }\n#';
  return head + 'x'.repeat(length - head.length);
}

/** What must never appear in a response: SQL, driver names, file paths, stack frames. */
function assertNoInternalDetail(text: string): void {
  for (const needle of [
    /select\s/i,
    /drop table/i,
    /from\s+[`"]?users/i,
    /no such table/i,
    /does not exist/i,
    /sqlite_/i,
    /\bknex\b/i,
    /mikro/i,
    /relation/i,
    /\/tmp\//,
    /\/work\//,
    /node_modules/,
    /\.js:\d+/,
    /\.ts:\d+/,
    /\n\s+at /,
    /stacktrace/i,
    /exception/i,
  ]) {
    assert.doesNotMatch(text, needle, `the response leaks internal detail: ${text.slice(0, 500)}`);
  }
}

for (const db of DB_KINDS) {
  describe(`HTTP surface on ${db}`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer({ db, env: { TESSERA_CORS_ORIGINS: `${APP_ORIGIN}, https://other-app.example.com/` } });
      const p = await s.gql('mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }', { i: OIDC_INSTANCE }, s.adminToken);
      assert.equal(p.errors, undefined, JSON.stringify(p.errors));
    });
    after(async () => {
      await s?.destroy();
    });

    test("GraphiQL's introspection query passes the limits and yields a usable schema", async () => {
      for (const query of [
        getIntrospectionQuery(),
        getIntrospectionQuery({ descriptions: true, schemaDescription: true, inputValueDeprecation: true, specifiedByUrl: true, directiveIsRepeatable: true }),
      ]) {
        const r = await postGraphql(s, { query, operationName: 'IntrospectionQuery' });
        assert.equal(r.status, 200, r.text.slice(0, 300));
        assert.equal(r.json.errors, undefined, JSON.stringify(r.json.errors));
        const schema = buildClientSchema(r.json.data as IntrospectionQuery);
        assert.ok(schema.getQueryType()?.getFields().me);
        assert.ok(schema.getMutationType()?.getFields().translateToken);
      }
    });

    test('a query nested 15 levels runs; 16 levels, directly or through fragments, is BAD_USER_INPUT', async () => {
      const ok = await s.gql(nestedQuery(15));
      assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
      const deep = await s.gql(nestedQuery(16));
      assert.equal(codeOf(deep), 'BAD_USER_INPUT');
      assert.equal(deep.data, undefined);
      assert.match(deep.errors![0].message, /15/);
      const viaFragments = await s.gql(`
        query { __schema { queryType { ...F1 } } }
        fragment F1 on __Type { fields { type { ...F2 } } }
        fragment F2 on __Type { ofType { ofType { ofType { ...F3 } } } }
        fragment F3 on __Type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } }
      `);
      assert.equal(codeOf(viaFragments), 'BAD_USER_INPUT');
      assert.equal(viaFragments.data, undefined);
      const selfCycle = await s.gql('query { __schema { types { ...T } } } fragment T on __Type { ofType { ...T } }');
      assert.equal(codeOf(selfCycle), 'BAD_USER_INPUT');
    });

    test('15 aliases run; 16 are BAD_USER_INPUT', async () => {
      const ok = await s.gql(aliasQuery(15));
      assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
      assert.equal(Object.keys(ok.data).length, 15);
      const many = await s.gql(aliasQuery(16));
      assert.equal(codeOf(many), 'BAD_USER_INPUT');
      assert.match(many.errors![0].message, /15/);
      assert.equal(many.data, undefined);
    });

    test('a document of 100,000 characters runs; one character more is refused (POST and GET)', async () => {
      const ok = await postGraphql(s, { query: paddedQuery(100_000) });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.json.data, { __typename: 'Query' });
      const long = await postGraphql(s, { query: paddedQuery(100_001) });
      assert.equal(long.status, 400);
      assert.equal(long.json.errors[0].extensions.code, 'BAD_USER_INPUT');
      assert.equal(long.json.data, undefined);
      // Over GET, Node's header limit (16 KiB) already refuses such a URL (431); either way it does not run.
      const get = await raw(`${s.url}/graphql?query=${encodeURIComponent(paddedQuery(100_001))}`, { headers: { 'apollo-require-preflight': 'true' } });
      assert.ok(get.status >= 400 && get.status < 500, `status ${get.status}`);
      assert.equal(get.json?.data, undefined);
    });

    test('a body up to 1 MiB is read; a larger one is refused with BAD_USER_INPUT', async () => {
      const q = 'query($pad: String!) { __type(name: $pad) { name } }';
      const near = JSON.stringify({ query: q, variables: { pad: 'p'.repeat(1024 * 1024 - 200) } });
      assert.ok(Buffer.byteLength(near) <= 1024 * 1024);
      const ok = await postGraphql(s, near);
      assert.equal(ok.status, 200, ok.text.slice(0, 300));
      assert.deepEqual(ok.json.data, { __type: null });
      const big = JSON.stringify({ query: q, variables: { pad: 'p'.repeat(1024 * 1024 + 10) } });
      const r = await postGraphql(s, big);
      assert.ok(r.status === 400 || r.status === 413, `status ${r.status}`);
      assert.equal(r.json.errors[0].extensions.code, 'BAD_USER_INPUT');
      assert.equal(r.json.data, undefined);
      // The server keeps serving.
      assert.equal((await s.gql('{ __typename }')).data.__typename, 'Query');
    });

    test('malformed JSON and unknown fields are BAD_USER_INPUT without parser internals', async () => {
      const bad = await postGraphql(s, '{"query": "{ __typename }",');
      assert.equal(bad.status, 400);
      assert.equal(bad.json.errors[0].extensions.code, 'BAD_USER_INPUT');
      assertNoInternalDetail(bad.text);
      const unknown = await s.gql('{ noSuchField }');
      assert.equal(codeOf(unknown), 'BAD_USER_INPUT');
      const syntax = await s.gql('{ me { ');
      assert.equal(codeOf(syntax), 'BAD_USER_INPUT');
      // Variable coercion happens before execution: the caller's mistake, not an internal error.
      const wrongType = await s.gql('query($n: Int) { auditEvents(first: $n) { action } }', { n: 'abc' }, s.adminToken);
      assert.equal(codeOf(wrongType), 'BAD_USER_INPUT', JSON.stringify(wrongType.errors));
      const missing = await s.gql('mutation($i: UserInput!) { createUser(input: $i) { id } }', { i: { username: 'nopassword' } }, s.adminToken);
      assert.equal(codeOf(missing), 'BAD_USER_INPUT', JSON.stringify(missing.errors));
      const unknownOperation = await postGraphql(s, { query: 'query A { __typename }', operationName: 'B' });
      assert.equal(unknownOperation.json.errors[0].extensions.code, 'BAD_USER_INPUT');
      for (const r of [unknown, syntax, wrongType, missing]) assertNoInternalDetail(JSON.stringify(r.errors));
    });

    test('CSRF prevention: a text/plain POST gets 400 and does not execute', async () => {
      const mutation = 'mutation { createUser(input: { username: "csrf-victim", password: "csrf-password-1", roles: ["admin"] }) { id } }';
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const r = await raw(`${s.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': type, authorization: `Bearer ${s.adminToken}` },
          body: JSON.stringify({ query: mutation }),
        });
        assert.equal(r.status, 400, `${type}: ${r.text.slice(0, 200)}`);
        assert.equal(r.json?.data, undefined);
      }
      const noType = await raw(`${s.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.adminToken}` },
        body: new Blob([JSON.stringify({ query: mutation })]),
      });
      assert.equal(noType.status, 400);
      const users = await s.gql('{ users { username } }', {}, s.adminToken);
      assert.equal(users.errors, undefined);
      assert.ok(!users.data.users.some((u: { username: string }) => u.username === 'csrf-victim'), 'the mutation did not run');
    });

    test('GET: refused without the preflight header, queries only with it, never mutations', async () => {
      const mutation = 'mutation { createUser(input: { username: "get-victim", password: "get-password-1" }) { id } }';
      const auth = { authorization: `Bearer ${s.adminToken}` };
      const noPreflight = await raw(`${s.url}/graphql?query=${encodeURIComponent(mutation)}`, { headers: auth });
      assert.equal(noPreflight.status, 400);
      assert.equal(noPreflight.json?.data, undefined);
      const withPreflight = await raw(`${s.url}/graphql?query=${encodeURIComponent(mutation)}`, { headers: { ...auth, 'apollo-require-preflight': 'true' } });
      assert.ok(withPreflight.status === 400 || withPreflight.status === 405, `status ${withPreflight.status}`);
      assert.equal(withPreflight.json?.data, undefined);
      const queryNoPreflight = await raw(`${s.url}/graphql?query=${encodeURIComponent('{ me { username } }')}`, { headers: auth });
      assert.equal(queryNoPreflight.status, 400);
      const query = await raw(`${s.url}/graphql?query=${encodeURIComponent('{ me { username } }')}`, { headers: { ...auth, 'apollo-require-preflight': 'true' } });
      assert.equal(query.status, 200);
      assert.deepEqual(query.json.data, { me: { username: 'admin' } });
      const users = await s.gql('{ users { username } }', {}, s.adminToken);
      assert.ok(!users.data.users.some((u: { username: string }) => u.username === 'get-victim'), 'the mutation did not run');
    });

    test('CORS: a configured origin is allowed, any other is not', async () => {
      const preflight = (origin: string) =>
        raw(`${s.url}/graphql`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
        });
      const allowed = await preflight(APP_ORIGIN);
      assert.ok(allowed.status >= 200 && allowed.status < 300, `status ${allowed.status}`);
      assert.equal(allowed.headers.get('access-control-allow-origin'), APP_ORIGIN);
      assert.match(allowed.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /authorization/i);
      assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /content-type/i);
      // A configured origin written with a trailing slash matches too.
      assert.equal((await preflight('https://other-app.example.com')).headers.get('access-control-allow-origin'), 'https://other-app.example.com');

      for (const origin of [OTHER_ORIGIN, 'https://app.example.com.evil.net', 'http://app.example.com', 'null']) {
        const denied = await preflight(origin);
        assert.equal(denied.headers.get('access-control-allow-origin'), null, origin);
        assert.ok(denied.status < 200 || denied.status >= 300 || !denied.headers.has('access-control-allow-methods'), origin);
      }

      const fromApp = await postGraphql(s, { query: '{ __typename }' }, { origin: APP_ORIGIN });
      assert.equal(fromApp.headers.get('access-control-allow-origin'), APP_ORIGIN);
      assert.match(fromApp.headers.get('vary') ?? '', /origin/i);
      const fromOther = await postGraphql(s, { query: '{ __typename }' }, { origin: OTHER_ORIGIN });
      assert.equal(fromOther.headers.get('access-control-allow-origin'), null);
    });

    test('/healthz is 200 with the database up', async () => {
      const r = await raw(`${s.url}/healthz`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(r.json.status, 'ok');
    });

    test('an unknown path is a 404 JSON body', async () => {
      for (const path of ['/nope', '/graphql/extra', '/rest-sts/', '/sts/surface-oidc/unknown.json', '/graphiql/assets/../../package.json']) {
        const r = await raw(`${s.url}${path}`);
        assert.equal(r.status, 404, path);
        assert.match(r.headers.get('content-type') ?? '', /application\/json/, path);
        assert.equal(r.json.code, 404, path);
        assert.equal(r.json.detail.code, 'NOT_FOUND', path);
      }
    });

    test('a present but invalid Bearer is UNAUTHENTICATED on me and translateToken; login still works', async () => {
      // Without any Authorization header translateToken needs no session here.
      const anonymous = await s.gql(TRANSLATE, { p: ADMIN_PASSWORD });
      assert.equal(anonymous.errors, undefined, JSON.stringify(anonymous.errors));
      assert.equal(anonymous.data.translateToken.type, 'OPENIDCONNECT');

      for (const token of ['tsn_not-a-session', 'garbage', 'tsn_' + 'A'.repeat(43)]) {
        assert.equal(codeOf(await s.gql('{ me { username } }', {}, token)), 'UNAUTHENTICATED', token);
        const t = await s.gql(TRANSLATE, { p: ADMIN_PASSWORD }, token);
        assert.equal(codeOf(t), 'UNAUTHENTICATED', token);
        assert.equal(t.data, null);
        const login = await s.gql('mutation($p: String!) { login(username: "admin", password: $p) { token user { username } } }', { p: ADMIN_PASSWORD }, token);
        assert.equal(login.errors, undefined, JSON.stringify(login.errors));
        assert.equal(login.data.login.user.username, 'admin');
      }

      const rest = await s.rest('surface-oidc', 'translate', {
        input_token_state: { token_type: 'USERNAME', username: 'admin', password: ADMIN_PASSWORD },
        output_token_state: { token_type: 'OPENIDCONNECT', nonce: 'n-1', allow_access: true },
      }, { authorization: 'Bearer tsn_not-a-session' });
      assert.equal(rest.status, 401);
      assert.equal(rest.body.detail.code, 'UNAUTHENTICATED');
    });

    test('a malformed Authorization header is UNAUTHENTICATED too', async () => {
      for (const header of ['Basic xyz', 'Bearer', 'Bearer ', `Bearer ${s.adminToken} extra`, s.adminToken]) {
        const r = await s.gql('{ me { username } }', {}, null, { authorization: header });
        assert.equal(codeOf(r), 'UNAUTHENTICATED', JSON.stringify(header));
        assert.equal(codeOf(await s.gql(TRANSLATE, { p: ADMIN_PASSWORD }, null, { authorization: header })), 'UNAUTHENTICATED', header);
      }
      // The scheme is case-insensitive (RFC 9110).
      const lower = await s.gql('{ me { username } }', {}, null, { authorization: `bearer ${s.adminToken}` });
      assert.equal(lower.data.me.username, 'admin');
    });
  });
}

for (const db of DB_KINDS) {
  describe(`no internal detail reaches a client when the database fails, on ${db}`, () => {
    let s: TestServer;
    let dbClosed = false;
    before(async () => {
      s = await startServer({ db });
      const p = await s.gql('mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }', { i: OIDC_INSTANCE }, s.adminToken);
      assert.equal(p.errors, undefined, JSON.stringify(p.errors));
      // Break the database behind the running server, through a separate connection.
      const other = await Database.open(s.databaseUrl);
      try {
        const schema = new URL(s.databaseUrl.replace(/^sqlite:/, 'sqlite://x/')).searchParams.get('schema');
        await other.knex().raw(db === 'postgresql' && schema ? `drop table "${schema}"."users" cascade` : 'drop table users');
      } finally {
        await other.close();
      }
    });
    after(async () => {
      await s?.destroy();
    });

    test('GraphQL: INTERNAL with the generic message, in context creation and in a resolver', async () => {
      // The admin session resolves its user: the failure happens while building the request context.
      const users = await postGraphql(s, { query: '{ users { username } }' }, { authorization: `Bearer ${s.adminToken}` });
      assert.ok(users.status === 200 || users.status === 500, `status ${users.status}`);
      assert.equal(users.json.errors[0].extensions.code, 'INTERNAL', users.text);
      assert.equal(users.json.errors[0].message, INTERNAL_MESSAGE);
      assertNoInternalDetail(users.text);

      // Anonymous login reaches the resolver, which then fails.
      const login = await postGraphql(s, { query: 'mutation { login(username: "admin", password: "whatever-password") { token } }' });
      assert.equal(login.json.errors[0].extensions.code, 'INTERNAL', login.text);
      assert.equal(login.json.errors[0].message, INTERNAL_MESSAGE);
      assert.deepEqual(Object.keys(login.json.errors[0].extensions), ['code']);
      assertNoInternalDetail(login.text);
    });

    test('REST: 500 with the PingAM body and detail code INTERNAL', async () => {
      const body = {
        input_token_state: { token_type: 'USERNAME', username: 'admin', password: ADMIN_PASSWORD },
        output_token_state: { token_type: 'OPENIDCONNECT', nonce: 'n-1', allow_access: true },
      };
      for (const headers of [{}, { authorization: `Bearer ${s.adminToken}` }]) {
        const r = await raw(`${s.url}/rest-sts/surface-oidc?_action=translate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers } as Record<string, string>,
          body: JSON.stringify(body),
        });
        assert.equal(r.status, 500, r.text);
        assert.deepEqual(r.json, { code: 500, reason: 'Internal Server Error', message: INTERNAL_MESSAGE, detail: { code: 'INTERNAL' } });
        assertNoInternalDetail(r.text);
      }
    });

    test('/healthz is 503 once the database is gone, and everything else stays generic', async () => {
      await s.tessera.services.db.close();
      dbClosed = true;
      const health = await raw(`${s.url}/healthz`);
      assert.equal(health.status, 503);
      assert.notEqual(health.json.status, 'ok');
      assertNoInternalDetail(health.text);

      const users = await postGraphql(s, { query: '{ users { username } }' }, { authorization: `Bearer ${s.adminToken}` });
      assert.equal(users.json.errors[0].extensions.code, 'INTERNAL', users.text);
      assert.equal(users.json.errors[0].message, INTERNAL_MESSAGE);
      assertNoInternalDetail(users.text);

      const rest = await s.rest('surface-oidc', 'translate', {
        input_token_state: { token_type: 'USERNAME', username: 'admin', password: ADMIN_PASSWORD },
        output_token_state: { token_type: 'OPENIDCONNECT', nonce: 'n-1', allow_access: true },
      });
      assert.equal(rest.status, 500);
      assert.equal(rest.body.detail.code, 'INTERNAL');
      assertNoInternalDetail(JSON.stringify(rest.body));

      const jwks = await raw(`${s.url}/sts/surface-oidc/jwks.json`);
      assert.ok(jwks.status >= 500, `status ${jwks.status}`);
      assertNoInternalDetail(jwks.text);
      assert.ok(dbClosed);
    });
  });
}

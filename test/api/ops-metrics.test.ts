/**
 * /metrics and /readyz through HTTP: after a known mix of requests, the scraped counts (read with Prometheus's
 * reference parser) are exact; TESSERA_METRICS_TOKEN guards the endpoint; with two cluster workers on
 * PostgreSQL (the real process, as operators run it), every scrape gives the sum over both.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { ADMIN_PASSWORD, codeOf, freePort, freshDatabase, startServer, TEST_MASTER_KEY, type TestServer } from '../support/server.js';
import { makePluginDir, type PluginDir } from '../support/plugins-api.js';
import { baseEnv, MAIN } from '../support/cli.js';
import { scrape } from '../support/metrics.js';
import { projectRoot } from '../../src/paths.js';

const OIDC = { name: 'm-oidc', transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }], oidc: { audience: ['rp'] } };
const samlWith = (name: string, plugins: Record<string, string>) => ({
  name,
  transforms: [{ input: 'USERNAME', output: 'SAML2' }],
  saml2: { issuer: 'https://idp.example', spEntityId: 'https://sp.example', plugins },
});
const PUBLISH = 'mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }';
const TRANSLATE = 'mutation($n: String!, $u: String!, $p: String!) { translateToken(instance: $n, input: { type: USERNAME, username: $u, password: $p }, output: { type: OPENIDCONNECT }) { token } }';

const PLUGINS = `export default [
  { kind: 'saml2-statement', statement: 'conditions', name: 'never-answers', provide: () => new Promise(() => {}) },
  { kind: 'saml2-statement', statement: 'subject', name: 'always-throws', provide: () => { throw new Error('broken on purpose'); } },
];
`;

describe('metrics and readiness (one process, SQLite)', () => {
  let s: TestServer;
  let plugins: PluginDir;
  before(async () => {
    plugins = makePluginDir({ modules: { 'faulty.mjs': PLUGINS } });
    s = await startServer({ db: 'sqlite', env: { TESSERA_PLUGIN_DIR: plugins.dir, TESSERA_PLUGIN_TIMEOUT_MS: '50', TESSERA_AUTH_MAX_FAILURES: '2' } });
    for (const i of [OIDC, samlWith('m-hang', { conditions: 'never-answers' }), samlWith('m-throw', { subject: 'always-throws' })]) {
      const r = await s.gql(PUBLISH, { i }, s.adminToken);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    }
    for (const u of ['bob', 'mal', 'eve']) {
      await s.gql('mutation($i: UserInput!) { createUser(input: $i) { username } }', { i: { username: u, password: `${u}-password-123` } }, s.adminToken);
    }
  });
  after(async () => {
    await s.destroy();
    plugins.cleanup();
  });

  test('after a known mix of requests the counts are exact', async () => {
    const before = await scrape(s.url);
    const auditBefore = (await s.gql('{ auditEvents(first: 1000) { action } }', {}, s.adminToken)).data.auditEvents.length;
    const httpBefore = (door: string) => before.sum('tessera_http_request_duration_seconds_count', { door });

    // 3 OK translations over REST, 2 wrong passwords over GraphQL, 1 unknown instance.
    const restOk = { input_token_state: { token_type: 'USERNAME', username: 'bob', password: 'bob-password-123' }, output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true } };
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await s.rest('m-oidc', 'translate', restOk);
      assert.equal(r.status, 200);
      tokens.push(r.body.issued_token);
    }
    for (let i = 0; i < 2; i++) assert.equal(codeOf(await s.gql(TRANSLATE, { n: 'm-oidc', u: 'mal', p: 'wrong-password' })), 'INVALID_TOKEN');
    assert.equal(codeOf(await s.gql(TRANSLATE, { n: 'no-such-instance', u: 'bob', p: 'x' })), 'NOT_FOUND');
    // A plugin that never answers and one that throws: INTERNAL for the caller, counted by plugin and reason.
    const saml = (n: string) => s.gql(`mutation { translateToken(instance: "${n}", input: { type: USERNAME, username: "bob", password: "bob-password-123" }, output: { type: SAML2 }) { token } }`);
    assert.equal(codeOf(await saml('m-hang')), 'INTERNAL');
    assert.equal(codeOf(await saml('m-throw')), 'INTERNAL');
    // Validate one token, cancel another.
    assert.deepEqual((await s.rest('m-oidc', 'validate', { validated_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: tokens[0] } })).body, { token_valid: true });
    assert.equal((await s.rest('m-oidc', 'cancel', { cancelled_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: tokens[1] } })).status, 200);
    // Throttling: with 2 failures allowed, eve's third wrong login is RATE_LIMITED.
    const login = (p: string) => s.gql('mutation($p: String!) { login(username: "eve", password: $p) { token } }', { p });
    assert.equal(codeOf(await login('nope-1')), 'UNAUTHENTICATED');
    assert.equal(codeOf(await login('nope-2')), 'UNAUTHENTICATED');
    assert.equal(codeOf(await login('nope-3')), 'RATE_LIMITED');
    // A statement that fails in the database, and a path no door answers.
    await assert.rejects(s.tessera.services.db.knex().raw('select * from no_such_table'));
    assert.equal((await fetch(`${s.url}/no-such-path`)).status, 404);

    const m = await scrape(s.url);
    const delta = (name: string, labels: Record<string, string>) => m.value(name, labels) - before.value(name, labels);
    assert.equal(delta('tessera_translations_total', { instance: 'm-oidc', input: 'USERNAME', output: 'OPENIDCONNECT', outcome: 'OK' }), 3);
    assert.equal(delta('tessera_translations_total', { instance: 'm-oidc', input: 'USERNAME', output: 'OPENIDCONNECT', outcome: 'INVALID_TOKEN' }), 2);
    assert.equal(delta('tessera_translations_total', { instance: '(other)', input: 'USERNAME', output: 'OPENIDCONNECT', outcome: 'NOT_FOUND' }), 1, 'unknown names do not become series');
    assert.equal(delta('tessera_translations_total', { instance: 'm-hang', input: 'USERNAME', output: 'SAML2', outcome: 'INTERNAL' }), 1);
    assert.equal(delta('tessera_translations_total', { instance: 'm-throw', input: 'USERNAME', output: 'SAML2', outcome: 'INTERNAL' }), 1);
    assert.equal(m.sum('tessera_translations_total') - before.sum('tessera_translations_total'), 8, 'nothing else counted');
    assert.ok(!m.samples.some((x) => x.labels.instance === 'no-such-instance'));
    assert.equal(delta('tessera_token_checks_total', { action: 'validate', instance: 'm-oidc', type: 'OPENIDCONNECT', outcome: 'OK' }), 1);
    assert.equal(delta('tessera_token_checks_total', { action: 'cancel', instance: 'm-oidc', type: 'OPENIDCONNECT', outcome: 'OK' }), 1);
    assert.equal(delta('tessera_plugin_failures_total', { plugin: 'never-answers', reason: 'timeout' }), 1);
    assert.equal(delta('tessera_plugin_failures_total', { plugin: 'always-throws', reason: 'threw' }), 1);
    assert.equal(delta('tessera_rate_limited_total', { action: 'login' }), 1);
    assert.equal(delta('tessera_database_errors_total', {}), 1);

    // Latency per door: every request above, counted once by the door that answered.
    const httpDelta = (door: string) => m.sum('tessera_http_request_duration_seconds_count', { door }) - httpBefore(door);
    assert.equal(httpDelta('rest-sts'), 5, '3 translate, 1 validate, 1 cancel');
    assert.equal(httpDelta('graphql'), 9, 'the auditEvents query, 2+1+2 translate and 3 logins');
    assert.equal(httpDelta('none'), 1, 'the 404');
    assert.equal(m.value('tessera_http_request_duration_seconds_count', { door: 'none', status: '404' }) - before.value('tessera_http_request_duration_seconds_count', { door: 'none', status: '404' }), 1);
    assert.equal(httpDelta('metrics'), 1, 'the first scrape (this one is counted after it is answered)');
    const bucket = (le: string) => m.value('tessera_http_request_duration_seconds_bucket', { door: 'none', status: '404', le });
    assert.equal(bucket('+Inf'), m.value('tessera_http_request_duration_seconds_count', { door: 'none', status: '404' }), '+Inf bucket = count');

    // Group commit: every unit written in between is one audit event (a translation's record rides with its event).
    const auditAfter = (await s.gql('{ auditEvents(first: 1000) { action } }', {}, s.adminToken)).data.auditEvents.length;
    const units = m.value('tessera_write_batch_size_sum') - before.value('tessera_write_batch_size_sum');
    assert.equal(units, auditAfter - auditBefore, 'batch sizes add up to the units written');
    assert.ok(m.value('tessera_write_batch_size_count') > before.value('tessera_write_batch_size_count'));
    assert.equal(m.sum('tessera_write_batch_duration_seconds_count', { outcome: 'ok' }), m.value('tessera_write_batch_size_count'), 'one duration per batch');

    // Process metrics come from prom-client's defaults.
    assert.ok(m.value('process_cpu_user_seconds_total') > 0);
    assert.ok(m.value('nodejs_heap_size_used_bytes') > 0);
    assert.equal(m.types.tessera_translations, 'counter');
    assert.equal(m.types.tessera_http_request_duration_seconds, 'histogram');
  });

  test('/readyz is 200 with every check ok; /healthz stays liveness only; both refuse other methods', async () => {
    const r = await fetch(`${s.url}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ready', checks: { database: 'ok', migrations: 'ok', keys: 'ok', plugins: 'ok' } });
    assert.equal((await fetch(`${s.url}/readyz`, { method: 'POST' })).status, 405);
    assert.equal((await fetch(`${s.url}/metrics`, { method: 'DELETE' })).status, 405);
  });
});

describe('readiness without the database, and the metrics token', () => {
  test('/readyz is 503 with Retry-After when the database is gone; /healthz says the database is down', async () => {
    const s = await startServer({ db: 'postgresql' });
    try {
      assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
      // Pending migrations: readiness names them.
      await s.tessera.services.db.knex()('schema_migrations').where({ id: '0003-token-hash-index' }).delete();
      const pending = await fetch(`${s.url}/readyz`);
      assert.equal(pending.status, 503);
      assert.equal(pending.headers.get('retry-after'), '5');
      const body = (await pending.json()) as { checks: Record<string, string>; problems: string[] };
      assert.equal(body.checks.migrations, 'failed');
      assert.deepEqual(body.problems, ['migrations not applied: 0003-token-hash-index']);
      await s.tessera.services.db.orm.close(true);
      const down = await fetch(`${s.url}/readyz`);
      assert.equal(down.status, 503);
      assert.deepEqual(((await down.json()) as { checks: unknown }).checks, { database: 'failed', migrations: 'failed', keys: 'failed', plugins: 'ok' });
      assert.equal((await fetch(`${s.url}/healthz`)).status, 503);
    } finally {
      await s.destroy().catch(() => {});
    }
  });

  test('TESSERA_METRICS_TOKEN: Authorization: Bearer <it> or 401', async () => {
    const s = await startServer({ db: 'sqlite', env: { TESSERA_METRICS_TOKEN: 'scrape-secret-0123456789' } });
    try {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: 'Basic c2NyYXBlLXNlY3JldA==' }, { authorization: 'Bearer scrape-secret-012345678' }]) {
        const r = await fetch(`${s.url}/metrics`, { headers });
        assert.equal(r.status, 401, JSON.stringify(headers));
        assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="metrics"');
        assert.doesNotMatch(await r.text(), /tessera_/);
      }
      const m = await scrape(s.url, 'scrape-secret-0123456789');
      assert.ok(m.samples.length > 0);
    } finally {
      await s.destroy();
    }
  });
});

/** A request on a connection of its own, so the cluster's round robin spreads requests over the workers. */
function post(url: string, path: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(`${url}${path}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

function scrapeFresh(url: string) {
  return new Promise<string>((resolve, reject) => {
    request(`${url}/metrics`, { agent: false, headers: { connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c));
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
}

describe('metrics summed over two cluster workers (PostgreSQL, the real process)', () => {
  let child: ChildProcess;
  let url: string;
  const db = freshDatabase('postgresql');
  before(async () => {
    const port = await freePort();
    child = spawn(process.execPath, [MAIN], {
      cwd: projectRoot(),
      env: { ...baseEnv(), PORT: String(port), HOST: '127.0.0.1', TESSERA_DATABASE_URL: db.url, TESSERA_WORKERS: '2', TESSERA_MASTER_KEY: TEST_MASTER_KEY, TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD, TESSERA_DEMO: 'false', TESSERA_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`not ready:\n${out}`)), 60_000);
      child.stdout!.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        const m = /Tessera is serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.on('exit', () => reject(new Error(`exited:\n${out}`)));
    });
  });
  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await db.cleanup();
  });

  test('every scrape, whichever worker answers it, counts the requests both workers served', async () => {
    const login = JSON.parse((await post(url, '/graphql', { query: `mutation { login(username: "admin", password: "${ADMIN_PASSWORD}") { token } }` })).body);
    const token = login.data.login.token as string;
    const published = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: PUBLISH, variables: { i: OIDC } }) });
    assert.equal(published.status, 200);
    await new Promise((r) => setTimeout(r, 1200)); // the other worker sees the new instance within 1 s (API.md §1)

    const N = 12;
    for (let i = 0; i < N; i++) {
      const r = await post(url, '/rest-sts/m-oidc?_action=translate', {
        input_token_state: { token_type: 'USERNAME', username: 'admin', password: ADMIN_PASSWORD },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(r.status, 200, r.body);
    }
    const { parseExposition } = await import('../support/metrics.js');
    for (let i = 0; i < 4; i++) {
      const m = await parseExposition(await scrapeFresh(url));
      assert.equal(m.value('tessera_translations_total', { instance: 'm-oidc', input: 'USERNAME', output: 'OPENIDCONNECT', outcome: 'OK' }), N, `scrape ${i}`);
      assert.equal(m.sum('tessera_http_request_duration_seconds_count', { door: 'rest-sts' }), N, `scrape ${i}`);
    }
  });
});

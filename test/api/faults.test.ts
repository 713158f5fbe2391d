/**
 * Faults (docs/security.md §5): PostgreSQL stopped for 10 s under load and started again — every door answers
 * UNAVAILABLE fast (HTTP 503, Retry-After), /readyz says not ready, the service recovers by itself within 5 s,
 * and every response that carried a token has its record. On SQLite, a read-only database and a full one give
 * the same typed answer, never an acknowledged token without its record.
 *
 * The outage is a TCP proxy between Tessera and PostgreSQL that closes its port and drops every connection, as
 * a stopped server does (the shared PostgreSQL of the test machine keeps running for the other suites).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Database } from '../../src/persistence/database.js';
import { poll, publish, oidcInstance, sleep, uniqueName } from '../support/engine.js';
import { makeIssuer, type TestIssuer } from '../support/oidc.js';
import { PG_BASE_URL, freePort, startServer, type TestServer } from '../support/server.js';

/** A proxy to PostgreSQL that can be stopped (port closed, every connection dropped) and started again. */
class PgProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', () => resolve()));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

interface Outcome {
  startedAt: number;
  ms: number;
  status: number;
  code?: unknown;
  retryAfter: string | null;
  token?: string;
}

function pgTarget(): { host: string; port: number } {
  const u = new URL(PG_BASE_URL);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 5432) };
}

async function translate(s: TestServer, instance: string, idToken: string): Promise<Outcome> {
  const startedAt = Date.now();
  const r = await s.rest(instance, 'translate', {
    input_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: idToken },
    output_token_state: { token_type: 'OPENIDCONNECT', nonce: 'n', allow_access: true },
  });
  return {
    startedAt,
    ms: Date.now() - startedAt,
    status: r.status,
    code: r.body?.detail?.code,
    retryAfter: r.headers.get('retry-after'),
    token: r.status === 200 ? (r.body.issued_token as string) : undefined,
  };
}

async function readyStatus(s: TestServer): Promise<number> {
  return (await fetch(`${s.url}/readyz`)).status;
}

/** Validates each token through the REST door, a few at a time: true when all are known and valid. */
async function allValid(s: TestServer, instance: string, tokens: string[]): Promise<string[]> {
  const unknown: string[] = [];
  for (let i = 0; i < tokens.length; i += 16) {
    await Promise.all(
      tokens.slice(i, i + 16).map(async (t) => {
        const r = await s.rest(instance, 'validate', { validated_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: t } });
        if (r.status !== 200 || r.body.token_valid !== true) unknown.push(t);
      }),
    );
  }
  return unknown;
}

describe('faults: PostgreSQL stopped for 10 s under load', () => {
  let s: TestServer;
  let proxy: PgProxy;
  let idp: TestIssuer;
  const schema = `t_faults_${process.pid}_${randomBytes(3).toString('hex')}`;
  const inst = uniqueName('faults');

  before(async () => {
    proxy = new PgProxy(await freePort(), pgTarget());
    await proxy.start();
    const base = new URL(PG_BASE_URL);
    base.host = `127.0.0.1:${proxy.port}`;
    base.searchParams.set('schema', schema);
    s = await startServer({ db: 'postgresql', databaseUrl: base.toString() });
    idp = makeIssuer({ alg: 'ES256' });
    await publish(s, oidcInstance(inst, [{ input: 'OPENIDCONNECT' }], { oidcTrust: [{ issuer: idp.issuer, audience: ['tessera'], jwks: idp.jwks }] }));
  });
  after(async () => {
    await s?.stop();
    await proxy?.stop();
    const db = await Database.open(PG_BASE_URL);
    try {
      await db.knex().raw(`drop schema if exists "${schema}" cascade`);
    } finally {
      await db.close();
    }
  });

  test('fast 503s with Retry-After while it is down, not ready, back by itself within 5 s, no token without its record', async () => {
    const outcomes: Outcome[] = [];
    let running = true;
    const idToken = () => idp.sign(idp.claims('tessera', { sub: `user-${randomBytes(3).toString('hex')}` }));
    const worker = async () => {
      while (running) outcomes.push(await translate(s, inst, idToken()));
    };
    const workers = Array.from({ length: 8 }, worker);

    await sleep(1500);
    assert.ok(outcomes.some((o) => o.status === 200), 'the load runs before the outage');
    assert.equal(await readyStatus(s), 200);

    await proxy.stop();
    const downAt = Date.now();
    // While down: /readyz says not ready, GraphQL answers 503 UNAVAILABLE too, and so do the REST doors.
    const notReady = await poll(async () => ((await readyStatus(s)) === 503 ? true : undefined), 5000);
    assert.equal(notReady, true);
    const gql = await s.gql(
      'mutation($n: String!, $i: TokenInput!, $o: TokenOutput!) { translateToken(instance: $n, input: $i, output: $o) { token } }',
      { n: inst, i: { type: 'OPENIDCONNECT', idToken: idToken() }, o: { type: 'OPENIDCONNECT' } },
    );
    assert.equal(gql.status, 503, JSON.stringify(gql));
    assert.equal(gql.errors?.[0]?.extensions?.code, 'UNAVAILABLE');
    const admin = await s.gql('{ instances { name } }', {}, s.adminToken);
    assert.equal(admin.status, 503, JSON.stringify(admin));
    assert.equal(admin.errors?.[0]?.extensions?.code, 'UNAVAILABLE');
    const token = await fetch(`${s.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('some-client:some-secret').toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: idToken(), subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }),
    });
    assert.equal(token.status, 503);
    assert.equal(((await token.json()) as { error: string }).error, 'temporarily_unavailable');
    assert.ok(token.headers.get('retry-after'));

    await sleep(Math.max(0, 10_000 - (Date.now() - downAt)));
    await proxy.start();
    const upAt = Date.now();
    // Back by itself: the first token issued after the restart, within 5 s.
    const first = await poll(async () => outcomes.find((o) => o.status === 200 && o.startedAt >= upAt), 5000, 20);
    assert.ok(first, 'a token was issued within 5 s of the database returning');
    assert.ok(first.startedAt + first.ms - upAt <= 5000, `recovered after ${first.startedAt + first.ms - upAt} ms`);
    await poll(async () => ((await readyStatus(s)) === 200 ? true : undefined), 5000);
    await sleep(500);
    running = false;
    await Promise.all(workers);

    const during = outcomes.filter((o) => o.startedAt > downAt + 200 && o.startedAt + o.ms < upAt);
    assert.ok(during.length > 20, `requests during the outage: ${during.length}`);
    const statuses = new Set(outcomes.map((o) => o.status));
    assert.deepEqual([...statuses].filter((x) => x !== 200 && x !== 503), [], 'only tokens and 503s');
    for (const o of outcomes.filter((x) => x.status === 503)) {
      assert.equal(o.code, 'UNAVAILABLE');
      assert.ok(o.retryAfter && Number(o.retryAfter) >= 1, 'Retry-After on every 503');
    }
    assert.ok(during.every((o) => o.status === 503), 'no token while the database is down');
    // Fast: a refusal never waits for more than the pool's 3 s connection timeout (and most are immediate).
    const slowest = Math.max(...during.map((o) => o.ms));
    assert.ok(slowest < 4000, `slowest answer during the outage: ${slowest} ms`);
    const median = during.map((o) => o.ms).sort((a, b) => a - b)[Math.floor(during.length / 2)]!;
    assert.ok(median < 500, `median answer during the outage: ${median} ms`);

    const issued = outcomes.filter((o) => o.token).map((o) => o.token!);
    assert.ok(issued.length > 50, `tokens issued: ${issued.length}`);
    assert.deepEqual(await allValid(s, inst, issued), [], 'every token that was answered has its record');
  });
});

describe('faults: SQLite read-only or full', () => {
  let s: TestServer;
  let idp: TestIssuer;
  const inst = uniqueName('faults');
  const pragma = (sql: string) => s.tessera.services.db.knex().raw(sql);

  before(async () => {
    s = await startServer({ db: 'sqlite' });
    idp = makeIssuer({ alg: 'ES256' });
    await publish(s, oidcInstance(inst, [{ input: 'OPENIDCONNECT' }], { oidcTrust: [{ issuer: idp.issuer, audience: ['tessera'], jwks: idp.jwks }] }));
  });
  after(async () => {
    await s?.destroy();
  });
  const idToken = () => idp.sign(idp.claims('tessera', { sub: `user-${randomBytes(3).toString('hex')}` }));

  test('a read-only database: translate is UNAVAILABLE on every door, reads still work, writes resume after', async () => {
    const before = await translate(s, inst, idToken());
    assert.equal(before.status, 200);
    await pragma('pragma query_only = on');
    try {
      const r = await translate(s, inst, idToken());
      assert.equal(r.status, 503);
      assert.equal(r.code, 'UNAVAILABLE');
      assert.ok(Number(r.retryAfter) >= 1);
      const gql = await s.gql(
        'mutation($n: String!, $i: TokenInput!, $o: TokenOutput!) { translateToken(instance: $n, input: $i, output: $o) { token } }',
        { n: inst, i: { type: 'OPENIDCONNECT', idToken: idToken() }, o: { type: 'OPENIDCONNECT' } },
      );
      assert.equal(gql.status, 503);
      assert.equal(gql.errors?.[0]?.extensions?.code, 'UNAVAILABLE');
      assert.equal(gql.errors?.[0]?.message, 'The database is not available; try again shortly.');
      const login = await s.gql('mutation { login(username: "admin", password: "admin-password-for-tests") { token } }');
      assert.equal(login.errors?.[0]?.extensions?.code, 'UNAVAILABLE');
      // Validate answers only once its audit event is written: refused alike, not "invalid".
      const validate = await s.rest(inst, 'validate', { validated_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: before.token } });
      assert.equal(validate.status, 503);
      assert.equal(validate.body.detail.code, 'UNAVAILABLE');
      // What needs no write is still served.
      assert.equal((await fetch(`${s.url}/sts/${inst}/jwks.json`)).status, 200);
    } finally {
      await pragma('pragma query_only = off');
    }
    const afterwards = await translate(s, inst, idToken());
    assert.equal(afterwards.status, 200);
    assert.deepEqual(await allValid(s, inst, [before.token!, afterwards.token!]), []);
  });

  test('a full database: UNAVAILABLE once nothing fits, every token answered before has its record, writes resume after', async () => {
    const pages = Number(((await pragma('pragma page_count')) as Array<{ page_count: number }>)[0]!.page_count);
    await pragma('pragma wal_checkpoint(truncate)');
    await pragma(`pragma max_page_count = ${pages}`);
    const issued: string[] = [];
    let refused: Outcome | undefined;
    try {
      for (let i = 0; i < 3000 && !refused; i++) {
        const r = await translate(s, inst, idToken());
        if (r.status === 200) issued.push(r.token!);
        else refused = r;
      }
      assert.ok(refused, 'the database filled up');
      assert.equal(refused.status, 503);
      assert.equal(refused.code, 'UNAVAILABLE');
      assert.ok(Number(refused.retryAfter) >= 1);
      // Still full: the next one is refused alike (the batch, not one odd row).
      assert.equal((await translate(s, inst, idToken())).status, 503);
    } finally {
      await pragma('pragma max_page_count = 1073741823');
    }
    const afterwards = await translate(s, inst, idToken());
    assert.equal(afterwards.status, 200);
    // Checked once there is room again (validate writes its audit event too).
    assert.deepEqual(await allValid(s, inst, [...issued, afterwards.token!]), [], 'every token that was answered has its record');
  });
});

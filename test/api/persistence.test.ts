/**
 * Persistence on SQLite and PostgreSQL: committed migrations match the entities, start-up is serialised across
 * processes, state survives restarts, and the throttle is per (user, address).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, TEST_MASTER_KEY, freshDatabase, startServer, ADMIN_PASSWORD } from '../support/server.js';
import { Database, parseDatabaseUrl } from '../../src/persistence/database.js';
import { MIGRATIONS } from '../../src/persistence/migrations/index.js';
import { IdentityService } from '../../src/identity/identity.service.js';
import { DbIdentityRecords } from '../../src/persistence/identity-records.js';
import { startTessera } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';

test('database URLs parse; a bad one is refused with a clear message', () => {
  assert.deepEqual(parseDatabaseUrl('sqlite::memory:'), { dialect: 'sqlite', location: ':memory:' });
  assert.equal(parseDatabaseUrl('sqlite:./x/y.sqlite').dialect, 'sqlite');
  const pg = parseDatabaseUrl('postgresql://root@127.0.0.1:5432/test?schema=abc');
  assert.equal(pg.dialect, 'postgresql');
  assert.equal(pg.schema, 'abc');
  assert.ok(!pg.location.includes('schema='));
  assert.throws(() => parseDatabaseUrl('postgresql://root@127.0.0.1/test?schema=Robert%27);drop'), /schema/);
  assert.throws(() => parseDatabaseUrl('mysql://x'), /TESSERA_DATABASE_URL/);
});

for (const kind of DB_KINDS) {
  describe(`persistence on ${kind}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    after(async () => {
      for (const c of cleanups) await c();
    });

    test('migrations apply once and leave the schema equal to the entities', async () => {
      const fresh = freshDatabase(kind);
      cleanups.push(fresh.cleanup);
      const db = await Database.open(fresh.url);
      try {
        const first = await db.withStartupLock(() => db.migrate());
        assert.deepEqual(first, MIGRATIONS.map((m) => m.id));
        assert.deepEqual(await db.withStartupLock(() => db.migrate()), []);
        if (kind === 'sqlite') {
          const diff = await db.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
          const statements = diff.split(';').map((x) => x.trim()).filter(Boolean);
          // Only the bookkeeping tables (migrations, start-up lock) are unknown to the entities.
          assert.deepEqual(statements.sort(), ['drop table if exists `schema_migrations`', 'drop table if exists `startup_lock`']);
        } else {
          const tables = (await db.knex().raw("select table_name from information_schema.tables where table_schema = current_schema() order by 1")).rows.map((r: { table_name: string }) => r.table_name);
          for (const t of ['users', 'sessions', 'keys', 'sts_instances', 'issued_tokens', 'audit_events', 'auth_failures', 'used_proofs', 'oauth_clients', 'meta', 'schema_migrations']) {
            assert.ok(tables.includes(t), t);
          }
        }
      } finally {
        await db.close();
      }
    });

    test('several processes starting together bootstrap once', async () => {
      const fresh = freshDatabase(kind);
      cleanups.push(fresh.cleanup);
      const env = {
        PORT: '0',
        TESSERA_DATABASE_URL: fresh.url,
        TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD,
        TESSERA_MASTER_KEY: TEST_MASTER_KEY,
        TESSERA_DEMO: 'true',
        TESSERA_LOG_LEVEL: 'silent',
      };
      const settled = await Promise.allSettled([0, 1, 2].map(() => startTessera(loadConfig(env), { log: silentLogger, listen: false })));
      const starts = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      try {
        for (const r of settled) if (r.status === 'rejected') throw r.reason;
        const users = await starts[0].services.identity.listUsers();
        assert.equal(users.filter((u) => u.username === 'admin').length, 1);
        assert.deepEqual(users.map((u) => u.username).sort(), ['admin', 'alice', 'demo']);
        const instances = await starts[1].services.publish.list();
        assert.deepEqual(instances.map((i) => i.name), ['demo-exchange', 'demo-oidc', 'demo-saml']);
        const rsa = (await starts[2].services.keys.list()).filter((k) => k.algorithm === 'RS256' && k.status === 'ACTIVE');
        assert.equal(rsa.length, 1);
      } finally {
        for (const s of starts) await s.stop();
      }
    });

    test('state survives a restart; demo data is not loaded into a used database', async () => {
      const fresh = freshDatabase(kind);
      cleanups.push(fresh.cleanup);
      const a = await startServer({ db: kind, databaseUrl: fresh.url });
      await a.gql('mutation($i:UserInput!){ createUser(input:$i){ id } }', { i: { username: 'persisted', password: 'persisted-pw' } }, a.adminToken);
      const token = await a.login('persisted', 'persisted-pw');
      await a.stop();
      const b = await startServer({ db: kind, databaseUrl: fresh.url, env: { TESSERA_DEMO: 'true' } });
      try {
        assert.equal((await b.gql('{ me { username } }', {}, token)).data.me.username, 'persisted');
        const users = (await b.gql('{ users { username } }', {}, b.adminToken)).data.users.map((u: { username: string }) => u.username);
        assert.ok(!users.includes('demo'), 'demo users only go into an empty database');
      } finally {
        await b.stop();
      }
    });

    test('a wrong master key stops the start with a clear message', async () => {
      const fresh = freshDatabase(kind);
      cleanups.push(fresh.cleanup);
      const a = await startServer({ db: kind, databaseUrl: fresh.url });
      await a.stop();
      await assert.rejects(
        startServer({ db: kind, databaseUrl: fresh.url, env: { TESSERA_MASTER_KEY: 'b'.repeat(64) } }),
        (e: Error) => /TESSERA_MASTER_KEY/.test(e.message) && e.name === 'MasterKeyError',
      );
      await assert.rejects(startServer({ db: kind, databaseUrl: fresh.url, env: { TESSERA_MASTER_KEY: 'not-a-key' } }), /TESSERA_MASTER_KEY/);
    });

    test('the password throttle is per user and address: another address is not locked out', async () => {
      const fresh = freshDatabase(kind);
      cleanups.push(fresh.cleanup);
      const db = await Database.open(fresh.url);
      try {
        await db.migrate();
        const identity = new IdentityService(new DbIdentityRecords(db), { sessionTtlSeconds: 60, authMaxFailures: 3, authWindowSeconds: 60, scrypt: { logN: 10, r: 8, p: 1 } });
        await identity.createUser({ username: 'admin2', password: 'right-password', roles: ['admin'] });
        for (let i = 0; i < 3; i++) await assert.rejects(identity.login('admin2', 'wrong-password', '10.0.0.66'), { code: 'UNAUTHENTICATED' });
        await assert.rejects(identity.login('admin2', 'right-password', '10.0.0.66'), { code: 'RATE_LIMITED' });
        assert.ok((await identity.login('admin2', 'right-password', '10.0.0.1')).session.token);
        // The USERNAME validator shares the count.
        assert.equal(await identity.verifyPassword('admin2', 'wrong-password', '10.0.0.2'), null);
        assert.equal(await identity.verifyPassword('admin2', 'wrong-password', '10.0.0.2'), null);
        assert.equal(await identity.verifyPassword('admin2', 'wrong-password', '10.0.0.2'), null);
        await assert.rejects(identity.login('admin2', 'right-password', '10.0.0.2'), { code: 'RATE_LIMITED' });
        // Unknown users are throttled the same way (nothing tells them apart).
        for (let i = 0; i < 3; i++) await assert.rejects(identity.login('ghost', 'x-password', '10.0.0.3'), { code: 'UNAUTHENTICATED' });
        await assert.rejects(identity.login('ghost', 'x-password', '10.0.0.3'), { code: 'RATE_LIMITED' });
        // Expired sessions are refused and purged.
        const s = await identity.login('admin2', 'right-password', '10.0.0.4');
        const later = new IdentityService(new DbIdentityRecords(db), { sessionTtlSeconds: 60, authMaxFailures: 3, authWindowSeconds: 60, now: () => new Date(Date.now() + 61_000) });
        assert.equal(await later.authenticate(s.session.token), null);
        await later.purgeExpired();
        assert.equal(await identity.authenticate(s.session.token), null);
      } finally {
        await db.close();
      }
    });
  });
}

for (const kind of DB_KINDS) {
  test(`expired records, used proofs and ended sessions are purged (${kind})`, async () => {
    const fresh = freshDatabase(kind);
    const db = await Database.open(fresh.url);
    try {
      await db.migrate();
      const { DbIssuedTokenStore, DbReplayStore } = await import('../../src/persistence/stores.js');
      const { WriteBatcher } = await import('../../src/persistence/write-batcher.js');
      const issued = new DbIssuedTokenStore(db, new WriteBatcher(db));
      const replay = new DbReplayStore(db);
      const base = { instanceId: 'i-1', instanceName: 'x', subject: 's', type: 'OPENIDCONNECT', issuedAt: new Date() };
      await issued.record({ ...base, tokenId: 'old', tokenHash: 'a'.repeat(64), expiresAt: new Date(Date.now() - 10_000) });
      await issued.record({ ...base, tokenId: 'new', tokenHash: 'b'.repeat(64), expiresAt: new Date(Date.now() + 60_000) });
      assert.equal(await issued.purgeExpired(new Date()), 1);
      assert.equal(await issued.findByHash('i-1', 'a'.repeat(64)), null);
      assert.ok(await issued.findByHash('i-1', 'b'.repeat(64)));
      assert.equal(await replay.useOnce('scope', 'jti-1', new Date(Date.now() - 1000)), true);
      assert.equal(await replay.useOnce('scope', 'jti-1', new Date(Date.now() - 1000)), false);
      assert.equal(await replay.purgeExpired(new Date()), 1);
      // Cancellation is idempotent and found by hash only.
      assert.equal(await issued.cancel('i-1', 'b'.repeat(64)), true);
      assert.equal(await issued.cancel('i-1', 'b'.repeat(64)), true);
      assert.equal(await issued.cancel('i-2', 'b'.repeat(64)), false);
      assert.equal((await issued.findByHash('i-1', 'b'.repeat(64)))!.cancelled, true);
    } finally {
      await db.close();
      await fresh.cleanup();
    }
  });
}

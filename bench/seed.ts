/**
 * Writes straight to Tessera's database from the bench process, through SQL, not through the API: a
 * population of users for the many-users USERNAME row, and the preload of issued-token records and audit
 * events (`--preload N`) — the API would take hours for millions of rows, SQL takes seconds to minutes.
 * The server is running meanwhile, as it would be when a database has grown; on SQLite both processes share
 * the file (WAL, busy timeout).
 */
import { randomUUID } from 'node:crypto';
import { Database } from '../src/persistence/database.js';
import { hashPassword } from '../src/identity/password.js';

/** `count` users named `<prefix>0` … with the same password (one scrypt hash, so seeding costs one hash). */
export async function seedUsers(databaseUrl: string, prefix: string, count: number, password: string): Promise<string[]> {
  const db = await Database.open(databaseUrl);
  try {
    await setBusyTimeout(db);
    const hash = await hashPassword(password);
    const now = db.dateParam(new Date());
    const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
    const attributes = JSON.stringify({ email: 'bench@bench.example', name: 'Bench User', groups: ['staff', 'bench'] });
    for (let i = 0; i < names.length; i += 200) {
      const rows = names.slice(i, i + 200).map((u) => ({
        id: randomUUID(),
        username: u,
        username_key: u.toLowerCase(),
        password_hash: hash,
        roles: JSON.stringify(['user']),
        attributes,
        created_at: now,
        updated_at: now,
      }));
      await db.knex()('users').insert(rows);
    }
    return names;
  } finally {
    await db.close();
  }
}

async function setBusyTimeout(db: Database): Promise<void> {
  if (db.dialect === 'sqlite') await db.knex().raw('pragma busy_timeout = 30000');
}

export interface PreloadResult {
  rows: number;
  seconds: number;
}

/**
 * `n` issued-token records (for `instanceId`) and `n` audit events, generated inside the database
 * (a recursive CTE on SQLite, generate_series on PostgreSQL) in transactions of `chunk` rows. Issue times are
 * spread over the past 30 days; expiry times uniformly over [now − 70 min, now + 24 h], so the first periodic
 * purge (cut-off: expired over an hour ago) finds about 0.7 % of them and later purges a trickle, as a server
 * that restarts on a grown database would see.
 */
export async function preload(databaseUrl: string, instance: { id: string; name: string }, n: number, log: (l: string) => void): Promise<PreloadResult> {
  const db = await Database.open(databaseUrl);
  const started = performance.now();
  try {
    await setBusyTimeout(db);
    const now = Date.now();
    const lo = now - 70 * 60_000;
    const span = 24 * 3600_000 + 70 * 60_000;
    const month = 30 * 86400_000;
    const chunk = 250_000;
    const k = db.knex();
    for (let done = 0; done < n; done += chunk) {
      const m = Math.min(chunk, n - done);
      if (db.dialect === 'sqlite') {
        // Dates are stored as epoch milliseconds on SQLite (MikroORM's representation).
        await k.transaction(async (trx) => {
          await trx.raw(
            `with recursive s(i) as (select ? union all select i + 1 from s where i < ?)
             insert into issued_tokens (id, token_id, instance_id, instance_name, subject, type, token_hash, issued_at, expires_at, cancelled, cancelled_at, sender)
             select lower(hex(randomblob(16))), 'pre-' || i, ?, ?, 'user-' || (i % 100000), 'OPENIDCONNECT', lower(hex(randomblob(32))),
                    ? - (abs(random()) % ?), ? + (abs(random()) % ?), 0, null, null from s`,
            [done, done + m - 1, instance.id, instance.name, now, month, lo, span],
          );
          await trx.raw(
            `with recursive s(i) as (select ? union all select i + 1 from s where i < ?)
             insert into audit_events (id, at, action, actor, instance, subject, target, input_type, output_type, outcome, client_address, detail)
             select lower(hex(randomblob(16))), ? - (abs(random()) % ?), 'translate', null, ?, 'user-' || (i % 100000), null,
                    'OPENIDCONNECT', 'OPENIDCONNECT', 'OK', '127.0.0.1', null from s`,
            [done, done + m - 1, now, month, instance.name],
          );
        });
      } else {
        await k.transaction(async (trx) => {
          await trx.raw(
            `insert into issued_tokens (id, token_id, instance_id, instance_name, subject, type, token_hash, issued_at, expires_at, cancelled, cancelled_at, sender)
             select gen_random_uuid()::text, 'pre-' || i, ?, ?, 'user-' || (i % 100000), 'OPENIDCONNECT', md5(random()::text) || md5(random()::text),
                    to_timestamp((? - floor(random() * ?)) / 1000.0), to_timestamp((? + floor(random() * ?)) / 1000.0), false, null, null
             from generate_series(?::bigint, ?::bigint) as i`,
            [instance.id, instance.name, now, month, lo, span, done, done + m - 1],
          );
          await trx.raw(
            `insert into audit_events (id, at, action, actor, instance, subject, target, input_type, output_type, outcome, client_address, detail)
             select gen_random_uuid()::text, to_timestamp((? - floor(random() * ?)) / 1000.0), 'translate', null, ?, 'user-' || (i % 100000), null,
                    'OPENIDCONNECT', 'OPENIDCONNECT', 'OK', '127.0.0.1', null
             from generate_series(?::bigint, ?::bigint) as i`,
            [now, month, instance.name, done, done + m - 1],
          );
        });
      }
      log(`  preload: ${done + m} of ${n} records and audit events (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    if (db.dialect === 'sqlite') {
      await k.raw('pragma wal_checkpoint(TRUNCATE)');
      await k.raw('analyze');
    } else {
      await k.raw('analyze issued_tokens');
      await k.raw('analyze audit_events');
    }
    return { rows: n, seconds: (performance.now() - started) / 1000 };
  } finally {
    await db.close();
  }
}

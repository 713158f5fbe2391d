/**
 * Opens the database named by TESSERA_DATABASE_URL (SQLite file, SQLite in memory, or PostgreSQL), applies the
 * committed migrations, and serialises start-up work across processes (PostgreSQL advisory lock).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { EntityManager } from '@mikro-orm/core';
import { MikroORM as SqliteORM } from '@mikro-orm/sqlite';
import { MikroORM as PgORM } from '@mikro-orm/postgresql';
import type { Knex } from '@mikro-orm/knex';
import type { Logger } from '../log.js';
import { ALL_SCHEMAS } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';
// Registers the database fault classifier: a database that does not answer is UNAVAILABLE to every door.
import './faults.js';

export type Dialect = 'sqlite' | 'postgresql';

export interface DatabaseTarget {
  dialect: Dialect;
  /** SQLite: the file path or ':memory:'. PostgreSQL: the URL without Tessera's own `schema` parameter. */
  location: string;
  /** PostgreSQL schema (from `?schema=`); default `public`. */
  schema?: string;
}

export class DatabaseConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseConfigError';
  }
}

export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url === 'sqlite::memory:') return { dialect: 'sqlite', location: ':memory:' };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) throw new DatabaseConfigError('TESSERA_DATABASE_URL: sqlite: needs a file path');
    return { dialect: 'sqlite', location: resolve(path) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new DatabaseConfigError('TESSERA_DATABASE_URL is not a valid PostgreSQL URL');
    }
    const schema = u.searchParams.get('schema') ?? undefined;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new DatabaseConfigError('TESSERA_DATABASE_URL: schema must match ^[a-z_][a-z0-9_]{0,62}$');
    }
    u.searchParams.delete('schema');
    u.protocol = 'postgresql:';
    return { dialect: 'postgresql', location: u.toString(), schema };
  }
  throw new DatabaseConfigError('TESSERA_DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgresql://…');
}

/** PostgreSQL: how long to wait for a new connection, for a free one from the pool, and for a query's answer. */
export const PG_CONNECT_TIMEOUT_MS = 3_000;
export const PG_ACQUIRE_TIMEOUT_MS = 3_000;
export const PG_QUERY_TIMEOUT_MS = 30_000;

export class Database {
  private constructor(
    readonly orm: SqliteORM | PgORM,
    readonly dialect: Dialect,
    readonly target: DatabaseTarget,
  ) {}

  /**
   * `log` receives the driver's own warnings (knex reports a dropped PostgreSQL connection this way) as
   * structured lines instead of bare text on standard error.
   */
  static async open(url: string, opts: { log?: Pick<Logger, 'warn' | 'debug'> } = {}): Promise<Database> {
    const knexLog = {
      warn: (m: unknown) => (opts.log ? opts.log.warn('database driver', { detail: String(m).slice(0, 300) }) : undefined),
      error: (m: unknown) => (opts.log ? opts.log.warn('database driver', { detail: String(m).slice(0, 300) }) : undefined),
      deprecate: (m: unknown) => opts.log?.debug('database driver', { detail: String(m).slice(0, 300) }),
      debug: () => {},
    };
    const target = parseDatabaseUrl(url);
    if (target.dialect === 'sqlite') {
      if (target.location !== ':memory:') mkdirSync(dirname(target.location), { recursive: true });
      const orm = await SqliteORM.init({
        dbName: target.location,
        entities: ALL_SCHEMAS,
        allowGlobalContext: false,
        debug: false,
        // One connection: SQLite serialises writers anyway, and ':memory:' must not open a second database.
        pool: { min: 1, max: 1 },
      });
      const db = new Database(orm, 'sqlite', target);
      try {
        // busy_timeout first: it makes the next statements wait for another process instead of failing.
        await db.knex().raw('pragma busy_timeout = 10000');
        // WAL lets readers proceed during a write; NORMAL syncs at checkpoints, which WAL keeps durable
        // against process crashes.
        if (target.location !== ':memory:') await db.knex().raw('pragma journal_mode = WAL');
        await db.knex().raw('pragma synchronous = NORMAL');
      } catch (e) {
        await orm.close(true);
        throw e;
      }
      return db;
    }
    if (target.schema) {
      // Create the schema first, through a short-lived connection without the search path.
      const boot = await PgORM.init({ clientUrl: target.location, entities: ALL_SCHEMAS, allowGlobalContext: false, debug: false, pool: { min: 0, max: 1 } });
      try {
        await (boot.em.getConnection().getKnex() as Knex).raw(`create schema if not exists "${target.schema}"`);
      } catch (e) {
        // Two processes creating the schema at once: the loser sees a unique violation, and the schema exists.
        if ((e as { code?: string }).code !== '23505' && (e as { code?: string }).code !== '42P06') throw e;
      } finally {
        await boot.close(true);
      }
    }
    const orm = await PgORM.init({
      clientUrl: target.location,
      entities: ALL_SCHEMAS,
      allowGlobalContext: false,
      debug: false,
      // Fail fast when the server is down or unreachable (the caller gets UNAVAILABLE, persistence/faults.ts)
      // instead of queueing for a minute: a new connection or a free one from the pool within a few seconds.
      pool: { min: 1, max: 10, acquireTimeoutMillis: PG_ACQUIRE_TIMEOUT_MS, createTimeoutMillis: PG_CONNECT_TIMEOUT_MS, propagateCreateError: true },
      driverOptions: {
        // Tables stay unqualified; the search path picks the schema (a fresh one per test run, for instance).
        ...(target.schema ? { searchPath: [target.schema] } : {}),
        log: knexLog,
        // The pg client's own options (merged into knex's connection settings).
        connection: {
          connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
          // A server that stops answering mid-query (a partition, not a clean stop) frees the caller too.
          query_timeout: PG_QUERY_TIMEOUT_MS,
          keepAlive: true,
        },
      },
    });
    return new Database(orm, 'postgresql', target);
  }

  /** A date as raw SQL parameter, in the representation MikroORM uses for this dialect. */
  dateParam(d: Date): Date | number {
    return this.dialect === 'sqlite' ? d.getTime() : d;
  }

  em(): EntityManager {
    return this.orm.em.fork() as unknown as EntityManager;
  }

  /**
   * Runs `fn` in one transaction on a fresh EntityManager. Unlike `em.transactional`, it does not enter an
   * AsyncLocalStorage context: entering one would switch on promise hooks for the life of the process, which
   * taxes every request. For the same reason it commits without `em.commit()`, whose flush runs inside
   * MikroORM's own AsyncLocalStorage (UnitOfWork's `insideFlush`) even with nothing to flush: a single publish
   * left promise hooks on for good. The stores write natively (insert, nativeUpdate, nativeDelete), so a
   * transaction never has entities to flush; one that had would be refused.
   */
  async transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const em = this.em();
    await em.begin();
    try {
      const result = await fn(em);
      if (em.getUnitOfWork().getPersistStack().size > 0 || em.getUnitOfWork().getRemoveStack().size > 0) {
        throw new Error('Database.transaction: entities were persisted or removed; write natively instead');
      }
      await em.getConnection('write').commit(em.getTransactionContext()!);
      em.resetTransactionContext();
      return result;
    } catch (e) {
      await em.rollback().catch(() => {});
      throw e;
    }
  }

  knex(): Knex {
    return (this.orm.em.getConnection() as unknown as { getKnex(): Knex }).getKnex();
  }

  /**
   * Runs `fn` while holding the start-up lock, so that migrations and first-start bootstrap happen once even
   * when several processes start together: a session advisory lock on PostgreSQL, a lock row on a SQLite file.
   */
  async withStartupLock<T>(fn: () => Promise<T>): Promise<T> {
    if (this.dialect === 'sqlite') return this.target.location === ':memory:' ? fn() : this.withSqliteLock(fn);
    const knex = this.knex();
    const client = knex.client as unknown as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<void> };
    const conn = await client.acquireConnection();
    const lockId = 0x7e55e7a; // "tessera"
    try {
      await knex.raw('select pg_advisory_lock(?)', [lockId]).connection(conn as never);
      try {
        return await fn();
      } finally {
        await knex.raw('select pg_advisory_unlock(?)', [lockId]).connection(conn as never);
      }
    } finally {
      await client.releaseConnection(conn);
    }
  }

  private async withSqliteLock<T>(fn: () => Promise<T>): Promise<T> {
    const knex = this.knex();
    await knex.raw('create table if not exists `startup_lock` (`id` integer primary key, `holder` text not null, `acquired_at` integer not null)');
    const holder = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        await knex.raw('insert into `startup_lock` (`id`, `holder`, `acquired_at`) values (1, ?, ?)', [holder, Date.now()]);
        break;
      } catch {
        // Held by another process. A holder that died leaves its row: take over after a minute.
        await knex.raw('delete from `startup_lock` where `id` = 1 and `acquired_at` < ?', [Date.now() - 60_000]);
        if (Date.now() > deadline) throw new Error('timed out waiting for the start-up lock held by another process');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    try {
      return await fn();
    } finally {
      await knex.raw('delete from `startup_lock` where `id` = 1 and `holder` = ?', [holder]);
    }
  }

  /** Applies every committed migration not yet recorded. Returns the ids applied now. */
  async migrate(): Promise<string[]> {
    const knex = this.knex();
    if (!(await knex.schema.hasTable('schema_migrations'))) {
      await knex.schema.createTable('schema_migrations', (t) => {
        t.string('id', 64).primary();
        t.string('applied_at', 32).notNullable();
      });
    }
    const done = new Set((await knex('schema_migrations').select('id')).map((r: { id: string }) => r.id));
    const applied: string[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue;
      await knex.transaction(async (trx) => {
        for (const stmt of m[this.dialect]) await trx.raw(stmt);
        await trx('schema_migrations').insert({ id: m.id, applied_at: new Date().toISOString() });
      });
      applied.push(m.id);
    }
    return applied;
  }

  async ping(): Promise<boolean> {
    try {
      await this.knex().raw('select 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.orm.close(true);
  }
}

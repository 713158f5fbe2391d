/**
 * Group commit for the per-token writes (issued-token records and audit events). A caller submits a unit — the
 * rows that must be durable together, such as a record and its audit event — and is answered only once the
 * transaction holding its unit has committed, so a token is durable before its response is sent. Units queued
 * while a write is in flight go to the database together: one multi-row insert per table, in one transaction,
 * at a fraction of the round trips.
 *
 * If a batch fails, each of its units is written again in a transaction of its own, so one bad row fails only
 * its own caller, never the other callers who happened to share the batch — unless the database itself is the
 * fault (persistence/faults.ts), when every unit of the batch fails at once.
 */
import type { Knex } from '@mikro-orm/knex';
import { publicCode } from '../engine/errors.js';
import type { Database } from './database.js';

export type Table = 'issued_tokens' | 'audit_events';
export type Row = Record<string, unknown>;
export type Unit = ReadonlyArray<readonly [Table, Row]>;

/** Property name → column name (MikroORM's underscore naming), computed once per property. */
const COLUMN = new Map<string, string>();
/** Insert statements by table, columns and row count. */
const SQL = new Map<string, string>();
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

interface Pending {
  unit: Unit;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface BatchObserver {
  /** Called after every transaction attempt: how many units it held, how long it took, and whether it failed. */
  batch?(units: number, ms: number, failed: boolean): void;
}

export class WriteBatcher {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly db: Database,
    private readonly maxBatch = 256,
    private readonly observer: BatchObserver = {},
  ) {}

  /** Resolves when every row of the unit is durable; rejects (with no row written) when the unit cannot be. */
  submit(unit: Unit): Promise<void> {
    if (unit.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ unit, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Let the units of requests handled in this turn of the event loop join the batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.commit(batch);
      }
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) {
        this.flushing = true;
        setImmediate(() => void this.drain());
      }
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    try {
      await this.write(batch.map((p) => p.unit));
      for (const p of batch) p.resolve();
      return;
    } catch (e) {
      // One unit, or a database that does not answer (down, full, read-only): every unit fails alike, at once,
      // rather than after one more attempt each.
      if (batch.length === 1 || publicCode(e) === 'UNAVAILABLE') {
        for (const p of batch) p.reject(e);
        return;
      }
    }
    // The batch wrote nothing (one transaction): find the bad unit by writing each on its own.
    for (const p of batch) {
      try {
        await this.write([p.unit]);
        p.resolve();
      } catch (err) {
        p.reject(err);
      }
    }
  }

  /** All rows of `units` in one transaction. */
  private async write(units: Unit[]): Promise<void> {
    const started = performance.now();
    const byTable = new Map<Table, Row[]>();
    for (const unit of units) {
      for (const [table, row] of unit) {
        let rows = byTable.get(table);
        if (!rows) byTable.set(table, (rows = []));
        rows.push(this.columns(row));
      }
    }
    const statements = [...byTable].map(([table, rows]) => this.insertStatement(table, rows));
    let failed = true;
    try {
      if (statements.length === 1) {
        await this.db.knex().raw(statements[0].sql, statements[0].values);
      } else if (this.db.dialect === 'postgresql') {
        // One statement, so one round trip, and atomic: a data-modifying CTE (PostgreSQL 7.8.4).
        const [first, ...rest] = statements;
        const ctes = rest.map((s, i) => `w${i} as (${s.sql})`).join(', ');
        await this.db.knex().raw(`with ${ctes} ${first.sql}`, [...rest.flatMap((s) => s.values), ...first.values]);
      } else {
        // SQLite ends a transaction itself on some errors (SQLITE_FULL, SQLITE_IOERR), and knex's ROLLBACK then
        // fails with "no transaction is active": the caller must see the statement's error, not the rollback's.
        let failure: unknown;
        try {
          await this.db.knex().transaction(async (trx) => {
            try {
              for (const s of statements) await trx.raw(s.sql, s.values);
            } catch (e) {
              failure = e;
              throw e;
            }
          });
        } catch (e) {
          throw failure ?? e;
        }
      }
      failed = false;
    } finally {
      this.observer.batch?.(units.length, performance.now() - started, failed);
    }
  }

  /** An entity-shaped row as column values for this dialect (the representation MikroORM reads back). */
  private columns(row: Row): Row {
    const out: Row = {};
    for (const k in row) {
      const v = row[k];
      let col = COLUMN.get(k);
      if (col === undefined) {
        col = k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
        COLUMN.set(k, col);
      }
      if (v instanceof Date) out[col] = this.db.dateParam(v);
      else if (typeof v === 'boolean') out[col] = this.db.dialect === 'sqlite' ? (v ? 1 : 0) : v;
      else if (v !== null && typeof v === 'object') out[col] = JSON.stringify(v);
      else out[col] = v ?? null;
    }
    return out;
  }

  /**
   * One multi-row insert as raw SQL: the statement text depends only on the table, its columns and the row
   * count, so it is built once and reused, which spares the query builder's per-value work on every batch.
   */
  private insertStatement(table: Table, rows: Row[]): { sql: string; values: Knex.RawBinding[] } {
    const columns: string[] = [];
    const seen = new Set<string>();
    for (const row of rows) for (const c in row) if (!seen.has(c)) (seen.add(c), columns.push(c));
    const key = `${table}|${columns.join(',')}|${rows.length}`;
    let sql = SQL.get(key);
    if (sql === undefined) {
      for (const c of [table, ...columns]) if (!IDENTIFIER.test(c)) throw new Error(`not a plain SQL identifier: ${c}`);
      const tuple = `(${columns.map(() => '?').join(',')})`;
      sql = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(',')}) values ${Array(rows.length).fill(tuple).join(',')}`;
      if (SQL.size >= 1024) SQL.clear();
      SQL.set(key, sql);
    }
    const values: unknown[] = [];
    for (const row of rows) for (const c of columns) values.push(row[c] ?? null);
    return { sql, values: values as Knex.RawBinding[] };
  }
}

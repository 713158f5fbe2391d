/**
 * Group commit for the per-token writes (issued-token records and audit events): rows queued while a write is
 * in flight go to the database together — one multi-row insert per table — and each caller is answered only
 * after the statement that holds its row has committed, so a token is durable before its response is sent, at
 * a fraction of the round trips.
 */
import type { Knex } from '@mikro-orm/knex';
import type { Database } from './database.js';

type Kind = 'issued' | 'audit';

/** Property name → column name (MikroORM's underscore naming), computed once per property. */
const COLUMN = new Map<string, string>();
/** Insert statements by table, columns and row count. */
const SQL = new Map<string, string>();
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

interface Pending {
  kind: Kind;
  row: Record<string, unknown>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class WriteBatcher {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly db: Database,
    private readonly maxBatch = 256,
  ) {}

  write(kind: Kind, row: Record<string, unknown>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind, row, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Let the rows of requests handled in this turn of the event loop join the batch.
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

  /** An entity-shaped row as column values for this dialect (the representation MikroORM reads back). */
  private columns(row: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
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

  private async commit(batch: Pending[]): Promise<void> {
    // The hot path: one multi-row statement per table, straight to the driver, both tables at once. Each
    // statement commits on its own, which is all durability needs (the rows are independent).
    await Promise.all([this.insert('issued_tokens', batch.filter((p) => p.kind === 'issued')), this.insert('audit_events', batch.filter((p) => p.kind === 'audit'))]);
  }

  /**
   * One multi-row insert as raw SQL: the statement text depends only on the table, its columns and the row
   * count, so it is built once and reused, which spares the query builder's per-value work on every batch.
   */
  private insertRows(table: string, rows: Record<string, unknown>[]): Promise<unknown> {
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
    return this.db.knex().raw(sql, values as Knex.RawBinding[]);
  }

  private async insert(table: string, group: Pending[]): Promise<void> {
    if (group.length === 0) return;
    try {
      await this.insertRows(table, group.map((p) => this.columns(p.row)));
      for (const p of group) p.resolve();
    } catch (e) {
      if (group.length === 1) {
        group[0].reject(e);
        return;
      }
      // One bad row must not fail its neighbours (the statement wrote none): write them one by one.
      for (const p of group) {
        try {
          await this.insertRows(table, [this.columns(p.row)]);
          p.resolve();
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }
}

/**
 * Reading rows from raw SQL (knex.raw straight to the driver, for the few per-request look-ups where entity
 * hydration and the identity map cost more than the query), in the representation MikroORM writes.
 */

/** The rows of a knex raw result: an array on SQLite, a pg result's `rows` on PostgreSQL. */
export function rawRows(result: unknown): Array<Record<string, unknown>> {
  return (Array.isArray(result) ? result : (result as { rows: Array<Record<string, unknown>> }).rows) as Array<Record<string, unknown>>;
}

/**
 * A date column: epoch milliseconds on SQLite (MikroORM's representation); on PostgreSQL the timestamptz text
 * (MikroORM keeps pg from parsing dates), e.g. `2026-12-02 06:03:30.858+00`.
 */
export function rawDate(v: unknown): Date {
  if (v instanceof Date) return v;
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) return new Date(Number(v));
  return new Date(String(v));
}

/** A JSON column: text on SQLite, already parsed (jsonb) on PostgreSQL. */
export function rawJson<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

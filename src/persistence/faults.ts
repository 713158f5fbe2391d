/**
 * Database faults as callers see them (engine/errors.ts classifiers): a database that is down, unreachable,
 * out of space, read-only or too busy is UNAVAILABLE — HTTP 503 with Retry-After, OAuth
 * `temporarily_unavailable` — never INTERNAL. Nothing was acknowledged: a write that failed this way wrote
 * nothing the caller was told about (the group commit answers only after its transaction committed).
 *
 * Recognised: network errors of the driver's socket, the pg driver's connection messages, knex's pool timeout,
 * PostgreSQL SQLSTATE classes 08 (connection), 53 (insufficient resources), 57P0x (shutdown, cannot connect
 * now), 57014 (statement timeout), 58 (system I/O), 25006 (read-only transaction, a standby), and SQLite's
 * BUSY, LOCKED, READONLY, FULL, IOERR, CANTOPEN, NOMEM, PROTOCOL, CORRUPT and NOTADB result codes.
 * Constraint violations, syntax errors and everything else stay what they were.
 */
import { registerFaultClassifier, TesseraError, UnavailableError } from '../engine/errors.js';

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

const SQLITE = /^SQLITE_(BUSY|LOCKED|READONLY|FULL|IOERR|CANTOPEN|NOMEM|PROTOCOL|CORRUPT|NOTADB)(_|$)/;

const PG_SQLSTATE = /^(08[0-9A-Z]{3}|53[0-9A-Z]{3}|57P0[1-4]|57014|58[0-9A-Z]{3}|25006)$/;

/** The pg driver and knex report these without a code of their own: what each means. */
const MESSAGES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Connection terminated\b/, 'the connection was closed'],
  [/^timeout exceeded when trying to connect$/, 'connecting timed out'],
  [/^Knex: Timeout acquiring a connection\b/, 'no pooled connection became free in time'],
  [/^Query read timeout$/, 'the query got no answer in time'],
  [/^Client has encountered a connection error and is not queryable$/, 'the connection failed'],
  [/^Cannot use a pool after calling end on the pool$/, 'the pool is closed'],
];

/** What an operator reads in the log for each kind of fault; the caller sees only UnavailableError's message. */
export function describeFault(e: unknown): string | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const o = e as { code?: unknown; errno?: unknown; sqlState?: unknown; message?: unknown; name?: unknown };
  const code = typeof o.code === 'string' ? o.code : undefined;
  const sqlState = typeof o.sqlState === 'string' ? o.sqlState : code;
  if (code && NETWORK.has(code)) return `database connection: ${code}`;
  if (code && SQLITE.test(code)) return `SQLite: ${code}`;
  if (sqlState && PG_SQLSTATE.test(sqlState)) return `PostgreSQL: SQLSTATE ${sqlState}`;
  if (o.name === 'KnexTimeoutError') return 'database connection pool: timed out waiting for a connection';
  const message = typeof o.message === 'string' ? o.message : '';
  const known = MESSAGES.find(([m]) => m.test(message));
  if (known) return `database connection: ${known[1]}`;
  return undefined;
}

/** The classifier: a database fault becomes UNAVAILABLE, retry after a few seconds. */
export function classifyDatabaseFault(e: unknown): TesseraError | undefined {
  const what = describeFault(e);
  return what ? new UnavailableError('The database is not available; try again shortly.', e, 5, what) : undefined;
}

registerFaultClassifier(classifyDatabaseFault);

/**
 * The one place where errors become HTTP answers for the REST doors (PingAM's CREST body) and the RFC 8693
 * token endpoint (RFC 6749 §5.2 JSON), from the one table in engine/errors.ts. Anything that is not a public
 * TesseraError is masked as INTERNAL; its cause is handed back for the server log, never sent.
 */
import { describeError, type Logger } from '../log.js';
import { asTesseraError, ERROR_TABLE, faultFields, INTERNAL_MESSAGE, TesseraError, type ErrorCode, type OAuthErrorCode } from '../engine/errors.js';

export const NO_STORE = { 'Cache-Control': 'no-store' } as const;

export interface HttpAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  /** The unmasked cause of a 500, for the HTTP layer to log; never sent to the client. */
  internalError?: unknown;
  /** The fault behind a 503, for the HTTP layer to log at warn (as classified: faultFields); never sent. */
  faultCause?: unknown;
}

/** PingAM's error body (API.md §2): `code` is always the HTTP status of the answer. */
export function amErrorBody(status: number, reason: string, message: string, code: ErrorCode, field?: string): Record<string, unknown> {
  return { code: status, reason, message, detail: field ? { code, field } : { code } };
}

/** PingAM's error body for a table code, with the table's status and reason. */
export function amError(code: ErrorCode, message: string, field?: string): { status: number; body: Record<string, unknown> } {
  const { status, reason } = ERROR_TABLE[code];
  return { status, body: amErrorBody(status, reason, message, code, field) };
}

/** RFC 9110 §10.2.3: delay-seconds, a non-negative integer; rounded up so a client never retries early. */
function retryAfter(err: TesseraError): string | undefined {
  if (err.code !== 'RATE_LIMITED' && err.code !== 'UNAVAILABLE') return undefined;
  const after = typeof err.retryAfter === 'number' && Number.isFinite(err.retryAfter) ? Math.max(1, Math.ceil(err.retryAfter)) : 1;
  return String(after);
}

/** PingAM's error body for a table code (its status, reason and the message). */
export function restErrorBody(code: ErrorCode, message: string): Record<string, unknown> {
  return amError(code, message).body;
}

/** PingAM's CREST answer for any thrown value. */
export function restError(thrown: unknown): HttpAnswer {
  const err = asTesseraError(thrown);
  if (err && err.code !== 'INTERNAL') {
    const { status, reason } = ERROR_TABLE[err.code];
    const headers: Record<string, string> = { ...NO_STORE };
    const after = retryAfter(err);
    if (after) headers['Retry-After'] = after;
    const answer: HttpAnswer = { status, headers, body: amErrorBody(status, reason, err.message, err.code, err.field) };
    if (err.code === 'UNAVAILABLE') answer.faultCause = err;
    return answer;
  }
  const { status, reason } = ERROR_TABLE.INTERNAL;
  return { status, headers: { ...NO_STORE }, body: amErrorBody(status, reason, INTERNAL_MESSAGE, 'INTERNAL'), internalError: thrown };
}

/**
 * RFC 6749 §5.2 / RFC 8693 §2.2.2 for any thrown value: 400 with `error`, except `invalid_client` (always 401,
 * with `WWW-Authenticate: Basic` when the client authenticated with the Authorization header, RFC 6749 §5.2),
 * `temporarily_unavailable` (503) and `server_error` (500). `Cache-Control: no-store` as on every token answer.
 */
export function oauthError(thrown: unknown, opts: { basicAuth?: boolean } = {}): HttpAnswer {
  const headers: Record<string, string> = { ...NO_STORE, Pragma: 'no-cache' };
  const err = asTesseraError(thrown);
  if (err && err.code !== 'INTERNAL') {
    const error: OAuthErrorCode = err.oauthError ?? ERROR_TABLE[err.code].oauth;
    const status = error === 'invalid_client' ? 401 : error === 'temporarily_unavailable' ? (err.code === 'RATE_LIMITED' ? 429 : 503) : 400;
    if (error === 'invalid_client' && opts.basicAuth) headers['WWW-Authenticate'] = 'Basic realm="tessera", charset="UTF-8"';
    const after = retryAfter(err);
    if (after) headers['Retry-After'] = after;
    // RFC 6749 §5.2: error_description is printable ASCII without " and \ (quotes become ').
    const description = err.message.replace(/"/g, "'").replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' ');
    const answer: HttpAnswer = { status, headers, body: { error, error_description: description } };
    if (err.code === 'UNAVAILABLE') answer.faultCause = err;
    return answer;
  }
  return { status: 500, headers, body: { error: 'server_error', error_description: INTERNAL_MESSAGE }, internalError: thrown };
}

/** Fault lines per door: at most one a second while a database is down, with how many were folded into it. */
const faultLog = new Map<string, { last: number; folded: number }>();

/**
 * A fault behind an UNAVAILABLE answer, at warn, named as classified (faultFields) — never the driver's text —
 * and at most once a second per door, so an outage under load does not flood the log.
 */
export function logFault(log: Logger, fault: unknown, door: string): void {
  const now = Date.now();
  const state = faultLog.get(door) ?? { last: 0, folded: 0 };
  faultLog.set(door, state);
  if (now - state.last < 1000) {
    state.folded++;
    return;
  }
  log.warn('unavailable', { ...faultFields(fault), door, ...(state.folded ? { alsoUnavailableSinceLastLine: state.folded } : {}) });
  state.last = now;
  state.folded = 0;
}

/** Logs what an answer holds for operators: the masked cause of a 500 at error, the fault behind a 503 (logFault). */
export function logAnswer(log: Logger, answer: HttpAnswer, door: string): void {
  if (answer.internalError !== undefined) log.error('internal error', { ...describeError(answer.internalError), door });
  if (answer.faultCause !== undefined) logFault(log, answer.faultCause, door);
}

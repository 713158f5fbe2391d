/**
 * The one place where errors become HTTP answers for the REST doors (PingAM's CREST body) and the RFC 8693
 * token endpoint (RFC 6749 §5.2 JSON), from the one table in engine/errors.ts. Anything that is not a public
 * TesseraError is masked as INTERNAL; its cause is handed back for the server log, never sent.
 */
import { ERROR_TABLE, INTERNAL_MESSAGE, TesseraError, type ErrorCode, type OAuthErrorCode } from '../engine/errors.js';

export const NO_STORE = { 'Cache-Control': 'no-store' } as const;

export interface HttpAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  /** The unmasked cause of a 500, for the HTTP layer to log; never sent to the client. */
  internalError?: unknown;
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
export function restError(err: unknown): HttpAnswer {
  if (err instanceof TesseraError && err.code !== 'INTERNAL') {
    const { status, reason } = ERROR_TABLE[err.code];
    const headers: Record<string, string> = { ...NO_STORE };
    const after = retryAfter(err);
    if (after) headers['Retry-After'] = after;
    return { status, headers, body: amErrorBody(status, reason, err.message, err.code, err.field) };
  }
  const { status, reason } = ERROR_TABLE.INTERNAL;
  return { status, headers: { ...NO_STORE }, body: amErrorBody(status, reason, INTERNAL_MESSAGE, 'INTERNAL'), internalError: err };
}

/**
 * RFC 6749 §5.2 / RFC 8693 §2.2.2 for any thrown value: 400 with `error`, except `invalid_client` (always 401,
 * with `WWW-Authenticate: Basic` when the client authenticated with the Authorization header, RFC 6749 §5.2),
 * `temporarily_unavailable` (503) and `server_error` (500). `Cache-Control: no-store` as on every token answer.
 */
export function oauthError(err: unknown, opts: { basicAuth?: boolean } = {}): HttpAnswer {
  const headers: Record<string, string> = { ...NO_STORE, Pragma: 'no-cache' };
  if (err instanceof TesseraError && err.code !== 'INTERNAL') {
    const error: OAuthErrorCode = err.oauthError ?? ERROR_TABLE[err.code].oauth;
    const status = error === 'invalid_client' ? 401 : error === 'temporarily_unavailable' ? (err.code === 'RATE_LIMITED' ? 429 : 503) : 400;
    if (error === 'invalid_client' && opts.basicAuth) headers['WWW-Authenticate'] = 'Basic realm="tessera", charset="UTF-8"';
    const after = retryAfter(err);
    if (after) headers['Retry-After'] = after;
    // RFC 6749 §5.2: error_description is printable ASCII without " and \ (quotes become ').
    const description = err.message.replace(/"/g, "'").replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' ');
    return { status, headers, body: { error, error_description: description } };
  }
  return { status: 500, headers, body: { error: 'server_error', error_description: INTERNAL_MESSAGE }, internalError: err };
}

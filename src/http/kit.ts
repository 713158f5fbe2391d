/**
 * What every HTTP door shares: bounded body reading, answers with the headers every answer carries, the
 * caller's address (the socket, never X-Forwarded-For) and identity (a session), and the door contract itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../engine/types.js';
import type { Services } from '../services.js';
import { amErrorBody } from './errors.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyError extends Error {
  constructor(readonly kind: 'TOO_LARGE' | 'BAD_JSON' | 'BAD_CONTENT_TYPE') {
    super(kind);
  }
}

/** The request body, at most `max` bytes (BodyError TOO_LARGE beyond, without reading the rest into memory). */
export function readBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > max) {
        failed = true;
        reject(new BodyError('TOO_LARGE'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

export function mediaType(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A JSON body (undefined when empty); BodyError for a wrong content type, bad JSON or too large. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = mediaType(req);
  const body = await readBody(req);
  if (body.length === 0) return undefined;
  if (type !== 'application/json' && !type.endsWith('+json')) throw new BodyError('BAD_CONTENT_TYPE');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new BodyError('BAD_JSON');
  }
}

export function send(res: ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const headers: Record<string, string | number> = {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
  };
  // Header names are case-insensitive: a door's `Cache-Control` replaces the default rather than doubling it.
  for (const [k, v] of Object.entries(extra)) headers[k.toLowerCase()] = v;
  res.writeHead(status, headers);
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(body), 'application/json; charset=utf-8', { 'cache-control': 'no-store', ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k.toLowerCase(), v])) });
}

/** 405 with `Allow`, and a PingAM body whose `code` is the status it comes with. */
export function methodNotAllowed(res: ServerResponse, allow: string, message: string, extra: Record<string, string> = {}): void {
  sendJson(res, 405, amErrorBody(405, 'Method Not Allowed', message, 'BAD_USER_INPUT'), { allow, ...extra });
}

export function clientAddress(req: IncomingMessage): string {
  // The socket decides, never X-Forwarded-For.
  return req.socket.remoteAddress ?? 'unknown';
}

export interface Authentication {
  caller: Caller | null;
  /** A session was presented but does not name a live one (or is malformed). */
  badSession: boolean;
}

/** The caller named by the request's session: `Authorization: Bearer <session>`. */
export async function authenticate(services: Services, req: IncomingMessage): Promise<Authentication> {
  const h = req.headers.authorization;
  if (h === undefined) return { caller: null, badSession: false };
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(h);
  if (!m) return { caller: null, badSession: true };
  const caller = await services.identity.authenticate(m[1]!);
  return caller ? { caller, badSession: false } : { caller: null, badSession: true };
}

/** One HTTP door: the paths it answers and how. The server asks each door in order; the first match answers. */
export interface Door {
  readonly name: string;
  /** The route parameters when this door answers the path, else null. */
  match(path: string): Record<string, string> | null;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void>;
  close?(): Promise<void>;
}

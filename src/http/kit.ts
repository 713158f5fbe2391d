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

/** readJson for the REST doors, which answer a body problem in PingAM's body: it is reported, not thrown. */
export async function readJsonBody(req: IncomingMessage): Promise<{ body: unknown; rawBodyError?: BodyError['kind'] }> {
  try {
    return { body: await readJson(req) };
  } catch (e) {
    if (e instanceof BodyError) return { body: undefined, rawBodyError: e.kind };
    throw e;
  }
}

export function send(res: ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const headers: Record<string, string | number> = { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff' };
  // Header names are case-insensitive (RFC 9110 §5.1): `Cache-Control` from errors.ts replaces sendJson's
  // `cache-control` rather than being sent a second time.
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
  /** Where the session was presented, when one was. */
  source?: SessionSource;
}

/** `Authorization: Bearer`, or PingAM's session header or cookie (`TESSERA_AM_COOKIE_NAME`, iPlanetDirectoryPro). */
export type SessionSource = 'authorization' | 'am-header' | 'am-cookie';

/** The values of one cookie in a Cookie header (RFC 6265 §5.4; a browser may send a name more than once). */
function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    const v = pair.slice(eq + 1).trim();
    // RFC 6265 §4.1.1: a cookie value may be quoted.
    out.push(v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v);
  }
  return out;
}

/**
 * The caller named by the request's session, read where PingAM clients put it too: `Authorization: Bearer
 * <session>` first (it decides when present, so a stale AM cookie in a browser cannot override what the console
 * sends), else the AM session header, else the AM cookie (PingGateway and AM's REST clients send
 * `iPlanetDirectoryPro: <tokenId>`, browsers and AM's samples the cookie). A session presented but not live is
 * `badSession`, never a silent downgrade to anonymous.
 */
export async function authenticate(services: Services, req: IncomingMessage): Promise<Authentication> {
  const h = req.headers.authorization;
  if (h !== undefined) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(h);
    if (!m) return { caller: null, badSession: true, source: 'authorization' };
    const caller = await services.identity.authenticate(m[1]!);
    return caller ? { caller, badSession: false, source: 'authorization' } : { caller: null, badSession: true, source: 'authorization' };
  }
  const name = services.config.amCookieName;
  const header = req.headers[name.toLowerCase()];
  if (header !== undefined) {
    // Node joins repeated custom headers with ", "; a session token holds no comma, so that is no session.
    const token = (Array.isArray(header) ? header.join(', ') : header).trim();
    const caller = token === '' || token.includes(',') ? null : await services.identity.authenticate(token);
    return { caller, badSession: caller === null, source: 'am-header' };
  }
  const values = cookieValues(req.headers.cookie, name).slice(0, 4);
  if (values.length === 0) return { caller: null, badSession: false };
  for (const v of values) {
    const caller = v === '' ? null : await services.identity.authenticate(v);
    if (caller) return { caller, badSession: false, source: 'am-cookie' };
  }
  return { caller: null, badSession: true, source: 'am-cookie' };
}

/** Why a presented session was refused, naming where it was presented and how to get a new one. */
export function badSessionMessage(auth: Authentication, amCookieName: string): string {
  const where =
    auth.source === 'am-header' ? `the ${amCookieName} header` : auth.source === 'am-cookie' ? `the ${amCookieName} cookie` : 'the Authorization header';
  return `The session in ${where} is invalid or expired; get a new one from the login mutation or POST /json/authenticate.`;
}

/** One HTTP door: the paths it answers and how. The server asks each door in order; the first match answers. */
export interface Door {
  readonly name: string;
  /** The route parameters when this door answers the path, else null. */
  match(path: string): Record<string, string> | null;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void>;
  close?(): Promise<void>;
}

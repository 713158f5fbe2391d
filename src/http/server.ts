/**
 * One node:http server on one port: /graphql (Apollo Server 5 via executeHTTPGraphQLRequest), /graphiql,
 * /rest-sts/<instance>, /sts/<instance>/…, /healthz. Apollo 5 has no Express 4 integration; node:http keeps
 * the dependency surface small and the request path short.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { INTERNAL_MESSAGE, TesseraError, type ErrorCode } from '../engine/errors.js';
import type { Caller, RequestContext } from '../engine/types.js';
import { amError, amErrorBody } from './errors.js';
import type { Services } from '../services.js';
import { describeError } from '../log.js';
import type { GqlContext } from '../graphql/context.js';
import { buildTesseraSchema, LIMITS } from '../graphql/schema.js';
import { graphqlLimitOptions } from '../graphql/limits.js';
import { makeFormatError } from '../graphql/format-error.js';
import { graphiqlAsset, graphiqlPage, graphiqlStartScript } from './graphiql.js';
import { handleConsole } from './console.js';
import { handleRestSts } from './rest-sts.js';
import { metadataRoute } from './metadata.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpApp {
  server: Server;
  apollo: ApolloServer<GqlContext>;
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

class BodyError extends Error {
  constructor(readonly kind: 'TOO_LARGE' | 'BAD_JSON' | 'BAD_CONTENT_TYPE') {
    super(kind);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
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

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const body = await readBody(req);
  if (body.length === 0) return undefined;
  if (type !== 'application/json' && !type.endsWith('+json')) throw new BodyError('BAD_CONTENT_TYPE');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new BodyError('BAD_JSON');
  }
}

function send(res: ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(body), 'application/json; charset=utf-8', { 'cache-control': 'no-store', ...extra });
}

/** PingAM's error body (API.md §2) for a table code. */
export function restErrorBody(code: ErrorCode, message: string): Record<string, unknown> {
  return amError(code, message).body;
}

/** 405 with `Allow`, and a body whose `code` is the status it comes with. */
function methodNotAllowed(res: ServerResponse, allow: string, message: string, extra: Record<string, string> = {}): void {
  sendJson(res, 405, amErrorBody(405, 'Method Not Allowed', message, 'BAD_USER_INPUT'), { allow, ...extra });
}

export function clientAddress(req: IncomingMessage): string {
  // The socket decides, never X-Forwarded-For.
  return req.socket.remoteAddress ?? 'unknown';
}

export async function createHttpApp(services: Services): Promise<HttpApp> {
  const { config, log } = services;
  const apollo = new ApolloServer<GqlContext>({
    schema: buildTesseraSchema(services.registry),
    introspection: true,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    ...graphqlLimitOptions(config.graphql),
    formatError: makeFormatError(log),
    // Apollo's landing pages load from a CDN; GraphiQL at /graphiql is served locally instead. HTTP caching
    // hints mean nothing for an STS (every answer is no-store), and computing them wraps every field resolver.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled()],
    logger: { debug: () => {}, info: () => {}, warn: (m) => log.warn(String(m)), error: (m) => log.error(String(m)) },
  });
  await apollo.start();

  async function authenticate(req: IncomingMessage): Promise<{ caller: Caller | null; badBearer: boolean }> {
    const h = req.headers.authorization;
    if (h === undefined) return { caller: null, badBearer: false };
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(h);
    if (!m) return { caller: null, badBearer: true };
    const caller = await services.identity.authenticate(m[1]);
    return caller ? { caller, badBearer: false } : { caller: null, badBearer: true };
  }

  function cors(req: IncomingMessage): Record<string, string> | null {
    const origin = req.headers.origin;
    if (!origin || !config.corsOrigins.includes(origin.replace(/\/+$/, ''))) return null;
    return {
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'false',
      'access-control-allow-headers': 'authorization, content-type, apollo-require-preflight, x-apollo-operation-name',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-max-age': '600',
      vary: 'Origin',
    };
  }

  async function graphql(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const corsHeaders = cors(req) ?? {};
    if (req.method === 'OPTIONS') {
      send(res, cors(req) ? 204 : 403, '', 'text/plain', corsHeaders);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      sendJson(res, 405, { errors: [{ message: 'Use GET or POST.', extensions: { code: 'BAD_USER_INPUT' } }] }, { allow: 'GET, POST, OPTIONS', ...corsHeaders });
      return;
    }
    let body: unknown;
    if (req.method === 'POST') {
      try {
        const raw = await readBody(req);
        const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        if (type === 'application/json' || type.endsWith('+json')) {
          body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
        } else {
          // Apollo's CSRF prevention answers non-JSON POSTs with 400.
          body = raw.toString('utf8');
        }
      } catch (e) {
        const msg = e instanceof BodyError && e.kind === 'TOO_LARGE' ? 'The request body is larger than 1 MiB.' : 'The request body is not valid JSON.';
        sendJson(res, 400, { errors: [{ message: msg, extensions: { code: 'BAD_USER_INPUT' } }] }, corsHeaders);
        return;
      }
      const q = (body as { query?: unknown } | undefined)?.query;
      if (typeof q === 'string' && q.length > LIMITS.maxDocumentChars) {
        sendJson(res, 400, { errors: [{ message: `The query document is longer than ${LIMITS.maxDocumentChars} characters.`, extensions: { code: 'BAD_USER_INPUT' } }] }, corsHeaders);
        return;
      }
    } else if ((url.searchParams.get('query') ?? '').length > LIMITS.maxDocumentChars) {
      sendJson(res, 400, { errors: [{ message: 'The query document is too long.', extensions: { code: 'BAD_USER_INPUT' } }] }, corsHeaders);
      return;
    }
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method, headers, search: url.search, body },
      context: async () => {
        const auth = await authenticate(req);
        return { services, caller: auth.caller, badBearer: auth.badBearer, clientAddress: clientAddress(req), headers: req.headers };
      },
    });
    const out: Record<string, string> = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...corsHeaders };
    for (const [k, v] of result.headers) out[k] = v;
    res.writeHead(result.status ?? 200, out);
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  async function restSts(req: IncomingMessage, res: ServerResponse, url: URL, instanceName: string): Promise<void> {
    if (req.method !== 'POST') {
      methodNotAllowed(res, 'POST', 'Use POST with ?_action=translate|validate|cancel.');
      return;
    }
    let body: unknown;
    let rawBodyError: 'TOO_LARGE' | 'BAD_JSON' | 'BAD_CONTENT_TYPE' | undefined;
    try {
      body = await readJson(req);
    } catch (e) {
      if (e instanceof BodyError) rawBodyError = e.kind;
      else throw e;
    }
    const auth = await authenticate(req);
    if (auth.badBearer) {
      sendJson(res, 401, restErrorBody('UNAUTHENTICATED', 'The session in the Authorization header is invalid or expired.'));
      return;
    }
    const request: RequestContext = { caller: auth.caller, clientAddress: clientAddress(req), headers: req.headers, door: 'rest' };
    const actions = url.searchParams.getAll('_action');
    const action = actions.length === 0 ? null : actions.length === 1 ? actions[0] : actions;
    const r = await handleRestSts({ instanceName, action, body, rawBodyError, request, engine: services.engine, registry: services.registry });
    const internal = (r as { internalError?: unknown }).internalError;
    if (internal) log.error('internal error', { ...describeError(internal), door: 'rest' });
    sendJson(res, r.status, r.body, r.headers ?? {});
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/graphql') return graphql(req, res, url);
    if (path === '/healthz') {
      const up = await services.db.ping();
      sendJson(res, up ? 200 : 503, { status: up ? 'ok' : 'unavailable', database: up ? 'up' : 'down' });
      return;
    }
    if (path === '/graphiql' || path === '/graphiql/') {
      send(res, 200, graphiqlPage(), 'text/html; charset=utf-8', {
        'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
        'x-frame-options': 'DENY',
      });
      return;
    }
    if (path === '/graphiql/assets/start.js') {
      send(res, 200, graphiqlStartScript(), 'text/javascript; charset=utf-8');
      return;
    }
    if (path.startsWith('/graphiql/assets/')) {
      const a = graphiqlAsset(path.slice('/graphiql/assets/'.length));
      if (a) send(res, 200, a.body, a.type, { 'cache-control': 'public, max-age=86400' });
      else sendJson(res, 404, restErrorBody('NOT_FOUND', 'No such asset.'));
      return;
    }
    if (path === '/admin' || path.startsWith('/admin/')) return handleConsole(req, res, path);
    if (path === '/' ) {
      send(res, 302, '', 'text/plain', { location: '/admin' });
      return;
    }
    let m = /^\/rest-sts\/([a-z0-9][a-z0-9-]{0,62})\/?$/.exec(path);
    if (m) return restSts(req, res, url, m[1]);
    m = /^\/sts\/([a-z0-9][a-z0-9-]{0,62})\/(jwks\.json|\.well-known\/openid-configuration|saml-metadata\.xml)$/.exec(path);
    if (m) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        methodNotAllowed(res, 'GET, HEAD', 'Use GET.');
        return;
      }
      const r = await metadataRoute(services, m[1], m[2]);
      send(res, r.status, r.body, r.type, { 'cache-control': r.status === 200 ? 'public, max-age=60' : 'no-store', 'access-control-allow-origin': '*' });
      return;
    }
    sendJson(res, 404, restErrorBody('NOT_FOUND', 'No such endpoint.'));
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (e instanceof TesseraError && e.code !== 'INTERNAL') {
        sendJson(res, e.status, restErrorBody(e.code, e.message));
        return;
      }
      log.error('internal error', { ...describeError(e), path: req.url?.slice(0, 200) });
      sendJson(res, 500, restErrorBody('INTERNAL', INTERNAL_MESSAGE));
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;

  return {
    server,
    apollo,
    listen(port: number, host: string): Promise<string> {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const a = server.address() as AddressInfo;
          const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
          resolve(`http://${h}:${a.port}`);
        });
      });
    },
    async close(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      await apollo.stop();
    },
  };
}

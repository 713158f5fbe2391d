/**
 * GraphQL over HTTP at /graphql: Apollo Server 5 through executeHTTPGraphQLRequest (Apollo 5 has no Express 4
 * integration; node:http keeps the dependency surface small and the request path short).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GqlContext } from '../../graphql/context.js';
import { makeFormatError } from '../../graphql/format-error.js';
import { graphqlLimitOptions } from '../../graphql/limits.js';
import { contextFault, unavailablePlugin } from '../../graphql/unavailable.js';
import { buildTesseraSchema, LIMITS } from '../../graphql/schema.js';
import type { Services } from '../../services.js';
import { authenticate, badSessionMessage as badSessionText, BodyError, clientAddress, mediaType, readBody, send, sendJson, type Door } from '../kit.js';

const badRequest = (message: string) => ({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] });

export async function createGraphqlDoor(services: Services): Promise<Door & { apollo: ApolloServer<GqlContext> }> {
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
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled(), unavailablePlugin<GqlContext>()],
    logger: { debug: () => {}, info: () => {}, warn: (m) => log.warn(String(m)), error: (m) => log.error(String(m)) },
  });
  await apollo.start();

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

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const corsHeaders = cors(req) ?? {};
    if (req.method === 'OPTIONS') {
      send(res, cors(req) ? 204 : 403, '', 'text/plain', corsHeaders);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      sendJson(res, 405, badRequest('Use GET or POST.'), { allow: 'GET, POST, OPTIONS', ...corsHeaders });
      return;
    }
    let body: unknown;
    if (req.method === 'POST') {
      try {
        const raw = await readBody(req);
        const type = mediaType(req);
        if (type === 'application/json' || type.endsWith('+json')) {
          body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
        } else {
          // Apollo's CSRF prevention answers non-JSON POSTs with 400.
          body = raw.toString('utf8');
        }
      } catch (e) {
        sendJson(res, 400, badRequest(e instanceof BodyError && e.kind === 'TOO_LARGE' ? 'The request body is larger than 1 MiB.' : 'The request body is not valid JSON.'), corsHeaders);
        return;
      }
      const q = (body as { query?: unknown } | undefined)?.query;
      if (typeof q === 'string' && q.length > LIMITS.maxDocumentChars) {
        sendJson(res, 400, badRequest(`The query document is longer than ${LIMITS.maxDocumentChars} characters.`), corsHeaders);
        return;
      }
    } else if ((url.searchParams.get('query') ?? '').length > LIMITS.maxDocumentChars) {
      sendJson(res, 400, badRequest('The query document is too long.'), corsHeaders);
      return;
    }
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method, headers, search: url.search, body },
      context: async () => {
        const auth = await authenticate(services, req).catch(contextFault);
        const badSessionMessage = auth.badSession ? badSessionText(auth, config.amCookieName) : undefined;
        return { services, caller: auth.caller, badBearer: auth.badSession, badSessionMessage, clientAddress: clientAddress(req), headers: req.headers };
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

  return {
    name: 'graphql',
    apollo,
    match: (path) => (path === '/graphql' ? {} : null),
    handle,
    close: () => apollo.stop(),
  };
}

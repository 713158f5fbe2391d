/** The pages: GraphiQL from local bundles at /graphiql, the admin console at /admin, and / leading to the console. */
import { restErrorBody } from '../errors.js';
import { handleConsole } from '../console.js';
import { graphiqlAsset, graphiqlPage, graphiqlStartScript } from '../graphiql.js';
import { send, sendJson, type Door } from '../kit.js';

const GRAPHIQL_CSP =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

export const graphiqlDoor: Door = {
  name: 'graphiql',
  match: (path) => (path === '/graphiql' || path.startsWith('/graphiql/') ? { path } : null),
  async handle(_req, res, _url, { path }) {
    if (path === '/graphiql' || path === '/graphiql/') {
      send(res, 200, graphiqlPage(), 'text/html; charset=utf-8', { 'content-security-policy': GRAPHIQL_CSP, 'x-frame-options': 'DENY' });
    } else if (path === '/graphiql/assets/start.js') {
      send(res, 200, graphiqlStartScript(), 'text/javascript; charset=utf-8');
    } else {
      const a = path!.startsWith('/graphiql/assets/') ? graphiqlAsset(path!.slice('/graphiql/assets/'.length)) : null;
      if (a) send(res, 200, a.body, a.type, { 'cache-control': 'public, max-age=86400' });
      else sendJson(res, 404, restErrorBody('NOT_FOUND', 'No such asset.'));
    }
  },
};

export const consoleDoor: Door = {
  name: 'console',
  match: (path) => (path === '/admin' || path.startsWith('/admin/') ? { path } : null),
  async handle(req, res, _url, { path }) {
    handleConsole(req, res, path!);
  },
};

export const rootDoor: Door = {
  name: 'root',
  match: (path) => (path === '/' ? {} : null),
  async handle(_req, res) {
    send(res, 302, '', 'text/plain', { location: '/admin' });
  },
};

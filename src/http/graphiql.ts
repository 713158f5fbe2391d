/**
 * GraphiQL served from local files (the packages' own UMD bundles): no CDN, so it works on a closed network.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function pkgFile(pkg: string, file: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), file);
}

export const GRAPHIQL_ASSETS: Record<string, { path: string; type: string }> = {
  'react.production.min.js': { path: pkgFile('react', 'umd/react.production.min.js'), type: 'text/javascript; charset=utf-8' },
  'react-dom.production.min.js': { path: pkgFile('react-dom', 'umd/react-dom.production.min.js'), type: 'text/javascript; charset=utf-8' },
  'graphiql.min.js': { path: pkgFile('graphiql', 'graphiql.min.js'), type: 'text/javascript; charset=utf-8' },
  'graphiql.min.css': { path: pkgFile('graphiql', 'graphiql.min.css'), type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

export function graphiqlAsset(name: string): { body: Buffer; type: string } | null {
  const a = GRAPHIQL_ASSETS[name];
  if (!a) return null;
  let body = cache.get(name);
  if (!body) {
    body = readFileSync(a.path);
    cache.set(name, body);
  }
  return { body, type: a.type };
}

const DEFAULT_QUERY = `# Welcome to Tessera.
#
# 1. Log in (the admin password is printed at first start, or set with TESSERA_ADMIN_PASSWORD):
#      mutation { login(username: "admin", password: "…") { token expiresAt } }
# 2. Open "Headers" below and send the token:
#      { "Authorization": "Bearer tsn_…" }
# 3. Explore:
query Instances {
  me { username roles }
  instances { name transforms { input output } endpoints { rest jwks samlMetadata } }
}
`;

export function graphiqlPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/graphiql/assets/graphiql.min.css">
<style>html,body,#graphiql{height:100%;margin:0;}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="/graphiql/assets/react.production.min.js"></script>
<script src="/graphiql/assets/react-dom.production.min.js"></script>
<script src="/graphiql/assets/graphiql.min.js"></script>
<script src="/graphiql/assets/start.js"></script>
</body>
</html>`;
}

/** Kept out of the page so the Content-Security-Policy can forbid inline scripts. */
export function graphiqlStartScript(): string {
  return `(function () {
  var fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).toString() });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false
  }));
})();`;
}

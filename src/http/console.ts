/**
 * The admin console at /admin: static files built by `npm run build` (Vite) into dist/console. Every path under
 * /admin that is not an asset answers with the console's page, which routes in the browser.
 *
 * The page runs under a CSP that allows scripts, styles and fetches from this origin only: no inline script,
 * no eval, no framing. Assets have content hashes in their names, so they are cached for a year; the page
 * itself is revalidated on every load so a new build is picked up.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { projectRoot } from '../paths.js';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

/** Types worth compressing; the others are small or already compressed. */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json']);

interface StaticFile {
  body: Buffer;
  gzip?: Buffer;
  type: string;
}

interface Bundle {
  page: StaticFile;
  assets: Map<string, StaticFile>;
}

function load(dir: string, name: string): StaticFile {
  const body = readFileSync(join(dir, name));
  const ext = extname(name);
  const file: StaticFile = { body, type: TYPES[ext] ?? 'application/octet-stream' };
  if (COMPRESSIBLE.has(ext) && body.length > 1024) file.gzip = gzipSync(body, { level: 9 });
  return file;
}

/** The built console, read once: the files do not change while the process runs (a rebuild means a restart). */
let bundle: Bundle | null | undefined;

export function consoleDir(): string {
  return join(projectRoot(), 'dist', 'console');
}

function loadBundle(): Bundle | null {
  const dir = consoleDir();
  try {
    const page = load(dir, 'index.html');
    const assets = new Map<string, StaticFile>();
    const assetDir = join(dir, 'assets');
    for (const name of readdirSync(assetDir)) if (statSync(join(assetDir, name)).isFile()) assets.set(name, load(assetDir, name));
    return { page, assets };
  } catch {
    return null;
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, f: StaticFile, headers: Record<string, string>): void {
  const gzip = f.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? f.gzip! : f.body;
  const out: Record<string, string | number> = { ...SECURITY_HEADERS, ...headers, 'content-type': f.type, 'content-length': body.length };
  if (f.gzip) out.vary = 'Accept-Encoding';
  if (gzip) out['content-encoding'] = 'gzip';
  res.writeHead(200, out);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** Serves `/admin` and everything under it. */
export function handleConsole(req: IncomingMessage, res: ServerResponse, path: string): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendText(res, 405, 'Use GET.', { allow: 'GET, HEAD' });
    return;
  }
  bundle ??= loadBundle();
  if (!bundle) {
    // Not cached: the next request looks again, so building while the server runs is enough.
    bundle = undefined;
    sendText(res, 503, 'The admin console is not built. Run `npm run build`, which `npm start` runs too.');
    return;
  }
  if (path.startsWith('/admin/assets/')) {
    const name = path.slice('/admin/assets/'.length);
    // Names come from the build's own listing, so nothing outside the assets folder can be asked for.
    const f = bundle.assets.get(name);
    if (!f) {
      sendText(res, 404, 'No such asset.');
      return;
    }
    sendFile(req, res, f, { 'cache-control': 'public, max-age=31536000, immutable' });
    return;
  }
  sendFile(req, res, bundle.page, { 'cache-control': 'no-cache' });
}

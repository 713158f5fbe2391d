/**
 * End-to-end test support: starts Tessera in-process on 127.0.0.1:0 against SQLite or a fresh PostgreSQL schema,
 * and talks to it over HTTP like any client.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../src/config.js';
import { startTessera, type Tessera } from '../../src/app.js';
import { silentLogger, createLogger, type Logger } from '../../src/log.js';
import type { TokenKind } from '../../src/engine/kind.js';
import type { Clock } from '../../src/engine/types.js';

export type DbKind = 'sqlite' | 'postgresql';
export const DB_KINDS: DbKind[] = ['sqlite', 'postgresql'];

export const PG_BASE_URL = process.env.TESSERA_TEST_PG_URL ?? 'postgresql://root@127.0.0.1:5432/test';
export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const TEST_MASTER_KEY = 'a'.repeat(64);

/** A database URL unique to this run: a temporary SQLite file, or a fresh PostgreSQL schema. */
export function freshDatabase(kind: DbKind): { url: string; cleanup: () => Promise<void> } {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
    return { url: `sqlite:${join(dir, 'tessera.sqlite')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  return {
    url: `${PG_BASE_URL}?schema=${schema}`,
    cleanup: async () => {
      const { Database } = await import('../../src/persistence/database.js');
      const db = await Database.open(PG_BASE_URL);
      try {
        await db.knex().raw(`drop schema if exists "${schema}" cascade`);
      } finally {
        await db.close();
      }
    },
  };
}

/** A port free right now (endpoints and default issuers need the real port before start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestServer {
  url: string;
  tessera: Tessera;
  config: Config;
  databaseUrl: string;
  adminToken: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null, headers?: Record<string, string>): Promise<{ status: number; data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }>;
  rest(instance: string, action: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  login(username: string, password: string): Promise<string>;
  stop(): Promise<void>;
  /** Stops and drops the database. */
  destroy(): Promise<void>;
}

export interface StartOptions {
  db: DbKind;
  env?: Record<string, string>;
  /** Reuse a database (restart tests); the caller cleans it up. */
  databaseUrl?: string;
  log?: Logger;
  /** Token kinds registered in code besides the built-ins. */
  kinds?: TokenKind[];
  /** The server's one clock (a test moves it instead of sleeping). */
  clock?: Clock;
}

export async function startServer(opts: StartOptions): Promise<TestServer> {
  const fresh = opts.databaseUrl ? undefined : freshDatabase(opts.db);
  const databaseUrl = opts.databaseUrl ?? fresh!.url;
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    TESSERA_DATABASE_URL: databaseUrl,
    TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD,
    TESSERA_DEMO: 'false',
    TESSERA_MASTER_KEY: TEST_MASTER_KEY,
    TESSERA_LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const log = opts.log ?? (process.env.TESSERA_TEST_LOG ? createLogger('debug') : silentLogger);
  const tessera = await startTessera(config, { log, kinds: opts.kinds, clock: opts.clock });
  const url = tessera.url;

  async function gql(query: string, variables?: Record<string, unknown>, token?: string | null, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { 'content-type': 'application/json', ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers: h, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: any; errors?: any[] };
    return { status: res.status, data: body.data, errors: body.errors };
  }

  async function rest(instance: string, action: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${url}/rest-sts/${instance}?_action=${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  }

  async function login(username: string, password: string): Promise<string> {
    const r = await gql('mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }', { u: username, p: password });
    if (!r.data?.login?.token) throw new Error(`login failed: ${JSON.stringify(r.errors)}`);
    return r.data.login.token as string;
  }

  const adminToken = await login('admin', ADMIN_PASSWORD);
  return {
    url,
    tessera,
    config,
    databaseUrl,
    adminToken,
    gql,
    rest,
    login,
    stop: () => tessera.stop(),
    async destroy() {
      await tessera.stop();
      await fresh?.cleanup();
    },
  };
}

export function codeOf(r: { errors?: Array<{ extensions?: Record<string, unknown> }> }): unknown {
  return r.errors?.[0]?.extensions?.code;
}

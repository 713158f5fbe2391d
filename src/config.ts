/**
 * Environment → validated configuration, resolved once at start (API.md §1). Every default lives here.
 */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  adminPassword?: string;
  demo: boolean;
  masterKey?: string;
  pluginDir?: string;
  publicUrl: string;
  sessionTtlSeconds: number;
  authMaxFailures: number;
  authWindowSeconds: number;
  pluginTimeoutMs: number;
  corsOrigins: string[];
  /** The PingAM session cookie and header name read wherever `Authorization: Bearer` is (`iPlanetDirectoryPro`). */
  amCookieName: string;
  /** How often each process polls the configuration version (cross-process cache invalidation). */
  configPollMs: number;
  /** How often expired records, sessions and used proofs are purged. */
  purgeIntervalMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Worker processes serving the port (node:cluster); 'auto' = one per core. In-memory SQLite always runs one. */
  workers: number | 'auto';
  /**
   * Nice value given to helper threads (thread pool, V8) so the event loop keeps its core; 0 leaves them.
   * 'auto' = 10 when one process serves, 0 with several (each core then has an event loop of its own).
   */
  helperThreadNice: number | 'auto';
  /** GraphQL document limits, checked before execution (src/graphql/limits.ts). */
  graphql: GraphqlLimits;
  /** When set, GET /metrics needs `Authorization: Bearer <it>`. */
  metricsToken?: string;
}

/** GraphQL document limits, checked before anything executes (enforced by src/graphql/limits.ts). */
export interface GraphqlLimits {
  /** Nested field levels (fragments and inline fragments add none). GraphiQL's introspection query needs 15. */
  maxDepth: number;
  /** Aliased fields in one operation: each alias is another execution of a field, so another password guess. */
  maxAliases: number;
  /** Directives in one operation. */
  maxDirectives: number;
  /** Lexical tokens in one document (comments, commas and whitespace do not count). */
  maxTokens: number;
  /** graphql-armor's cost: 1 a scalar, 2 an object, ×1.5 per level of nesting, a list × its `first` argument. */
  maxCost: number;
}

export const DEFAULT_GRAPHQL_LIMITS: Readonly<GraphqlLimits> = Object.freeze({
  maxDepth: 15,
  maxAliases: 15,
  maxDirectives: 20,
  maxTokens: 2000,
  // GraphiQL's introspection query costs 15,600 and auditEvents(first: 1000) with every field 18,500; a chain
  // of ten fragments each spreading the next twice already costs 58,800.
  maxCost: 50_000,
});

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: NodeJS.ProcessEnv, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function workers(env: NodeJS.ProcessEnv): number | 'auto' {
  const raw = env.TESSERA_WORKERS?.trim();
  if (!raw || raw === 'auto') return 'auto';
  return int(env, 'TESSERA_WORKERS', 1, 1, 64);
}

function helperThreadNice(env: NodeJS.ProcessEnv): number | 'auto' {
  const raw = env.TESSERA_HELPER_THREAD_NICE?.trim();
  if (!raw || raw === 'auto') return 'auto';
  return int(env, 'TESSERA_HELPER_THREAD_NICE', 0, 0, 19);
}

/** RFC 6265 §4.1.1: a cookie name is an RFC 7230 token, which also makes it a valid header name. */
function amCookieName(env: NodeJS.ProcessEnv): string {
  const raw = env.TESSERA_AM_COOKIE_NAME?.trim();
  if (!raw) return 'iPlanetDirectoryPro';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(raw)) {
    throw new ConfigError(`TESSERA_AM_COOKIE_NAME must be a cookie name (1 to 64 letters, digits or !#$%&'*+.^_\`|~-), got "${raw}"`);
  }
  return raw;
}

function graphqlLimits(env: NodeJS.ProcessEnv): GraphqlLimits {
  const d = DEFAULT_GRAPHQL_LIMITS;
  return {
    // Below these minimums GraphiQL's own introspection query (15 levels, cost 15,600, 183 tokens) is refused.
    maxDepth: int(env, 'TESSERA_GRAPHQL_MAX_DEPTH', d.maxDepth, 15, 100),
    maxAliases: int(env, 'TESSERA_GRAPHQL_MAX_ALIASES', d.maxAliases, 0, 1000),
    maxDirectives: int(env, 'TESSERA_GRAPHQL_MAX_DIRECTIVES', d.maxDirectives, 0, 1000),
    maxTokens: int(env, 'TESSERA_GRAPHQL_MAX_TOKENS', d.maxTokens, 500, 100_000),
    maxCost: int(env, 'TESSERA_GRAPHQL_MAX_COST', d.maxCost, 20_000, 10_000_000),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env, 'PORT', 4000, 0, 65535);
  const host = env.HOST?.trim() || '127.0.0.1';
  const databaseUrl = env.TESSERA_DATABASE_URL?.trim() || 'sqlite:./data/tessera.sqlite';
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(
      'TESSERA_DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgresql://user@host:port/db',
    );
  }
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  let publicUrl = env.TESSERA_PUBLIC_URL?.trim() || `http://${hostForUrl}:${port}`;
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(`TESSERA_PUBLIC_URL must be an absolute http(s) URL, got "${publicUrl}"`);
  }
  publicUrl = publicUrl.replace(/\/+$/, '');
  const logLevel = (env.TESSERA_LOG_LEVEL?.trim() || 'info') as Config['logLevel'];
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    throw new ConfigError('TESSERA_LOG_LEVEL must be one of debug, info, warn, error, silent');
  }
  return {
    port,
    host,
    databaseUrl,
    adminPassword: env.TESSERA_ADMIN_PASSWORD || undefined,
    demo: bool(env, 'TESSERA_DEMO', true),
    masterKey: env.TESSERA_MASTER_KEY?.trim() || undefined,
    pluginDir: env.TESSERA_PLUGIN_DIR?.trim() || undefined,
    publicUrl,
    sessionTtlSeconds: int(env, 'TESSERA_SESSION_TTL_SECONDS', 3600, 60, 30 * 86400),
    authMaxFailures: int(env, 'TESSERA_AUTH_MAX_FAILURES', 5, 1, 1000),
    authWindowSeconds: int(env, 'TESSERA_AUTH_WINDOW_SECONDS', 900, 1, 86400),
    pluginTimeoutMs: int(env, 'TESSERA_PLUGIN_TIMEOUT_MS', 2000, 10, 60000),
    corsOrigins: (env.TESSERA_CORS_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim().replace(/\/+$/, ''))
      .filter(Boolean),
    amCookieName: amCookieName(env),
    configPollMs: int(env, 'TESSERA_CONFIG_POLL_MS', 250, 50, 60000),
    purgeIntervalMs: int(env, 'TESSERA_PURGE_INTERVAL_MS', 60000, 1000, 86400000),
    logLevel,
    workers: workers(env),
    helperThreadNice: helperThreadNice(env),
    graphql: graphqlLimits(env),
    metricsToken: env.TESSERA_METRICS_TOKEN?.trim() || undefined,
  };
}

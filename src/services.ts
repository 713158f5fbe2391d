/**
 * The service bundle built by the composition root (main.ts → app.ts) and handed to the doors.
 */
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { Database } from './persistence/database.js';
import type { IdentityService } from './identity/identity.service.js';
import type { KeyStore } from './keys/key-store.js';
import type { PublishService } from './publish/publish.service.js';
import type { Engine } from './engine/engine.js';
import type { TokenRegistry } from './engine/registry.js';
import type { Clock } from './engine/types.js';
import type { SamlPluginRegistry } from './plugins/registry.js';
import type { CachedInstances, DbAuditStore, DbIssuedTokenStore } from './persistence/stores.js';
import type { ClientService } from './clients/clients.js';
import type { ClientAuthenticator } from './clients/client-auth.js';
import type { Metrics } from './metrics/metrics.js';

export interface Services {
  config: Config;
  log: Logger;
  db: Database;
  clock: Clock;
  identity: IdentityService;
  keys: KeyStore;
  publish: PublishService;
  engine: Engine;
  /** Every token kind, built-in and plugin: what the doors look kinds, fields and metadata up in. */
  registry: TokenRegistry;
  /** The engine's per-process instance cache. */
  instances: CachedInstances;
  issued: DbIssuedTokenStore;
  audit: DbAuditStore;
  samlPlugins: SamlPluginRegistry;
  /** OAuth clients of the token endpoint (admin GraphQL), and their authentication at it. */
  clients: ClientService;
  clientAuth: ClientAuthenticator;
  /** Prometheus metrics (metrics/metrics.ts): the doors and stores report to it, /metrics renders it. */
  metrics: Metrics;
}

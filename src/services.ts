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
import type { CachedInstances, DbAuditStore, DbIssuedTokenStore } from './persistence/stores.js';
import type { TokenProvider } from './engine/types.js';

export interface PluginListing {
  samlPlugins(): Array<{ name: string; statement: string; builtIn: boolean; description?: string }>;
  customTokenTypes(): Array<{ tokenType: string; hasValidator: boolean; hasProvider: boolean }>;
}

export interface Services {
  config: Config;
  log: Logger;
  db: Database;
  identity: IdentityService;
  keys: KeyStore;
  publish: PublishService;
  engine: Engine;
  /** The engine's per-process instance cache. */
  instances: CachedInstances;
  issued: DbIssuedTokenStore;
  audit: DbAuditStore;
  plugins: PluginListing;
  /** The SAML2 provider, for metadata. */
  saml2: TokenProvider;
}

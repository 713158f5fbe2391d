/**
 * The services without the HTTP doors and timers: config → database → master key → identity, keys → plugins →
 * registry → engine → publish service. The server (app.ts) starts the doors and timers on top of it; the admin
 * command line (cli/) uses it as it is, offline on the same database, through the same services every door uses.
 */
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { Database } from './persistence/database.js';
import {
  CachedInstances,
  ConfigVersion,
  DbAuditStore,
  DbInstanceStore,
  DbIssuanceLog,
  DbIssuedTokenStore,
  DbReplayStore,
} from './persistence/stores.js';
import { IdentityService } from './identity/identity.service.js';
import { KeyStore } from './keys/key-store.js';
import { loadOrCreateMasterKeyFile, parseMasterKey } from './keys/master-key.js';
import { TokenRegistry } from './engine/registry.js';
import { Engine } from './engine/engine.js';
import { PublishService } from './publish/publish.service.js';
import { buildRegistry, builtInKinds } from './tokens/index.js';
import { BUILT_IN_SAML_PLUGINS } from './tokens/saml2/builtin-statements.js';
import { loadPlugins, type LoadedPlugins } from './plugins/loader.js';
import { SamlPluginRegistry } from './plugins/registry.js';
import { customTokenKinds } from './plugins/custom-tokens.js';
import type { TokenKind } from './engine/kind.js';
import { systemClock, type Clock } from './engine/types.js';
import { WriteBatcher } from './persistence/write-batcher.js';
import { DbKeyRecords } from './persistence/key-records.js';
import { DbIdentityRecords } from './persistence/identity-records.js';
import { DbClientRecords } from './persistence/client-records.js';
import { ClientService } from './clients/clients.js';
import { ClientAuthenticator } from './clients/client-auth.js';
import type { Services } from './services.js';
import { Metrics } from './metrics/metrics.js';

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

function resolveMasterKey(config: Config, db: Database, log: Logger): Buffer {
  if (config.masterKey) {
    try {
      return parseMasterKey(config.masterKey);
    } catch (e) {
      throw new StartupError((e as Error).message);
    }
  }
  if (db.dialect === 'postgresql') {
    throw new StartupError('TESSERA_MASTER_KEY is required with PostgreSQL: every node must share it (32 bytes as 64 hex characters or base64).');
  }
  if (db.target.location === ':memory:') return randomBytes(32);
  const { key, created, path, insecurePermissions } = loadOrCreateMasterKeyFile(dirname(db.target.location));
  if (created) log.info('generated a master key', { path });
  if (insecurePermissions) log.warn('the master key file is readable by group or others; chmod 600 it', { path });
  return key;
}

export interface CoreOptions {
  log?: Logger;
  /** Called after this process changed instances or keys, to tell sibling processes without waiting for their poll. */
  onConfigChange?: () => void;
  /** Token kinds registered in code, besides the built-ins (engine/kind.ts); they go through the same registry. */
  kinds?: TokenKind[];
  /** The one clock handed to the engine, the services and every token kind (tests move it instead of sleeping). */
  clock?: Clock;
}

/** The services, and what the server needs besides to bootstrap and run. */
export interface Core {
  services: Services;
  version: ConfigVersion;
  instanceStore: DbInstanceStore;
  replay: DbReplayStore;
  /** The group commit the per-token writes go through. */
  writer: WriteBatcher;
  plugins: LoadedPlugins;
  /**
   * Applies pending migrations and checks the master key under the start-up lock (what every command needs),
   * then runs `then` (the server's first-start bootstrap) under the same lock.
   */
  migrate(then?: () => Promise<void>): Promise<string[]>;
  close(): Promise<void>;
}

export async function openCore(config: Config, opts: CoreOptions = {}): Promise<Core> {
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  const db = await Database.open(config.databaseUrl, { log });
  try {
    const masterKey = resolveMasterKey(config, db, log);
    const version = new ConfigVersion(db);
    version.onLocalBump = opts.onConfigChange;

    // The registry is filled below; metrics only ask it (at observation time) whether a name is a kind.
    const registry = new TokenRegistry();
    const metrics = new Metrics({ isKind: (n) => registry.kind(n) !== undefined });
    db.knex().on('query-error', () => metrics.databaseError());

    const writer = new WriteBatcher(db, undefined, metrics.batches);
    const audit = new DbAuditStore(db, log, writer, clock, (ev) => metrics.audit(ev));
    const identity = new IdentityService(new DbIdentityRecords(db), {
      audit,
      sessionTtlSeconds: config.sessionTtlSeconds,
      authMaxFailures: config.authMaxFailures,
      authWindowSeconds: config.authWindowSeconds,
      now: () => clock.now(),
    });
    const keys = new KeyStore(new DbKeyRecords(db), masterKey, { commonNamePrefix: 'Tessera', onChange: () => version.bump(), audit, clock });
    const issued = new DbIssuedTokenStore(db, writer, clock);
    const replay = new DbReplayStore(db);
    const instanceStore = new DbInstanceStore(db);
    const instances = new CachedInstances(instanceStore);
    const refreshInstanceNames = () =>
      instanceStore.list().then(
        (rows) => metrics.setInstances(rows.map((r) => r.name)),
        (e) => log.warn('could not list instances for the metrics labels', { detail: (e as Error).message }),
      );
    const clients = new ClientService(new DbClientRecords(db), {
      audit,
      clock,
      instanceExists: async (name) => (await instanceStore.get(name)) !== null,
      onChange: () => version.bump(),
    });
    const clientAuth = new ClientAuthenticator({ clients, replay, audit, clock });
    version.onChange(() => {
      instances.invalidate();
      keys.invalidate();
      clients.invalidate();
      void refreshInstanceNames();
    });

    // Plugins first: publish-time validation needs to know what is loaded.
    const plugins = config.pluginDir
      ? await loadPlugins(config.pluginDir, (line) => log.info('plugin', line))
      : { samlPlugins: [], validators: [], providers: [], files: [] };
    const samlPlugins = new SamlPluginRegistry(BUILT_IN_SAML_PLUGINS, plugins.samlPlugins);

    // Every token kind registers the same way: the built-ins, kinds handed in by code, and plugins.
    const kindDeps = { identity, keys, replay, publicUrl: config.publicUrl, samlPlugins, pluginTimeoutMs: config.pluginTimeoutMs };
    buildRegistry([...builtInKinds(kindDeps), ...(opts.kinds ?? []), ...customTokenKinds(plugins, config.pluginTimeoutMs)], registry);

    const engine = new Engine({ registry, instances, log: new DbIssuanceLog(writer, issued, audit), identity, clock });
    const publish = new PublishService(instanceStore, version, audit, registry, clock);
    const services: Services = { config, log, db, clock, identity, keys, publish, engine, registry, issued, audit, instances, samlPlugins, metrics, clients, clientAuth };

    return {
      services,
      version,
      instanceStore,
      replay,
      writer,
      plugins,
      async migrate(then) {
        // Migrations and first-start bootstrap run once, even when several processes start together.
        const applied = await db.withStartupLock(async () => {
          const applied = await db.migrate();
          await keys.checkMasterKey();
          await then?.();
          return applied;
        });
        await refreshInstanceNames();
        return applied;
      },
      async close() {
        metrics.close();
        await db.close();
      },
    };
  } catch (e) {
    await db.close().catch(() => {});
    throw e;
  }
}

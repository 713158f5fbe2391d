/**
 * Composition root: config → database (migrations, under the start-up lock) → master key → identity, keys →
 * plugins → engine → HTTP. `startTessera` is what `npm start` runs and what the end-to-end tests start.
 */
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { Config } from './config.js';
import { createLogger, describeError, type Logger } from './log.js';
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
import { Engine } from './engine/engine.js';
import { PublishService } from './publish/publish.service.js';
import { buildRegistry, builtInKinds } from './tokens/index.js';
import { BUILT_IN_SAML_PLUGINS } from './tokens/saml2/builtin-statements.js';
import { loadPlugins } from './plugins/loader.js';
import { SamlPluginRegistry } from './plugins/registry.js';
import { customTokenKinds } from './plugins/custom-tokens.js';
import type { TokenKind } from './engine/kind.js';
import { systemClock, type Clock } from './engine/types.js';
import { createHttpApp, type HttpApp } from './http/server.js';
import { WriteBatcher } from './persistence/write-batcher.js';
import { DbKeyRecords } from './persistence/key-records.js';
import { DbClientRecords } from './persistence/client-records.js';
import { ClientService } from './clients/clients.js';
import { ClientAuthenticator } from './clients/client-auth.js';
import type { Services } from './services.js';
import { loadDemoData } from './seeds.js';

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

export interface Tessera {
  url: string;
  /** Drops cached configuration at once (a sibling process reported a change). */
  configChangedElsewhere(): void;
  services: Services;
  http: HttpApp;
  /** The generated admin password, when one was generated at this start. */
  generatedAdminPassword?: string;
  stop(): Promise<void>;
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

export interface StartOptions {
  log?: Logger;
  /** false: build everything but do not listen (tests, tools). */
  listen?: boolean;
  /** Called after this process changed instances or keys, to tell sibling processes without waiting for their poll. */
  onConfigChange?: () => void;
  /** Token kinds registered in code, besides the built-ins (engine/kind.ts); they go through the same registry. */
  kinds?: TokenKind[];
  /** The one clock handed to the engine, the services and every token kind (tests move it instead of sleeping). */
  clock?: Clock;
}

export async function startTessera(config: Config, opts: StartOptions = {}): Promise<Tessera> {
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  const db = await Database.open(config.databaseUrl);
  const cleanup: Array<() => Promise<void> | void> = [() => db.close()];
  try {
    const masterKey = resolveMasterKey(config, db, log);
    const version = new ConfigVersion(db);
    version.onLocalBump = opts.onConfigChange;
    const writer = new WriteBatcher(db);
    const audit = new DbAuditStore(db, log, writer, clock);
    const identity = new IdentityService(db, {
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
    });

    // Plugins first: publish-time validation needs to know what is loaded.
    const loaded = config.pluginDir
      ? await loadPlugins(config.pluginDir, (line) => log.info('plugin', line))
      : { samlPlugins: [], validators: [], providers: [], files: [] };
    const samlPlugins = new SamlPluginRegistry(BUILT_IN_SAML_PLUGINS, loaded.samlPlugins);

    // Every token kind registers the same way: the built-ins, kinds handed in by code, and plugins.
    const kindDeps = { identity, keys, replay, publicUrl: config.publicUrl, samlPlugins, pluginTimeoutMs: config.pluginTimeoutMs };
    const registry = buildRegistry([...builtInKinds(kindDeps), ...(opts.kinds ?? []), ...customTokenKinds(loaded, config.pluginTimeoutMs)]);

    const engine = new Engine({ registry, instances, log: new DbIssuanceLog(writer, issued, audit), identity, clock });
    const publish = new PublishService(instanceStore, version, audit, registry, clock);

    let generatedAdminPassword: string | undefined;
    let demo: Awaited<ReturnType<typeof loadDemoData>> | undefined;
    // Migrations and first-start bootstrap run once, even when several processes start together.
    await db.withStartupLock(async () => {
      const applied = await db.migrate();
      if (applied.length) log.info('applied migrations', { migrations: applied });
      await keys.checkMasterKey();
      const adminPassword = config.adminPassword ?? randomBytes(12).toString('base64url');
      if (await identity.ensureAdmin(adminPassword)) {
        if (!config.adminPassword) generatedAdminPassword = adminPassword;
        log.info('created the admin user', { username: 'admin' });
      }
      await keys.ensureActive('RS256');
      if (config.demo) demo = await loadDemoData({ identity, publish, clients, instanceStore, db, config, log });
    });
    await version.poll();

    const services: Services = { config, log, db, clock, identity, keys, publish, engine, registry, issued, audit, instances, samlPlugins, clients, clientAuth };
    const http = await createHttpApp(services);
    cleanup.unshift(() => http.close());

    version.start(config.configPollMs, (e) => log.warn('configuration poll failed', describeError(e)));
    cleanup.unshift(() => version.stop());
    const purge = setInterval(() => {
      const now = clock.now();
      Promise.all([
        // Expired records stay an hour so that validate still answers EXPIRED rather than UNKNOWN.
        issued.purgeExpired(new Date(now.getTime() - 3600_000)),
        replay.purgeExpired(now),
        identity.purgeExpired(),
      ]).catch((e) => log.warn('purge failed', describeError(e)));
    }, config.purgeIntervalMs);
    purge.unref();
    cleanup.unshift(() => clearInterval(purge));

    let url = config.publicUrl;
    if (opts.listen !== false) url = await http.listen(config.port, config.host);
    if (demo?.loaded) log.info('loaded demo data', { users: demo.users, instances: demo.instances, demoPki: demo.pki, demoClients: demo.clients });
    let stopped = false;
    return {
      url,
      services,
      http,
      generatedAdminPassword,
      configChangedElsewhere: () => version.changedElsewhere(),
      async stop() {
        if (stopped) return;
        stopped = true;
        for (const c of cleanup) await c();
      },
    };
  } catch (e) {
    for (const c of cleanup) await Promise.resolve(c()).catch(() => {});
    throw e;
  }
}

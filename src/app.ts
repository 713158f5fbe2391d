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
  DbIssuedTokenStore,
  DbReplayStore,
} from './persistence/stores.js';
import { IdentityService } from './identity/identity.service.js';
import { KeyStore } from './keys/key-store.js';
import { loadOrCreateMasterKeyFile, parseMasterKey } from './keys/master-key.js';
import { TokenRegistry } from './engine/registry.js';
import { Engine } from './engine/engine.js';
import { PublishService } from './publish/publish.service.js';
import { createUsernameValidator } from './tokens/username/username.validator.js';
import { createSessionValidator } from './tokens/session/session.validator.js';
import { createOidcValidator } from './tokens/oidc/oidc.validator.js';
import { createOidcProvider } from './tokens/oidc/oidc.provider.js';
import { createX509Validator } from './tokens/x509/x509.validator.js';
import { createSaml2Provider } from './tokens/saml2/saml2.provider.js';
import { BUILT_IN_SAML_PLUGINS } from './tokens/saml2/builtin-statements.js';
import { loadPlugins } from './plugins/loader.js';
import { CustomTokenTypes, SamlPluginRegistry } from './plugins/registry.js';
import { customProviderAdapter, customValidatorAdapter } from './plugins/custom-tokens.js';
import { createHttpApp, type HttpApp } from './http/server.js';
import { WriteBatcher } from './persistence/write-batcher.js';
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
}

export async function startTessera(config: Config, opts: StartOptions = {}): Promise<Tessera> {
  const log = opts.log ?? createLogger(config.logLevel);
  const db = await Database.open(config.databaseUrl);
  const cleanup: Array<() => Promise<void> | void> = [() => db.close()];
  try {
    const masterKey = resolveMasterKey(config, db, log);
    const version = new ConfigVersion(db);
    version.onLocalBump = opts.onConfigChange;
    const writer = new WriteBatcher(db);
    const audit = new DbAuditStore(db, log, writer);
    const identity = new IdentityService(db, {
      sessionTtlSeconds: config.sessionTtlSeconds,
      authMaxFailures: config.authMaxFailures,
      authWindowSeconds: config.authWindowSeconds,
    });
    const keys = new KeyStore(db, masterKey, { commonNamePrefix: 'Tessera', onChange: () => version.bump() });
    const issued = new DbIssuedTokenStore(db, writer);
    const replay = new DbReplayStore(db);
    const instanceStore = new DbInstanceStore(db);
    const instances = new CachedInstances(instanceStore);
    version.onChange(() => {
      instances.invalidate();
      keys.invalidate();
    });

    // Plugins first: publish-time validation needs to know what is loaded.
    const loaded = config.pluginDir
      ? await loadPlugins(config.pluginDir, (line) => log.info('plugin', line))
      : { samlPlugins: [], validators: [], providers: [], files: [] };
    const samlPlugins = new SamlPluginRegistry(BUILT_IN_SAML_PLUGINS, loaded.samlPlugins);
    const customTypes = new CustomTokenTypes(loaded.validators, loaded.providers);

    const registry = new TokenRegistry();
    registry.registerValidator(createUsernameValidator(identity));
    registry.registerValidator(createSessionValidator(identity));
    registry.registerValidator(createOidcValidator());
    registry.registerValidator(createX509Validator({ replay }));
    registry.registerProvider(createOidcProvider({ keys, publicUrl: config.publicUrl }));
    const saml2 = createSaml2Provider({ keys, resolvePlugin: (n) => samlPlugins.resolve(n), pluginTimeoutMs: config.pluginTimeoutMs });
    registry.registerProvider(saml2);
    for (const v of loaded.validators) registry.registerValidator(customValidatorAdapter(v, config.pluginTimeoutMs));
    for (const p of loaded.providers) registry.registerProvider(customProviderAdapter(p, config.pluginTimeoutMs));

    const engine = new Engine({ registry, instances, issued, audit, identity });
    const publish = new PublishService(db, instanceStore, version, audit, () => ({
      customValidators: registry.customValidatorTypes(),
      customProviders: registry.customProviderTypes(),
      samlPluginStatement: (name: string) => samlPlugins.statementOf(name),
    }));

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
      if (config.demo) demo = await loadDemoData({ identity, publish, instanceStore, db, config, log });
    });
    await version.poll();

    const services: Services = { config, log, db, identity, keys, publish, engine, issued, audit, instances, saml2, plugins: {
      samlPlugins: () => samlPlugins.list(),
      customTokenTypes: () => customTypes.list(),
    } };
    const http = await createHttpApp(services);
    cleanup.unshift(() => http.close());

    version.start(config.configPollMs, (e) => log.warn('configuration poll failed', describeError(e)));
    cleanup.unshift(() => version.stop());
    const purge = setInterval(() => {
      const now = new Date();
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
    if (demo?.loaded) log.info('loaded demo data', { users: demo.users, instances: demo.instances, demoPki: demo.pki });
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

/**
 * Composition root of the server: the services (core.ts) → first-start bootstrap (under the start-up lock) →
 * HTTP doors and timers. `startTessera` is what `npm start` runs and what the end-to-end tests start; the admin
 * command line builds the same services without the doors (core.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Config } from './config.js';
import { createLogger, describeError, type Logger } from './log.js';
import type { TokenKind } from './engine/kind.js';
import { systemClock, type Clock } from './engine/types.js';
import { createHttpApp, type HttpApp } from './http/server.js';
import type { Services } from './services.js';
import { loadDemoData, type DemoResult } from './seeds.js';
import { openCore } from './core.js';

export { StartupError } from './core.js';

export interface Tessera {
  url: string;
  /** Drops cached configuration at once (a sibling process reported a change). */
  configChangedElsewhere(): void;
  services: Services;
  http: HttpApp;
  /** The generated admin password, when one was generated at this start. */
  generatedAdminPassword?: string;
  /** The demo data loaded at this start (into an empty database), with the demo PKI's files. */
  demo?: DemoResult;
  stop(): Promise<void>;
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
  /** In a cluster worker: every worker's metrics summed, for /metrics (cli.ts asks the primary). */
  clusterMetrics?: () => Promise<string>;
}

export async function startTessera(config: Config, opts: StartOptions = {}): Promise<Tessera> {
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  const core = await openCore(config, { log, clock, kinds: opts.kinds, onConfigChange: opts.onConfigChange });
  const { services, version, instanceStore, replay } = core;
  const { db, identity, keys, publish, issued, clients } = services;
  const cleanup: Array<() => Promise<void> | void> = [() => core.close()];
  try {
    if (opts.clusterMetrics) services.metrics.setClusterCollector(opts.clusterMetrics);
    let generatedAdminPassword: string | undefined;
    let demo: DemoResult | undefined;
    const applied = await core.migrate(async () => {
      const adminPassword = config.adminPassword ?? randomBytes(12).toString('base64url');
      if (await identity.ensureAdmin(adminPassword)) {
        if (!config.adminPassword) generatedAdminPassword = adminPassword;
        log.info('created the admin user', { username: 'admin' });
      }
      await keys.ensureActive('RS256');
      if (config.demo) demo = await loadDemoData({ identity, publish, clients, instanceStore, db, config, log });
    });
    if (applied.length) log.info('applied migrations', { migrations: applied });
    await version.poll();

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
      ...(demo?.loaded ? { demo } : {}),
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

/**
 * The command line: serves Tessera on one port and stops cleanly on SIGTERM/SIGINT.
 *
 * With several workers (TESSERA_WORKERS, default one per core) a primary process forks them with node:cluster;
 * they share the port, the database and — through the start-up lock — one bootstrap. The primary prints the
 * ready line once, relays configuration changes between workers at once, restarts a worker that dies, and
 * stops them all on SIGTERM/SIGINT.
 */
import 'reflect-metadata';
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startTessera, StartupError, type Tessera } from './app.js';
import { createLogger, describeError, flushLogs, type Logger } from './log.js';
import { MasterKeyError } from './keys/key-store.js';
import { DatabaseConfigError } from './persistence/database.js';
import { lowerHelperThreadPriority } from './threads.js';
import { AggregatorRegistry } from 'prom-client';
import type { DemoResult } from './seeds.js';
import { firstStartLines } from './first-start.js';

type WorkerMessage =
  | { tessera: 'ready'; url: string; generatedAdminPassword?: string; demo?: DemoResult }
  | { tessera: 'failed'; message: string }
  | { tessera: 'config-changed' }
  // /metrics on a worker: the primary sums every worker's metrics (prom-client's AggregatorRegistry).
  | { tessera: 'metrics-request'; id: number }
  | { tessera: 'metrics'; id: number; text?: string; error?: string };

function knownStartError(e: unknown): boolean {
  return (
    e instanceof StartupError ||
    e instanceof MasterKeyError ||
    e instanceof DatabaseConfigError ||
    e instanceof ConfigError ||
    (e as Error)?.name === 'PluginLoadError'
  );
}

/**
 * 'auto': one worker per core on PostgreSQL. On SQLite one process: the file has a single writer, and processes
 * contending for it wait on SQLite's sleeping busy handler, which costs more than a second event loop gains —
 * signatures still use every core through the thread pool. In-memory SQLite must be one process (each would
 * have its own database).
 */
function workerCount(config: Config): number {
  if (config.databaseUrl === 'sqlite::memory:') return 1;
  if (config.workers !== 'auto') return config.workers;
  return config.databaseUrl.startsWith('sqlite:') ? 1 : Math.max(1, availableParallelism());
}

function readyLine(url: string): string {
  return `Tessera is serving on ${url} (GraphQL ${url}/graphql, GraphiQL ${url}/graphiql)\n`;
}

function printAdminPassword(password: string | undefined): void {
  // The start-up log lines come first (the logger buffers them until the end of the turn).
  flushLogs();
  // Printed once, on the first start only: it is not stored anywhere in clear.
  if (password) process.stdout.write(`Generated admin password (shown once): ${password}\n`);
}

async function startOrExit(config: Config, log: Logger, onConfigChange?: () => void, clusterMetrics?: () => Promise<string>): Promise<Tessera> {
  try {
    const tessera = await startTessera(config, { log, onConfigChange, clusterMetrics });
    // The thread pool and V8's threads exist by now (start-up used both).
    const nice = config.helperThreadNice === 'auto' ? (workerCount(config) === 1 ? 10 : 0) : config.helperThreadNice;
    lowerHelperThreadPriority(nice);
    return tessera;
  } catch (e) {
    const message = knownStartError(e) ? (e as Error).message : 'unexpected error';
    if (!knownStartError(e)) log.error('start failed', describeError(e));
    if (cluster.isWorker) {
      process.send?.({ tessera: 'failed', message } satisfies WorkerMessage);
    } else {
      process.stderr.write(`Tessera cannot start: ${message}\n`);
    }
    process.exit(1);
  }
}

function stopOn(signals: NodeJS.Signals[], stop: (signal: string) => void): void {
  for (const s of signals) process.on(s, () => stop(s));
}

async function single(config: Config, log: Logger): Promise<void> {
  const tessera = await startOrExit(config, log);
  printAdminPassword(tessera.generatedAdminPassword);
  process.stdout.write(readyLine(tessera.url));
  process.stdout.write(firstStartLines(tessera.url, tessera.demo));
  let stopping = false;
  stopOn(['SIGTERM', 'SIGINT'], (signal) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    tessera
      .stop()
      .then(() => process.exit(0))
      .catch((e) => {
        log.error('stop failed', describeError(e));
        process.exit(1);
      });
  });
}

async function worker(config: Config, log: Logger): Promise<void> {
  const pending = new Map<number, { resolve: (text: string) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const clusterMetrics = () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      process.send?.({ tessera: 'metrics-request', id } satisfies WorkerMessage);
      setTimeout(() => {
        if (pending.delete(id)) reject(new Error('the primary did not answer the metrics request'));
      }, 10_000).unref();
    });
  const tessera = await startOrExit(config, log, () => process.send?.({ tessera: 'config-changed' } satisfies WorkerMessage), clusterMetrics);
  // What this worker answers when the primary collects: prom-client adds its worker-side listener when an
  // AggregatorRegistry is constructed, and answers with the registries set here.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([tessera.services.metrics.registry]);
  process.on('message', (m: WorkerMessage) => {
    if (m?.tessera === 'config-changed') tessera.configChangedElsewhere();
    if (m?.tessera === 'metrics') {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.text !== undefined) p?.resolve(m.text);
      else p?.reject(new Error(m.error ?? 'metrics collection failed'));
    }
  });
  process.send?.({ tessera: 'ready', url: tessera.url, generatedAdminPassword: tessera.generatedAdminPassword, demo: tessera.demo } satisfies WorkerMessage);
  let stopping = false;
  // The primary asks workers to stop by disconnecting them; a terminal's Ctrl-C also reaches them directly.
  const stop = () => {
    if (stopping) return;
    stopping = true;
    tessera
      .stop()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  stopOn(['SIGTERM', 'SIGINT'], stop);
  process.on('disconnect', stop);
}

function primary(config: Config, log: Logger, count: number): void {
  let ready = 0;
  let started = false;
  let stopping = false;
  let adminPassword: string | undefined;
  let demo: DemoResult | undefined;
  const alive = new Set<Worker>();
  const aggregator = new AggregatorRegistry();

  const fork = () => {
    const w = cluster.fork();
    alive.add(w);
    w.on('message', (m: WorkerMessage) => {
      if (m?.tessera === 'config-changed') {
        for (const other of alive) if (other !== w && other.isConnected()) other.send(m);
      } else if (m?.tessera === 'metrics-request') {
        aggregator.clusterMetrics().then(
          (text) => w.isConnected() && w.send({ tessera: 'metrics', id: m.id, text } satisfies WorkerMessage),
          (e: Error) => w.isConnected() && w.send({ tessera: 'metrics', id: m.id, error: e.message } satisfies WorkerMessage),
        );
      } else if (m?.tessera === 'failed' && !started) {
        process.stderr.write(`Tessera cannot start: ${m.message}\n`);
        stopping = true;
        for (const other of alive) other.kill('SIGTERM');
        process.exitCode = 1;
      } else if (m?.tessera === 'ready') {
        adminPassword ??= m.generatedAdminPassword;
        demo ??= m.demo;
        ready++;
        if (!started && ready === count) {
          started = true;
          printAdminPassword(adminPassword);
          process.stdout.write(readyLine(m.url));
          process.stdout.write(firstStartLines(m.url, demo));
        }
      }
    });
    w.on('exit', (code, signal) => {
      alive.delete(w);
      if (stopping) {
        if (alive.size === 0) process.exit(process.exitCode ?? 0);
        return;
      }
      if (!started) {
        // A worker that dies before the service is up means the start failed.
        process.stderr.write('Tessera cannot start: a worker process exited during start-up\n');
        stopping = true;
        for (const other of alive) other.kill('SIGTERM');
        process.exitCode = 1;
        if (alive.size === 0) process.exit(1);
        return;
      }
      log.warn('worker exited; starting another', { code, signal });
      fork();
    });
  };

  for (let i = 0; i < count; i++) fork();
  stopOn(['SIGTERM', 'SIGINT'], (signal) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal, workers: alive.size });
    if (alive.size === 0) process.exit(0);
    for (const w of alive) w.disconnect();
    // Workers close their connections within a few seconds; do not wait forever on a stuck one.
    setTimeout(() => {
      for (const w of alive) w.kill('SIGKILL');
    }, 10_000).unref();
  });
}

/** `tessera serve`: one process, or a primary and its workers (src/cli/index.ts dispatches here). */
export async function serve(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`Tessera cannot start: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  const count = workerCount(config);
  if (count <= 1) return single(config, log);
  if (cluster.isPrimary) return primary(config, log, count);
  return worker(config, log);
}


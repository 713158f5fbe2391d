/**
 * `npm start`: serves Tessera on one port and stops cleanly on SIGTERM/SIGINT.
 */
import 'reflect-metadata';
import { ConfigError, loadConfig } from './config.js';
import { startTessera, StartupError } from './app.js';
import { createLogger, describeError } from './log.js';
import { MasterKeyError } from './keys/key-store.js';
import { DatabaseConfigError } from './persistence/database.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`Tessera cannot start: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  let tessera;
  try {
    tessera = await startTessera(config, { log });
  } catch (e) {
    const known = e instanceof StartupError || e instanceof MasterKeyError || e instanceof DatabaseConfigError || e instanceof ConfigError || (e as Error)?.name === 'PluginLoadError';
    process.stderr.write(`Tessera cannot start: ${known ? (e as Error).message : 'unexpected error'}\n`);
    if (!known) log.error('start failed', describeError(e));
    process.exit(1);
  }
  process.stdout.write(`Tessera is serving on ${tessera.url} (GraphQL ${tessera.url}/graphql, GraphiQL ${tessera.url}/graphiql)\n`);
  let stopping = false;
  const stop = (signal: string) => {
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
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();

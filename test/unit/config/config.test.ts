/**
 * Environment → configuration: defaults, and a clear ConfigError naming the variable for every bad value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../../src/config.js';

test('defaults are those of the README', () => {
  const c = loadConfig({});
  assert.equal(c.port, 4000);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.databaseUrl, 'sqlite:./data/tessera.sqlite');
  assert.equal(c.demo, true);
  assert.equal(c.publicUrl, 'http://127.0.0.1:4000');
  assert.equal(c.sessionTtlSeconds, 3600);
  assert.equal(c.authMaxFailures, 5);
  assert.equal(c.authWindowSeconds, 900);
  assert.equal(c.pluginTimeoutMs, 2000);
  assert.deepEqual(c.corsOrigins, []);
  assert.equal(c.workers, 'auto');
  assert.equal(c.helperThreadNice, 'auto');
  assert.equal(loadConfig({ TESSERA_HELPER_THREAD_NICE: '0' }).helperThreadNice, 0);
  assert.equal(loadConfig({ TESSERA_HELPER_THREAD_NICE: '19' }).helperThreadNice, 19);
});

test('values are parsed: CORS origins, workers, public URL, demo', () => {
  const c = loadConfig({
    TESSERA_CORS_ORIGINS: 'https://a.example.com/, https://b.example.com',
    TESSERA_WORKERS: '3',
    TESSERA_PUBLIC_URL: 'https://sts.example.com/',
    TESSERA_DEMO: 'false',
    HOST: '::1',
  });
  assert.deepEqual(c.corsOrigins, ['https://a.example.com', 'https://b.example.com']);
  assert.equal(c.workers, 3);
  assert.equal(c.publicUrl, 'https://sts.example.com');
  assert.equal(c.demo, false);
  assert.equal(loadConfig({ HOST: '::1' }).publicUrl, 'http://[::1]:4000');
});

test('every bad value is a ConfigError naming its variable', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ TESSERA_DATABASE_URL: 'mysql://x' }, 'TESSERA_DATABASE_URL'],
    [{ TESSERA_PUBLIC_URL: 'ftp://x' }, 'TESSERA_PUBLIC_URL'],
    [{ TESSERA_DEMO: 'maybe' }, 'TESSERA_DEMO'],
    [{ TESSERA_WORKERS: '0' }, 'TESSERA_WORKERS'],
    [{ TESSERA_WORKERS: 'many' }, 'TESSERA_WORKERS'],
    [{ TESSERA_SESSION_TTL_SECONDS: '5' }, 'TESSERA_SESSION_TTL_SECONDS'],
    [{ TESSERA_AUTH_MAX_FAILURES: '-1' }, 'TESSERA_AUTH_MAX_FAILURES'],
    [{ TESSERA_PLUGIN_TIMEOUT_MS: '1' }, 'TESSERA_PLUGIN_TIMEOUT_MS'],
    [{ TESSERA_LOG_LEVEL: 'loud' }, 'TESSERA_LOG_LEVEL'],
    [{ TESSERA_HELPER_THREAD_NICE: '20' }, 'TESSERA_HELPER_THREAD_NICE'],
    [{ TESSERA_HELPER_THREAD_NICE: '-5' }, 'TESSERA_HELPER_THREAD_NICE'],
    [{ TESSERA_HELPER_THREAD_NICE: 'low' }, 'TESSERA_HELPER_THREAD_NICE'],
  ];
  for (const [env, name] of cases) {
    assert.throws(() => loadConfig(env), (e: Error) => e instanceof ConfigError && e.message.includes(name), JSON.stringify(env));
  }
});

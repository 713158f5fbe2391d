/**
 * Plugin folder rules at start, on SQLite and PostgreSQL: a group-writable folder or module, a module with a
 * syntax error, clashing or reserved token types each make the start fail with a message naming the file. Once
 * through the real process (`node dist/src/main.js`): a bad folder exits non-zero naming the file, and a good one
 * logs each module's SHA-256 and serves.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_PASSWORD, DB_KINDS, TEST_MASTER_KEY, freePort, freshDatabase, startServer } from '../support/server.js';
import { LEGACY_SECRET, makePluginDir, type PluginDir } from '../support/plugins-api.js';
import { repoRoot } from '../support/saml.js';

const VALIDATOR = (type: string) => `export default { kind: 'token-validator', tokenType: '${type}', validate() { return { subject: 'x' }; } };\n`;

/** Starts against a fresh database with the given plugin folder; resolves to the rejection, or fails if it started. */
async function startFailure(db: (typeof DB_KINDS)[number], dir: string): Promise<Error> {
  const fresh = freshDatabase(db);
  try {
    const s = await startServer({ db, databaseUrl: fresh.url, env: { TESSERA_PLUGIN_DIR: dir } }).catch((e: unknown) => e as Error);
    if (!(s instanceof Error)) {
      await s.stop();
      assert.fail('Tessera started with a plugin folder it must refuse');
    }
    return s;
  } finally {
    await fresh.cleanup();
  }
}

for (const db of DB_KINDS) {
  describe(`plugin folder rules at start on ${db}`, () => {
    const dirs: PluginDir[] = [];
    const folder = (opts: Parameters<typeof makePluginDir>[0]) => {
      const d = makePluginDir(opts);
      dirs.push(d);
      return d;
    };

    test('a group-writable plugin folder fails the start, naming the folder', async () => {
      const d = folder({ examples: ['legacy-ticket.mjs'], dirMode: 0o775 });
      try {
        const e = await startFailure(db, d.dir);
        assert.equal(e.name, 'PluginLoadError');
        assert.match(e.message, new RegExp(`^Plugin ${d.dir}: the plugin folder is writable by group or others \\(mode 0775\\)`));
      } finally {
        d.cleanup();
      }
    });

    test('a world-writable module fails the start, naming the file', async () => {
      const d = folder({ examples: ['legacy-ticket.mjs'] });
      try {
        chmodSync(join(d.dir, 'legacy-ticket.mjs'), 0o646);
        const e = await startFailure(db, d.dir);
        assert.match(e.message, new RegExp(`^Plugin ${join(d.dir, 'legacy-ticket.mjs')}: is writable by group or others \\(mode 0646\\)`));
      } finally {
        d.cleanup();
      }
    });

    test('a module with a syntax error fails the start, naming the file', async () => {
      const d = folder({ examples: ['legacy-ticket.mjs'], modules: { 'broken.mjs': 'export default { kind: "token-validator", tokenType: ;\n' } });
      try {
        const e = await startFailure(db, d.dir);
        assert.ok(e.message.startsWith(`Plugin ${join(d.dir, 'broken.mjs')}: failed to load: `), e.message);
      } finally {
        d.cleanup();
      }
    });

    test('two validators for one type, or a built-in type name, fail the start naming the files', async () => {
      const d = folder({ examples: ['legacy-ticket.mjs'], modules: { 'z-copy.mjs': VALIDATOR('LEGACY_TICKET') } });
      const r = folder({ modules: { 'reserved.mjs': VALIDATOR('SAML2') } });
      try {
        const e = await startFailure(db, d.dir);
        assert.equal(
          e.message,
          `Plugin ${join(d.dir, 'z-copy.mjs')}: token validator for LEGACY_TICKET is defined also in legacy-ticket.mjs (${join(d.dir, 'legacy-ticket.mjs')})`,
        );
        const e2 = await startFailure(db, r.dir);
        assert.match(e2.message, new RegExp(`^Plugin ${join(r.dir, 'reserved.mjs')}: plugin #0: tokenType SAML2 is a built-in token type name`));
      } finally {
        d.cleanup();
        r.cleanup();
      }
    });
  });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/src/main.js`; `untilReady` stops it with SIGTERM once it prints its ready line. */
function runMain(env: Record<string, string>, untilReady: boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot(), 'dist', 'src', 'main.js')], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (untilReady && stdout.includes('Tessera is serving on')) child.kill('SIGTERM');
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the real process and its plugin folder', () => {
  const baseEnv = async (dbDir: string, pluginDir: string) => ({
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    TESSERA_DATABASE_URL: `sqlite:${join(dbDir, 'tessera.sqlite')}`,
    TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD,
    TESSERA_MASTER_KEY: TEST_MASTER_KEY,
    TESSERA_DEMO: 'false',
    TESSERA_PLUGIN_DIR: pluginDir,
    LEGACY_TICKET_SECRET: LEGACY_SECRET,
  });

  test('a module with a syntax error: exits non-zero printing the file name', async () => {
    const dbDir = mkdtempSync(join(tmpdir(), 'tessera-main-'));
    const d = makePluginDir({ examples: ['legacy-ticket.mjs'], modules: { 'broken.mjs': 'export default {\n' } });
    try {
      const r = await runMain(await baseEnv(dbDir, d.dir), false);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^Tessera cannot start: Plugin ${join(d.dir, 'broken.mjs')}: failed to load`, 'm'));
      assert.ok(!r.stdout.includes('Tessera is serving'));
    } finally {
      d.cleanup();
      rmSync(dbDir, { recursive: true, force: true });
    }
  });

  test('a group-writable folder: exits non-zero printing the folder name', async () => {
    const dbDir = mkdtempSync(join(tmpdir(), 'tessera-main-'));
    const d = makePluginDir({ examples: ['legacy-ticket.mjs'], dirMode: 0o770 });
    try {
      const r = await runMain(await baseEnv(dbDir, d.dir), false);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^Tessera cannot start: Plugin ${d.dir}: the plugin folder is writable by group or others`, 'm'));
    } finally {
      d.cleanup();
      rmSync(dbDir, { recursive: true, force: true });
    }
  });

  test('a good folder: logs each module with its SHA-256 and what it provides, serves, stops on SIGTERM', async () => {
    const dbDir = mkdtempSync(join(tmpdir(), 'tessera-main-'));
    const d = makePluginDir({ examples: ['legacy-ticket.mjs', 'subject-email-nameid.mjs'] });
    try {
      const r = await runMain(await baseEnv(dbDir, d.dir), true);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.event === 'plugin.loaded');
      const sha = (name: string) => createHash('sha256').update(readFileSync(join(d.dir, name))).digest('hex');
      // Every worker process loads the folder and logs it; each file must be logged alike by all of them.
      const distinct = [...new Map(lines.map((l) => [JSON.stringify([l.level, l.file, l.sha256, l.plugins]), l])).values()];
      assert.ok(lines.length >= 2 && lines.length % 2 === 0);
      assert.deepEqual(
        distinct.map((l) => ({ level: l.level, file: l.file, sha256: l.sha256, plugins: l.plugins })),
        [
          { level: 'info', file: join(d.dir, 'legacy-ticket.mjs'), sha256: sha('legacy-ticket.mjs'), plugins: ['token-validator:LEGACY_TICKET', 'token-provider:LEGACY_TICKET'] },
          { level: 'info', file: join(d.dir, 'subject-email-nameid.mjs'), sha256: sha('subject-email-nameid.mjs'), plugins: ['saml2-statement:subject:email-name-id'] },
        ],
      );
    } finally {
      d.cleanup();
      rmSync(dbDir, { recursive: true, force: true });
    }
  });
});

/**
 * `node dist/src/main.js` as an operator runs it: the ready line, the generated admin password (printed once),
 * the demo data, clean stops on SIGTERM and SIGINT, and clear refusals to start (wrong master key, PostgreSQL
 * without TESSERA_MASTER_KEY).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/paths.js';
import { Database } from '../../src/persistence/database.js';
import { PG_BASE_URL, freePort } from '../support/server.js';

const MAIN = join(projectRoot(), 'dist', 'src', 'main.js');
const READY = /^Tessera is serving on (http:\/\/127\.0\.0\.1:\d+)\b/;
const PASSWORD_LINE = /^Generated admin password \(shown once\): (\S+)$/;

interface Run {
  child: ChildProcess;
  port: number;
  /** Complete lines so far, stdout and stderr apart. */
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLine(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

/** The environment without any TESSERA_* or PORT/HOST the test runner itself may carry. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('TESSERA_') || k === 'PORT' || k === 'HOST' || k.startsWith('NODE_TEST')) continue;
    env[k] = v;
  }
  return env;
}

const running = new Set<ChildProcess>();

async function run(env: Record<string, string>): Promise<Run> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: projectRoot(),
    env: { ...baseEnv(), PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: Array<() => void> = [];
  const collect = (stream: NodeJS.ReadableStream, into: string[]) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        into.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      for (const w of waiters) w();
    });
    stream.on('end', () => {
      if (buf) into.push(buf);
      buf = '';
      for (const w of waiters) w();
    });
  };
  collect(child.stdout!, stdout);
  collect(child.stderr!, stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
      for (const w of waiters) w();
    });
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  return {
    child,
    port,
    stdout,
    stderr,
    exited,
    waitForLine(re: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of stdout) {
            const m = re.exec(line);
            if (m) {
              done();
              resolve(m);
              return;
            }
          }
          if (hasExited) {
            done();
            reject(new Error(`exited before printing ${re}\nstdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no line matching ${re} within ${timeoutMs} ms\nstdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          const i = waiters.indexOf(check);
          if (i >= 0) waiters.splice(i, 1);
        };
        waiters.push(check);
        check();
      });
    },
  };
}

/** Resolves with the exit, or fails after `ms`. */
async function exitWithin(r: Run, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms\nstdout:\n${r.stdout.join('\n')}\nstderr:\n${r.stderr.join('\n')}`)), ms);
  });
  try {
    return await Promise.race([r.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return res.json();
}

async function login(url: string, username: string, password: string): Promise<{ token?: string; code?: string }> {
  const r = await gql(url, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: username, p: password });
  return { token: r.data?.login?.token, code: r.errors?.[0]?.extensions?.code };
}

function assertNoStack(text: string): void {
  assert.doesNotMatch(text, /\n\s+at /, `a stack trace was printed:\n${text}`);
  assert.doesNotMatch(text, /\.(js|ts):\d+:\d+/, `a stack frame was printed:\n${text}`);
}

describe('the tessera process (SQLite)', () => {
  let dir: string;
  let databaseUrl: string;
  let adminPassword = '';

  before(() => {
    assert.ok(existsSync(MAIN), `${MAIN} exists (build with npx tsc -p .)`);
    dir = mkdtempSync(join(tmpdir(), 'tessera-process-'));
    databaseUrl = `sqlite:${join(dir, 'db.sqlite')}`;
  });
  after(() => {
    for (const c of running) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('first start: one ready line, the generated admin password once, demo data; SIGTERM exits 0', async () => {
    const r = await run({ TESSERA_DATABASE_URL: databaseUrl, TESSERA_DEMO: 'true' });
    const [, url] = await r.waitForLine(READY);
    assert.equal(url, `http://127.0.0.1:${r.port}`);
    // One ready line, then plain lines for a person: every surface's URL and the demo PKI's files (the rest
    // of stdout is JSON log lines).
    const plain = r.stdout.filter((l) => !l.startsWith('{'));
    assert.equal(plain.filter((l) => READY.test(l)).length, 1, plain.join('\n'));
    await r.waitForLine(/Demo client key: +\S+client\.key$/);
    const text = r.stdout.filter((l) => !l.startsWith('{')).join('\n');
    for (const path of ['/admin', '/graphql', '/graphiql', '/readyz', '/metrics', '/healthz']) assert.ok(text.includes(`${url}${path}`), `${path} in:\n${text}`);
    for (const file of ['ca.crt', 'client.crt', 'client.key']) {
      const line = r.stdout.find((l) => !l.startsWith('{') && l.trimEnd().endsWith(file));
      assert.ok(line && existsSync(line.trim().split(/\s+/).pop()!), `a plain line with the path of ${file}, which exists`);
    }
    for (const l of r.stdout.filter((x) => x.startsWith('{'))) JSON.parse(l);

    const pw = r.stdout.map((l) => PASSWORD_LINE.exec(l)).filter((m) => m !== null);
    assert.equal(pw.length, 1, `one generated-password line:\n${r.stdout.join('\n')}`);
    adminPassword = pw[0]![1];
    assert.ok(adminPassword.length >= 12);
    const everything = [...r.stdout, ...r.stderr].join('\n');
    assert.equal(everything.split(adminPassword).length - 1, 1, 'the password is printed once and nowhere else');

    const admin = await login(url, 'admin', adminPassword);
    assert.ok(admin.token, 'admin logs in with the printed password');
    const demo = await login(url, 'demo', 'changeit');
    assert.ok(demo.token, 'demo/changeit logs in');
    assert.ok((await login(url, 'alice', 'wonderland')).token, 'alice/wonderland logs in');
    const me = await gql(url, '{ me { username roles } }', {}, demo.token);
    assert.equal(me.data.me.username, 'demo');
    assert.ok(!me.data.me.roles.includes('admin'));
    const inst = await gql(url, '{ instances { name } }', {}, admin.token);
    assert.equal(inst.errors, undefined, JSON.stringify(inst.errors));
    const names = inst.data.instances.map((i: { name: string }) => i.name).sort();
    assert.deepEqual(names, ['demo-exchange', 'demo-oidc', 'demo-saml']);
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);

    assert.ok(r.child.kill('SIGTERM'));
    const exit = await exitWithin(r, 5_000);
    assert.deepEqual(exit, { code: 0, signal: null }, r.stderr.join('\n'));
    await assert.rejects(fetch(`${url}/healthz`), 'the port is closed after the stop');
  });

  test('second start on the same database: no password printed, demo data not duplicated; SIGINT exits 0', async () => {
    assert.ok(adminPassword, 'the first start ran');
    const r = await run({ TESSERA_DATABASE_URL: databaseUrl, TESSERA_DEMO: 'true' });
    const [, url] = await r.waitForLine(READY);
    const everything = [...r.stdout, ...r.stderr].join('\n');
    assert.doesNotMatch(everything, /admin password/i);
    assert.ok(!everything.includes(adminPassword));
    const admin = await login(url, 'admin', adminPassword);
    assert.ok(admin.token, 'the first password still works');
    const users = await gql(url, '{ users { username } }', {}, admin.token);
    assert.deepEqual(users.data.users.map((u: { username: string }) => u.username).sort(), ['admin', 'alice', 'demo']);
    const inst = await gql(url, '{ instances { name } }', {}, admin.token);
    assert.equal(inst.data.instances.length, 3);

    assert.ok(r.child.kill('SIGINT'));
    const exit = await exitWithin(r, 5_000);
    assert.deepEqual(exit, { code: 0, signal: null }, r.stderr.join('\n'));
  });

  test('helper threads run at TESSERA_HELPER_THREAD_NICE (auto: 10 for one process, 0 for several workers), the event loop at the base priority', { skip: process.platform !== 'linux' }, async () => {
    /** The nice value of each thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat). */
    const niceOf = (pid: number): Map<number, number> =>
      new Map(
        readdirSync(`/proc/${pid}/task`).map((t) => {
          const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
          return [Number(t), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
        }),
      );
    for (const [setting, wanted] of [[undefined, 10], ['15', 15], ['0', 0]] as const) {
      const r = await run({ TESSERA_DATABASE_URL: databaseUrl, TESSERA_DEMO: 'false', ...(setting === undefined ? {} : { TESSERA_HELPER_THREAD_NICE: setting }) });
      await r.waitForLine(READY);
      const pid = r.child.pid!;
      const nice = niceOf(pid);
      const base = nice.get(pid)!;
      const helpers = [...nice].filter(([tid]) => tid !== pid).map(([, n]) => n);
      assert.ok(helpers.length >= 4, `the thread pool and V8's threads exist (${helpers.length})`);
      assert.equal(base, niceOf(process.pid).get(process.pid), 'the event loop keeps the priority it was started with');
      assert.deepEqual(new Set(helpers), new Set([Math.max(base, wanted)]), `TESSERA_HELPER_THREAD_NICE=${setting}`);
      assert.ok(r.child.kill('SIGTERM'));
      assert.deepEqual(await exitWithin(r, 5_000), { code: 0, signal: null }, r.stderr.join('\n'));
    }
    // Several workers: each core has an event loop of its own, so 'auto' leaves the helpers alone.
    const r = await run({ TESSERA_DATABASE_URL: databaseUrl, TESSERA_DEMO: 'false', TESSERA_WORKERS: '2' });
    await r.waitForLine(READY);
    const workers = readFileSync(`/proc/${r.child.pid}/task/${r.child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    assert.equal(workers.length, 2);
    const base = niceOf(process.pid).get(process.pid);
    for (const w of workers) assert.deepEqual(new Set(niceOf(w).values()), new Set([base]), `worker ${w}`);
    assert.ok(r.child.kill('SIGTERM'));
    assert.deepEqual(await exitWithin(r, 10_000), { code: 0, signal: null }, r.stderr.join('\n'));
  });

  test('a different TESSERA_MASTER_KEY on restart: non-zero exit, a clear message, no stack trace', async () => {
    assert.ok(adminPassword, 'the first start ran');
    // The first start generated the key file next to the database; any other 32-byte key is wrong.
    const generated = readFileSync(join(dir, 'master.key'), 'utf8');
    let wrong = randomBytes(32).toString('hex');
    while (generated.includes(wrong)) wrong = randomBytes(32).toString('hex');
    const r = await run({ TESSERA_DATABASE_URL: databaseUrl, TESSERA_DEMO: 'true', TESSERA_MASTER_KEY: wrong });
    const exit = await exitWithin(r, 15_000);
    assert.notEqual(exit.code, 0);
    assert.notEqual(exit.code, null);
    const everything = [...r.stdout, ...r.stderr].join('\n');
    assert.match(r.stderr.join('\n'), /TESSERA_MASTER_KEY/);
    assert.ok(!r.stdout.some((l) => READY.test(l)), 'it never served');
    assert.ok(!everything.includes(wrong), 'the given key is not echoed');
    assertNoStack(everything);
  });
});

describe('the tessera process (PostgreSQL)', () => {
  const schema = `t_proc_${process.pid}_${randomBytes(4).toString('hex')}`;
  after(async () => {
    for (const c of running) c.kill('SIGKILL');
    const db = await Database.open(PG_BASE_URL);
    try {
      await db.knex().raw(`drop schema if exists "${schema}" cascade`);
    } finally {
      await db.close();
    }
  });

  test('PostgreSQL without TESSERA_MASTER_KEY: non-zero exit naming TESSERA_MASTER_KEY', async () => {
    const r = await run({ TESSERA_DATABASE_URL: `${PG_BASE_URL}?schema=${schema}`, TESSERA_DEMO: 'false', TESSERA_ADMIN_PASSWORD: 'process-admin-password' });
    const exit = await exitWithin(r, 15_000);
    assert.notEqual(exit.code, 0);
    assert.notEqual(exit.code, null);
    assert.match(r.stderr.join('\n'), /TESSERA_MASTER_KEY/);
    assert.ok(!r.stdout.some((l) => READY.test(l)), 'it never served');
    assertNoStack([...r.stdout, ...r.stderr].join('\n'));
  });
});

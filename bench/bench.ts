/**
 * `npm run bench`: Tessera's throughput and latency per transform and door, against the raw RSA bound.
 *
 * Each run starts Tessera as its own process (`node dist/src/main.js`) on a fresh database (a temporary SQLite
 * file, or a new PostgreSQL schema dropped at the end), publishes the instances the scenarios need, measures
 * the raw RSA-2048 sign rate with Tessera idle, then drives every scenario over GraphQL and REST with
 * autocannon on loopback at each concurrency, checking every response for a token.
 *
 *   node dist/bench/bench.js [--duration 5] [--runs 1] [--only <text>] [--db <url>] [--json <file>]
 *                            [--concurrency 1,8,32] [--warmup 1] [--cpu-prof <dir>] [--signing-iterations 400]
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchSigning } from '../src/tokens/saml2/bench-signing.js';
import { machineBusyCores, runRow, type RowResult } from './load.js';
import { measureRsaBound, type RsaBound } from './rsa-bound.js';
import { Api, DOORS, TARGETS, prepareScenarios, type Door, type Scenario, type ScenarioTarget } from './scenarios.js';
import { MAIN_JS, startServerProcess } from './server-process.js';

const USAGE = `usage: node dist/bench/bench.js [options]
  --duration <s>          seconds per row (default 5)
  --runs <n>              full runs, each on a fresh server and database; medians are printed when n > 1 (default 1)
  --only <text>           only rows whose "<scenario id>/<door>" or title contains the text (case-insensitive)
  --db <url>              postgresql://user@host:port/db to run on PostgreSQL (a fresh schema, dropped at the end);
                          default: a temporary SQLite file
  --json <file>           write the raw results as JSON
  --concurrency <list>    comma-separated (default 1,8,32)
  --warmup <s>            unmeasured load before each scenario and door, at concurrency 8 (default 1)
  --cpu-prof <dir>        start the server with node --cpu-prof, profiles written to <dir> when it stops
  --signing-iterations <n> iterations for the SAML signing comparison; 0 skips it (default 400)`;

interface Options {
  duration: number;
  runs: number;
  only?: string;
  db?: string;
  json?: string;
  concurrency: number[];
  warmup: number;
  cpuProf?: string;
  signingIterations: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      runs: { type: 'string', default: '1' },
      only: { type: 'string' },
      db: { type: 'string' },
      json: { type: 'string' },
      concurrency: { type: 'string', default: '1,8,32' },
      warmup: { type: 'string', default: '1' },
      'cpu-prof': { type: 'string' },
      'signing-iterations': { type: 'string', default: '400' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) {
      console.error(`--${name} must be a number ≥ ${min}\n${USAGE}`);
      process.exit(2);
    }
    return n;
  };
  const concurrency = values.concurrency!.split(',').map((c) => Math.floor(num('concurrency', c.trim(), 1)));
  if (values.db && !/^postgres(ql)?:\/\//.test(values.db)) {
    console.error(`--db must be a postgresql:// URL (SQLite is the default)\n${USAGE}`);
    process.exit(2);
  }
  return {
    duration: num('duration', values.duration!, 0.5),
    runs: Math.floor(num('runs', values.runs!, 1)),
    only: values.only?.toLowerCase(),
    db: values.db,
    json: values.json,
    concurrency,
    warmup: num('warmup', values.warmup!, 0),
    cpuProf: values['cpu-prof'],
    signingIterations: Math.floor(num('signing-iterations', values['signing-iterations']!, 0)),
  };
}

interface FreshDb {
  url: string;
  label: string;
  cleanup(): Promise<void>;
}

function freshDatabase(pgUrl: string | undefined): FreshDb {
  if (!pgUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
    return { url: `sqlite:${join(dir, 'tessera.sqlite')}`, label: 'SQLite (file, WAL)', cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const u = new URL(pgUrl);
  u.searchParams.set('schema', schema);
  const base = new URL(pgUrl);
  base.searchParams.delete('schema');
  return {
    url: u.toString(),
    label: `PostgreSQL (${base.host}${base.pathname}, schema ${schema})`,
    async cleanup() {
      const { Database } = await import('../src/persistence/database.js');
      const db = await Database.open(base.toString());
      try {
        await db.knex().raw(`drop schema if exists "${schema}" cascade`);
      } finally {
        await db.close();
      }
    },
  };
}

export interface RowKey {
  scenario: string;
  title: string;
  door: Door;
  concurrency: number;
}

interface RunResult {
  run: number;
  database: string;
  /** busyBefore: machine-wide busy cores just before, with Tessera idle (should be near 0). */
  bound: RsaBound & { busyBefore: number };
  rows: Array<RowKey & RowResult>;
}

function machine() {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    /* not Linux */
  }
  return { nproc: availableParallelism(), cpuModel, node: process.version, platform: `${process.platform} ${process.arch}` };
}

function selected(s: Scenario, door: Door, only: string | undefined): boolean {
  if (!only) return true;
  return `${s.id}/${door}`.includes(only) || s.title.toLowerCase().includes(only);
}

const log = (line: string) => process.stderr.write(line + '\n');

async function oneRun(run: number, opts: Options, adminPassword: string): Promise<RunResult> {
  const db = freshDatabase(opts.db);
  const masterKey = randomBytes(32).toString('hex');
  const nodeArgs = opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${resolve(opts.cpuProf)}`] : [];
  if (opts.cpuProf) mkdirSync(resolve(opts.cpuProf), { recursive: true });
  log(`run ${run}: starting Tessera on ${db.label}`);
  const server = await startServerProcess({ databaseUrl: db.url, adminPassword, masterKey, nodeArgs });
  const rows: RunResult['rows'] = [];
  try {
    const api = new Api(server.url);
    const scenarios = await prepareScenarios(api, adminPassword, { poolSize: 4096, tokenLifetimeSeconds: 6 * 3600 });
    const busyBefore = await machineBusyCores(1000);
    log(`run ${run}: machine busy ${busyBefore.toFixed(2)} cores with Tessera idle; measuring the raw RSA-2048 sign rate`);
    const bound = { ...(await measureRsaBound(2)), busyBefore };
    log(`run ${run}: RSA-2048 sign/s one core ${bound.oneCore}, all ${bound.workers} cores ${bound.allCores}`);
    for (const s of scenarios) {
      for (const door of DOORS) {
        if (!selected(s, door, opts.only)) continue;
        const bodies = s.bodies(door);
        const common = { url: server.url, path: s.path(door), bodies, check: (b: string) => s.check(door, b), serverCpuSeconds: server.cpuSeconds };
        if (opts.warmup > 0) {
          const w = await runRow({ ...common, concurrency: 8, duration: opts.warmup });
          if (w.errors > 0) log(`  warm-up ${s.id}/${door}: ${w.errors} errors, e.g. ${w.errorDetail.sample}`);
        }
        for (const c of opts.concurrency) {
          await sleep(200);
          const from = (performance.now() - server.spawnedAt) / 1000;
          const r = await runRow({ ...common, concurrency: c, duration: opts.duration });
          if (opts.cpuProf) log(`  (profile window for ${s.id}/${door} c=${c}: ${from.toFixed(1)}–${((performance.now() - server.spawnedAt) / 1000).toFixed(1)} s after spawn)`);
          rows.push({ scenario: s.id, title: s.title, door, ...r });
          log(
            `  ${s.id}/${door} c=${c}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, errors ${r.errors}` +
              (r.errors ? ` (${JSON.stringify(r.errorDetail)})` : '') +
              `, server ${r.serverCores.toFixed(2)} cores, ${r.serverCpuUsPerOk.toFixed(0)} µs/req`,
          );
        }
      }
    }
    return { run, database: db.label, bound, rows };
  } finally {
    await server.stop();
    await db.cleanup().catch((e) => log(`could not clean the database up: ${(e as Error).message}`));
  }
}

function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

interface SummaryRow extends RowKey {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  ratio: number;
  serverCpuUsPerOk: number;
  serverCores: number;
  loaderCores: number;
  otherCores: number;
}

function summarise(runs: RunResult[]): { bound: { oneCore: number; allCores: number; workers: number }; rows: SummaryRow[] } {
  const oneCore = median(runs.map((r) => r.bound.oneCore));
  const allCores = median(runs.map((r) => r.bound.allCores));
  const keys = new Map<string, RowKey>();
  for (const r of runs) for (const row of r.rows) keys.set(`${row.scenario}|${row.door}|${row.concurrency}`, row);
  const rows: SummaryRow[] = [];
  for (const [k, key] of keys) {
    const all = runs.flatMap((r) => r.rows.filter((x) => `${x.scenario}|${x.door}|${x.concurrency}` === k));
    const rps = median(all.map((x) => x.rps));
    rows.push({
      scenario: key.scenario,
      title: key.title,
      door: key.door,
      concurrency: key.concurrency,
      rps,
      p50Ms: median(all.map((x) => x.p50Ms)),
      p99Ms: median(all.map((x) => x.p99Ms)),
      errors: all.reduce((s, x) => s + x.errors, 0),
      ratio: rps / oneCore,
      serverCpuUsPerOk: median(all.map((x) => x.serverCpuUsPerOk)),
      serverCores: median(all.map((x) => x.serverCores)),
      loaderCores: median(all.map((x) => x.loaderCores)),
      otherCores: median(all.map((x) => x.otherCores)),
    });
  }
  return { bound: { oneCore, allCores, workers: runs[0].bound.workers }, rows };
}

function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(summary: ReturnType<typeof summarise>): string {
  const head = ['scenario', 'door', 'c', 'req/s', 'p50 ms', 'p99 ms', 'errors', '× RSA 1-core', 'server µs/req', 'server cores', 'other cores'];
  const body = summary.rows.map((r) => [
    r.title,
    r.door === 'graphql' ? 'GraphQL' : 'REST',
    String(r.concurrency),
    fmt(r.rps),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    String(r.errors),
    fmt(r.ratio, 3),
    fmt(r.serverCpuUsPerOk),
    fmt(r.serverCores, 2),
    fmt(r.otherCores, 2),
  ]);
  const noisy = summary.rows.filter((r) => r.otherCores >= 0.25).length;
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const right = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const b = summary.bound;
  return [
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
    '',
    `raw RSA-2048 PKCS#1 v1.5 sign/s (node:crypto, Tessera idle): one core ${fmt(b.oneCore)} (ratio 1.000), ` +
      `all ${b.workers} cores ${fmt(b.allCores)} (ratio ${fmt(b.allCores / b.oneCore, 3)})`,
    'server cores: CPU of the Tessera process (all threads); other cores: CPU used by anything but Tessera and the load generator' +
      (noisy ? `\nWARNING: other processes used ≥ 0.25 cores during ${noisy} row(s): figures from this run are unreliable` : ''),
  ].join('\n');
}

interface Verdict {
  scenario: string;
  door: Door;
  target: ScenarioTarget;
  bestRps: number;
  bestConcurrency: number;
  ratio: number;
  p99AtMax: number;
  errors: number;
  throughputOk: boolean;
  latencyOk: boolean;
  errorsOk: boolean;
}

function verdicts(summary: ReturnType<typeof summarise>, scenarios: Array<{ id: string; target?: ScenarioTarget }>, maxC: number): Verdict[] {
  const out: Verdict[] = [];
  for (const s of scenarios) {
    if (!s.target) continue;
    for (const door of s.target.doors) {
      const rows = summary.rows.filter((r) => r.scenario === s.id && r.door === door);
      if (rows.length === 0) continue;
      const best = rows.reduce((a, b) => (b.rps > a.rps ? b : a));
      const atMax = rows.find((r) => r.concurrency === maxC);
      const errors = rows.reduce((n, r) => n + r.errors, 0);
      const p99AtMax = atMax?.p99Ms ?? Number.NaN;
      out.push({
        scenario: s.id,
        door,
        target: s.target,
        bestRps: best.rps,
        bestConcurrency: best.concurrency,
        ratio: best.ratio,
        p99AtMax,
        errors,
        throughputOk: best.ratio >= s.target.ratio,
        latencyOk: p99AtMax < s.target.p99Ms,
        errorsOk: errors === 0,
      });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const opts = parseOptions();
  if (!existsSync(MAIN_JS)) {
    console.error(`${MAIN_JS} is missing: build first (npm run bench builds, or npx tsc -p .)`);
    process.exit(2);
  }
  const m = machine();
  log(`Tessera benchmark: ${m.nproc} CPUs (${m.cpuModel}), node ${m.node}; ${opts.runs} run(s), ${opts.duration} s per row, concurrency ${opts.concurrency.join('/')}`);
  const adminPassword = 'bench-admin-' + randomBytes(9).toString('base64url');
  const runs: RunResult[] = [];
  for (let i = 1; i <= opts.runs; i++) runs.push(await oneRun(i, opts, adminPassword));
  if (runs.every((r) => r.rows.length === 0)) {
    console.error(`no rows matched --only ${JSON.stringify(opts.only)}`);
    process.exit(2);
  }

  let signing: { iterations: number; direct: number; xmlCrypto: number } | undefined;
  if (opts.signingIterations > 0) {
    log(`SAML signing comparison (benchSigning, ${opts.signingIterations} iterations per path)`);
    const s = await benchSigning(opts.signingIterations);
    signing = { iterations: opts.signingIterations, ...s };
  }

  const summary = summarise(runs);
  const maxC = Math.max(...opts.concurrency);
  const scenarioTargets = Object.entries(TARGETS).map(([id, target]) => ({ id, target }));
  const v = verdicts(summary, scenarioTargets, maxC);

  const out: string[] = [];
  out.push('');
  out.push(`Tessera benchmark — ${m.nproc} CPUs, ${m.cpuModel}, node ${m.node}, ${runs[0].database.split(' (')[0]}, issued-token persistence on`);
  out.push(`${opts.runs > 1 ? `median of ${opts.runs} runs` : '1 run'}, ${opts.duration} s per row; errors = non-2xx + 2xx without a token + connection errors/timeouts${opts.runs > 1 ? ' (summed over runs)' : ''}`);
  out.push('');
  out.push(table(summary));
  if (signing) {
    out.push(`SAML signing, one assertion, RSA-SHA256 (benchSigning): direct canonical form ${fmt(signing.direct)}/s, xml-crypto ${fmt(signing.xmlCrypto)}/s (${fmt(signing.direct / signing.xmlCrypto, 1)}×)`);
  }
  if (v.length) {
    out.push('');
    out.push(`Targets (throughput: best concurrency; p99 at c=${maxC}):`);
    for (const x of v) {
      const mark = (b: boolean) => (b ? 'ok' : 'MISSED');
      out.push(
        `  ${x.scenario}/${x.door}: ${fmt(x.bestRps)} req/s (c=${x.bestConcurrency}) = ${fmt(x.ratio, 3)} × one-core RSA, target ≥ ${x.target.ratio} [${mark(x.throughputOk)}]; ` +
          `p99 ${fmt(x.p99AtMax, 2)} ms, target < ${x.target.p99Ms} [${mark(x.latencyOk)}]; errors ${x.errors} [${mark(x.errorsOk)}]`,
      );
    }
  }
  console.log(out.join('\n'));

  if (opts.json) {
    const file = resolve(opts.json);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ machine: m, options: opts, summary, targets: v, signing, runs }, null, 2) + '\n');
    log(`raw results written to ${file}`);
  }
  const totalErrors = summary.rows.reduce((n, r) => n + r.errors, 0);
  if (totalErrors > 0) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

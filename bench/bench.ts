/**
 * `npm run bench`: Tessera's throughput and latency per transform and door, against the raw RSA bound.
 *
 * Each run starts Tessera as its own process (`node dist/src/main.js`, default log level) on a fresh database
 * (a temporary SQLite file, or a new PostgreSQL schema dropped at the end), publishes the instances the
 * scenarios need, measures the bounds with Tessera idle (one-core RSA-2048 signatures, all-cores scrypt), then
 * drives every scenario over GraphQL and REST with autocannon on loopback at each concurrency, checking every
 * response, sampling the server's resident set. With --preload it then fills the database and measures the
 * translate and validate rows again. Tessera is stopped, and each peer (bench/peers/) runs alone with the same
 * load generator.
 *
 *   node dist/bench/bench.js --help
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
import { preparePeers, type PeerRowSpec } from './peers/peers.js';
import { measureRsaBound, type RsaBound } from './rsa-bound.js';
import { Api, DOORS, TARGETS, prepareScenarios, type Door, type Scenario, type ScenarioTarget } from './scenarios.js';
import { measureScryptBound, type ScryptBound } from './scrypt-bound.js';
import { preload, type PreloadResult } from './seed.js';
import { MAIN_JS, startProcess, startServerProcess, type ServerProcess } from './server-process.js';

const USAGE = `usage: node dist/bench/bench.js [options]
  --duration <s>          seconds per row (default 5)
  --runs <n>              full runs, each on a fresh server and database; medians are printed when n > 1 (default 1)
  --only <text,…>         only rows whose "<scenario id>/<door>" or title contains one of the comma-separated texts
                          (case-insensitive); a peer runs with the Tessera rows it is compared with (e.g. oidc-oidc/graphql)
  --db <url>              postgresql://user@host:port/db to run on PostgreSQL (a fresh schema, dropped at the end);
                          default: a temporary SQLite file
  --json <file>           write the raw results as JSON
  --concurrency <list>    comma-separated (default 1,8,32)
  --warmup <s>            unmeasured load before each scenario and door, at concurrency 8 (default 1)
  --cpu-prof <dir>        start the server with node --cpu-prof, profiles written to <dir> when it stops
  --signing-iterations <n> iterations for the SAML signing comparison; 0 skips it (default 400)
  --no-peers              skip the peers (node-oidc-provider, samlify), which otherwise run after Tessera in each run
  --users <n>             users seeded for the many-users USERNAME row; 0 drops the row (default 1000)
  --preload <n>           after the rows, fill n issued-token records and n audit events (SQL, not the API), then
                          measure the translate and validate rows again; the purge runs every 10 s (default 0: off)
  --log-level <level>     Tessera's TESSERA_LOG_LEVEL (default: Tessera's own default, info: one audit line per request)
  --workers <n|auto>      Tessera's TESSERA_WORKERS (default: Tessera's own default, auto: one per core on PostgreSQL)
  --markdown              print the table as Markdown (for docs/benchmarks.md)
  --from-json <file>      print the table and verdicts of an earlier --json file instead of running`;

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
  peers: boolean;
  users: number;
  preload: number;
  logLevel?: string;
  workers?: string;
  markdown: boolean;
  fromJson?: string;
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
      'no-peers': { type: 'boolean', default: false },
      users: { type: 'string', default: '1000' },
      preload: { type: 'string', default: '0' },
      'log-level': { type: 'string' },
      workers: { type: 'string' },
      markdown: { type: 'boolean', default: false },
      'from-json': { type: 'string' },
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
    peers: !values['no-peers'],
    users: Math.floor(num('users', values.users!, 0)),
    preload: Math.floor(num('preload', values.preload!, 0)),
    logLevel: values['log-level'],
    workers: values.workers,
    markdown: !!values.markdown,
    fromJson: values['from-json'],
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
  /** graphql or rest for Tessera; the endpoint for a peer. */
  door: string;
  concurrency: number;
  /** 'empty' (no preload), 'preloaded' (after --preload), or 'peer'. */
  phase: 'empty' | 'preloaded' | 'peer';
}

interface RunResult {
  run: number;
  database: string;
  /** busyBefore: machine-wide busy cores just before, with Tessera idle (should be near 0). */
  bound: RsaBound & { busyBefore: number; scrypt: ScryptBound };
  rows: Array<RowKey & RowResult>;
  preload?: PreloadResult;
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
  return only.split(',').some((o) => `${s.id}/${door}`.includes(o) || s.title.toLowerCase().includes(o));
}

/** A peer runs when nothing is filtered, when the filter names it, or when it names a row the peer is compared with. */
function peerSelected(p: PeerRowSpec, only: string | undefined): boolean {
  if (!only) return true;
  return only
    .split(',')
    .some((o) => p.id.includes(o) || p.title.toLowerCase().includes(o) || p.versus.some((v) => o.startsWith(v + '/') || o === v));
}

/** The rows measured again on the preloaded database. */
const GROWTH_ROWS = new Set(['oidc-oidc/graphql', 'oidc-oidc/rest', 'validate-oidc/graphql', 'validate-oidc/rest']);

const log = (line: string) => process.stderr.write(line + '\n');

function logRow(label: string, r: RowResult): void {
  log(
    `  ${label} c=${r.concurrency}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, errors ${r.errors}` +
      (r.errors ? ` (${JSON.stringify(r.errorDetail)})` : '') +
      `, server ${r.serverCores.toFixed(2)} cores, ${r.serverCpuUsPerOk.toFixed(0)} µs/req, RSS ${r.rssPeakMb.toFixed(0)} MB peak (${r.rssSlopeMbPerMin.toFixed(1)} MB/min), other ${r.otherCores.toFixed(2)} cores`,
  );
}

async function driveRows(
  server: ServerProcess,
  label: string,
  common: { path: string; bodies: string[]; check: (b: string) => boolean; headers?: Record<string, string>; localAddresses?: string[]; minDuration?: number },
  opts: Options,
  onRow: (r: RowResult) => void,
): Promise<void> {
  const base = { url: server.url, serverCpuSeconds: server.cpuSeconds, serverRss: server.rssPerProcess, ...common };
  if (opts.warmup > 0) {
    const w = await runRow({ ...base, concurrency: 8, duration: opts.warmup });
    if (w.errors > 0) log(`  warm-up ${label}: ${w.errors} errors, e.g. ${w.errorDetail.sample}`);
  }
  for (const c of opts.concurrency) {
    await sleep(200);
    const from = (performance.now() - server.spawnedAt) / 1000;
    const r = await runRow({ ...base, concurrency: c, duration: Math.max(opts.duration, common.minDuration ?? 0) });
    if (opts.cpuProf) log(`  (profile window for ${label} c=${c}: ${from.toFixed(1)}–${((performance.now() - server.spawnedAt) / 1000).toFixed(1)} s after spawn)`);
    logRow(label, r);
    if (r.errorDetail.connection > 0) log(`  ${label}: connection errors; the server's stderr ends with:\n${server.stderr().slice(-3000) || '(nothing)'}`);
    onRow(r);
  }
}

async function oneRun(run: number, opts: Options, adminPassword: string): Promise<RunResult> {
  const db = freshDatabase(opts.db);
  const masterKey = randomBytes(32).toString('hex');
  const nodeArgs = opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${resolve(opts.cpuProf)}`] : [];
  if (opts.cpuProf) mkdirSync(resolve(opts.cpuProf), { recursive: true });
  const env: Record<string, string> = {};
  if (opts.logLevel) env.TESSERA_LOG_LEVEL = opts.logLevel;
  if (opts.workers) env.TESSERA_WORKERS = opts.workers;
  if (opts.preload > 0) env.TESSERA_PURGE_INTERVAL_MS = '10000';
  log(`run ${run}: starting Tessera on ${db.label}`);
  const server = await startServerProcess({ databaseUrl: db.url, adminPassword, masterKey, nodeArgs, env });
  const rows: RunResult['rows'] = [];
  const peerDir = mkdtempSync(join(tmpdir(), 'tessera-bench-peers-'));
  let prepared: Awaited<ReturnType<typeof prepareScenarios>>;
  let bound: RunResult['bound'];
  let preloaded: PreloadResult | undefined;
  try {
    const api = new Api(server.url);
    prepared = await prepareScenarios(api, adminPassword, { poolSize: 4096, tokenLifetimeSeconds: 6 * 3600, databaseUrl: db.url, users: opts.users, validatePool: 1024 });
    const busyBefore = await machineBusyCores(1000);
    log(`run ${run}: machine busy ${busyBefore.toFixed(2)} cores with Tessera idle; measuring the raw RSA-2048 sign rate and the scrypt rate`);
    const rsa = await measureRsaBound(2);
    const scrypt = await measureScryptBound(2);
    bound = { ...rsa, busyBefore, scrypt };
    log(`run ${run}: RSA-2048 sign/s one core ${bound.oneCore}, all ${bound.workers} cores ${bound.allCores}; scrypt checks/s all ${scrypt.workers} cores ${scrypt.allCores}`);
    const drive = async (phase: 'empty' | 'preloaded', pick: (s: Scenario, door: Door) => boolean) => {
      for (const s of prepared.scenarios) {
        for (const door of DOORS) {
          if (!pick(s, door)) continue;
          const label = `${s.id}/${door}${phase === 'preloaded' ? ' (preloaded)' : ''}`;
          // A USERNAME row at c = 32 has 32 scrypt checks in flight (about 2–4 s before the first answers on a
          // busy 2-core machine): it needs longer than the other rows to measure anything.
          const minDuration = s.id.startsWith('username') ? 10 : 0;
          await driveRows(server, label, { path: s.path(door), bodies: s.bodies(door), check: (b) => s.check(door, b), localAddresses: s.localAddresses, minDuration }, opts, (r) =>
            rows.push({ scenario: s.id, title: s.title, door, phase, ...r }),
          );
        }
      }
    };
    await drive('empty', (s, door) => selected(s, door, opts.only));
    if (opts.preload > 0) {
      log(`run ${run}: preloading ${opts.preload} issued-token records and ${opts.preload} audit events`);
      preloaded = await preload(db.url, prepared.oidcInstance, opts.preload, log);
      log(`run ${run}: preloaded in ${preloaded.seconds.toFixed(0)} s (the purge, every 10 s, removes the records that expired over an hour ago: about 0.7 % of them)`);
      await sleep(1000);
      await drive('preloaded', (s, door) => GROWTH_ROWS.has(`${s.id}/${door}`) && selected(s, door, opts.only));
    }
  } finally {
    await server.stop();
    await db.cleanup().catch((e) => log(`could not clean the database up: ${(e as Error).message}`));
  }

  if (opts.peers) {
    const { peers } = await preparePeers(peerDir, prepared.trust, prepared.idTokens);
    for (const p of peers) {
      if (!peerSelected(p, opts.only)) continue;
      log(`run ${run}: ${p.title}, alone on the machine`);
      const peer = await startProcess({ script: p.script, name: p.id, env: { PEER_CONFIG: p.configFile } });
      try {
        await driveRows(peer, p.id, { path: p.path, bodies: p.bodies, check: p.check, headers: p.headers }, opts, (r) =>
          rows.push({ scenario: p.id, title: p.title, door: p.door, phase: 'peer', ...r }),
        );
      } finally {
        await peer.stop();
      }
    }
  }
  rmSync(peerDir, { recursive: true, force: true });
  return { run, database: db.label, bound, rows, preload: preloaded };
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
  /** Tessera ÷ the peer it is compared with, at the same concurrency (NaN when none). */
  peerRatio: number;
  peerId?: string;
  serverCpuUsPerOk: number;
  serverCores: number;
  loaderCores: number;
  otherCores: number;
  rssPeakMb: number;
  rssSlopeMbPerMin: number;
  processes: number;
}

interface Summary {
  bound: { oneCore: number; allCores: number; workers: number; scrypt: number };
  rows: SummaryRow[];
}

const rowKey = (x: RowKey) => `${x.scenario}|${x.door}|${x.concurrency}|${x.phase}`;

function summarise(runs: RunResult[]): Summary {
  const oneCore = median(runs.map((r) => r.bound.oneCore));
  const allCores = median(runs.map((r) => r.bound.allCores));
  const scrypt = median(runs.map((r) => r.bound.scrypt.allCores));
  const keys = new Map<string, RowKey>();
  for (const r of runs) for (const row of r.rows) keys.set(rowKey(row), row);
  const rows: SummaryRow[] = [];
  for (const [k, key] of keys) {
    const all = runs.flatMap((r) => r.rows.filter((x) => rowKey(x) === k));
    const rps = median(all.map((x) => x.rps));
    rows.push({
      scenario: key.scenario,
      title: key.title,
      door: key.door,
      concurrency: key.concurrency,
      phase: key.phase,
      rps,
      p50Ms: median(all.map((x) => x.p50Ms)),
      p99Ms: median(all.map((x) => x.p99Ms)),
      errors: all.reduce((s, x) => s + x.errors, 0),
      ratio: rps / (key.scenario.startsWith('username') ? scrypt : oneCore),
      peerRatio: Number.NaN,
      serverCpuUsPerOk: median(all.map((x) => x.serverCpuUsPerOk)),
      serverCores: median(all.map((x) => x.serverCores)),
      loaderCores: median(all.map((x) => x.loaderCores)),
      otherCores: median(all.map((x) => x.otherCores)),
      rssPeakMb: Math.max(...all.map((x) => x.rssPeakMb)),
      rssSlopeMbPerMin: median(all.map((x) => x.rssSlopeMbPerMin)),
      processes: Math.max(...all.map((x) => x.processes)),
    });
  }
  for (const r of rows) {
    const peerId = PEER_OF[r.scenario];
    if (!peerId) continue;
    const peer = rows.find((x) => x.scenario === peerId && x.concurrency === r.concurrency);
    if (peer) {
      r.peerRatio = r.rps / peer.rps;
      r.peerId = peerId;
    }
  }
  return { bound: { oneCore, allCores, workers: runs[0].bound.workers, scrypt }, rows };
}

/** The peer each Tessera scenario is compared with in the table. */
const PEER_OF: Record<string, string> = { 'oidc-oidc': 'peer-oidc-provider-exchange', 'oidc-saml': 'peer-samlify' };

function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function doorName(d: string): string {
  return d === 'graphql' ? 'GraphQL' : d === 'rest' ? 'REST' : d;
}

function table(summary: Summary, markdown = false): string {
  const head = ['scenario', 'door', 'db', 'c', 'req/s', 'p50 ms', 'p99 ms', 'errors', '× bound', '÷ peer', 'server µs/req', 'server cores', 'other cores', 'RSS MB', 'RSS MB/min'];
  const body = summary.rows.map((r) => [
    r.title,
    doorName(r.door),
    r.phase === 'preloaded' ? 'preloaded' : r.phase === 'peer' ? '–' : 'empty',
    String(r.concurrency),
    fmt(r.rps),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    String(r.errors),
    fmt(r.ratio, 3) + (r.scenario.startsWith('username') ? ' s' : ''),
    fmt(r.peerRatio, 2),
    fmt(r.serverCpuUsPerOk),
    fmt(r.serverCores, 2),
    fmt(r.otherCores, 2),
    fmt(r.rssPeakMb) + (r.processes > 1 ? ` (${r.processes} proc)` : ''),
    fmt(r.rssSlopeMbPerMin, 1),
  ]);
  const noisy = summary.rows.filter((r) => r.otherCores >= 0.25).length;
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const left = new Set([0, 1, 2]);
  const line = markdown
    ? (cells: string[]) => `| ${cells.join(' | ')} |`
    : (cells: string[]) => cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const rule = markdown ? `|${head.map((_, i) => (left.has(i) ? '---' : '---:')).join('|')}|` : widths.map((w) => '-'.repeat(w)).join('  ');
  const b = summary.bound;
  return [
    line(head),
    rule,
    ...body.map(line),
  ].join('\n') + '\n\n' + [
    `bounds, measured with Tessera idle: raw RSA-2048 PKCS#1 v1.5 sign/s (node:crypto) one core ${fmt(b.oneCore)}, all ${b.workers} cores ${fmt(b.allCores)} ` +
      `(${fmt(b.allCores / b.oneCore, 3)} ×); scrypt (N = 2^15, r = 8, p = 1) checks/s all ${b.workers} cores ${fmt(b.scrypt, 1)}`,
    '× bound: req/s ÷ the one-core RSA rate, or ÷ the all-cores scrypt rate for USERNAME rows (marked s); ÷ peer: Tessera ÷ the peer row at the same concurrency',
    'server µs/req and cores: CPU of the server process and its workers (all threads; PostgreSQL backends count as other cores); RSS MB: peak resident set of the largest server process; ' +
      'RSS MB/min: least-squares slope of its resident set over the row',
    'other cores: CPU used by anything but the server and the load generator',
    ...(noisy ? [`WARNING: other processes used ≥ 0.25 cores during ${noisy} row(s): those figures are not clean measurements (server µs/req is the steadier column)`] : []),
  ].join(markdown ? '\n\n' : '\n');
}

interface Verdict {
  key: string;
  target: ScenarioTarget;
  bestRps: number;
  bestConcurrency: number;
  ratio: number;
  peerRps: number;
  peerRatio: number;
  p99AtMax: number;
  throughputOk: boolean;
  peerOk: boolean;
  latencyOk: boolean;
}

function best(rows: SummaryRow[]): SummaryRow | undefined {
  return rows.length ? rows.reduce((a, b) => (b.rps > a.rps ? b : a)) : undefined;
}

function verdicts(summary: Summary, maxC: number): Verdict[] {
  const out: Verdict[] = [];
  for (const [key, target] of Object.entries(TARGETS)) {
    const [scenario, door] = key.split('/');
    const rows = summary.rows.filter((r) => r.scenario === scenario && r.door === door && r.phase === 'empty');
    const top = best(rows);
    if (!top) continue;
    const atMax = rows.find((r) => r.concurrency === maxC);
    const peer = target.peer ? best(summary.rows.filter((r) => r.scenario === target.peer!.id)) : undefined;
    const p99AtMax = atMax?.p99Ms ?? Number.NaN;
    const peerRatio = peer ? top.rps / peer.rps : Number.NaN;
    out.push({
      key,
      target,
      bestRps: top.rps,
      bestConcurrency: top.concurrency,
      ratio: top.ratio,
      peerRps: peer?.rps ?? Number.NaN,
      peerRatio,
      p99AtMax,
      throughputOk: top.ratio >= target.ratio,
      peerOk: !target.peer || peerRatio >= target.peer.ratio,
      latencyOk: target.p99Ms === undefined || p99AtMax < target.p99Ms,
    });
  }
  return out;
}

function verdictLines(summary: Summary, maxC: number, runs: RunResult[]): string[] {
  const mark = (b: boolean) => (b ? 'ok' : 'MISSED');
  const out: string[] = [`Targets (throughput: best concurrency; p99 at c=${maxC}):`];
  for (const x of verdicts(summary, maxC)) {
    const boundName = x.target.bound === 'rsa' ? 'one-core RSA' : 'all-cores scrypt';
    let line = `  ${x.key}: ${fmt(x.bestRps)} req/s (c=${x.bestConcurrency}) = ${fmt(x.ratio, 3)} × ${boundName}, target ≥ ${x.target.ratio} [${mark(x.throughputOk)}]`;
    if (x.target.peer) line += `; ${fmt(x.peerRatio, 2)} × ${x.target.peer.id} (${fmt(x.peerRps)} req/s), target ≥ ${x.target.peer.ratio} [${Number.isFinite(x.peerRatio) ? mark(x.peerOk) : 'not measured'}]`;
    if (x.target.p99Ms !== undefined) line += `; p99 ${fmt(x.p99AtMax, 2)} ms, target < ${x.target.p99Ms} [${mark(x.latencyOk)}]`;
    out.push(line);
  }
  const tessera = summary.rows.filter((r) => r.phase !== 'peer');
  const errors = tessera.reduce((n, r) => n + r.errors, 0);
  out.push(`  errors in Tessera's rows: ${errors} [${mark(errors === 0)}]`);
  const peak = Math.max(...tessera.map((r) => r.rssPeakMb));
  const long = tessera.filter((r) => runs[0].rows.some((x) => rowKey(x) === rowKey(r) && x.seconds >= 55));
  const worstSlope = long.length ? Math.max(...long.map((r) => r.rssSlopeMbPerMin)) : Number.NaN;
  out.push(
    `  resident set per process: peak ${fmt(peak)} MB, target < 300 [${mark(peak < 300)}]; ` +
      (long.length ? `steepest trend over rows of 60 s: ${fmt(worstSlope, 1)} MB/min` : 'trend: run with --duration 60 to judge it'),
  );
  const pre = summary.rows.filter((r) => r.phase === 'preloaded');
  if (pre.length) {
    const r0 = runs.find((r) => r.preload)?.preload;
    out.push(`  preloaded database (${fmt(r0?.rows ?? Number.NaN)} records + as many audit events, loaded in ${fmt(r0?.seconds ?? Number.NaN)} s; the purge ran every 10 s):`);
    for (const key of [...new Set(pre.map((r) => `${r.scenario}/${r.door}`))]) {
      const [scenario, door] = key.split('/');
      const a = best(summary.rows.filter((r) => r.scenario === scenario && r.door === door && r.phase === 'empty'));
      const b = best(pre.filter((r) => r.scenario === scenario && r.door === door));
      const maxP99 = Math.max(...pre.filter((r) => r.scenario === scenario && r.door === door).map((r) => r.p99Ms));
      if (!a || !b) continue;
      const change = b.rps / a.rps - 1;
      out.push(`    ${key}: ${fmt(a.rps)} → ${fmt(b.rps)} req/s (${change >= 0 ? '+' : ''}${fmt(change * 100, 1)} %), target within 10 % [${mark(change >= -0.1)}]; worst p99 preloaded ${fmt(maxP99, 2)} ms`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  let opts = parseOptions();
  let m = machine();
  let runs: RunResult[] = [];
  let signing: { iterations: number; direct: number; xmlCrypto: number } | undefined;
  if (opts.fromJson) {
    // Print an earlier run's results again (e.g. as Markdown), without running anything.
    const saved = JSON.parse(readFileSync(resolve(opts.fromJson), 'utf8')) as { machine: typeof m; options: Options; runs: RunResult[]; signing?: typeof signing };
    ({ machine: m, runs, signing } = saved);
    opts = { ...saved.options, markdown: opts.markdown, json: undefined, fromJson: opts.fromJson };
  } else {
    if (!existsSync(MAIN_JS)) {
      console.error(`${MAIN_JS} is missing: build first (npm run bench builds, or npx tsc -p .)`);
      process.exit(2);
    }
    log(`Tessera benchmark: ${m.nproc} CPUs (${m.cpuModel}), node ${m.node}; ${opts.runs} run(s), ${opts.duration} s per row, concurrency ${opts.concurrency.join('/')}`);
    const adminPassword = 'bench-admin-' + randomBytes(9).toString('base64url');
    for (let i = 1; i <= opts.runs; i++) runs.push(await oneRun(i, opts, adminPassword));
    if (opts.signingIterations > 0) {
      log(`SAML signing comparison (benchSigning, ${opts.signingIterations} iterations per path)`);
      const s = await benchSigning(opts.signingIterations);
      signing = { iterations: opts.signingIterations, ...s };
    }
  }
  if (runs.every((r) => r.rows.length === 0)) {
    console.error(`no rows matched --only ${JSON.stringify(opts.only)}`);
    process.exit(2);
  }

  const summary = summarise(runs);
  const maxC = Math.max(...opts.concurrency);

  const out: string[] = [];
  out.push('');
  out.push(`Tessera benchmark — ${m.nproc} CPUs, ${m.cpuModel}, node ${m.node}, ${runs[0].database.split(' (')[0]}, issued-token persistence on, log level ${opts.logLevel ?? 'default (info)'}`);
  out.push(`${opts.runs > 1 ? `median of ${opts.runs} runs` : '1 run'}, ${opts.duration} s per row; errors = non-2xx + 2xx without the expected token + connection errors/timeouts${opts.runs > 1 ? ' (summed over runs)' : ''}`);
  out.push('');
  out.push(table(summary, opts.markdown));
  if (signing) {
    if (opts.markdown) out.push('');
    out.push(`SAML signing, one assertion, RSA-SHA256 (benchSigning): direct canonical form ${fmt(signing.direct)}/s, xml-crypto ${fmt(signing.xmlCrypto)}/s (${fmt(signing.direct / signing.xmlCrypto, 1)}×)`);
  }
  out.push('');
  const verdictText = verdictLines(summary, maxC, runs);
  if (opts.markdown) verdictText.splice(1, 0, '');
  out.push(...verdictText.map((l, i) => (opts.markdown && i > 0 ? l.replace(/^( *)  /, '$1- ') : l)));
  console.log(out.join('\n'));

  if (opts.json) {
    const file = resolve(opts.json);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ machine: m, options: opts, summary, targets: verdicts(summary, maxC), signing, runs }, null, 2) + '\n');
    log(`raw results written to ${file}`);
  }
  const totalErrors = summary.rows.filter((r) => r.phase !== 'peer').reduce((n, r) => n + r.errors, 0);
  if (totalErrors > 0) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

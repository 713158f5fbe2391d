/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. from `bench.js --cpu-prof <dir>`): self time by
 * function and by package or source folder, optionally within a time window (seconds after the profile
 * started; bench.js prints each row's window).
 *
 *   node dist/bench/profile-summary.js <file.cpuprofile> [--window 12.5,22.5] [--top 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): string {
  if (!url) return '(native/V8)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return url;
  const src = /\/dist\/(src\/[^/]+(?:\/[^/]+)?)\//.exec(url);
  if (src) return src[1];
  const m = /\/dist\/(.+)$/.exec(url);
  return m ? m[1] : url.replace(/^file:\/\//, '');
}

function short(url: string): string {
  const nm = /node_modules\/(.+)$/.exec(url);
  if (nm) return nm[1];
  const d = /\/dist\/(.+)$/.exec(url);
  return d ? d[1] : url.replace(/^file:\/\//, '');
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { window: { type: 'string' }, top: { type: 'string', default: '30' } } });
if (positionals.length !== 1) {
  console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [--window <from>,<to>] [--top <n>]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as CpuProfile;
const [from, to] = values.window ? values.window.split(',').map((x) => Number(x) * 1e6) : [0, Infinity];
const top = Number(values.top);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

const selfUs = new Map<number, number>();
let t = 0;
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  if (t < from || t > to) continue;
  selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
  total += dt;
}

const fn = new Map<string, number>();
const pkg = new Map<string, number>();
let idle = 0;
for (const [id, us] of selfUs) {
  const cf = byId.get(id)!.callFrame;
  if (cf.functionName === '(idle)') {
    idle += us;
    continue;
  }
  const name = cf.functionName || '(anonymous)';
  const key = cf.url ? `${name}  ${short(cf.url)}:${cf.lineNumber + 1}` : name;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const p = cf.url ? where(cf.url) : name.startsWith('(') ? name : '(native/V8)';
  pkg.set(p, (pkg.get(p) ?? 0) + us);
}
const busy = total - idle;
const pct = (us: number) => ((100 * us) / busy).toFixed(1).padStart(5) + '%';
console.log(`window ${(from / 1e6).toFixed(1)}–${Number.isFinite(to) ? (to / 1e6).toFixed(1) : 'end'} s: ${(total / 1e6).toFixed(2)} s sampled, ` +
  `main thread busy ${(busy / 1e6).toFixed(2)} s (${((100 * busy) / total).toFixed(0)}%), idle ${(idle / 1e6).toFixed(2)} s`);
console.log('\nself time by package / source folder (share of busy time):');
for (const [k, us] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${k}`);
console.log('\nself time by function:');
for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${k}`);

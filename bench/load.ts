/**
 * One row of the table: autocannon (as a library) against a running server for `duration` seconds at a fixed
 * concurrency, every response checked for a token. Latencies are kept at full resolution (autocannon's own
 * histogram rounds to whole milliseconds, too coarse for sub-millisecond medians).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import autocannon, { type AutocannonRequest, type AutocannonResult } from 'autocannon';

/** Machine-wide CPU jiffies from /proc/stat: busy and total (undefined where /proc is absent). */
function machineJiffies(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - f[4], total };
  } catch {
    return undefined;
  }
}

export interface RowResult {
  concurrency: number;
  seconds: number;
  /** Responses that were 2xx and carried a token. */
  ok: number;
  /** Non-2xx responses, 2xx responses without a token, connection errors and timeouts. */
  errors: number;
  errorDetail: { non2xx: number; noToken: number; connection: number; timeouts: number; sample?: string };
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Server CPU time per successful translation (µs), and server/loader CPU use in cores. */
  serverCpuUsPerOk: number;
  serverCores: number;
  loaderCores: number;
  /** CPU used by everything else on the machine during the row (cores); high values mean a noisy run. */
  otherCores: number;
}

/** Machine-wide busy cores over the next `ms` milliseconds. */
export async function machineBusyCores(ms: number): Promise<number> {
  const a = machineJiffies();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineJiffies();
  return a && b && b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * availableParallelism() : Number.NaN;
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export async function runRow(opts: {
  url: string;
  path: string;
  bodies: string[];
  check: (body: string) => boolean;
  concurrency: number;
  duration: number;
  serverCpuSeconds: () => number;
}): Promise<RowResult> {
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let noToken = 0;
  let sample: string | undefined;
  let next = 0;
  const { bodies } = opts;
  const headers = { 'content-type': 'application/json' };
  const request: AutocannonRequest = {
    method: 'POST',
    path: opts.path,
    headers,
    body: bodies[0],
    onResponse(status, body) {
      if (status < 200 || status > 299) {
        non2xx++;
        sample ??= `${status} ${body.slice(0, 300)}`;
      } else if (!opts.check(body)) {
        noToken++;
        sample ??= `${status} ${body.slice(0, 300)}`;
      } else {
        ok++;
      }
    },
  };
  if (bodies.length > 1) {
    request.setupRequest = (req) => {
      req.body = bodies[next++ % bodies.length];
      return req;
    };
  }
  const m0 = machineJiffies();
  const cpu0 = opts.serverCpuSeconds();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const inst = autocannon(
      { url: opts.url, connections: opts.concurrency, duration: opts.duration, timeout: 30, requests: [request] },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    inst.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  const cpu = opts.serverCpuSeconds() - cpu0;
  const m1 = machineJiffies();
  const machineCores = m0 && m1 && m1.total > m0.total ? ((m1.busy - m0.busy) / (m1.total - m0.total)) * availableParallelism() : Number.NaN;
  const loaderCores = (self.user + self.system) / 1e6 / seconds;
  const sorted = Float64Array.from(latencies).sort();
  const connection = result.errors - result.timeouts;
  const errors = non2xx + noToken + result.errors;
  return {
    concurrency: opts.concurrency,
    seconds,
    ok,
    errors,
    errorDetail: { non2xx, noToken, connection, timeouts: result.timeouts, sample },
    rps: ok / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: sorted.length ? sorted.reduce((s, v) => s + v, 0) / sorted.length : Number.NaN,
    serverCpuUsPerOk: ok ? (cpu * 1e6) / ok : Number.NaN,
    serverCores: cpu / seconds,
    loaderCores,
    otherCores: Math.max(0, machineCores - cpu / seconds - loaderCores),
  };
}

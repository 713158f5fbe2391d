/**
 * One row of the table: autocannon (as a library) against a running server for `duration` seconds at a fixed
 * concurrency, every response checked for a token. Latencies are kept at full resolution (autocannon's own
 * histogram rounds to whole milliseconds, too coarse for sub-millisecond medians).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
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
  /** Resident set of the largest server process, sampled every second: peak, first and last sample (MB). */
  rssPeakMb: number;
  rssFirstMb: number;
  rssLastMb: number;
  /** Least-squares slope of that largest resident set over the row, in MB per minute (growth trend). */
  rssSlopeMbPerMin: number;
  /** How many server processes the samples saw (1, or the primary and its workers). */
  processes: number;
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den > 0 ? num / den : Number.NaN;
}

/**
 * autocannon connects with net.connect(port, host) and has no option for the local address; the many-users
 * row binds each connection to its own loopback address (127.0.0.2, .3, …) so that Tessera sees requests from
 * many client addresses. This wraps net.connect for the duration of a row.
 */
function bindLocalAddresses(addresses: string[]): () => void {
  const original = net.connect;
  let i = 0;
  (net as { connect: unknown }).connect = (...args: unknown[]) => {
    if ((typeof args[0] === 'number' || typeof args[0] === 'string') && typeof args[1] === 'string') {
      return original({ port: Number(args[0]), host: args[1], localAddress: addresses[i++ % addresses.length] });
    }
    return (original as (...a: unknown[]) => net.Socket)(...args);
  };
  return () => {
    (net as { connect: unknown }).connect = original;
  };
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
  /** Resident set in bytes of each server process. */
  serverRss?: () => number[];
  /** Extra request headers (the peers' client authentication and form content type). */
  headers?: Record<string, string>;
  /** Loopback addresses to bind the load generator's connections to, in rotation. */
  localAddresses?: string[];
}): Promise<RowResult> {
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let noToken = 0;
  let sample: string | undefined;
  let next = 0;
  const { bodies } = opts;
  const headers = { 'content-type': 'application/json', ...opts.headers };
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
  const rss: Array<[number, number]> = [];
  let processes = 0;
  const sampleRss = () => {
    const per = opts.serverRss?.() ?? [];
    if (per.length === 0) return;
    processes = Math.max(processes, per.length);
    rss.push([performance.now() / 60_000, Math.max(...per) / 1e6]);
  };
  sampleRss();
  const sampler = setInterval(sampleRss, 1000);
  const unbind = opts.localAddresses?.length ? bindLocalAddresses(opts.localAddresses) : () => {};
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
  unbind();
  clearInterval(sampler);
  sampleRss();
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
    rssPeakMb: rss.length ? Math.max(...rss.map((p) => p[1])) : Number.NaN,
    rssFirstMb: rss.length ? rss[0][1] : Number.NaN,
    rssLastMb: rss.length ? rss[rss.length - 1][1] : Number.NaN,
    rssSlopeMbPerMin: slope(rss),
    processes,
  };
}

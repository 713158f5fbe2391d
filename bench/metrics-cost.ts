/**
 * The per-request cost of the metrics, in isolation: one audit event (a translation), one latency observation
 * and one write-batch observation, as every translation makes them — Tessera's counters (src/metrics/) against
 * the same series kept with prom-client's own Counter and Histogram. `node dist/bench/metrics-cost.js`.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { Metrics } from '../src/metrics/metrics.js';

const N = 2_000_000;

function time(label: string, fn: () => void): void {
  for (let run = 0; run < 3; run++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    const ns = Number(process.hrtime.bigint() - started) / N;
    process.stdout.write(`${label}: ${ns.toFixed(0)} ns per request (run ${run + 1}); heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB\n`);
  }
}

const m = new Metrics({ isKind: (n) => n === 'OPENIDCONNECT', processMetrics: false });
m.setInstances(['bench']);
const event = { action: 'translate', instance: 'bench', inputType: 'OPENIDCONNECT', outputType: 'OPENIDCONNECT', outcome: 'OK' };
time('Tessera metrics', () => {
  m.audit(event);
  m.request('graphql', 200, 0.0012);
  m.batches.batch?.(3, 0.4, false);
});
m.close();

const r = new Registry();
const c = new Counter({ name: 'c_total', help: 'h', labelNames: ['instance', 'input', 'output', 'outcome'], registers: [r] });
const h = new Histogram({ name: 'h', help: 'h', labelNames: ['door', 'status'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [r] });
const b = new Histogram({ name: 'b', help: 'h', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: [r] });
time('prom-client metrics', () => {
  c.inc({ instance: 'bench', input: 'OPENIDCONNECT', output: 'OPENIDCONNECT', outcome: 'OK' });
  h.observe({ door: 'graphql', status: '200' }, 0.0012);
  b.observe(3);
});

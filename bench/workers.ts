/**
 * The all-cores bounds (rsa-bound.ts, scrypt-bound.ts): one worker thread per core, each warmed up, then all
 * told "go" at once; each answers its count and elapsed milliseconds, summed here as operations per second.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export async function allCoresRate(url: URL, workerData: Record<string, unknown>): Promise<{ perSecond: number; workers: number }> {
  const workers = availableParallelism();
  const started = Array.from({ length: workers }, () => new Worker(url, { workerData }));
  const next = (w: Worker) =>
    new Promise<{ count: number; ms: number }>((resolve, reject) => {
      w.once('error', reject);
      w.once('message', resolve);
    });
  try {
    await Promise.all(started.map(next)); // ready
    const results = started.map(next);
    for (const w of started) w.postMessage('go');
    const all = await Promise.all(results);
    return { perSecond: all.reduce((s, r) => s + (r.count * 1000) / r.ms, 0), workers };
  } finally {
    await Promise.all(started.map((w) => w.terminate()));
  }
}

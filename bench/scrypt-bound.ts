/**
 * The bound USERNAME translations are judged against: scrypt password checks per second with Tessera's
 * parameters (N = 2^15, r = 8, p = 1, 32-byte key), one worker thread per core running synchronous scrypt,
 * started together — what all cores could do if they did nothing but hash passwords.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface ScryptBound {
  allCores: number;
  workers: number;
  seconds: number;
}

export async function measureScryptBound(seconds = 2): Promise<ScryptBound> {
  const workers = availableParallelism();
  const url = new URL('./scrypt-worker.js', import.meta.url);
  const started = Array.from({ length: workers }, () => new Worker(url, { workerData: { seconds } }));
  try {
    await Promise.all(started.map((w) => new Promise<void>((resolve, reject) => {
      w.once('error', reject);
      w.once('message', () => resolve());
    })));
    const results = started.map((w) => new Promise<{ count: number; ms: number }>((resolve, reject) => {
      w.once('error', reject);
      w.once('message', (m: { count: number; ms: number }) => resolve(m));
    }));
    for (const w of started) w.postMessage('go');
    const all = await Promise.all(results);
    return { allCores: Math.round(all.reduce((s, r) => s + (r.count * 1000) / r.ms, 0) * 10) / 10, workers, seconds };
  } finally {
    await Promise.all(started.map((w) => w.terminate()));
  }
}

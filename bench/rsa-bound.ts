/**
 * The bound the targets refer to: raw RSA-2048 PKCS#1 v1.5 signatures per second with node:crypto, on one core
 * (sync loop on this thread) and on all cores (one worker thread per core, started together).
 */
import { generateKeyPairSync } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { signLoop } from './rsa-loop.js';

export interface RsaBound {
  oneCore: number;
  allCores: number;
  workers: number;
  seconds: number;
}

export async function measureRsaBound(seconds = 2): Promise<RsaBound> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  signLoop(privateKey, 0.3); // warm-up
  const one = signLoop(privateKey, seconds);
  const oneCore = Math.round((one.count * 1000) / one.ms);

  const workers = availableParallelism();
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const url = new URL('./rsa-worker.js', import.meta.url);
  const started = Array.from({ length: workers }, () => new Worker(url, { workerData: { pem, seconds } }));
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
    const allCores = Math.round(all.reduce((s, r) => s + (r.count * 1000) / r.ms, 0));
    return { oneCore, allCores, workers, seconds };
  } finally {
    await Promise.all(started.map((w) => w.terminate()));
  }
}

/**
 * One worker of the all-cores RSA bound: waits for "go", signs in a sync loop for the given time, reports the
 * count. Started by rsa-bound.ts, one per core.
 */
import { createPrivateKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { signLoop } from './rsa-loop.js';

const { pem, seconds } = workerData as { pem: string; seconds: number };
const key = createPrivateKey(pem);
signLoop(key, 0.2); // warm-up
parentPort!.postMessage({ ready: true });
parentPort!.once('message', () => {
  const r = signLoop(key, seconds);
  parentPort!.postMessage({ count: r.count, ms: r.ms });
});

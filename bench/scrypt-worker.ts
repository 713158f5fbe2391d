/** One worker of the scrypt bound (scrypt-bound.ts): waits for "go", hashes for the given time, reports the count. */
import { randomBytes, scryptSync } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_SCRYPT, scryptOptions } from '../src/identity/password.js';

const { seconds } = workerData as { seconds: number };
const opts = scryptOptions(DEFAULT_SCRYPT);
const salt = randomBytes(16);
const hash = () => scryptSync('bench-password', salt, 32, opts);
hash(); // warm-up
parentPort!.postMessage({ ready: true });
parentPort!.once('message', () => {
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let count = 0;
  let now = t0;
  while (now < end) {
    hash();
    count++;
    now = performance.now();
  }
  parentPort!.postMessage({ count, ms: now - t0 });
});

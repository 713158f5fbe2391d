/** One worker of the scrypt bound (scrypt-bound.ts): waits for "go", hashes for the given time, reports the count. */
import { randomBytes, scryptSync } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_SCRYPT } from '../src/identity/password.js';

const { seconds } = workerData as { seconds: number };
const N = 2 ** DEFAULT_SCRYPT.logN;
const opts = { N, r: DEFAULT_SCRYPT.r, p: DEFAULT_SCRYPT.p, maxmem: 256 * N * DEFAULT_SCRYPT.r + 1024 * 1024 };
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

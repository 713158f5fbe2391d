/**
 * Asymmetric signatures on libuv's thread pool (`crypto.sign` with a callback), so the event loop keeps serving
 * while RSA or ECDSA works and signatures use every core.
 *
 * Two things keep that cheap under load:
 * - At most `SIGNING_CONCURRENCY` signatures are handed to the pool at once; the rest wait in order here. The
 *   pool's queue is shared and first-come first-served, so an unbounded backlog of signatures would make every
 *   database statement (SQLite runs on the same pool) wait behind it, and a request is only answered once its
 *   issued-token row has committed. With the backlog here, one pool thread is always free for a statement
 *   (measured on the 2-core benchmark machine, 32 concurrent OIDC → OIDC translations: p99 35–36 ms instead of
 *   40–50 ms at about the same rate; docs/benchmarks.md).
 * - Queuing a signature with a key that a pool thread is using makes the event loop wait on that key's lock in
 *   Node's crypto layer; a few independent copies of the key, used in turn, shorten that wait.
 */
import { createPrivateKey, sign, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import { FifoLimiter } from '../limiter.js';

const POOL_SIZE = Math.max(1, Number(process.env.UV_THREADPOOL_SIZE) || 4);
/** Every pool thread but one, which stays free for database statements. */
export const SIGNING_CONCURRENCY = Math.max(1, POOL_SIZE - 1);

const COPIES = Math.max(2, SIGNING_CONCURRENCY);
const copies = new WeakMap<KeyObject, { keys: KeyObject[]; next: number }>();

function keyCopy(key: KeyObject): KeyObject {
  let pool = copies.get(key);
  if (!pool) {
    let keys: KeyObject[] = [key];
    try {
      const der = key.export({ format: 'der', type: 'pkcs8' });
      keys = [key, ...Array.from({ length: COPIES - 1 }, () => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }))];
    } catch {
      // A key that cannot be exported is used as it is.
    }
    pool = { keys, next: 0 };
    copies.set(key, pool);
  }
  const k = pool.keys[pool.next];
  pool.next = (pool.next + 1) % pool.keys.length;
  return k;
}

interface Job {
  digest: string | null;
  data: Buffer;
  key: KeyObject;
  options: Omit<SignKeyObjectInput, 'key'> | undefined;
  resolve: (sig: Buffer) => void;
  reject: (e: Error) => void;
}

const gate = new FifoLimiter(SIGNING_CONCURRENCY);

function start(job: Job): void {
  const key = keyCopy(job.key);
  const input: KeyObject | SignKeyObjectInput = job.options ? { ...job.options, key } : key;
  try {
    sign(job.digest, job.data, input, (err, sig) => {
      gate.leave();
      if (err) job.reject(err);
      else job.resolve(sig);
    });
  } catch (e) {
    gate.leave();
    job.reject(e as Error);
  }
}

/**
 * Signs `data` with `key` on the thread pool. `options` are `crypto.sign`'s key options other than the key
 * (padding, saltLength, dsaEncoding).
 */
export function signOnPool(digest: string | null, data: Buffer, key: KeyObject, options?: Omit<SignKeyObjectInput, 'key'>): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const job: Job = { digest, data, key, options, resolve, reject };
    gate.enter(() => start(job));
  });
}

/** Signatures on the pool now and waiting here (for tests and diagnostics). */
export function signingLoad(): { running: number; waiting: number } {
  return gate.load();
}

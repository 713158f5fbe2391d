/**
 * The bound USERNAME translations are judged against: scrypt password checks per second with Tessera's
 * parameters (N = 2^15, r = 8, p = 1, 32-byte key), one worker thread per core running synchronous scrypt,
 * started together — what all cores could do if they did nothing but hash passwords.
 */
import { allCoresRate } from './workers.js';

export interface ScryptBound {
  allCores: number;
  workers: number;
  seconds: number;
}

export async function measureScryptBound(seconds = 2): Promise<ScryptBound> {
  const all = await allCoresRate(new URL('./scrypt-worker.js', import.meta.url), { seconds });
  return { allCores: Math.round(all.perSecond * 10) / 10, workers: all.workers, seconds };
}

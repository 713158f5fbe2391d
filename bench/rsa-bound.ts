/**
 * The bound the targets refer to: raw RSA-2048 PKCS#1 v1.5 signatures per second with node:crypto, on one core
 * (sync loop on this thread) and on all cores (one worker thread per core, started together).
 */
import { generateKeyPairSync } from 'node:crypto';
import { signLoop } from './rsa-loop.js';
import { allCoresRate } from './workers.js';

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

  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const all = await allCoresRate(new URL('./rsa-worker.js', import.meta.url), { pem, seconds });
  return { oneCore, allCores: Math.round(all.perSecond), workers: all.workers, seconds };
}

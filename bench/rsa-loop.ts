/** The raw operation the targets are expressed against: RSA-2048 PKCS#1 v1.5 (RS256) signatures, node:crypto, sync. */
import { sign, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** A signing input the size of a typical ID token's header.payload. */
export const SIGNING_INPUT = Buffer.from('eyJhbGciOiJSUzI1NiJ9.' + 'x'.repeat(420), 'ascii');

export function signLoop(key: KeyObject, seconds: number): { count: number; ms: number } {
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let count = 0;
  let now = t0;
  while (now < end) {
    for (let i = 0; i < 16; i++) sign('sha256', SIGNING_INPUT, key);
    count += 16;
    now = performance.now();
  }
  return { count, ms: now - t0 };
}

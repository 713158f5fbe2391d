/**
 * Password hashing with scrypt (node:crypto), a memory-hard KDF.
 * Format: `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`; parameters travel with each hash so they can be
 * raised later without invalidating stored passwords. Defaults: N = 2^15, r = 8, p = 1 (32 MiB, about 50–100 ms
 * on one core here), 16-byte salt, 32-byte output.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { FifoLimiter } from '../limiter.js';

export interface ScryptParams {
  logN: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { logN: 15, r: 8, p: 1 };
const KEYLEN = 32;

/**
 * Derivations in flight at once: one per core, the rest wait here in order. Each holds 128 · N · r bytes
 * (32 MiB at the defaults) on a thread of libuv's pool (4 threads): more in flight than cores adds no
 * throughput, only memory (4 × 32 MiB took a process past 300 MB with many users logging in) and pool threads
 * taken from database statements and signatures.
 */
/** node:crypto's scrypt options for `prm` (maxmem: 128 · N · r for the derivation, doubled, plus headroom). */
export function scryptOptions(prm: ScryptParams): { N: number; r: number; p: number; maxmem: number } {
  const N = 2 ** prm.logN;
  return { N, r: prm.r, p: prm.p, maxmem: 256 * N * prm.r + 1024 * 1024 };
}

const derivations = new FifoLimiter(Math.max(1, availableParallelism()));

async function derive(password: string, salt: Buffer, prm: ScryptParams): Promise<Buffer> {
  await new Promise<void>((resolve) => derivations.enter(resolve));
  try {
    return await new Promise<Buffer>((resolve, reject) =>
      scrypt(password.normalize('NFC'), salt, KEYLEN, scryptOptions(prm), (err, key) =>
        err ? reject(err) : resolve(key),
      ),
    );
  } finally {
    derivations.leave();
  }
}

/**
 * HMAC, inside scrypt's PBKDF2, pads a short key with zero bytes (RFC 2104 §2): "abc" and "abc" followed by
 * NULs derive the same key. No password with a NUL is set (identity.service.ts refuses control characters),
 * and none verifies, so the extra NULs cannot stand in for characters.
 */
const NUL = '\u0000';

export async function hashPassword(password: string, prm: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (password.includes(NUL)) throw new Error('a password must not contain NUL');
  const salt = randomBytes(16);
  const key = await derive(password, salt, prm);
  return `scrypt$${prm.logN}$${prm.r}$${prm.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const prm = { logN: Number(parts[1]), r: Number(parts[2]), p: Number(parts[3]) };
  if (![prm.logN, prm.r, prm.p].every(Number.isInteger) || prm.logN < 10 || prm.logN > 22) return false;
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  // The key is derived either way, so a password with a NUL is refused after the same work as a wrong one.
  const key = await derive(password, salt, prm);
  return key.length === expected.length && timingSafeEqual(key, expected) && !password.includes(NUL);
}

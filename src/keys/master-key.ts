/**
 * The master key encrypts private keys (and other secrets) at rest. It is 32 random bytes, given in
 * TESSERA_MASTER_KEY or, on SQLite only, generated once into `master.key` next to the database.
 *
 * Sealed format: `v1.<base64url(iv ‖ tag ‖ ciphertext)>`, AES-256-GCM (NIST SP 800-38D) with a random
 * 96-bit IV and a 128-bit tag. The additional authenticated data binds a sealed value to its record
 * (e.g. the key's kid), so a ciphertext copied onto another row does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const MASTER_KEY_BYTES = 32;
export const MASTER_KEY_FILE = 'master.key';

const SEAL_VERSION = 'v1';
const IV_BYTES = 12; // SP 800-38D §8.2: 96-bit IVs are the recommended length for GCM
const TAG_BYTES = 16;
const KEY_CHECK_PLAINTEXT = 'tessera master key check v1';
const KEY_CHECK_AAD = 'tessera:master-key-check';

const FORMAT_HELP =
  'TESSERA_MASTER_KEY must be 32 bytes given as 64 hexadecimal characters or as base64/base64url ' +
  '(43 or 44 characters), e.g. the output of `openssl rand -hex 32`';

/** Thrown when a sealed value does not authenticate under the given master key (wrong key or tampered data). */
export class MasterKeyMismatchError extends Error {
  constructor(message = 'The master key does not open this sealed secret: the key is wrong or the data was altered.') {
    super(message);
    this.name = 'MasterKeyMismatchError';
  }
}

/**
 * Parses a master key: 64 hex characters, or base64 / base64url of exactly 32 bytes.
 * The message of the thrown error never repeats the given text (it may be a near-miss of the real key).
 */
export function parseMasterKey(text: string): Buffer {
  if (typeof text !== 'string') throw new Error(`${FORMAT_HELP}.`);
  const s = text.trim();
  if (s.length === 0) throw new Error(`${FORMAT_HELP}; it is empty.`);
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');

  // Buffer.from(…, 'base64') silently skips characters it does not know, so check the alphabet first and
  // re-encode afterwards: only a canonical encoding of exactly 32 bytes is accepted.
  const standard = /^[A-Za-z0-9+/]+={0,2}$/.test(s);
  const url = /^[A-Za-z0-9_-]+={0,2}$/.test(s);
  if (standard || url) {
    const bytes = Buffer.from(s, url && !standard ? 'base64url' : 'base64');
    const unpadded = s.replace(/=+$/, '');
    const reencoded = bytes.toString(url && !standard ? 'base64url' : 'base64').replace(/=+$/, '');
    if (bytes.length === MASTER_KEY_BYTES && reencoded === unpadded) return bytes;
    if (reencoded === unpadded) {
      throw new Error(`${FORMAT_HELP}; the given value decodes to ${bytes.length} bytes.`);
    }
  }
  throw new Error(`${FORMAT_HELP}; the given value (${s.length} characters) is neither.`);
}

export interface MasterKeyFile {
  key: Buffer;
  /** True when this call generated the file. */
  created: boolean;
  path: string;
  /** True when an existing file is readable or writable by group or others: the caller should warn. */
  insecurePermissions: boolean;
}

/**
 * Loads `<dir>/master.key` (hex), or creates it with mode 0600 when it does not exist. The file is written
 * under a temporary name and hard-linked into place, so two processes starting together agree on one key.
 */
export function loadOrCreateMasterKeyFile(dir: string): MasterKeyFile {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, MASTER_KEY_FILE);
  const existing = readExisting(path);
  if (existing) return existing;

  const key = randomBytes(MASTER_KEY_BYTES);
  const tmp = join(dir, `.${MASTER_KEY_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  writeSecretFile(tmp, key.toString('hex') + '\n');
  try {
    try {
      linkSync(tmp, path); // fails with EEXIST if another process won the race
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        const raced = readExisting(path);
        if (raced) return raced;
        throw e;
      }
      // File systems without hard links: exclusive create of the final name instead.
      writeSecretFile(path, key.toString('hex') + '\n');
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
  return { key, created: true, path, insecurePermissions: false };
}

function readExisting(path: string): MasterKeyFile | null {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  if (!st.isFile()) throw new Error(`${path} exists but is not a regular file.`);
  let key: Buffer;
  try {
    key = parseMasterKey(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`The master key file ${path} is malformed: ${(e as Error).message}`);
  }
  const insecurePermissions = process.platform !== 'win32' && (st.mode & 0o077) !== 0;
  return { key, created: false, path, insecurePermissions };
}

function writeSecretFile(path: string, content: string): void {
  // 'wx': never follow or overwrite an existing file; the mode is applied at creation (umask can only narrow it).
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function assertKey(masterKey: Buffer): void {
  if (!Buffer.isBuffer(masterKey) || masterKey.length !== MASTER_KEY_BYTES) {
    throw new Error(`The master key must be ${MASTER_KEY_BYTES} bytes.`);
  }
}

/** Encrypts `plaintext` with AES-256-GCM under the master key; `aad` binds the result to its record. */
export function sealSecret(masterKey: Buffer, plaintext: Buffer | string, aad: string): string {
  assertKey(masterKey);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `${SEAL_VERSION}.${Buffer.concat([iv, tag, ciphertext]).toString('base64url')}`;
}

/**
 * Decrypts a value made by sealSecret. Throws MasterKeyMismatchError when it does not authenticate (wrong
 * master key, wrong aad, or altered data) and a plain Error when it is not a sealed value at all.
 */
export function openSecret(masterKey: Buffer, sealed: string, aad: string): Buffer {
  assertKey(masterKey);
  if (typeof sealed !== 'string') throw new Error('Malformed sealed secret.');
  const dot = sealed.indexOf('.');
  const version = dot > 0 ? sealed.slice(0, dot) : '';
  if (version !== SEAL_VERSION) throw new Error(`Unsupported sealed secret format ${JSON.stringify(version.slice(0, 8))}.`);
  const body = sealed.slice(dot + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) throw new Error('Malformed sealed secret.');
  const raw = Buffer.from(body, 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('Malformed sealed secret.');
  const iv = raw.subarray(0, IV_BYTES);
  const tag = raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const ciphertext = raw.subarray(IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new MasterKeyMismatchError();
  }
}

/** A sealed known value, stored once in the database, so that a wrong master key stops the start early. */
export function makeKeyCheck(masterKey: Buffer): string {
  return sealSecret(masterKey, KEY_CHECK_PLAINTEXT, KEY_CHECK_AAD);
}

/** True when `check` was made by makeKeyCheck with this master key. */
export function verifyKeyCheck(masterKey: Buffer, check: string): boolean {
  try {
    return openSecret(masterKey, check, KEY_CHECK_AAD).toString('utf8') === KEY_CHECK_PLAINTEXT;
  } catch {
    return false;
  }
}

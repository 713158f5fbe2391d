import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadOrCreateMasterKeyFile,
  makeKeyCheck,
  MasterKeyMismatchError,
  openSecret,
  parseMasterKey,
  sealSecret,
  verifyKeyCheck,
} from '../../../src/keys/master-key.js';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

describe('parseMasterKey', () => {
  const accepted: Array<[string, string]> = [
    ['hex, lower case', KEY.toString('hex')],
    ['hex, upper case', KEY.toString('hex').toUpperCase()],
    ['hex with surrounding whitespace (a file ending in a newline)', `  ${KEY.toString('hex')}\n`],
    ['base64 with padding', KEY.toString('base64')],
    ['base64 without padding', KEY.toString('base64').replace(/=+$/, '')],
    ['base64url', Buffer.from('fbff' + KEY.toString('hex').slice(4), 'hex').toString('base64url')],
  ];
  for (const [name, text] of accepted) {
    test(`accepts ${name}`, () => {
      const key = parseMasterKey(text);
      assert.equal(key.length, 32);
    });
  }

  test('hex and base64 of the same bytes give the same key', () => {
    assert.deepEqual(parseMasterKey(KEY.toString('hex')), KEY);
    assert.deepEqual(parseMasterKey(KEY.toString('base64')), KEY);
    assert.deepEqual(parseMasterKey(KEY.toString('base64url')), KEY);
  });

  const refused: Array<[string, string]> = [
    ['empty', ''],
    ['whitespace only', '   '],
    ['63 hex characters', KEY.toString('hex').slice(1)],
    ['65 hex characters', KEY.toString('hex') + 'a'],
    ['hex of 16 bytes', randomBytes(16).toString('hex')],
    ['base64 of 31 bytes', randomBytes(31).toString('base64')],
    ['base64 of 33 bytes', randomBytes(33).toString('base64')],
    ['a passphrase', 'correct horse battery staple'],
    ['base64 with junk inside', KEY.toString('base64').slice(0, 20) + '!' + KEY.toString('base64').slice(21)],
    ['mixed base64 alphabets', '+' + KEY.toString('base64url').slice(1, 42) + '_'],
  ];
  for (const [name, text] of refused) {
    test(`refuses ${name} with a message naming the expected format`, () => {
      assert.throws(
        () => parseMasterKey(text),
        (e: unknown) => e instanceof Error && /TESSERA_MASTER_KEY/.test(e.message) && /64 hexadecimal/.test(e.message) && /base64/.test(e.message),
      );
    });
  }

  test('the error message never echoes the given value', () => {
    const secretish = KEY.toString('hex').slice(2);
    assert.throws(() => parseMasterKey(secretish), (e: unknown) => e instanceof Error && !e.message.includes(secretish));
  });
});

describe('sealSecret / openSecret', () => {
  test('round-trips strings and buffers', () => {
    const sealed = sealSecret(KEY, 'private key PEM', 'kid-1');
    assert.match(sealed, /^v1\.[A-Za-z0-9_-]+$/);
    assert.equal(openSecret(KEY, sealed, 'kid-1').toString('utf8'), 'private key PEM');
    const bytes = randomBytes(100);
    assert.deepEqual(openSecret(KEY, sealSecret(KEY, bytes, 'x'), 'x'), bytes);
    assert.equal(openSecret(KEY, sealSecret(KEY, '', 'x'), 'x').length, 0);
  });

  test('uses a fresh IV each time', () => {
    assert.notEqual(sealSecret(KEY, 'same', 'aad'), sealSecret(KEY, 'same', 'aad'));
  });

  test('a wrong master key raises MasterKeyMismatchError', () => {
    const sealed = sealSecret(KEY, 'secret', 'kid-1');
    const other = randomBytes(32);
    assert.throws(() => openSecret(other, sealed, 'kid-1'), MasterKeyMismatchError);
  });

  test('the AAD binds the record: another kid does not open it', () => {
    const sealed = sealSecret(KEY, 'secret', 'kid-1');
    assert.throws(() => openSecret(KEY, sealed, 'kid-2'), MasterKeyMismatchError);
  });

  test('any flipped bit (IV, tag or ciphertext) is detected', () => {
    const sealed = sealSecret(KEY, 'a secret of some length', 'kid');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    for (const index of [0, 11, 12, 27, 28, raw.length - 1]) {
      const copy = Buffer.from(raw);
      copy[index] ^= 0x01;
      assert.throws(() => openSecret(KEY, 'v1.' + copy.toString('base64url'), 'kid'), MasterKeyMismatchError, `byte ${index}`);
    }
    const truncated = Buffer.from(raw.subarray(0, raw.length - 1));
    assert.throws(() => openSecret(KEY, 'v1.' + truncated.toString('base64url'), 'kid'), MasterKeyMismatchError);
  });

  test('malformed sealed values are refused with a plain Error', () => {
    for (const bad of ['', 'v1.', 'v2.AAAA', 'v1.short', 'not sealed', 'v1.' + 'A'.repeat(10) + '!']) {
      assert.throws(
        () => openSecret(KEY, bad, 'kid'),
        (e: unknown) => e instanceof Error && !(e instanceof MasterKeyMismatchError),
        JSON.stringify(bad),
      );
    }
  });

  test('refuses a master key of the wrong length', () => {
    assert.throws(() => sealSecret(randomBytes(16), 'x', 'y'), /32 bytes/);
    assert.throws(() => openSecret(randomBytes(31), 'v1.AAAA', 'y'), /32 bytes/);
  });
});

describe('key check', () => {
  test('verifies with the same key only', () => {
    const check = makeKeyCheck(KEY);
    assert.equal(verifyKeyCheck(KEY, check), true);
    assert.equal(verifyKeyCheck(randomBytes(32), check), false);
    assert.equal(verifyKeyCheck(KEY, 'garbage'), false);
    // A value sealed for another purpose under the same key is not a key check.
    assert.equal(verifyKeyCheck(KEY, sealSecret(KEY, 'tessera master key check v1', 'other-aad')), false);
  });
});

describe('loadOrCreateMasterKeyFile', () => {
  const withDir = (fn: (dir: string) => void): void => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-mk-'));
    try {
      fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test('creates master.key (hex, mode 0600, directory created), then reuses it', () => {
    withDir((base) => {
      const dir = join(base, 'nested', 'data');
      const first = loadOrCreateMasterKeyFile(dir);
      assert.equal(first.created, true);
      assert.equal(first.insecurePermissions, false);
      assert.equal(first.path, join(dir, 'master.key'));
      assert.equal(first.key.length, 32);
      assert.match(readFileSync(first.path, 'utf8'), /^[0-9a-f]{64}\n$/);
      if (process.platform !== 'win32') assert.equal(statSync(first.path).mode & 0o777, 0o600);

      const second = loadOrCreateMasterKeyFile(dir);
      assert.equal(second.created, false);
      assert.deepEqual(second.key, first.key);
      assert.equal(second.insecurePermissions, false);
    });
  });

  test('flags an existing file readable by group or others', () => {
    withDir((dir) => {
      const path = join(dir, 'master.key');
      writeFileSync(path, KEY.toString('hex') + '\n');
      chmodSync(path, 0o644);
      const r = loadOrCreateMasterKeyFile(dir);
      assert.equal(r.created, false);
      assert.equal(r.insecurePermissions, true);
      assert.deepEqual(r.key, KEY);
    });
  });

  test('a malformed file stops the start with a message naming the file', () => {
    withDir((dir) => {
      const path = join(dir, 'master.key');
      writeFileSync(path, 'not a key\n', { mode: 0o600 });
      assert.throws(() => loadOrCreateMasterKeyFile(dir), (e: unknown) => e instanceof Error && e.message.includes(path));
    });
  });
});

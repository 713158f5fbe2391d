/**
 * The signing queue: every signature is made and verifies, no more than SIGNING_CONCURRENCY are on the thread
 * pool at once, and a signature that fails rejects its own caller only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, verify } from 'node:crypto';
import { SIGNING_CONCURRENCY, signOnPool, signingLoad } from '../../../src/keys/pool-sign.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ed = generateKeyPairSync('ed25519');

test('a burst of signatures: all verify, at most SIGNING_CONCURRENCY on the pool, the rest wait', async () => {
  assert.ok(SIGNING_CONCURRENCY >= 1);
  const n = SIGNING_CONCURRENCY * 4 + 3;
  const data = Array.from({ length: n }, (_, i) => Buffer.from(`message ${i}`));
  let maxRunning = 0;
  const done: number[] = [];
  const all = data.map((d, i) =>
    signOnPool('sha256', d, rsa.privateKey).then((sig) => {
      done.push(i);
      return sig;
    }),
  );
  const load = signingLoad();
  maxRunning = Math.max(maxRunning, load.running);
  assert.equal(load.running, SIGNING_CONCURRENCY);
  assert.equal(load.waiting, n - SIGNING_CONCURRENCY);
  const timer = setInterval(() => (maxRunning = Math.max(maxRunning, signingLoad().running)), 1);
  const sigs = await Promise.all(all);
  clearInterval(timer);
  assert.ok(maxRunning <= SIGNING_CONCURRENCY, `at most ${SIGNING_CONCURRENCY} at once, saw ${maxRunning}`);
  sigs.forEach((sig, i) => assert.ok(verify('sha256', data[i], rsa.publicKey, sig), `signature ${i} verifies`));
  assert.equal(new Set(done).size, n, 'each caller answered once');
  assert.deepEqual(signingLoad(), { running: 0, waiting: 0 });
});

test('key options pass through: RSA-PSS and ECDSA in IEEE P1363 form', async () => {
  const data = Buffer.from('options');
  const pss = await signOnPool('sha256', data, rsa.privateKey, { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  assert.ok(verify('sha256', data, { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, pss));
  assert.ok(!verify('sha256', data, rsa.publicKey, pss), 'not PKCS#1 v1.5');
  const es = await signOnPool('sha256', data, ec.privateKey, { dsaEncoding: 'ieee-p1363' });
  assert.equal(es.length, 64);
  assert.ok(verify('sha256', data, { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, es));
  const eddsa = await signOnPool(null, data, ed.privateKey);
  assert.ok(verify(null, data, ed.publicKey, eddsa));
});

test('a failing signature rejects its caller; the queue goes on', async () => {
  const data = Buffer.from('x');
  const results = await Promise.allSettled([
    ...Array.from({ length: SIGNING_CONCURRENCY }, () => signOnPool('sha256', data, rsa.privateKey)),
    signOnPool('no-such-digest', data, rsa.privateKey),
    signOnPool('sha256', data, ed.privateKey),
    signOnPool('sha256', data, rsa.privateKey),
  ]);
  const status = results.map((r) => r.status);
  assert.deepEqual(status.slice(0, SIGNING_CONCURRENCY), Array(SIGNING_CONCURRENCY).fill('fulfilled'));
  assert.equal(status[SIGNING_CONCURRENCY], 'rejected');
  assert.equal(status[SIGNING_CONCURRENCY + 1], 'rejected', 'Ed25519 takes no digest');
  assert.equal(status[SIGNING_CONCURRENCY + 2], 'fulfilled');
  assert.deepEqual(signingLoad(), { running: 0, waiting: 0 });
});

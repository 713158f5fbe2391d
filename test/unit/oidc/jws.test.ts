import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import {
  decodeBase64urlStrict,
  parseCompactJws,
  signJws,
  verifyJwsSignature,
  type JwsSigningAlgorithm,
} from '../../../src/tokens/oidc/jws.js';
import { generateSigningKeyPair } from '../../support/oidc.js';

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef', 'utf8');
const ASYMMETRIC = ['RS256', 'RS512', 'PS256', 'ES256', 'EdDSA'] as const;

describe('signJws', () => {
  for (const alg of ASYMMETRIC) {
    test(`${alg}: jose verifies it, and so does verifyJwsSignature`, async () => {
      const { privateKey, publicKey } = generateSigningKeyPair(alg);
      const token = signJws({ typ: 'JWT', kid: 'k1' }, { sub: 'alice' }, privateKey, alg);
      const jwk = publicKey.export({ format: 'jwk' });
      const { protectedHeader, payload } = await compactVerify(token, await importJWK(jwk, alg), { algorithms: [alg] });
      assert.deepEqual(protectedHeader, { typ: 'JWT', kid: 'k1', alg });
      assert.deepEqual(JSON.parse(Buffer.from(payload).toString('utf8')), { sub: 'alice' });

      const parsed = parseCompactJws(token)!;
      assert.equal(verifyJwsSignature(alg, parsed.signingInput, parsed.signature, publicKey), true);
      assert.equal(verifyJwsSignature(alg, `${parsed.signingInput}x`, parsed.signature, publicKey), false);
      const other = generateSigningKeyPair(alg).publicKey;
      assert.equal(verifyJwsSignature(alg, parsed.signingInput, parsed.signature, other), false);
      // A secret is never a public key, and the reverse.
      assert.equal(verifyJwsSignature(alg, parsed.signingInput, parsed.signature, SECRET), false);
    });
  }

  test('HS256: jose verifies it; verification is bound to the secret', async () => {
    const token = signJws({ typ: 'JWT' }, { sub: 'alice' }, SECRET, 'HS256');
    await compactVerify(token, new Uint8Array(SECRET), { algorithms: ['HS256'] });
    const parsed = parseCompactJws(token)!;
    assert.equal(verifyJwsSignature('HS256', parsed.signingInput, parsed.signature, SECRET), true);
    assert.equal(verifyJwsSignature('HS256', parsed.signingInput, parsed.signature, Buffer.from('another-secret-another-secret-xx')), false);
    assert.equal(verifyJwsSignature('HS256', parsed.signingInput, parsed.signature.subarray(0, 16), SECRET), false);
    const { publicKey } = generateSigningKeyPair('RS256');
    assert.equal(verifyJwsSignature('HS256', parsed.signingInput, parsed.signature, publicKey), false);
  });

  test('the header alg is always the signing algorithm', () => {
    const token = signJws({ alg: 'none' }, {}, SECRET, 'HS256');
    assert.equal(parseCompactJws(token)!.header.alg, 'HS256');
  });

  test('refuses an unknown algorithm or a key of the wrong kind', () => {
    const { privateKey } = generateSigningKeyPair('RS256');
    assert.throws(() => signJws({}, {}, privateKey, 'HS384' as JwsSigningAlgorithm), TypeError);
    assert.throws(() => signJws({}, {}, privateKey, 'HS256'), TypeError);
    assert.throws(() => signJws({}, {}, SECRET, 'RS256'), TypeError);
  });

  test('ES256 signatures are R||S (64 bytes); a DER signature does not verify', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = signJws({}, { a: 1 }, privateKey, 'ES256');
    const parsed = parseCompactJws(token)!;
    assert.equal(parsed.signature.length, 64);
    const der = sign('sha256', Buffer.from(parsed.signingInput), privateKey);
    assert.equal(verifyJwsSignature('ES256', parsed.signingInput, der, publicKey), false);
    // A P-384 key is not an ES256 key.
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    assert.equal(verifyJwsSignature('ES256', parsed.signingInput, parsed.signature, p384), false);
  });
});

describe('decodeBase64urlStrict / parseCompactJws', () => {
  test('accepts canonical base64url only', () => {
    assert.deepEqual(decodeBase64urlStrict('aGk'), Buffer.from('hi'));
    assert.deepEqual(decodeBase64urlStrict(''), Buffer.alloc(0));
    for (const bad of ['aGk=', 'aG+k', 'aG/k', 'aG k', 'aGl', 'a', 'aGk\n']) {
      assert.equal(decodeBase64urlStrict(bad), null, JSON.stringify(bad));
    }
  });

  test('three segments, a JSON object header', () => {
    const h = Buffer.from('{"alg":"HS256"}').toString('base64url');
    const p = Buffer.from('{}').toString('base64url');
    assert.ok(parseCompactJws(`${h}.${p}.c2ln`));
    assert.ok(parseCompactJws(`${h}.${p}.`), 'an empty signature parses (and never verifies)');
    for (const bad of ['', 'a', `${h}.${p}`, `${h}.${p}.c2ln.x.y`, `.${p}.c2ln`, `${Buffer.from('[]').toString('base64url')}.${p}.c2ln`, `${Buffer.from('"x"').toString('base64url')}.${p}.c2ln`]) {
      assert.equal(parseCompactJws(bad), null, bad);
    }
  });
});

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, importJWK, jwtVerify, SignJWT } from 'jose';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { TesseraError } from '../../../src/engine/errors.js';
import {
  generateKeyMaterial,
  importKeyMaterial,
  parseKeyAlgorithm,
  type KeyAlgorithm,
  type KeyMaterial,
} from '../../../src/keys/key-material.js';

describe('parseKeyAlgorithm', () => {
  const table: Array<[string, KeyAlgorithm, number | undefined]> = [
    ['RS256', 'RS256', 2048],
    ['RS512', 'RS512', 2048],
    ['PS256', 'PS256', 2048],
    ['RS256-3072', 'RS256', 3072],
    ['RS512-3072', 'RS512', 3072],
    ['PS256-3072', 'PS256', 3072],
    ['RSA-2048', 'RS256', 2048],
    ['RSA-3072', 'RS256', 3072],
    ['ES256', 'ES256', undefined],
    ['EdDSA', 'EdDSA', undefined],
    ['Ed25519', 'EdDSA', undefined],
  ];
  for (const [name, algorithm, bits] of table) {
    test(`${name} → ${algorithm}${bits ? ` (${bits} bits)` : ''}`, () => {
      const r = parseKeyAlgorithm(name);
      assert.equal(r.algorithm, algorithm);
      assert.equal(r.rsaBits, bits);
    });
  }
  for (const bad of ['HS256', 'none', 'rs256', 'ES384', 'RSA-1024', 'RS256-4096', '', 'toString', '__proto__', 'RSA']) {
    test(`refuses ${JSON.stringify(bad)} with BAD_USER_INPUT on field algorithm`, () => {
      assert.throws(
        () => parseKeyAlgorithm(bad),
        (e: unknown) => e instanceof TesseraError && e.code === 'BAD_USER_INPUT' && e.field === 'algorithm' && /unsupported algorithm/.test(e.message),
      );
    });
  }
});

describe('generateKeyMaterial', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-km-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: Array<{ algorithm: KeyAlgorithm; rsaBits?: 2048 | 3072; keySize: string; kty: string; certSig: RegExp }> = [
    { algorithm: 'RS256', keySize: 'RSA-2048', kty: 'RSA', certSig: /sha256WithRSAEncryption/ },
    { algorithm: 'RS512', keySize: 'RSA-2048', kty: 'RSA', certSig: /sha256WithRSAEncryption/ },
    { algorithm: 'PS256', keySize: 'RSA-2048', kty: 'RSA', certSig: /sha256WithRSAEncryption/ },
    { algorithm: 'RS256', rsaBits: 3072, keySize: 'RSA-3072', kty: 'RSA', certSig: /sha256WithRSAEncryption/ },
    { algorithm: 'ES256', keySize: 'P-256', kty: 'EC', certSig: /ecdsa-with-SHA256/ },
    { algorithm: 'EdDSA', keySize: 'Ed25519', kty: 'OKP', certSig: /ED25519/i },
  ];

  for (const c of cases) {
    test(`${c.algorithm} ${c.keySize}: certificate, JWK, kid and private key belong together`, async () => {
      const started = Date.now();
      const m: KeyMaterial = await generateKeyMaterial(c.algorithm, { rsaBits: c.rsaBits, commonName: `Tessera ${c.algorithm} test key` });
      assert.equal(m.algorithm, c.algorithm);
      assert.equal(m.keySize, c.keySize);

      // kid is the RFC 7638 thumbprint of the public JWK.
      assert.equal(m.publicJwk.kid, m.kid);
      assert.equal(m.publicJwk.alg, c.algorithm);
      assert.equal(m.publicJwk.use, 'sig');
      assert.equal(m.publicJwk.kty, c.kty);
      assert.equal(m.publicJwk.d, undefined, 'no private member in the public JWK');
      const { kid: _k, alg: _a, use: _u, ...bare } = m.publicJwk;
      assert.equal(await calculateJwkThumbprint(bare as Parameters<typeof calculateJwkThumbprint>[0], 'sha256'), m.kid);
      assert.match(m.kid, /^[A-Za-z0-9_-]{43}$/);

      // The certificate parses with node, holds the JWK's key, is self-signed and valid for ~10 years.
      const cert = new X509Certificate(m.certificatePem);
      assert.equal(cert.raw.toString('base64'), m.certificateDer);
      assert.ok(cert.publicKey.equals(createPublicKey({ key: bare as import('node:crypto').JsonWebKey, format: 'jwk' })));
      assert.ok(cert.verify(cert.publicKey), 'self-signature verifies');
      assert.match(cert.subject, new RegExp(`CN=Tessera ${c.algorithm} test key`));
      assert.equal(cert.ca, false);
      const notBefore = new Date(cert.validFrom).getTime();
      const notAfter = new Date(cert.validTo).getTime();
      assert.ok(notBefore <= started - 4 * 60 * 1000 && notBefore >= started - 6 * 60 * 1000, 'backdated about 5 minutes');
      const years = (notAfter - notBefore) / (365.25 * 24 * 3600 * 1000);
      assert.ok(years > 9.9 && years < 10.1, `valid for 10 years, got ${years}`);

      // keyUsage digitalSignature (read with @peculiar/x509: node 20 does not expose it).
      const pcert = new x509.X509Certificate(m.certificateDer);
      const ku = pcert.getExtension(x509.KeyUsagesExtension);
      assert.ok(ku, 'keyUsage present');
      assert.equal(ku.usages & x509.KeyUsageFlags.digitalSignature, x509.KeyUsageFlags.digitalSignature);
      assert.equal(ku.usages & x509.KeyUsageFlags.keyCertSign, 0);
      assert.ok(/^[0-7]/.test(pcert.serialNumber), 'serial is positive');

      // OpenSSL, an independent parser, accepts the certificate.
      const file = join(dir, `${c.algorithm}-${c.keySize}.pem`);
      writeFileSync(file, m.certificatePem);
      const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', file], { encoding: 'utf8' });
      assert.match(text, /Version: 3/);
      assert.match(text, c.certSig);
      assert.match(text, /Digital Signature/);
      const opensslKey = execFileSync('openssl', ['x509', '-noout', '-pubkey', '-in', file], { encoding: 'utf8' });
      assert.ok(createPublicKey(opensslKey).equals(cert.publicKey));

      // The PKCS#8 private key signs for the algorithm, and the JWK verifies it.
      assert.match(m.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
      const sk = importKeyMaterial({ kid: m.kid, algorithm: m.algorithm, privateKeyPem: m.privateKeyPem, certificatePem: m.certificatePem });
      assert.equal(sk.kid, m.kid);
      assert.equal(sk.certificateDer, m.certificateDer);
      assert.ok(sk.publicKey.equals(cert.publicKey));
      const jwt = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: c.algorithm, kid: m.kid }).sign(sk.privateKey);
      const verified = await jwtVerify(jwt, await importJWK(m.publicJwk, c.algorithm), { algorithms: [c.algorithm] });
      assert.equal(verified.payload.sub, 'x');
    });
  }

  test('two keys get different kids and serial numbers', async () => {
    const a = await generateKeyMaterial('ES256', { commonName: 'a' });
    const b = await generateKeyMaterial('ES256', { commonName: 'a' });
    assert.notEqual(a.kid, b.kid);
    assert.notEqual(new X509Certificate(a.certificatePem).serialNumber, new X509Certificate(b.certificatePem).serialNumber);
  });
});

describe('importKeyMaterial', () => {
  test('refuses a certificate of another key', async () => {
    const a = await generateKeyMaterial('ES256', { commonName: 'a' });
    const b = await generateKeyMaterial('ES256', { commonName: 'b' });
    assert.throws(() => importKeyMaterial({ kid: a.kid, algorithm: 'ES256', privateKeyPem: a.privateKeyPem, certificatePem: b.certificatePem }), /certificate/);
  });

  test('refuses a key that does not fit the algorithm', async () => {
    const ec = await generateKeyMaterial('ES256', { commonName: 'a' });
    assert.throws(() => importKeyMaterial({ kid: ec.kid, algorithm: 'RS256', privateKeyPem: ec.privateKeyPem, certificatePem: ec.certificatePem }), /does not fit/);
    assert.throws(() => importKeyMaterial({ kid: ec.kid, algorithm: 'EdDSA', privateKeyPem: ec.privateKeyPem, certificatePem: ec.certificatePem }), /does not fit/);
  });

  test('returns KeyObjects that sign and verify', async () => {
    const m = await generateKeyMaterial('EdDSA', { commonName: 'ed' });
    const sk = importKeyMaterial(m);
    assert.equal(sk.privateKey.type, 'private');
    assert.equal(sk.publicKey.type, 'public');
    const sig = sign(null, Buffer.from('data'), sk.privateKey);
    assert.ok(verify(null, Buffer.from('data'), sk.publicKey, sig));
    assert.ok(!sk.certificateDer.includes('-----'));
  });
});

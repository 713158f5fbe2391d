/**
 * Certificates generated at test time (nothing private is checked in): an RSA CA, an RSA leaf (not a CA) and an
 * EC leaf, each self-signed with @peculiar/x509 over node's WebCrypto.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface TestCertificates {
  rsaCa: string;
  rsaLeaf: string;
  ecLeaf: string;
}

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

async function selfSigned(alg: typeof RSA | typeof EC, cn: string, ca: boolean): Promise<string> {
  const crypto = webcrypto as unknown as Crypto;
  const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: ca ? '01' : '02',
      name: `CN=${cn}`,
      notBefore: new Date(Date.UTC(2024, 0, 1)),
      notAfter: new Date(Date.UTC(2044, 0, 1)),
      signingAlgorithm: alg,
      keys,
      extensions: [new x509.BasicConstraintsExtension(ca, undefined, true)],
    },
    crypto,
  );
  return cert.toString('pem');
}

let cached: Promise<TestCertificates> | undefined;

export function testCertificates(): Promise<TestCertificates> {
  cached ??= (async () => ({
    rsaCa: await selfSigned(RSA, 'Tessera Test CA', true),
    rsaLeaf: await selfSigned(RSA, 'sp.example.com', false),
    ecLeaf: await selfSigned(EC, 'ec.example.com', false),
  }))();
  return cached;
}

/**
 * Independent judges for SAML output (xmlsec1 for XML-DSig and XML-Enc, xmllint against the OASIS schemas) and
 * small certificate helpers. The tools run on temp files; a failure throws with the tool's stderr.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, KeyObject, webcrypto } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { KeyProvider, SigningKey } from '../../src/engine/types.js';

const SAML_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion';

/** The repository root (works from test/support and from dist/test/support). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'fixtures'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('repository root not found');
}

export const SAML_SCHEMA_DIR = (): string => join(repoRoot(), 'test', 'fixtures', 'saml-schemas');

export class ToolError extends Error {
  constructor(
    readonly tool: string,
    readonly stderr: string,
  ) {
    super(`${tool} failed: ${stderr.trim().slice(0, 2000)}`);
    this.name = 'ToolError';
  }
}

function withTemp<T>(files: Record<string, string>, fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-saml-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(tool: string, args: string[]): string {
  try {
    return execFileSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message?: string };
    throw new ToolError(tool, `${err.stderr ?? ''}${err.stdout ?? ''}` || String(err.message));
  }
}

/** `xmlsec1 --verify` with the given certificate only (KeyInfo certificates are not used as trust). */
export function xmlsecVerify(xml: string, certPem: string): void {
  withTemp({ 'a.xml': xml, 'idp.crt': certPem }, (dir) =>
    run('xmlsec1', [
      '--verify',
      '--enabled-key-data',
      'rsa,ec',
      '--pubkey-cert-pem',
      join(dir, 'idp.crt'),
      '--id-attr:ID',
      SAML_ASSERTION,
      join(dir, 'a.xml'),
    ]),
  );
}

/** `xmlsec1 --decrypt`: decrypts the document's (first) EncryptedData and returns the resulting document. */
export function xmlsecDecrypt(xml: string, keyPem: string): string {
  return withTemp({ 'e.xml': xml, 'sp.key': keyPem }, (dir) =>
    run('xmlsec1', ['--decrypt', '--privkey-pem', join(dir, 'sp.key'), join(dir, 'e.xml')]),
  );
}

/** `xmllint --schema saml-schema-assertion-2.0.xsd` (vendored, --nonet). */
export function xmllintAssertion(xml: string): void {
  const schema = join(SAML_SCHEMA_DIR(), 'saml-schema-assertion-2.0.xsd');
  withTemp({ 'a.xml': xml }, (dir) => run('xmllint', ['--noout', '--nonet', '--schema', schema, join(dir, 'a.xml')]));
}

// ------------------------------------------------------------------------------------------------------------
// Certificates made at test time.
// ------------------------------------------------------------------------------------------------------------
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface TestCert {
  certPem: string;
  certDer: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyPem: string;
}

export interface CertOptions {
  kind?: 'rsa' | 'ec';
  rsaBits?: number;
  cn?: string;
  notBefore?: Date;
  notAfter?: Date;
  ca?: boolean;
}

/** A self-signed certificate and its key (RSA-2048 with SHA-256 or P-256). */
export async function makeSelfSigned(opts: CertOptions = {}): Promise<TestCert> {
  const kind = opts.kind ?? 'rsa';
  const alg =
    kind === 'rsa'
      ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: opts.rsaBits ?? 2048 }
      : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const extensions: x509.Extension[] = [];
  if (opts.ca) {
    extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  } else {
    extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
  }
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${opts.cn ?? 'tessera test'}`,
    notBefore: opts.notBefore ?? new Date(now - 3600_000),
    notAfter: opts.notAfter ?? new Date(now + 365 * 86400_000),
    keys,
    signingAlgorithm: kind === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', hash: 'SHA-256' },
    extensions,
  });
  const privateKey = KeyObject.from(keys.privateKey);
  const publicKey = KeyObject.from(keys.publicKey);
  const keyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return {
    certPem: cert.toString('pem'),
    certDer: Buffer.from(cert.rawData).toString('base64'),
    privateKey: createPrivateKey(keyPem),
    publicKey,
    keyPem,
  };
}

/** A SigningKey (as the key store hands it out) around a test certificate. */
export function signingKeyFrom(cert: TestCert, kid: string, algorithm: string): SigningKey {
  return { kid, algorithm, privateKey: cert.privateKey, publicKey: cert.publicKey, certificatePem: cert.certPem, certificateDer: cert.certDer };
}

/** A KeyProvider over fixed keys: signingKey picks by algorithm (and kid), verificationKeys lists them all. */
export function fakeKeyProvider(keys: SigningKey[]): KeyProvider & { signingCalls: Array<{ algorithm: string; kid?: string }> } {
  const signingCalls: Array<{ algorithm: string; kid?: string }> = [];
  return {
    signingCalls,
    async signingKey(algorithm: string, kid?: string) {
      signingCalls.push({ algorithm, ...(kid !== undefined ? { kid } : {}) });
      const k = keys.find((x) => x.algorithm === algorithm && (kid === undefined || x.kid === kid));
      if (!k) throw new Error(`no ${algorithm} key ${kid ?? ''}`);
      return k;
    },
    async verificationKeys() {
      return keys.map((k) => ({ kid: k.kid, algorithm: k.algorithm, publicKey: k.publicKey, jwk: { kid: k.kid, alg: k.algorithm } }));
    },
  };
}

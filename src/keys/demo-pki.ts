/**
 * A demo PKI for TESSERA_DEMO: a CA the demo instances trust and a client certificate (CN=demo) to try
 * X509 input with. Generated once on first start into `<dir>/demo-pki/`, then reused, so nothing private
 * is ever shipped in the repository. Not for production: the CA key sits next to the database.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { certificateToPem, exportPrivateKeyPem, generateCertificateKeyPair, issueCertificate } from './key-material.js';

export interface DemoPki {
  caCertPath: string;
  caKeyPath: string;
  clientCertPath: string;
  clientKeyPath: string;
  caCertificatePem: string;
  /** True when this call generated the files. */
  created: boolean;
}

const DAY_MS = 24 * 3600 * 1000;
const BACKDATE_MS = 5 * 60 * 1000;

export async function ensureDemoPki(dir: string): Promise<DemoPki> {
  const folder = join(dir, 'demo-pki');
  const paths = {
    caCertPath: join(folder, 'ca.crt'),
    caKeyPath: join(folder, 'ca.key'),
    clientCertPath: join(folder, 'client.crt'),
    clientKeyPath: join(folder, 'client.key'),
  };

  const existing = readExisting(paths);
  if (existing) return { ...paths, caCertificatePem: existing, created: false };

  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const now = Date.now();
  const caKeys = await generateCertificateKeyPair('EC');
  const caCert = await issueCertificate({
    subject: [{ CN: ['Tessera Demo CA'] }, { O: ['Tessera demo'] }],
    keys: caKeys,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + 3652 * DAY_MS),
    isCa: true,
    pathLength: 0,
    keyUsage: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
  });
  const clientKeys = await generateCertificateKeyPair('EC');
  const clientCert = await issueCertificate({
    subject: [{ CN: ['demo'] }, { O: ['Tessera demo'] }],
    keys: clientKeys,
    issuer: { certificate: caCert, privateKey: caKeys.privateKey },
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + 825 * DAY_MS),
    isCa: false,
    keyUsage: x509.KeyUsageFlags.digitalSignature,
    emails: ['demo@example.com'],
    extraExtensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });

  const caCertificatePem = certificateToPem(caCert.rawData);
  // Keys first and the CA certificate last: a half-written set is regenerated on the next start.
  writeAtomically(paths.caKeyPath, await exportPrivateKeyPem(caKeys.privateKey), 0o600);
  writeAtomically(paths.clientKeyPath, await exportPrivateKeyPem(clientKeys.privateKey), 0o600);
  writeAtomically(paths.clientCertPath, certificateToPem(clientCert.rawData), 0o644);
  writeAtomically(paths.caCertPath, caCertificatePem, 0o644);
  return { ...paths, caCertificatePem, created: true };
}

/** The CA PEM when a complete, readable set is present; null when it must be (re)generated. */
function readExisting(paths: { caCertPath: string; caKeyPath: string; clientCertPath: string; clientKeyPath: string }): string | null {
  if (!Object.values(paths).every((p) => existsSync(p))) return null;
  try {
    const caPem = readFileSync(paths.caCertPath, 'utf8');
    const ca = new X509Certificate(caPem);
    const client = new X509Certificate(readFileSync(paths.clientCertPath, 'utf8'));
    if (!client.checkIssued(ca) || !client.verify(ca.publicKey)) return null;
    if (new Date(ca.validTo).getTime() < Date.now()) return null;
    return caPem;
  } catch {
    return null;
  }
}

function writeAtomically(path: string, content: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    unlinkSync(tmp); // a leftover from a crashed start; 'wx' below then never follows a planted link
  } catch {
    /* none */
  }
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, mode); // the umask may have narrowed the public files' mode; set it exactly
  renameSync(tmp, path);
}

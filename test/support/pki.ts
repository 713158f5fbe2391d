/**
 * Test PKI: CAs, intermediates, client certificates and proofs of possession, generated at test time
 * (nothing private is committed). Keys default to EC P-256 because RSA generation is slow; pass
 * `keyAlg: 'RSA'` where RSA matters (SAML encryption certificates default to RSA).
 *
 *   const ca = await makeCa('Test CA');
 *   const leaf = await makeLeaf(ca, { cn: 'alice', email: 'alice@example.com' });
 *   const proof = await makeProof(leaf.privateKey, { aud: 'my-instance' });
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, KeyObject, randomUUID } from 'node:crypto';
import { CompactSign } from 'jose';
import type { ReplayStore } from '../../src/engine/types.js';
import {
  certificateToPem,
  exportPrivateKeyPem,
  generateCertificateKeyPair,
  issueCertificate,
  type CertificateKeyType,
} from '../../src/keys/key-material.js';

export type TestKeyAlg = CertificateKeyType; // 'RSA' | 'EC' | 'Ed25519'
export const KeyUsage = x509.KeyUsageFlags;

export interface TestCert {
  /** Subject CN. */
  name: string;
  certPem: string;
  /** base64 DER, no armour. */
  certDerB64: string;
  /** Hex SHA-256 of the DER (the certificate fingerprint; replay entries are keyed by the SPKI hash instead). */
  fingerprint: string;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  keyAlg: TestKeyAlg;
}

/** A CA or intermediate: a TestCert that can issue. */
export type TestCa = TestCert;

const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;

export interface CertOptions {
  keyAlg?: TestKeyAlg;
  notBefore?: Date;
  notAfter?: Date;
  /** keyUsage bits (KeyUsage.digitalSignature | …); null: no keyUsage extension. */
  keyUsage?: number | null;
  /** Extra subject RDNs, e.g. [{ O: ['Example'] }]. */
  extraSubject?: x509.JsonName;
  extensions?: x509.Extension[];
  /** e.g. { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-1' } to test weak signatures. */
  signingAlgorithm?: Algorithm;
}

export interface CaOptions extends CertOptions {
  pathLength?: number;
  /** basicConstraints cA; default true. false or null makes a "CA" that is not one (negative tests). */
  isCa?: boolean | null;
}

export interface LeafOptions extends CertOptions {
  cn?: string;
  /** subjectAltName rfc822Name. */
  email?: string;
  /** Legacy emailAddress RDN in the subject. */
  emailRdn?: string;
  /** basicConstraints: undefined leaves it out; true makes a CA certificate. */
  isCa?: boolean;
  /** extendedKeyUsage OIDs. */
  extendedKeyUsage?: string[];
}

async function finish(name: string, cert: x509.X509Certificate, keys: CryptoKeyPair, keyAlg: TestKeyAlg): Promise<TestCert> {
  const der = Buffer.from(cert.rawData);
  return {
    name,
    certPem: certificateToPem(der),
    certDerB64: der.toString('base64'),
    fingerprint: createHash('sha256').update(der).digest('hex'),
    cert,
    keys,
    privateKey: KeyObject.from(keys.privateKey),
    publicKey: KeyObject.from(keys.publicKey),
    privateKeyPem: await exportPrivateKeyPem(keys.privateKey),
    keyAlg,
  };
}

function dates(o: CertOptions, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: o.notBefore ?? new Date(now - 5 * MINUTE), notAfter: o.notAfter ?? new Date(now + defaultDays * DAY) };
}

async function makeIssuer(name: string, parent: TestCa | null, opts: CaOptions): Promise<TestCa> {
  const keyAlg = opts.keyAlg ?? 'EC';
  const keys = await generateCertificateKeyPair(keyAlg);
  const cert = await issueCertificate({
    subject: [{ CN: [name] }, ...(opts.extraSubject ?? [])],
    keys,
    issuer: parent ? { certificate: parent.cert, privateKey: parent.keys.privateKey } : undefined,
    ...dates(opts, 3650),
    isCa: opts.isCa === null ? undefined : (opts.isCa ?? true),
    pathLength: opts.pathLength,
    keyUsage: opts.keyUsage === undefined ? KeyUsage.keyCertSign | KeyUsage.cRLSign : opts.keyUsage,
    extraExtensions: opts.extensions,
    signingAlgorithm: opts.signingAlgorithm,
  });
  return finish(name, cert, keys, keyAlg);
}

/** A self-signed root CA (basicConstraints cA, keyUsage keyCertSign|cRLSign). */
export function makeCa(name: string, opts: CaOptions = {}): Promise<TestCa> {
  return makeIssuer(name, null, opts);
}

/** An intermediate CA issued by `ca`. */
export function makeIntermediate(ca: TestCa, opts: CaOptions & { name?: string } = {}): Promise<TestCa> {
  return makeIssuer(opts.name ?? `Intermediate ${randomUUID().slice(0, 8)}`, ca, opts);
}

/** A client (end-entity) certificate issued by `ca`; keyUsage digitalSignature unless told otherwise. */
export async function makeLeaf(ca: TestCa, opts: LeafOptions = {}): Promise<TestCert> {
  const keyAlg = opts.keyAlg ?? 'EC';
  const cn = opts.cn ?? 'alice';
  const keys = await generateCertificateKeyPair(keyAlg);
  const subject: x509.JsonName = [{ CN: [cn] }, ...(opts.emailRdn ? [{ E: [opts.emailRdn] }] : []), ...(opts.extraSubject ?? [])];
  const extensions = [...(opts.extensions ?? [])];
  if (opts.extendedKeyUsage) extensions.push(new x509.ExtendedKeyUsageExtension(opts.extendedKeyUsage));
  const cert = await issueCertificate({
    subject,
    keys,
    issuer: { certificate: ca.cert, privateKey: ca.keys.privateKey },
    ...dates(opts, 365),
    isCa: opts.isCa,
    keyUsage: opts.keyUsage === undefined ? KeyUsage.digitalSignature : opts.keyUsage,
    emails: opts.email ? [opts.email] : undefined,
    extraExtensions: extensions,
    signingAlgorithm: opts.signingAlgorithm,
  });
  return finish(cn, cert, keys, keyAlg);
}

/**
 * A self-signed end-entity certificate with its key: an SP encryption certificate (RSA by default, as
 * SAML key transport needs) or a HOLDER_OF_KEY confirmation certificate.
 */
export async function makeSelfSigned(opts: LeafOptions = {}): Promise<TestCert> {
  const keyAlg = opts.keyAlg ?? 'RSA';
  const cn = opts.cn ?? 'sp.example.com';
  const keys = await generateCertificateKeyPair(keyAlg);
  const cert = await issueCertificate({
    subject: [{ CN: [cn] }, ...(opts.extraSubject ?? [])],
    keys,
    ...dates(opts, 365),
    isCa: opts.isCa,
    keyUsage:
      opts.keyUsage === undefined
        ? KeyUsage.digitalSignature | (keyAlg === 'RSA' ? KeyUsage.keyEncipherment | KeyUsage.dataEncipherment : 0)
        : opts.keyUsage,
    emails: opts.email ? [opts.email] : undefined,
    extraExtensions: opts.extensions,
    signingAlgorithm: opts.signingAlgorithm,
  });
  return finish(cn, cert, keys, keyAlg);
}

export interface ProofOptions {
  aud: string | string[];
  /** Seconds; default now. */
  iat?: number;
  /** Default a random UUID. */
  jti?: string;
  /** Default 'tessera-pop+jwt'; null leaves typ out. */
  typ?: string | null;
  /** Default by key: RS256 (RSA), ES256 (P-256), EdDSA (Ed25519). */
  alg?: string;
  /** Extra protected header parameters (e.g. a jwk, to check it is refused). */
  header?: Record<string, unknown>;
  /** Extra or replacement payload claims; a key set to undefined is removed. */
  claims?: Record<string, unknown>;
}

/** A proof of possession (API.md §3): compact JWS signed with the certificate's private key. */
export async function makeProof(leafKey: KeyObject, opts: ProofOptions): Promise<string> {
  const alg =
    opts.alg ?? (leafKey.asymmetricKeyType === 'ec' ? 'ES256' : leafKey.asymmetricKeyType === 'ed25519' ? 'EdDSA' : 'RS256');
  const payload: Record<string, unknown> = {
    aud: opts.aud,
    iat: opts.iat ?? Math.floor(Date.now() / 1000),
    jti: opts.jti ?? randomUUID(),
  };
  for (const [k, v] of Object.entries(opts.claims ?? {})) {
    if (v === undefined) delete payload[k];
    else payload[k] = v;
  }
  const header: Record<string, unknown> = { alg, ...(opts.typ === null ? {} : { typ: opts.typ ?? 'tessera-pop+jwt' }), ...(opts.header ?? {}) };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as { alg: string })
    .sign(leafKey);
}

/** In-memory ReplayStore with the contract of the database one: true the first time, false after. */
export function makeReplayStore(): ReplayStore & { entries: Map<string, Date> } {
  const entries = new Map<string, Date>();
  return {
    entries,
    async useOnce(scope: string, id: string, expiresAt: Date): Promise<boolean> {
      const key = JSON.stringify([scope, id]);
      const seen = entries.get(key);
      if (seen && seen.getTime() > Date.now()) return false;
      entries.set(key, expiresAt);
      return true;
    },
  };
}

/**
 * Parsing of certificates that come from outside (requests, proxy headers, configuration). Every one is
 * hostile until the chain check has passed: this module only decodes, it proves nothing.
 *
 * Each certificate is parsed twice: by node (OpenSSL) for signatures, and by @peculiar/x509 for the
 * extensions node 20 does not expose (keyUsage bits, basicConstraints, subjectAltName).
 */
import 'reflect-metadata'; // @peculiar/x509 depends on tsyringe, which needs the Reflect polyfill loaded first
import * as x509 from '@peculiar/x509';
import { createHash, webcrypto, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { BadUserInputError } from '../../engine/errors.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** API.md §2: a token field over 64 KiB is BAD_USER_INPUT. */
export const MAX_CERTIFICATE_TEXT = 64 * 1024;

export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  anyExtendedKeyUsage: '2.5.29.37.0',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  commonName: '2.5.4.3',
  emailAddress: '1.2.840.113549.1.9.1',
} as const;

/** Why a text is not a certificate; callers turn it into the error code that fits their input. */
export class CertificateFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateFormatError';
  }
}

export interface ParsedCertificate {
  der: Buffer;
  /** base64 DER, no armour. */
  derB64: string;
  /** Hex SHA-256 of the DER. */
  fingerprint: string;
  node: NodeX509Certificate;
  cert: x509.X509Certificate;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/**
 * Splits a text into one entry per certificate: each PEM block of a bundle separately, or the text itself
 * when it holds no PEM armour (base64 DER). Text outside the PEM blocks is ignored, as OpenSSL does.
 */
export function splitCertificateText(text: string): string[] {
  if (!text.includes('-----BEGIN')) return [text];
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => m[0]);
  return blocks.length > 0 ? blocks : [text];
}

/** PEM (one CERTIFICATE block) or base64 DER → DER bytes. */
export function decodeCertificateText(text: string): Buffer {
  if (typeof text !== 'string') throw new CertificateFormatError('the certificate must be a string');
  if (text.length > MAX_CERTIFICATE_TEXT) throw new CertificateFormatError('the certificate is larger than 64 KiB');
  let body = text.trim();
  if (body.includes('-----')) {
    // RFC 7468 §5: exactly one CERTIFICATE block; other labels (a private key pasted by mistake) are refused.
    const m = /^-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----$/.exec(body);
    if (!m) throw new CertificateFormatError('the text is not a PEM CERTIFICATE block');
    body = m[1];
  }
  body = body.replace(/\s+/g, '');
  if (body.length === 0) throw new CertificateFormatError('the certificate is empty');
  const standard = /^[A-Za-z0-9+/]+={0,2}$/.test(body);
  const url = /^[A-Za-z0-9_-]+={0,2}$/.test(body);
  if (!standard && !url) throw new CertificateFormatError('the certificate is neither PEM nor base64 DER');
  const der = Buffer.from(body, standard ? 'base64' : 'base64url');
  if (der.toString(standard ? 'base64' : 'base64url').replace(/=+$/, '') !== body.replace(/=+$/, '')) {
    throw new CertificateFormatError('the certificate is not valid base64');
  }
  return der;
}

/** Decodes and parses one certificate. Throws CertificateFormatError when it is not exactly one X.509 certificate. */
export function parseCertificate(text: string): ParsedCertificate {
  return parseCertificateDer(decodeCertificateText(text));
}

export function parseCertificateDer(der: Buffer): ParsedCertificate {
  if (der.length < 32 || der[0] !== 0x30) throw new CertificateFormatError('the data is not a DER certificate');
  let node: NodeX509Certificate;
  let cert: x509.X509Certificate;
  try {
    node = new NodeX509Certificate(der);
    // Trailing bytes after the certificate would let two different texts stand for one certificate.
    if (!node.raw.equals(der)) throw new Error('trailing data');
    cert = new x509.X509Certificate(new Uint8Array(der));
    // Touch what later checks read, so a malformed field fails here rather than in the middle of them.
    void cert.subjectName;
    void cert.issuerName;
    void cert.notBefore;
    void cert.notAfter;
    void cert.extensions;
  } catch {
    throw new CertificateFormatError('the data is not a valid X.509 certificate');
  }
  return { der, derB64: der.toString('base64'), fingerprint: sha256Hex(der), node, cert };
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hex SHA-256 of a certificate given as base64 DER (the form VerifiedSubject.certificateDer carries). */
export function certificateFingerprint(derB64: string): string {
  return sha256Hex(Buffer.from(derB64.replace(/\s+/g, ''), 'base64'));
}

// ---------------------------------------------------------------------------------------------------------
// Extension accessors. A malformed extension value is an error, never "absent".
// ---------------------------------------------------------------------------------------------------------

function extensionsOf(c: ParsedCertificate, oid: string): x509.Extension[] {
  return c.cert.extensions.filter((e) => e.type === oid);
}

/** RFC 5280 §4.2: a certificate MUST NOT include more than one instance of a particular extension. */
export function duplicateExtension(c: ParsedCertificate): string | null {
  const seen = new Set<string>();
  for (const e of c.cert.extensions) {
    if (seen.has(e.type)) return e.type;
    seen.add(e.type);
  }
  return null;
}

export function basicConstraints(c: ParsedCertificate): { ca: boolean; pathLength?: number } | null {
  const ext = extensionsOf(c, OID.basicConstraints)[0];
  if (!ext) return null;
  const bc = ext instanceof x509.BasicConstraintsExtension ? ext : new x509.BasicConstraintsExtension(ext.rawData);
  return { ca: bc.ca === true, pathLength: bc.pathLength };
}

/** keyUsage bits (x509.KeyUsageFlags), or null when the extension is absent. */
export function keyUsage(c: ParsedCertificate): number | null {
  const ext = extensionsOf(c, OID.keyUsage)[0];
  if (!ext) return null;
  const ku = ext instanceof x509.KeyUsagesExtension ? ext : new x509.KeyUsagesExtension(ext.rawData);
  return ku.usages;
}

export function extendedKeyUsage(c: ParsedCertificate): string[] | null {
  const ext = extensionsOf(c, OID.extKeyUsage)[0];
  if (!ext) return null;
  const eku = ext instanceof x509.ExtendedKeyUsageExtension ? ext : new x509.ExtendedKeyUsageExtension(ext.rawData);
  return eku.usages.map((u) => String(u));
}

/** rfc822Name entries of subjectAltName (RFC 5280 §4.2.1.6). */
export function sanEmails(c: ParsedCertificate): string[] {
  const ext = extensionsOf(c, OID.subjectAltName)[0];
  if (!ext) return [];
  const san = ext instanceof x509.SubjectAlternativeNameExtension ? ext : new x509.SubjectAlternativeNameExtension(ext.rawData);
  return san.names.items.filter((n) => n.type === 'email').map((n) => n.value);
}

/** True when the subject and issuer names are the same DER (RFC 5280 §6.1: "self-issued"). */
export function isSelfIssued(c: ParsedCertificate): boolean {
  return Buffer.from(c.cert.subjectName.toArrayBuffer()).equals(Buffer.from(c.cert.issuerName.toArrayBuffer()));
}

// ---------------------------------------------------------------------------------------------------------
// SAML holder-of-key confirmation certificates
// ---------------------------------------------------------------------------------------------------------

const PROOF_CERTIFICATE_FIELD = 'output.proofCertificate';

/**
 * Checks a HOLDER_OF_KEY confirmation certificate (SAML 2.0 holder-of-key profile §2.5: the key the
 * attesting entity must prove) and returns it as base64 DER. It is the presenter's own certificate, so no
 * chain is required, but it must be a valid end-entity certificate at `now`.
 */
export function parseProofCertificate(text: string | null | undefined, now: Date): string {
  if (typeof text !== 'string' || text.trim().length === 0) {
    throw new BadUserInputError('a certificate is required for HOLDER_OF_KEY confirmation', PROOF_CERTIFICATE_FIELD);
  }
  let parsed: ParsedCertificate;
  try {
    parsed = parseCertificate(text);
  } catch (e) {
    const reason = e instanceof CertificateFormatError ? e.message : 'the certificate cannot be parsed';
    throw new BadUserInputError(`${reason} (expected PEM or base64 DER)`, PROOF_CERTIFICATE_FIELD);
  }
  if (now < parsed.cert.notBefore) {
    throw new BadUserInputError(`the certificate is not valid before ${parsed.cert.notBefore.toISOString()}`, PROOF_CERTIFICATE_FIELD);
  }
  if (now > parsed.cert.notAfter) {
    throw new BadUserInputError(`the certificate expired at ${parsed.cert.notAfter.toISOString()}`, PROOF_CERTIFICATE_FIELD);
  }
  let bc: ReturnType<typeof basicConstraints>;
  try {
    bc = basicConstraints(parsed);
  } catch {
    throw new BadUserInputError('the certificate has a malformed basicConstraints extension', PROOF_CERTIFICATE_FIELD);
  }
  if (bc?.ca) {
    // RFC 5280 §4.2.1.9: a CA certificate is for signing certificates, not for confirming a subject.
    throw new BadUserInputError('a CA certificate cannot confirm a subject', PROOF_CERTIFICATE_FIELD);
  }
  return parsed.derB64;
}

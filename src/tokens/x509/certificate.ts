/**
 * Parsing of certificates that come from outside (requests, proxy headers, configuration). Every one is
 * hostile until the chain check has passed: this module only decodes, it proves nothing.
 *
 * Each certificate is parsed twice: by node (OpenSSL) for signatures, and by @peculiar/x509 for the
 * extensions node 20 does not expose (keyUsage bits, basicConstraints, subjectAltName).
 */
import 'reflect-metadata'; // @peculiar/x509 depends on tsyringe, which needs the Reflect polyfill loaded first
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate as AsnCertificate } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
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
    // Touch what later checks read, so a malformed field fails here rather than in the middle of them: a
    // public key OpenSSL cannot decode (say, an EC point off the curve) would otherwise throw from a check.
    void node.publicKey;
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
// Signature algorithms and keys
// ---------------------------------------------------------------------------------------------------------

/**
 * The signature algorithms accepted on a certificate, by OID: RSA PKCS #1 v1.5 and RSASSA-PSS with SHA-2
 * (RFC 4055 §5, §3), ECDSA with SHA-2 (RFC 5758 §3.2) and Ed25519 (RFC 8410 §3). Everything else is refused,
 * MD5 and SHA-1 (RFC 6151, RFC 9155; SHA-1 certificate signatures are forgeable by chosen-prefix collision)
 * as well as any algorithm not listed, rather than left for OpenSSL to verify whatever it still supports.
 */
export const CERTIFICATE_SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = Object.freeze({
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'Ed25519',
});

/** Names for the refusals people meet, so the message says "md5WithRSAEncryption" rather than an OID. */
const KNOWN_REFUSED: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption (MD2)',
  '1.2.840.113549.1.1.3': 'md4WithRSAEncryption (MD4)',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption (MD5)',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption (SHA-1)',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption (SHA-224)',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1 (SHA-1)',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224 (SHA-224)',
  '1.2.840.10040.4.3': 'dsa-with-sha1 (DSA, SHA-1)',
  '2.16.840.1.101.3.4.3.2': 'dsa-with-sha256 (DSA)',
  '1.3.101.113': 'Ed448',
};

/** RFC 4055 §2.1 hash OIDs allowed inside RSASSA-PSS parameters (and its MGF1); SHA-1 is its default. */
const PSS_HASHES: Readonly<Record<string, string>> = {
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};
const ID_MGF1 = '1.2.840.113549.1.1.8';
const ID_RSASSA_PSS = '1.2.840.113549.1.1.10';
const DER_NULL = Buffer.from([0x05, 0x00]);

export type SignatureAlgorithmCheck = { ok: true; name: string } | { ok: false; reason: string };

function algorithmName(oid: string): string {
  return CERTIFICATE_SIGNATURE_ALGORITHMS[oid] ?? KNOWN_REFUSED[oid] ?? oid.replace(/[^0-9.]/g, '').slice(0, 64);
}

/**
 * Whether the certificate is signed with an algorithm of the allow-list. Reads the DER itself, so an algorithm
 * no library knows is refused by its OID rather than skipped. RFC 5280 §4.1.1.2: the outer signatureAlgorithm
 * and the signed tbsCertificate.signature must be the same identifier.
 */
export function certificateSignatureAlgorithm(c: ParsedCertificate): SignatureAlgorithmCheck {
  let asn: AsnCertificate;
  try {
    asn = AsnConvert.parse(c.der, AsnCertificate);
  } catch {
    return { ok: false, reason: 'its signature algorithm cannot be read' };
  }
  const outer = asn.signatureAlgorithm;
  const inner = asn.tbsCertificate.signature;
  const params = (p: ArrayBuffer | null | undefined): Buffer | null => (p ? Buffer.from(p) : null);
  const outerParams = params(outer.parameters);
  const innerParams = params(inner.parameters);
  if (outer.algorithm !== inner.algorithm || !(outerParams === null ? innerParams === null : innerParams !== null && outerParams.equals(innerParams))) {
    return { ok: false, reason: 'its signature algorithm differs from the one it was signed under (RFC 5280 §4.1.1.2)' };
  }
  const name = CERTIFICATE_SIGNATURE_ALGORITHMS[outer.algorithm];
  if (!name) return { ok: false, reason: `it is signed with ${algorithmName(outer.algorithm)}, which is not accepted` };
  if (outer.algorithm.startsWith('1.2.840.113549.1.1.') && outer.algorithm !== ID_RSASSA_PSS) {
    // RFC 4055 §5: the parameters of the PKCS #1 v1.5 identifiers are NULL (some encoders leave them out).
    if (outerParams !== null && !outerParams.equals(DER_NULL)) return { ok: false, reason: `its ${name} parameters are not NULL` };
    return { ok: true, name };
  }
  if (outer.algorithm === ID_RSASSA_PSS) return pssCheck(outerParams);
  // RFC 5758 §3.2 and RFC 8410 §3: the ECDSA and Ed25519 identifiers have absent parameters.
  if (outerParams !== null) return { ok: false, reason: `its ${name} identifier carries parameters` };
  return { ok: true, name };
}

/** RFC 4055 §3.1: RSASSA-PSS parameters. Absent fields default to SHA-1 (and so are refused). */
function pssCheck(raw: Buffer | null): SignatureAlgorithmCheck {
  if (raw === null) return { ok: false, reason: 'its RSASSA-PSS signature has no parameters (it would default to SHA-1)' };
  let p: RsaSaPssParams;
  try {
    p = AsnConvert.parse(raw, RsaSaPssParams);
  } catch {
    return { ok: false, reason: 'its RSASSA-PSS parameters cannot be read' };
  }
  const hash = PSS_HASHES[p.hashAlgorithm.algorithm];
  if (!hash) {
    const given = p.hashAlgorithm.algorithm === '1.3.14.3.2.26' ? 'SHA-1' : p.hashAlgorithm.algorithm.replace(/[^0-9.]/g, '').slice(0, 64);
    return { ok: false, reason: `its RSASSA-PSS signature uses the hash ${given}, which is not accepted` };
  }
  if (p.maskGenAlgorithm.algorithm !== ID_MGF1 || !p.maskGenAlgorithm.parameters) {
    return { ok: false, reason: 'its RSASSA-PSS signature does not use MGF1 with an explicit hash' };
  }
  let mgfHash: string | undefined;
  try {
    // RFC 4055 §2.2: MGF1's parameters are the AlgorithmIdentifier of its hash.
    mgfHash = PSS_HASHES[AsnConvert.parse(p.maskGenAlgorithm.parameters, AlgorithmIdentifier).algorithm];
  } catch {
    mgfHash = undefined;
  }
  if (!mgfHash) return { ok: false, reason: 'its RSASSA-PSS mask generation hash is not accepted' };
  if (p.trailerField !== 1) return { ok: false, reason: 'its RSASSA-PSS trailer field is not 1' };
  return { ok: true, name: `RSASSA-PSS with ${hash}` };
}

/** Keys a certificate may carry for Tessera: RSA of at least 2048 bits, EC on P-256 or P-384, Ed25519. */
export const MIN_RSA_BITS = 2048;
const ACCEPTED_CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384' };

/** Why the certificate's key is not acceptable, or null when it is. */
export function keyProblem(c: ParsedCertificate): string | null {
  const key = c.node.publicKey;
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      return bits >= MIN_RSA_BITS ? null : `its RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required`;
    }
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? 'an unnamed curve';
      return ACCEPTED_CURVES[curve] ? null : `its EC key is on ${curve}; P-256 and P-384 are accepted`;
    }
    case 'ed25519':
      return null;
    default:
      return `its ${key.asymmetricKeyType ?? 'unknown'} key is not accepted (RSA ≥ ${MIN_RSA_BITS} bits, P-256, P-384 or Ed25519)`;
  }
}

/**
 * Hex SHA-256 of the certificate's public key as DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), re-encoded by
 * OpenSSL from the parsed key, so two certificates for one key give one value however each encoded it. This
 * names the key, not the certificate (RFC 7469 §2.4 pins keys the same way).
 */
export function spkiSha256(c: ParsedCertificate): string {
  return createHash('sha256').update(c.node.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

// ---------------------------------------------------------------------------------------------------------
// SAML holder-of-key confirmation certificates
// ---------------------------------------------------------------------------------------------------------

const PROOF_CERTIFICATE_FIELD = 'output.proofCertificate';

export interface HolderOfKeyOptions {
  /**
   * Optional per-instance trust list (PEM; bundles allowed): when non-empty, the certificate must be one of
   * these or be issued by one of them.
   */
  trustAnchors?: readonly string[];
}

/**
 * Checks a HOLDER_OF_KEY confirmation certificate and returns it as canonical base64 DER. SAML 2.0
 * holder-of-key profile §2.5: the certificate only carries the key the attesting entity must prove it holds,
 * so, as in PingAM, no chain, CA flag or key usage is required: any parsable certificate valid at `now`
 * whose key is acceptable (keyProblem) and whose signature algorithm is on the allow-list — self-signed or
 * not, CA:TRUE or not, as `openssl req -x509 -newkey rsa:2048` makes them. An instance may restrict it to a
 * trust list (checkHolderOfKeyTrust). Every refusal is BAD_USER_INPUT on output.proofCertificate.
 */
export function parseHolderOfKeyCertificate(text: string | null | undefined, now: Date, opts: HolderOfKeyOptions = {}): string {
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
  const weakKey = keyProblem(parsed);
  if (weakKey) throw new BadUserInputError(`the certificate is not accepted: ${weakKey}`, PROOF_CERTIFICATE_FIELD);
  const alg = certificateSignatureAlgorithm(parsed);
  if (!alg.ok) throw new BadUserInputError(`the certificate is not accepted: ${alg.reason}`, PROOF_CERTIFICATE_FIELD);
  if (opts.trustAnchors && opts.trustAnchors.length > 0) checkHolderOfKeyTrust(parsed, opts.trustAnchors, now);
  return parsed.derB64;
}

/**
 * The optional holder-of-key trust list: the certificate is one of the anchors (pinned, compared as DER), or
 * an anchor valid at `now` issued it (its name is the certificate's issuer and its key verifies the
 * certificate's signature, RFC 5280 §6.1.3 (a)). Unreadable anchors trust nothing. Throws BadUserInputError on
 * output.proofCertificate.
 */
export function checkHolderOfKeyTrust(cert: ParsedCertificate, anchorPems: readonly string[], now: Date): void {
  for (const pem of anchorPems) {
    if (typeof pem !== 'string') continue;
    for (const text of splitCertificateText(pem)) {
      let anchor: ParsedCertificate;
      try {
        anchor = parseCertificate(text);
      } catch {
        continue;
      }
      if (anchor.der.equals(cert.der)) return;
      if (now < anchor.cert.notBefore || now > anchor.cert.notAfter) continue;
      let issued = false;
      try {
        issued = Buffer.from(cert.cert.issuerName.toArrayBuffer()).equals(Buffer.from(anchor.cert.subjectName.toArrayBuffer())) && cert.node.verify(anchor.node.publicKey);
      } catch {
        issued = false;
      }
      if (issued) return;
    }
  }
  throw new BadUserInputError('the certificate is neither listed nor issued by a certificate this instance trusts for holder-of-key', PROOF_CERTIFICATE_FIELD);
}

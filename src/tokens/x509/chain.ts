/**
 * Certification path validation (RFC 5280 §6.1, reduced to what a client-certificate check needs):
 * leaf → presented intermediates → a configured trust anchor, every signature verified, every certificate
 * valid at `now`, basicConstraints, pathLenConstraint, keyUsage and extendedKeyUsage honoured, unknown
 * critical extensions refused. No revocation checking (no CRL or OCSP fetching).
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { InvalidTokenError } from '../../engine/errors.js';
import {
  basicConstraints,
  certificateSignatureAlgorithm,
  duplicateExtension,
  extendedKeyUsage,
  isSelfIssued,
  keyUsage,
  MIN_RSA_BITS,
  OID,
  type ParsedCertificate,
} from './certificate.js';

/** Leaf plus at most four intermediates (API.md §3). */
export const MAX_PRESENTED_CERTIFICATES = 5;

/**
 * Extensions this check processes. RFC 5280 §4.2: a certificate with a critical extension the relying
 * party does not recognise MUST be rejected. Name constraints and policy constraints are not evaluated,
 * so certificates that mark them critical are refused rather than half-checked.
 */
const PROCESSED_EXTENSIONS = new Set<string>([
  OID.subjectKeyIdentifier,
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  OID.authorityKeyIdentifier,
  OID.extKeyUsage,
  OID.certificatePolicies, // read as anyPolicy: no policy is required of the path
]);


type Role = 'leaf' | 'intermediate' | 'anchor';

function label(c: ParsedCertificate, role: Role): string {
  const who = safeSubject(c);
  return role === 'leaf' ? `the certificate (${who})` : role === 'intermediate' ? `the intermediate certificate ${who}` : `the trust anchor ${who}`;
}

function safeSubject(c: ParsedCertificate): string {
  let s: string;
  try {
    s = c.cert.subject;
  } catch {
    s = '(unreadable subject)';
  }
  // The subject is attacker text that ends up in an error message: strip control characters, cap the length.
  // eslint-disable-next-line no-control-regex
  s = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  return s.length > 120 ? s.slice(0, 120) + '…' : s;
}

function fail(message: string): never {
  throw new InvalidTokenError(message);
}

/** Validity period (RFC 5280 §6.1.3 (a)(2)). */
function checkDates(c: ParsedCertificate, role: Role, now: Date): void {
  if (now < c.cert.notBefore) fail(`${label(c, role)} is not valid before ${c.cert.notBefore.toISOString()}.`);
  if (now > c.cert.notAfter) fail(`${label(c, role)} expired at ${c.cert.notAfter.toISOString()}.`);
}

function checkExtensionsWellFormed(c: ParsedCertificate, role: Role): void {
  const dup = duplicateExtension(c);
  if (dup) fail(`${label(c, role)} repeats extension ${dup} (RFC 5280 §4.2).`);
  for (const e of c.cert.extensions) {
    if (e.critical && !PROCESSED_EXTENSIONS.has(e.type)) {
      fail(`${label(c, role)} has a critical extension ${e.type} that is not supported.`);
    }
  }
}

function checkKeyStrength(c: ParsedCertificate, role: Role): void {
  const key = c.node.publicKey;
  if ((key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    fail(`${label(c, role)} has an RSA key shorter than ${MIN_RSA_BITS} bits.`);
  }
}

/**
 * The signature on every certificate whose signature the path relies on (the leaf's and the intermediates')
 * must use an algorithm of the allow-list (certificate.ts CERTIFICATE_SIGNATURE_ALGORITHMS); an anchor's own
 * signature is not part of the path (RFC 5280 §6.1: the anchor is trusted as configured).
 */
function checkSignatureAlgorithm(c: ParsedCertificate, role: Role): void {
  const alg = certificateSignatureAlgorithm(c);
  if (!alg.ok) fail(`${label(c, role)} is not accepted: ${alg.reason}.`);
}

function readConstraints(c: ParsedCertificate, role: Role): { bc: ReturnType<typeof basicConstraints>; ku: number | null; eku: string[] | null } {
  try {
    return { bc: basicConstraints(c), ku: keyUsage(c), eku: extendedKeyUsage(c) };
  } catch {
    fail(`${label(c, role)} has a malformed basicConstraints, keyUsage or extendedKeyUsage extension.`);
  }
}

/** End-entity checks: not a CA (RFC 5280 §4.2.1.9), digitalSignature when keyUsage is present (§4.2.1.3). */
function checkLeaf(leaf: ParsedCertificate, now: Date): void {
  checkExtensionsWellFormed(leaf, 'leaf');
  const { bc, ku, eku } = readConstraints(leaf, 'leaf');
  if (bc?.ca) fail(`${label(leaf, 'leaf')} is a CA certificate, which cannot be used as a client certificate.`);
  if (ku !== null && (ku & x509.KeyUsageFlags.digitalSignature) === 0) {
    fail(`${label(leaf, 'leaf')} does not allow digitalSignature in its keyUsage.`);
  }
  // RFC 5280 §4.2.1.12: when present, the key may only be used for the listed purposes.
  if (eku !== null && !eku.includes(OID.clientAuth) && !eku.includes(OID.anyExtendedKeyUsage)) {
    fail(`${label(leaf, 'leaf')} is not meant for client authentication (extendedKeyUsage lacks clientAuth).`);
  }
  checkDates(leaf, 'leaf', now);
  checkKeyStrength(leaf, 'leaf');
  checkSignatureAlgorithm(leaf, 'leaf');
}

/**
 * Issuer checks (RFC 5280 §6.1.4): cA true (required for intermediates, §6.1.4 (k); an anchor without
 * basicConstraints is accepted as configured), keyCertSign when keyUsage is present (§6.1.4 (n)), and the
 * pathLenConstraint counted over the non-self-issued intermediates below it (§6.1.4 (l), (m)).
 */
function checkIssuer(issuer: ParsedCertificate, role: 'intermediate' | 'anchor', intermediatesBelow: number, now: Date): void {
  if (role === 'intermediate') checkExtensionsWellFormed(issuer, role);
  const { bc, ku } = readConstraints(issuer, role);
  if (role === 'intermediate' ? !bc?.ca : bc !== null && !bc.ca) {
    fail(`${label(issuer, role)} is not a CA certificate (basicConstraints cA is not set), so it cannot issue certificates.`);
  }
  if (ku !== null && (ku & x509.KeyUsageFlags.keyCertSign) === 0) {
    fail(`${label(issuer, role)} does not allow keyCertSign in its keyUsage, so it cannot issue certificates.`);
  }
  if (bc?.pathLength !== undefined && intermediatesBelow > bc.pathLength) {
    fail(`${label(issuer, role)} allows at most ${bc.pathLength} intermediate certificate(s) below it (pathLenConstraint).`);
  }
  checkDates(issuer, role, now);
  if (role === 'intermediate') {
    checkKeyStrength(issuer, role);
    checkSignatureAlgorithm(issuer, role);
  }
}

function sameName(a: ArrayBuffer, b: ArrayBuffer): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** True when `issuer`'s name matches `child`'s issuer name and its key verifies `child`'s signature. */
function issued(child: ParsedCertificate, issuer: ParsedCertificate): boolean {
  let namesMatch = false;
  try {
    // Byte equality of the DER names, with OpenSSL's RFC 5280 §7.1 comparison as the fallback.
    namesMatch = sameName(child.cert.issuerName.toArrayBuffer(), issuer.cert.subjectName.toArrayBuffer()) || child.node.checkIssued(issuer.node);
  } catch {
    namesMatch = false;
  }
  if (!namesMatch) return false;
  try {
    return child.node.verify(issuer.node.publicKey);
  } catch {
    return false;
  }
}

/**
 * Validates leaf → chain → anchor. `chain` is what the client presented after the leaf (any order, unused
 * extras are ignored); `anchors` are the instance's configured CA certificates. Returns the path from the
 * leaf to the anchor. Throws InvalidTokenError naming the first problem found.
 */
export function validateCertificatePath(
  leaf: ParsedCertificate,
  chain: ParsedCertificate[],
  anchors: ParsedCertificate[],
  now: Date,
): ParsedCertificate[] {
  if (anchors.length === 0) fail('This instance trusts no certificate authority.');
  checkLeaf(leaf, now);
  // A trust anchor is a CA; the leaf itself being listed as one does not make it trusted (it is not a CA).
  const anchorSet = anchors.filter((a) => a.fingerprint !== leaf.fingerprint);
  const candidates = chain.filter((c) => c.fingerprint !== leaf.fingerprint);

  let firstProblem = null as InvalidTokenError | null;
  const note = (e: unknown): void => {
    if (!firstProblem && e instanceof InvalidTokenError) firstProblem = e;
    if (!(e instanceof InvalidTokenError)) throw e;
  };

  const nonSelfIssuedBelow = (path: ParsedCertificate[]): number => path.slice(1).filter((c) => !isSelfIssued(c)).length;

  const extend = (path: ParsedCertificate[]): ParsedCertificate[] | null => {
    const current = path[path.length - 1];
    for (const anchor of anchorSet) {
      if (!issued(current, anchor)) continue;
      try {
        checkIssuer(anchor, 'anchor', nonSelfIssuedBelow(path), now);
        return [...path, anchor];
      } catch (e) {
        note(e);
      }
    }
    if (path.length >= MAX_PRESENTED_CERTIFICATES) return null;
    for (const next of candidates) {
      if (path.some((p) => p.fingerprint === next.fingerprint)) continue;
      // A presented copy of a configured anchor is reached through the anchor branch above.
      if (anchorSet.some((a) => a.fingerprint === next.fingerprint)) continue;
      if (!issued(current, next)) continue;
      try {
        checkIssuer(next, 'intermediate', nonSelfIssuedBelow(path), now);
      } catch (e) {
        note(e);
        continue;
      }
      const found = extend([...path, next]);
      if (found) return found;
    }
    return null;
  };

  const path = extend([leaf]);
  if (path) return path;
  if (firstProblem) throw firstProblem;
  fail(`${label(leaf, 'leaf')} was not issued by a certificate authority this instance trusts.`);
}

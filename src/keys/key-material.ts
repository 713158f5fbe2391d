/**
 * Signing key material: key generation, the self-signed X.509 certificate each key carries (for SAML
 * metadata and ds:X509Certificate), and re-import of stored material into KeyObjects.
 *
 * Node's crypto cannot create certificates, so @peculiar/x509 builds them from WebCrypto keys; the private
 * key is then exported as PKCS#8 and everything else works with node KeyObjects.
 */
import 'reflect-metadata'; // @peculiar/x509 depends on tsyringe, which needs the Reflect polyfill loaded first
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey, KeyObject, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { BadUserInputError } from '../engine/errors.js';
import type { SigningKey } from '../engine/types.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export type KeyAlgorithm = 'RS256' | 'RS512' | 'PS256' | 'ES256' | 'EdDSA';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['RS256', 'RS512', 'PS256', 'ES256', 'EdDSA'];
export type RsaBits = 2048 | 3072;

export interface KeyMaterial {
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
  kid: string;
  algorithm: KeyAlgorithm;
  /** 'RSA-2048' | 'RSA-3072' | 'P-256' | 'Ed25519' */
  keySize: string;
  /** RFC 7517 public JWK with kid, alg and use 'sig'. */
  publicJwk: Record<string, unknown>;
  certificatePem: string;
  /** The certificate as base64 DER, without PEM armour. */
  certificateDer: string;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
}

const ALGORITHM_ALIASES: Record<string, { algorithm: KeyAlgorithm; rsaBits?: RsaBits }> = {
  RS256: { algorithm: 'RS256', rsaBits: 2048 },
  RS512: { algorithm: 'RS512', rsaBits: 2048 },
  PS256: { algorithm: 'PS256', rsaBits: 2048 },
  'RS256-3072': { algorithm: 'RS256', rsaBits: 3072 },
  'RS512-3072': { algorithm: 'RS512', rsaBits: 3072 },
  'PS256-3072': { algorithm: 'PS256', rsaBits: 3072 },
  'RSA-2048': { algorithm: 'RS256', rsaBits: 2048 },
  'RSA-3072': { algorithm: 'RS256', rsaBits: 3072 },
  ES256: { algorithm: 'ES256' },
  EdDSA: { algorithm: 'EdDSA' },
  Ed25519: { algorithm: 'EdDSA' },
};

/** Parses the `generateKey(algorithm)` argument. Names are case-sensitive, as JOSE algorithm names are. */
export function parseKeyAlgorithm(name: string): { algorithm: KeyAlgorithm; rsaBits?: RsaBits } {
  const hit = typeof name === 'string' && Object.prototype.hasOwnProperty.call(ALGORITHM_ALIASES, name) ? ALGORITHM_ALIASES[name] : undefined;
  if (!hit) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 40)) : 'a non-string value';
    throw new BadUserInputError(
      `unsupported algorithm ${shown}; use one of ${Object.keys(ALGORITHM_ALIASES).join(', ')}`,
      'algorithm',
    );
  }
  return hit.rsaBits ? { algorithm: hit.algorithm, rsaBits: hit.rsaBits } : { algorithm: hit.algorithm };
}

function isRsa(algorithm: KeyAlgorithm): boolean {
  return algorithm === 'RS256' || algorithm === 'RS512' || algorithm === 'PS256';
}

// ---------------------------------------------------------------------------------------------------------
// Certificate building blocks, shared by the key store, the demo PKI and the test PKI.
// ---------------------------------------------------------------------------------------------------------

export type CertificateKeyType = 'RSA' | 'EC' | 'Ed25519';

/**
 * A WebCrypto key pair that @peculiar/x509 can sign with. RSA keys are generated as RSASSA-PKCS1-v1_5; the
 * exported PKCS#8 is a plain rsaEncryption key, which node and jose use for RS*, PS* alike.
 */
export async function generateCertificateKeyPair(type: CertificateKeyType, rsaBits: RsaBits = 2048): Promise<CryptoKeyPair> {
  const subtle = webcrypto.subtle;
  let pair: unknown;
  if (type === 'RSA') {
    pair = await subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: rsaBits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    );
  } else if (type === 'EC') {
    pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  } else {
    pair = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  }
  return pair as CryptoKeyPair;
}

/** The signature algorithm a certificate is signed with, by the signer's key (RFC 5280 §4.1.1.2). */
function signingAlgorithmFor(key: CryptoKey): Algorithm | EcdsaParams {
  switch (key.algorithm.name) {
    case 'RSASSA-PKCS1-v1_5':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm;
    case 'ECDSA':
      return { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams;
    case 'Ed25519':
      return { name: 'Ed25519' };
    default:
      throw new Error(`Cannot sign certificates with a ${key.algorithm.name} key.`);
  }
}

/** A positive serial of 16 random octets without a leading zero octet (RFC 5280 §4.1.2.2: ≤ 20 octets, positive). */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) || 0x01;
  return bytes.toString('hex');
}

export interface IssueCertificateParams {
  /** Subject DN as @peculiar/x509 JSON, e.g. [{ CN: ['demo'] }, { E: ['demo@example.com'] }]. */
  subject: x509.JsonName;
  /** The subject's key pair. */
  keys: CryptoKeyPair;
  /** The issuer: its certificate and private key. Absent: self-signed with `keys`. */
  issuer?: { certificate: x509.X509Certificate; privateKey: CryptoKey };
  notBefore: Date;
  notAfter: Date;
  serialNumber?: string;
  /** basicConstraints cA (RFC 5280 §4.2.1.9); omitted when undefined. */
  isCa?: boolean;
  pathLength?: number;
  /** keyUsage bits (x509.KeyUsageFlags), critical (RFC 5280 §4.2.1.3); null: no keyUsage extension. */
  keyUsage?: number | null;
  /** rfc822Name subject alternative names (RFC 5280 §4.2.1.6). */
  emails?: string[];
  extraExtensions?: x509.Extension[];
  /** Overrides the signature algorithm chosen from the signer's key (tests of weak algorithms). */
  signingAlgorithm?: Algorithm | EcdsaParams | RsaPssParams;
}

/** Issues an X.509 v3 certificate. */
export async function issueCertificate(p: IssueCertificateParams): Promise<x509.X509Certificate> {
  const extensions: x509.Extension[] = [];
  if (p.isCa !== undefined) {
    // RFC 5280 §4.2.1.9: MUST be critical in CA certificates.
    extensions.push(new x509.BasicConstraintsExtension(p.isCa, p.isCa ? p.pathLength : undefined, p.isCa));
  }
  if (p.keyUsage !== null && p.keyUsage !== undefined) {
    extensions.push(new x509.KeyUsagesExtension(p.keyUsage, true));
  }
  if (p.emails && p.emails.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(p.emails.map((value) => ({ type: 'email' as const, value }))));
  }
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(p.keys.publicKey));
  if (p.issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(p.issuer.certificate.publicKey));
  extensions.push(...(p.extraExtensions ?? []));

  const common = {
    serialNumber: p.serialNumber ?? randomSerialNumber(),
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    extensions,
  };
  if (!p.issuer) {
    return x509.X509CertificateGenerator.createSelfSigned({
      ...common,
      name: p.subject,
      keys: p.keys,
      signingAlgorithm: p.signingAlgorithm ?? signingAlgorithmFor(p.keys.privateKey),
    });
  }
  return x509.X509CertificateGenerator.create({
    ...common,
    subject: p.subject,
    issuer: p.issuer.certificate.subjectName,
    publicKey: p.keys.publicKey,
    signingKey: p.issuer.privateKey,
    signingAlgorithm: p.signingAlgorithm ?? signingAlgorithmFor(p.issuer.privateKey),
  });
}

/** PKCS#8 PEM of a WebCrypto private key. */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** PEM armour for a DER certificate (RFC 7468 §5: 64-character lines). */
export function certificateToPem(der: Buffer | ArrayBuffer): string {
  const b64 = Buffer.from(der as ArrayBuffer).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

// ---------------------------------------------------------------------------------------------------------
// Signing keys
// ---------------------------------------------------------------------------------------------------------

const CERT_BACKDATE_MS = 5 * 60 * 1000; // tolerate relying parties whose clocks run a little behind
const CERT_LIFETIME_MS = 10 * 365.25 * 24 * 3600 * 1000;

/** Generates a signing key bound to `algorithm`, with its self-signed certificate (CN = commonName). */
export async function generateKeyMaterial(
  algorithm: KeyAlgorithm,
  opts: { rsaBits?: RsaBits; commonName: string },
): Promise<KeyMaterial> {
  if (!KEY_ALGORITHMS.includes(algorithm)) throw new BadUserInputError(`unsupported algorithm ${JSON.stringify(String(algorithm))}`, 'algorithm');
  const rsaBits: RsaBits = opts.rsaBits ?? 2048;
  if (rsaBits !== 2048 && rsaBits !== 3072) throw new BadUserInputError('RSA keys are 2048 or 3072 bits', 'algorithm');
  const type: CertificateKeyType = isRsa(algorithm) ? 'RSA' : algorithm === 'ES256' ? 'EC' : 'Ed25519';
  const keySize = type === 'RSA' ? `RSA-${rsaBits}` : type === 'EC' ? 'P-256' : 'Ed25519';

  const keys = await generateCertificateKeyPair(type, rsaBits);
  const now = Date.now();
  const cert = await issueCertificate({
    subject: [{ CN: [opts.commonName] }],
    keys,
    notBefore: new Date(now - CERT_BACKDATE_MS),
    notAfter: new Date(now + CERT_LIFETIME_MS),
    keyUsage: x509.KeyUsageFlags.digitalSignature,
  });

  const privateKeyPem = await exportPrivateKeyPem(keys.privateKey);
  const publicKey = KeyObject.from(keys.publicKey);
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const kid = await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0], 'sha256');
  const der = Buffer.from(cert.rawData);
  return {
    kid,
    algorithm,
    keySize,
    publicJwk: { ...jwk, kid, alg: algorithm, use: 'sig' },
    certificatePem: certificateToPem(der),
    certificateDer: der.toString('base64'),
    privateKeyPem,
  };
}

/** Key types each JWS algorithm may use (RFC 8725 §3.1: the algorithm is bound to the key). */
function keyFitsAlgorithm(key: KeyObject, algorithm: string): boolean {
  const type = key.asymmetricKeyType;
  switch (algorithm) {
    case 'RS256':
    case 'RS512':
    case 'PS256':
      return type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
    case 'ES256':
      return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    case 'EdDSA':
      return type === 'ed25519';
    default:
      return false;
  }
}

/**
 * Turns stored material back into a SigningKey. Throws when the private key, the certificate and the
 * algorithm do not belong together (a stored row that was altered or mixed up).
 */
export function importKeyMaterial(m: { kid: string; algorithm: string; privateKeyPem: string; certificatePem: string }): SigningKey {
  const privateKey = createPrivateKey(m.privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  if (!keyFitsAlgorithm(publicKey, m.algorithm)) {
    throw new Error(`Key ${m.kid}: a ${publicKey.asymmetricKeyType} key does not fit algorithm ${m.algorithm}.`);
  }
  const cert = new X509Certificate(m.certificatePem);
  if (!cert.publicKey.equals(publicKey)) {
    throw new Error(`Key ${m.kid}: the certificate does not hold the public key of the private key.`);
  }
  return {
    kid: m.kid,
    algorithm: m.algorithm,
    privateKey,
    publicKey,
    certificatePem: certificateToPem(cert.raw),
    certificateDer: cert.raw.toString('base64'),
  };
}

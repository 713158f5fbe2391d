/**
 * XML Encryption of SAML elements (SAML core 6, xmlenc-core1). Each encrypted element is an xenc:EncryptedData of
 * Type Element whose ds:KeyInfo holds the xenc:EncryptedKey: a fresh AES key wrapped with the SP certificate's RSA
 * key (rsa-oaep-mgf1p, xmlenc-core1 5.5.2: OAEP with MGF1-SHA1 and SHA-1 as digest). The fragments are written in
 * exclusive canonical form so an assertion holding them can be signed as a string (assertion-builder.ts).
 */
import { constants, createCipheriv, publicEncrypt, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { ALG, NS } from './xml.js';

interface DataAlgorithm {
  uri: string;
  cipher: 'aes-128-cbc' | 'aes-256-cbc' | 'aes-256-gcm';
  keyBytes: number;
  gcm: boolean;
}

export const DATA_ENCRYPTION_ALGORITHMS: Readonly<Record<string, DataAlgorithm>> = Object.freeze({
  [ALG.aes256Gcm]: { uri: ALG.aes256Gcm, cipher: 'aes-256-gcm', keyBytes: 32, gcm: true },
  [ALG.aes128Cbc]: { uri: ALG.aes128Cbc, cipher: 'aes-128-cbc', keyBytes: 16, gcm: false },
  [ALG.aes256Cbc]: { uri: ALG.aes256Cbc, cipher: 'aes-256-cbc', keyBytes: 32, gcm: false },
});
export const KEY_TRANSPORT_ALGORITHMS: readonly string[] = Object.freeze([ALG.rsaOaepMgf1p]);
export const DEFAULT_DATA_ENCRYPTION_ALGORITHM = ALG.aes256Gcm;
export const DEFAULT_KEY_TRANSPORT_ALGORITHM = ALG.rsaOaepMgf1p;

export class EncryptionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionConfigError';
  }
}

export interface EncryptionSettings {
  /** The SP's RSA public key (from spEncryptionCertificate). */
  publicKey: KeyObject;
  dataAlgorithm: string;
  keyTransportAlgorithm: string;
}

// Parsing a certificate per request is wasteful; the PEM is the cache key (bounded).
const spKeyCache = new Map<string, KeyObject>();
const SP_KEY_CACHE_MAX = 256;

/** The RSA public key of an SP encryption certificate (PEM). Throws EncryptionConfigError when unusable. */
export function spEncryptionKey(certificatePem: string): KeyObject {
  const hit = spKeyCache.get(certificatePem);
  if (hit) return hit;
  let key: KeyObject;
  try {
    key = new X509Certificate(certificatePem).publicKey;
  } catch {
    throw new EncryptionConfigError('spEncryptionCertificate is not a readable X.509 certificate');
  }
  // rsa-oaep-mgf1p is RSA key transport; an EC certificate would need key agreement, which is not offered.
  if (key.asymmetricKeyType !== 'rsa') throw new EncryptionConfigError('spEncryptionCertificate must hold an RSA key');
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new EncryptionConfigError('spEncryptionCertificate key is shorter than 2048 bits');
  if (spKeyCache.size >= SP_KEY_CACHE_MAX) spKeyCache.delete(spKeyCache.keys().next().value as string);
  spKeyCache.set(certificatePem, key);
  return key;
}

export function encryptionSettings(certificatePem: string, dataAlgorithm: string, keyTransportAlgorithm: string): EncryptionSettings {
  if (!Object.prototype.hasOwnProperty.call(DATA_ENCRYPTION_ALGORITHMS, dataAlgorithm)) {
    throw new EncryptionConfigError(`unsupported dataEncryptionAlgorithm ${dataAlgorithm}`);
  }
  if (!KEY_TRANSPORT_ALGORITHMS.includes(keyTransportAlgorithm)) {
    throw new EncryptionConfigError(`unsupported keyTransportAlgorithm ${keyTransportAlgorithm}`);
  }
  return { publicKey: spEncryptionKey(certificatePem), dataAlgorithm, keyTransportAlgorithm };
}

/**
 * Encrypts a standalone element (it must declare every namespace it uses) into an xenc:EncryptedData.
 * - AES-GCM (xmlenc-core1 5.2.4): CipherValue = IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes).
 * - AES-CBC (xmlenc-core1 5.2.2): CipherValue = IV (16 bytes) ‖ ciphertext, padded so the last byte is the pad
 *   length; PKCS#7 padding is one such padding.
 */
export function encryptElement(plaintextXml: string, settings: EncryptionSettings): string {
  const alg = DATA_ENCRYPTION_ALGORITHMS[settings.dataAlgorithm]!;
  const key = randomBytes(alg.keyBytes);
  const plaintext = Buffer.from(plaintextXml, 'utf8');
  let cipherValue: Buffer;
  if (alg.gcm) {
    const iv = randomBytes(12);
    const c = createCipheriv(alg.cipher as 'aes-256-gcm', key, iv, { authTagLength: 16 });
    const body = Buffer.concat([c.update(plaintext), c.final()]);
    cipherValue = Buffer.concat([iv, body, c.getAuthTag()]);
  } else {
    const iv = randomBytes(16);
    const c = createCipheriv(alg.cipher, key, iv);
    cipherValue = Buffer.concat([iv, c.update(plaintext), c.final()]);
  }
  const wrapped = publicEncrypt({ key: settings.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key);
  key.fill(0);
  // Canonical form: xenc declared on EncryptedData (the outermost user), ds on KeyInfo; attributes unqualified.
  return (
    `<xenc:EncryptedData xmlns:xenc="${NS.xenc}" Type="${ALG.typeElement}">` +
    `<xenc:EncryptionMethod Algorithm="${alg.uri}"></xenc:EncryptionMethod>` +
    `<ds:KeyInfo xmlns:ds="${NS.ds}"><xenc:EncryptedKey>` +
    `<xenc:EncryptionMethod Algorithm="${ALG.rsaOaepMgf1p}"><ds:DigestMethod Algorithm="${ALG.sha1}"></ds:DigestMethod></xenc:EncryptionMethod>` +
    `<xenc:CipherData><xenc:CipherValue>${wrapped.toString('base64')}</xenc:CipherValue></xenc:CipherData>` +
    `</xenc:EncryptedKey></ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue>${cipherValue.toString('base64')}</xenc:CipherValue></xenc:CipherData>` +
    `</xenc:EncryptedData>`
  );
}

/** SAML core 2.3.4: the (signed) assertion, encrypted; it decrypts to a standalone document. */
export function encryptAssertion(signedAssertionXml: string, settings: EncryptionSettings): string {
  return `<saml:EncryptedAssertion xmlns:saml="${NS.saml}">${encryptElement(signedAssertionXml, settings)}</saml:EncryptedAssertion>`;
}

/** SAML core 2.2.4: EncryptedID replacing NameID; written inside an assertion that declares saml. */
export function encryptNameId(standaloneNameIdXml: string, settings: EncryptionSettings): string {
  return `<saml:EncryptedID>${encryptElement(standaloneNameIdXml, settings)}</saml:EncryptedID>`;
}

/** SAML core 2.7.3.2: EncryptedAttribute replacing an Attribute; written inside an assertion that declares saml. */
export function encryptAttribute(standaloneAttributeXml: string, settings: EncryptionSettings): string {
  return `<saml:EncryptedAttribute>${encryptElement(standaloneAttributeXml, settings)}</saml:EncryptedAttribute>`;
}

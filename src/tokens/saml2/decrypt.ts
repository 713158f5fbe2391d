/**
 * XML Encryption of an EncryptedAssertion addressed to this instance (SAML core 6.1, xmlenc-core1): an
 * xenc:EncryptedData whose KeyInfo holds the xenc:EncryptedKey, the content key wrapped with RSA-OAEP
 * (rsa-oaep-mgf1p: OAEP with SHA-1 as digest and MGF1-SHA1, xmlenc-core1 5.5.2) to this instance's RSA key, the
 * content in AES-GCM or AES-CBC. Only these algorithms are read; RSA PKCS#1 v1.5 key transport is refused
 * (Bleichenbacher-style padding oracles, xmlenc-core1 5.5.1). Never throws anything but DecryptionError.
 */
import { constants, createDecipheriv, privateDecrypt, type KeyObject } from 'node:crypto';
import { DATA_ENCRYPTION_ALGORITHMS } from './encrypt.js';
import { ALG, childElements, isElement, NS, textOf } from './xml.js';

export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptionError';
  }
}

function one(parent: Element, ns: string, local: string, what: string): Element {
  const found = childElements(parent).filter((e) => isElement(e, ns, local));
  if (found.length !== 1) throw new DecryptionError(`expected one ${what}`);
  return found[0]!;
}

function cipherValue(parent: Element): Buffer {
  const data = one(one(parent, NS.xenc, 'CipherData', 'CipherData'), NS.xenc, 'CipherValue', 'CipherValue');
  const text = textOf(data).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new DecryptionError('CipherValue is not base64');
  return Buffer.from(text, 'base64');
}

/** Decrypts the xenc:EncryptedData inside `encrypted` (an EncryptedAssertion) with `key`; returns the XML text. */
export function decryptElement(encrypted: Element, key: KeyObject): string {
  const data = one(encrypted, NS.xenc, 'EncryptedData', 'EncryptedData');
  const method = one(data, NS.xenc, 'EncryptionMethod', 'EncryptionMethod').getAttribute('Algorithm') ?? '';
  const alg = Object.prototype.hasOwnProperty.call(DATA_ENCRYPTION_ALGORITHMS, method) ? DATA_ENCRYPTION_ALGORITHMS[method] : undefined;
  if (!alg) throw new DecryptionError('the content encryption algorithm is not one Tessera accepts (aes256-gcm, aes128-cbc, aes256-cbc)');
  const keyInfo = one(data, NS.ds, 'KeyInfo', 'KeyInfo');
  const encryptedKey = one(keyInfo, NS.xenc, 'EncryptedKey', 'EncryptedKey (in KeyInfo)');
  const km = one(encryptedKey, NS.xenc, 'EncryptionMethod', 'EncryptedKey EncryptionMethod');
  if (km.getAttribute('Algorithm') !== ALG.rsaOaepMgf1p) throw new DecryptionError('the key transport is not rsa-oaep-mgf1p');
  // xmlenc-core1 5.5.2: the digest defaults to SHA-1 and no other is used with rsa-oaep-mgf1p here.
  const digest = childElements(km).filter((e) => isElement(e, NS.ds, 'DigestMethod'));
  if (digest.length > 1 || (digest[0] && digest[0].getAttribute('Algorithm') !== ALG.sha1)) throw new DecryptionError('only SHA-1 OAEP digests go with rsa-oaep-mgf1p');
  if (key.asymmetricKeyType !== 'rsa') throw new DecryptionError('the decryption key is not an RSA key');
  let contentKey: Buffer;
  try {
    contentKey = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, cipherValue(encryptedKey));
  } catch {
    throw new DecryptionError('the content key does not decrypt with this instance\'s key');
  }
  if (contentKey.length !== alg.keyBytes) throw new DecryptionError('the content key has the wrong length');
  const body = cipherValue(data);
  try {
    if (alg.gcm) {
      // xmlenc-core1 5.2.4: IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes).
      if (body.length < 28) throw new Error('short');
      const d = createDecipheriv(alg.cipher as 'aes-256-gcm', contentKey, body.subarray(0, 12), { authTagLength: 16 });
      d.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([d.update(body.subarray(12, body.length - 16)), d.final()]).toString('utf8');
    }
    // xmlenc-core1 5.2.2: IV (16 bytes) ‖ ciphertext; the last byte of the plaintext is the pad length.
    if (body.length < 32 || body.length % 16 !== 0) throw new Error('short');
    const d = createDecipheriv(alg.cipher, contentKey, body.subarray(0, 16));
    d.setAutoPadding(false);
    const plain = Buffer.concat([d.update(body.subarray(16)), d.final()]);
    const pad = plain[plain.length - 1]!;
    if (pad < 1 || pad > 16) throw new Error('pad');
    return plain.subarray(0, plain.length - pad).toString('utf8');
  } catch {
    throw new DecryptionError('the content does not decrypt');
  } finally {
    contentKey.fill(0);
  }
}

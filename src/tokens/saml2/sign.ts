/**
 * Enveloped XML signatures over a SAML assertion (SAML core 5.4, xmldsig-core): exclusive c14n, one Reference to
 * the assertion's ID with the enveloped-signature and exc-c14n transforms, ds:Signature right after saml:Issuer,
 * and a KeyInfo carrying the signing certificate (informational only: relying parties pin the certificate).
 *
 * Two paths produce the same document:
 * - signCanonical: the assertion is already in canonical form (assertion-builder.ts), so the digest is taken over
 *   the string and SignedInfo is written canonically by hand; nothing is parsed.
 * - signWithXmlCrypto: xml-crypto's SignedXml, kept as a reference implementation and for the benchmark.
 */
import { createHash, sign as cryptoSign, verify as cryptoVerify, type BinaryLike, type KeyLike, type KeyObject } from 'node:crypto';
import { SignedXml, type SignatureAlgorithm } from 'xml-crypto';
import { signOnPool } from '../../keys/pool-sign.js';
import type { SigningKey } from '../../engine/types.js';
import type { CanonicalAssertion } from './assertion-builder.js';
import { ALG, NS, x509DataXml } from './xml.js';

export interface SignatureAlgorithmSpec {
  uri: string;
  /** The JWS name the key store binds keys to (KeyProvider.signingKey). */
  jwsAlgorithm: 'RS256' | 'RS512' | 'ES256';
  hash: 'sha256' | 'sha512';
  digestUri: string;
  /** xmldsig-core1 6.4.3 / RFC 4051 3.3: ECDSA SignatureValue is r‖s, not DER. */
  ecdsa: boolean;
}

/** Supported signature algorithms; RSA-SHA1 is refused (xmldsig-core1 6.4.2 marks it deprecated for signing). */
export const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithmSpec>> = Object.freeze({
  [ALG.rsaSha256]: { uri: ALG.rsaSha256, jwsAlgorithm: 'RS256', hash: 'sha256', digestUri: ALG.sha256, ecdsa: false },
  [ALG.rsaSha512]: { uri: ALG.rsaSha512, jwsAlgorithm: 'RS512', hash: 'sha512', digestUri: ALG.sha512, ecdsa: false },
  [ALG.ecdsaSha256]: { uri: ALG.ecdsaSha256, jwsAlgorithm: 'ES256', hash: 'sha256', digestUri: ALG.sha256, ecdsa: true },
});

export const DEFAULT_SIGNATURE_ALGORITHM = ALG.rsaSha256;

export function signatureAlgorithm(uri: string): SignatureAlgorithmSpec | undefined {
  return Object.prototype.hasOwnProperty.call(SIGNATURE_ALGORITHMS, uri) ? SIGNATURE_ALGORITHMS[uri] : undefined;
}

// The KeyInfo fragment depends only on the certificate; cache it per key id (bounded, refreshed when the
// certificate behind a kid changes).
const keyInfoCache = new Map<string, { der: string; xml: string }>();
const KEYINFO_CACHE_MAX = 256;

export function keyInfoXml(key: Pick<SigningKey, 'kid' | 'certificateDer'>): string {
  const hit = keyInfoCache.get(key.kid);
  if (hit && hit.der === key.certificateDer) return hit.xml;
  const xml = `<ds:KeyInfo>${x509DataXml(key.certificateDer.replace(/\s+/g, ''))}</ds:KeyInfo>`;
  if (keyInfoCache.size >= KEYINFO_CACHE_MAX) keyInfoCache.delete(keyInfoCache.keys().next().value as string);
  keyInfoCache.set(key.kid, { der: key.certificateDer, xml });
  return xml;
}

/** SignedInfo (xmldsig-core 4.4) in canonical form; `withNs` renders the ds declaration c14n puts on it as apex. */
function signedInfoXml(spec: SignatureAlgorithmSpec, id: string, digest: string, withNs: boolean): string {
  return (
    `<ds:SignedInfo${withNs ? ` xmlns:ds="${NS.ds}"` : ''}>` +
    `<ds:CanonicalizationMethod Algorithm="${ALG.excC14n}"></ds:CanonicalizationMethod>` +
    `<ds:SignatureMethod Algorithm="${spec.uri}"></ds:SignatureMethod>` +
    `<ds:Reference URI="#${id}">` +
    `<ds:Transforms><ds:Transform Algorithm="${ALG.envelopedSignature}"></ds:Transform><ds:Transform Algorithm="${ALG.excC14n}"></ds:Transform></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${spec.digestUri}"></ds:DigestMethod><ds:DigestValue>${digest}</ds:DigestValue>` +
    `</ds:Reference></ds:SignedInfo>`
  );
}

function signBytes(spec: SignatureAlgorithmSpec, data: Buffer, key: KeyObject): Promise<Buffer> {
  return signOnPool(spec.hash, data, key, spec.ecdsa ? { dsaEncoding: 'ieee-p1363' } : undefined);
}

/** Checks the key fits the algorithm before anything is signed with it (RFC 8725 3.1 in spirit: no confusion). */
function assertKeyFits(spec: SignatureAlgorithmSpec, key: KeyObject): void {
  const type = key.asymmetricKeyType;
  if (spec.ecdsa ? type !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1' : type !== 'rsa') {
    throw new Error(`the signing key (${type}) does not fit ${spec.uri}`);
  }
}

/**
 * Signs a canonical assertion without parsing it: digest over head+tail (what the enveloped-signature and
 * exc-c14n transforms yield), then the canonical SignedInfo is signed.
 */
export async function signCanonical(assertion: CanonicalAssertion, key: SigningKey, algorithmUri: string): Promise<string> {
  const spec = signatureAlgorithm(algorithmUri);
  if (!spec) throw new Error(`unsupported signature algorithm ${algorithmUri}`);
  assertKeyFits(spec, key.privateKey);
  const digest = createHash(spec.hash).update(assertion.head).update(assertion.tail).digest('base64');
  const signed = Buffer.from(signedInfoXml(spec, assertion.id, digest, true), 'utf8');
  const value = (await signBytes(spec, signed, key.privateKey)).toString('base64');
  return (
    assertion.head +
    `<ds:Signature xmlns:ds="${NS.ds}">${signedInfoXml(spec, assertion.id, digest, false)}` +
    `<ds:SignatureValue>${value}</ds:SignatureValue>${keyInfoXml(key)}</ds:Signature>` +
    assertion.tail
  );
}

/** ECDSA-SHA256 for xml-crypto, which ships RSA and HMAC only. */
export class EcdsaSha256 implements SignatureAlgorithm {
  getSignature(signedInfo: BinaryLike, privateKey: KeyLike): string;
  getSignature(signedInfo: BinaryLike, privateKey: KeyLike, callback?: (err: Error | null, r?: string) => void): void;
  getSignature(
    signedInfo: BinaryLike,
    privateKey: KeyLike,
    callback?: (err: Error | null, r?: string) => void,
  ): string | void {
    const run = (): string =>
      cryptoSign('sha256', Buffer.from(signedInfo as string), { key: privateKey as KeyObject, dsaEncoding: 'ieee-p1363' }).toString('base64');
    if (!callback) return run();
    try {
      callback(null, run());
    } catch (e) {
      callback(e as Error);
    }
  }
  verifySignature(material: string, key: KeyLike, signatureValue: string): boolean;
  verifySignature(material: string, key: KeyLike, signatureValue: string, callback?: (err: Error | null, ok?: boolean) => void): void;
  verifySignature(
    material: string,
    key: KeyLike,
    signatureValue: string,
    callback?: (err: Error | null, ok?: boolean) => void,
  ): boolean | void {
    const run = (): boolean => {
      const sig = Buffer.from(signatureValue, 'base64');
      // P-256 r‖s is exactly 64 bytes; anything else is not a signature we made.
      if (sig.length !== 64) return false;
      return cryptoVerifyEcdsa(material, key, sig);
    };
    if (!callback) return run();
    try {
      callback(null, run());
    } catch (e) {
      callback(e as Error);
    }
  }
  getAlgorithmName(): string {
    return ALG.ecdsaSha256;
  }
}

function cryptoVerifyEcdsa(material: string, key: KeyLike, sig: Buffer): boolean {
  return cryptoVerify('sha256', Buffer.from(material, 'utf8'), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' }, sig);
}

/** The same signature through xml-crypto's SignedXml (parses the assertion, canonicalizes it, signs). */
export function signWithXmlCrypto(assertionXml: string, key: SigningKey, algorithmUri: string): string {
  const spec = signatureAlgorithm(algorithmUri);
  if (!spec) throw new Error(`unsupported signature algorithm ${algorithmUri}`);
  assertKeyFits(spec, key.privateKey);
  const sig = new SignedXml({
    privateKey: key.privateKey,
    signatureAlgorithm: spec.uri,
    canonicalizationAlgorithm: ALG.excC14n,
    getKeyInfoContent: () => x509DataXml(key.certificateDer.replace(/\s+/g, '')),
  });
  sig.SignatureAlgorithms[ALG.ecdsaSha256] = EcdsaSha256;
  sig.addReference({
    xpath: `/*[local-name()='Assertion' and namespace-uri()='${NS.saml}']`,
    transforms: [ALG.envelopedSignature, ALG.excC14n],
    digestAlgorithm: spec.digestUri,
  });
  sig.computeSignature(assertionXml, {
    prefix: 'ds',
    location: { reference: `/*/*[local-name()='Issuer' and namespace-uri()='${NS.saml}']`, action: 'after' },
  });
  return sig.getSignedXml();
}

/**
 * The `samlp:Response` envelope (SAML core 3.2.2 and 3.3.3, API.md §8): what SP libraries take from an IdP —
 * pysaml2 refuses a bare assertion, node-saml wants a signed Response by default. Version 2.0, ID,
 * IssueInstant, Destination (the SP's ACS, SAML bindings 3.5.5.2: required when signed over HTTP-POST),
 * InResponseTo when the SP's AuthnRequest ID is known, Issuer, Status Success, and the assertion as issued
 * (signed and/or encrypted). Optionally the Response itself is signed (SAML core 5.4.1: an enveloped
 * signature after the Issuer), with the same key and algorithm as the assertion.
 *
 * Issued Responses are also checked here for validate and cancel: the envelope's shape, its signature when it
 * has one, and the assertion inside through the assertion's own strict verifier.
 */
import { XMLSerializer } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import type { SigningKey } from '../../engine/types.js';
import { EcdsaSha256, signatureAlgorithm } from './sign.js';
import { checkEnvelopedSignature, verifyIssuedAssertion, type StrictVerifyResult, type VerificationKey } from './verify.js';
import { ALG, ASSERTION_ID_PATTERN, attrs, childElements, escapeText, isElement, NS, parseStrict, x509DataXml, xsDateTime } from './xml.js';

export const NS_SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
/** SAML core 3.2.2: InResponseTo is an xs:NCName (an AuthnRequest's ID); a practical subset, bounded. */
export const IN_RESPONSE_TO_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;
/** The largest Response validate reads (the engine's limit for issued tokens). */
const MAX_RESPONSE_BYTES = 256 * 1024;

export interface ResponseInput {
  id: string;
  issueInstant: Date;
  issuer: string;
  destination?: string;
  inResponseTo?: string;
  /** The saml:Assertion or saml:EncryptedAssertion, as issued (it declares its own namespaces). */
  assertionXml: string;
}

export function buildResponse(r: ResponseInput): string {
  return (
    `<samlp:Response xmlns:samlp="${NS_SAMLP}" xmlns:saml="${NS.saml}"` +
    attrs({ Destination: r.destination, ID: r.id, InResponseTo: r.inResponseTo, IssueInstant: xsDateTime(r.issueInstant), Version: '2.0' }) +
    '>' +
    `<saml:Issuer>${escapeText(r.issuer, 'issuer')}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${STATUS_SUCCESS}"></samlp:StatusCode></samlp:Status>` +
    r.assertionXml +
    '</samlp:Response>'
  );
}

/**
 * An enveloped signature over the document's root (xmldsig-core, exclusive c14n), placed after the root's
 * `saml:Issuer` (a Response) or as its first child (metadata, SAML metadata 2.3.1). The root is parsed and
 * canonicalized by xml-crypto: unlike the assertion, whose bytes Tessera writes canonically itself, the root
 * may hold an EncryptedAssertion written by the encryption library.
 */
export function signRoot(xml: string, key: SigningKey, algorithmUri: string, place: 'after-issuer' | 'first-child'): string {
  const spec = signatureAlgorithm(algorithmUri);
  if (!spec) throw new Error(`unsupported signature algorithm ${algorithmUri}`);
  const sig = new SignedXml({
    privateKey: key.privateKey,
    signatureAlgorithm: spec.uri,
    canonicalizationAlgorithm: ALG.excC14n,
    getKeyInfoContent: () => x509DataXml(key.certificateDer.replace(/\s+/g, '')),
  });
  sig.SignatureAlgorithms[ALG.ecdsaSha256] = EcdsaSha256;
  sig.addReference({ xpath: '/*', transforms: [ALG.envelopedSignature, ALG.excC14n], digestAlgorithm: spec.digestUri });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location:
      place === 'after-issuer'
        ? { reference: `/*/*[local-name()='Issuer' and namespace-uri()='${NS.saml}']`, action: 'after' }
        : { reference: '/*', action: 'prepend' },
  });
  return sig.getSignedXml();
}

/** Whether an issued token is a Response envelope (a cheap look at the root's name). */
export function isResponse(xml: string): boolean {
  return /^\s*(?:<\?xml[^>]*\?>\s*)?<samlp:Response[\s>]/.test(xml);
}

/**
 * Checks a Response this instance issued: exactly the shape buildResponse writes, its signature (if any) with
 * the instance's keys, then the assertion inside as verifyIssuedAssertion checks a bare one.
 */
export function verifyIssuedResponse(xml: string, algorithmUri: string, keys: readonly VerificationKey[]): StrictVerifyResult {
  try {
    let doc: Document;
    try {
      doc = parseStrict(xml, { maxBytes: MAX_RESPONSE_BYTES });
    } catch (e) {
      return { kind: 'malformed', detail: (e as Error).message };
    }
    const root = doc.documentElement;
    if (!isElement(root, NS_SAMLP, 'Response')) return { kind: 'malformed', detail: 'the root is not samlp:Response' };
    const id = root.getAttribute('ID') ?? '';
    if (!ASSERTION_ID_PATTERN.test(id)) return { kind: 'malformed', detail: 'the Response ID is not one Tessera issues' };
    const parts = childElements(root);
    const signatures = parts.filter((e) => isElement(e, NS.ds, 'Signature'));
    const expected = signatures.length === 1 ? ['Issuer', 'Signature', 'Status'] : ['Issuer', 'Status'];
    if (signatures.length > 1 || parts.length !== expected.length + 1 || !expected.every((name, i) => parts[i]!.localName === name)) {
      return { kind: 'malformed', detail: 'not the Response shape Tessera issues' };
    }
    const inner = parts[parts.length - 1]!;
    if (signatures.length === 1) {
      const spec = signatureAlgorithm(algorithmUri);
      if (!spec) return { kind: 'bad-signature', detail: 'the configured signature algorithm is not supported' };
      const checked = checkEnvelopedSignature(xml, signatures[0]!, id, spec, keys);
      if (!checked.ok) return { kind: 'bad-signature', detail: `Response: ${checked.detail}` };
    }
    if (isElement(inner, NS.saml, 'EncryptedAssertion')) return { kind: 'encrypted' };
    if (!isElement(inner, NS.saml, 'Assertion')) return { kind: 'malformed', detail: 'the Response holds no assertion' };
    // The assertion on its own, as a document: its signature covers exclusive c14n of the element, which does
    // not depend on the envelope around it.
    const alone = new XMLSerializer().serializeToString(inner);
    return verifyIssuedAssertion(alone, algorithmUri, keys);
  } catch (e) {
    return { kind: 'bad-signature', detail: `verification failed: ${(e as Error)?.message ?? String(e)}` };
  }
}

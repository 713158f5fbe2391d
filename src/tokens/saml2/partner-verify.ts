/**
 * Strict verification of an assertion from a trusted partner IdP (DESIGN.md §4; the defences against xml-crypto
 * CVE-2024-32962, CVE-2025-29774/29775 and the XSW family): exactly one saml:Assertion in the document, exactly
 * one ds:Signature, a direct child of it, with one Reference to its ID, the enveloped-signature and exclusive
 * c14n transforms only, a signature and digest algorithm from the allow-list, verified with the partner's
 * configured certificates only (never a KeyInfo certificate). Everything is read from the canonical bytes the
 * signature covers (xml-crypto getSignedReferences), never from the submitted tree.
 */
import type { KeyObject } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { EcdsaSha256, SIGNATURE_ALGORITHMS } from './sign.js';
import { ALG, childElements, findAll, isElement, NS, parseStrict, textOf } from './xml.js';

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** The digests a partner may sign with; SHA-1 is forgeable by chosen-prefix collision (SHAttered). */
const DIGESTS = [ALG.sha256, ALG.sha512] as const;

export type PartnerVerifyResult = { ok: true; signedXml: string; id: string; signatureAlgorithm: string } | { ok: false; reason: string };

function checkShape(signature: Element, id: string, allowed: readonly string[]): string | { sigUri: string; digestUri: string } {
  const parts = childElements(signature);
  const si = parts[0];
  if (!si || !isElement(si, NS.ds, 'SignedInfo') || parts.filter((e) => isElement(e, NS.ds, 'SignedInfo')).length !== 1) return 'expected one SignedInfo first';
  const sv = parts[1];
  if (!sv || !isElement(sv, NS.ds, 'SignatureValue') || parts.filter((e) => isElement(e, NS.ds, 'SignatureValue')).length !== 1) return 'expected one SignatureValue after SignedInfo';
  if (parts.length > 3 || (parts[2] && !isElement(parts[2], NS.ds, 'KeyInfo'))) return 'unexpected Signature content';
  const [c14n, method, ...refs] = childElements(si);
  if (!c14n || !isElement(c14n, NS.ds, 'CanonicalizationMethod') || c14n.getAttribute('Algorithm') !== ALG.excC14n || !onlyInclusiveNamespaces(c14n)) {
    return 'only exclusive c14n is accepted';
  }
  const sigUri = method && isElement(method, NS.ds, 'SignatureMethod') ? (method.getAttribute('Algorithm') ?? '') : '';
  if (!allowed.includes(sigUri) || childElements(method!).length) return 'the signature algorithm is not one this trust entry accepts';
  if (refs.length !== 1 || !isElement(refs[0], NS.ds, 'Reference') || refs[0].getAttribute('URI') !== `#${id}`) return 'expected one Reference to the assertion';
  const [transforms, digestMethod, digestValue, ...rest] = childElements(refs[0]);
  if (rest.length || !transforms || !isElement(transforms, NS.ds, 'Transforms')) return 'unexpected Reference content';
  const t = childElements(transforms);
  if (
    t.length !== 2 ||
    !isElement(t[0], NS.ds, 'Transform') ||
    t[0].getAttribute('Algorithm') !== ALG.envelopedSignature ||
    childElements(t[0]).length ||
    !isElement(t[1], NS.ds, 'Transform') ||
    t[1].getAttribute('Algorithm') !== ALG.excC14n ||
    !onlyInclusiveNamespaces(t[1])
  ) {
    return 'only the enveloped-signature and exclusive c14n transforms are accepted';
  }
  const digestUri = digestMethod && isElement(digestMethod, NS.ds, 'DigestMethod') ? (digestMethod.getAttribute('Algorithm') ?? '') : '';
  if (!(DIGESTS as readonly string[]).includes(digestUri)) return 'the digest algorithm is not SHA-256 or SHA-512';
  if (!digestValue || !isElement(digestValue, NS.ds, 'DigestValue')) return 'missing DigestValue';
  if (!/^[A-Za-z0-9+/=\s]{1,2048}$/.test(textOf(sv))) return 'SignatureValue is not base64';
  return { sigUri, digestUri };
}

/** xml-exc-c14n §3: a transform may name InclusiveNamespaces (PrefixList); nothing else. */
function onlyInclusiveNamespaces(el: Element): boolean {
  const c = childElements(el);
  return c.length === 0 || (c.length === 1 && c[0]!.namespaceURI === ALG.excC14n && c[0]!.localName === 'InclusiveNamespaces' && childElements(c[0]!).length === 0);
}

function fitsKey(sigUri: string, key: KeyObject): boolean {
  const spec = SIGNATURE_ALGORITHMS[sigUri];
  if (!spec) return false;
  if (spec.ecdsa) return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
}

/**
 * Verifies the one signed assertion in `xml` (an Assertion, the plaintext of an EncryptedAssertion, or one
 * inside a Response) with `keys`. `allowed`: the signature algorithm URIs accepted.
 */
export function verifyPartnerAssertion(xml: string, keys: readonly KeyObject[], allowed: readonly string[]): PartnerVerifyResult {
  try {
    let doc: Document;
    try {
      doc = parseStrict(xml);
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
    const assertions = findAll(doc, NS.saml, 'Assertion');
    // XSW defence: one assertion in the whole document, so the signed one is the one read.
    if (assertions.length !== 1) return { ok: false, reason: assertions.length === 0 ? 'no saml:Assertion' : 'more than one saml:Assertion' };
    const assertion = assertions[0]!;
    const id = assertion.getAttribute('ID') ?? '';
    if (!/^[A-Za-z_][\w.-]{0,255}$/.test(id)) return { ok: false, reason: 'the assertion has no usable ID' };
    const signatures = findAll(doc, NS.ds, 'Signature').filter((s) => s.parentNode === assertion || isWithin(s, assertion));
    if (signatures.length === 0) return { ok: false, reason: 'the assertion is not signed' };
    if (signatures.length !== 1 || signatures[0]!.parentNode !== assertion) return { ok: false, reason: 'expected exactly one ds:Signature, a child of the assertion' };
    const r = verifyEnveloped(xml, assertion, signatures[0]!, id, keys, allowed);
    return r.ok ? { ok: true, signedXml: r.signedXml, id, signatureAlgorithm: r.sigUri } : r;
  } catch (e) {
    return { ok: false, reason: `verification failed: ${String((e as Error)?.message ?? e).slice(0, 200)}` };
  }
}

/**
 * Verifies a samlp:Response signed as a whole (SAML profiles 4.1.3.5: the Response, not the assertion, may carry
 * the signature, as Keycloak does by default): the Response is the document root, with exactly one ds:Signature
 * among its children and one Reference to its ID, the same transforms and algorithms as for an assertion, and
 * exactly one Assertion or EncryptedAssertion in the whole document, a child of the Response. `signedXml` is the
 * Response as signed, which is all the caller reads.
 */
export function verifyPartnerResponse(xml: string, keys: readonly KeyObject[], allowed: readonly string[]): PartnerVerifyResult {
  try {
    let doc: Document;
    try {
      doc = parseStrict(xml);
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
    const response = doc.documentElement!;
    if (!isElement(response, PROTOCOL_NS, 'Response')) return { ok: false, reason: 'not a samlp:Response' };
    const id = response.getAttribute('ID') ?? '';
    if (!/^[A-Za-z_][\w.-]{0,255}$/.test(id)) return { ok: false, reason: 'the Response has no usable ID' };
    const inner = [...findAll(doc, NS.saml, 'Assertion'), ...findAll(doc, NS.saml, 'EncryptedAssertion')];
    if (inner.length !== 1 || inner[0]!.parentNode !== response) return { ok: false, reason: 'expected exactly one assertion, a child of the Response' };
    const signatures = childElements(response).filter((e) => isElement(e, NS.ds, 'Signature'));
    if (signatures.length !== 1) return { ok: false, reason: 'expected exactly one ds:Signature, a child of the Response' };
    const r = verifyEnveloped(xml, response, signatures[0]!, id, keys, allowed);
    return r.ok ? { ok: true, signedXml: r.signedXml, id, signatureAlgorithm: r.sigUri } : r;
  } catch (e) {
    return { ok: false, reason: `verification failed: ${String((e as Error)?.message ?? e).slice(0, 200)}` };
  }
}

const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';

/** One enveloped signature over `target` (whose ID is `id`), checked for shape, then verified with pinned algorithms. */
function verifyEnveloped(
  xml: string,
  target: Element,
  signature: Element,
  id: string,
  keys: readonly KeyObject[],
  allowed: readonly string[],
): { ok: true; signedXml: string; sigUri: string } | { ok: false; reason: string } {
  const shape = checkShape(signature, id, allowed);
  if (typeof shape === 'string') return { ok: false, reason: shape };
  const usable = keys.filter((k) => fitsKey(shape.sigUri, k));
  if (usable.length === 0) return { ok: false, reason: 'no trusted certificate fits the signature algorithm' };
  // The target as its own document: a Response or EncryptedAssertion around it is not part of what is signed.
  const standalone = canonicalSource(xml, target);
  let last = 'the signature does not verify with a trusted certificate';
  for (const publicCert of usable) {
    const sig = new SignedXml({ publicCert, getCertFromKeyInfo: () => null });
    const spec = SIGNATURE_ALGORITHMS[shape.sigUri]!;
    const pinnedSig = spec.ecdsa ? EcdsaSha256 : sig.SignatureAlgorithms[shape.sigUri];
    const pinnedHash = sig.HashAlgorithms[shape.digestUri];
    const excC14n = sig.CanonicalizationAlgorithms[ALG.excC14n];
    const enveloped = sig.CanonicalizationAlgorithms[ALG.envelopedSignature];
    if (!pinnedSig || !pinnedHash || !excC14n || !enveloped) return { ok: false, reason: 'algorithm unavailable' };
    // Pin every algorithm: only the accepted ones can be looked up at all.
    sig.SignatureAlgorithms = { [shape.sigUri]: pinnedSig };
    sig.HashAlgorithms = { [shape.digestUri]: pinnedHash };
    sig.CanonicalizationAlgorithms = { [ALG.excC14n]: excC14n, [ALG.envelopedSignature]: enveloped };
    try {
      sig.loadSignature(signature);
      if (!sig.checkSignature(standalone)) continue;
    } catch (e) {
      last = String((e as Error)?.message ?? e).slice(0, 200);
      continue;
    }
    const refs = sig.getSignedReferences();
    if (refs.length !== 1) return { ok: false, reason: 'expected exactly one signed reference' };
    return { ok: true, signedXml: refs[0]!, sigUri: shape.sigUri };
  }
  return { ok: false, reason: last };
}

function isWithin(node: Node, ancestor: Node): boolean {
  for (let n: Node | null = node.parentNode; n; n = n.parentNode) if (n === ancestor) return true;
  return false;
}

/**
 * The text xml-crypto verifies against: the whole input when the assertion is its root, else the assertion
 * serialised on its own with the namespace declarations it inherits (exc-c14n renders only visibly used ones,
 * so the digest is the same as in place).
 */
function canonicalSource(xml: string, assertion: Element): string {
  if (assertion.ownerDocument?.documentElement === assertion) return xml;
  const clone = assertion.cloneNode(true) as Element;
  for (let p = assertion.parentNode as Element | null; p && p.nodeType === 1; p = p.parentNode as Element | null) {
    for (let i = 0; i < p.attributes.length; i++) {
      const a = p.attributes.item(i)!;
      // As namespace nodes (not plain attributes), so the serialiser does not declare the prefix a second time.
      if ((a.name === 'xmlns' || a.name.startsWith('xmlns:')) && !clone.hasAttribute(a.name)) clone.setAttributeNS(XMLNS_NS, a.name, a.value);
    }
  }
  return clone.toString();
}

/**
 * Strict verification of an assertion this instance issued (DESIGN.md §4, STACK-NOTES §5 "strict verifier").
 * Only the shape Tessera emits is accepted: one saml:Assertion root with an ID of Tessera's form, exactly one
 * ds:Signature in the whole document, a direct child of the root, with one Reference to the root's ID, exactly the
 * enveloped-signature + exc-c14n transforms, and the pinned signature and digest algorithms. The signature is
 * checked with the instance's own keys only (never a KeyInfo certificate), and identity is read only from the
 * canonical bytes the signature covers (xml-crypto getSignedReferences), never from the submitted tree.
 */
import type { KeyObject } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { EcdsaSha256, signatureAlgorithm } from './sign.js';
import { MAX_ISSUED_TOKEN_BYTES as ISSUED_XML_BYTES } from '../../engine/engine.js';
import { ALG, ASSERTION_ID_PATTERN, childElements, findAll, isElement, NS, parseStrict, textOf } from './xml.js';

export type StrictVerifyResult =
  | { kind: 'encrypted' }
  | { kind: 'unsigned'; id: string }
  | { kind: 'verified'; id: string; nameId: string | null; notOnOrAfter: Date | null; signedXml: string }
  | { kind: 'malformed'; detail: string }
  | { kind: 'bad-signature'; detail: string };

export interface VerificationKey {
  publicKey: KeyObject;
}

/**
 * Classifies and, when signed, verifies an issued token. Never throws for hostile input.
 * `algorithmUri` is the instance's configured signature algorithm; `keys` are its verification keys for it.
 */
export function verifyIssuedAssertion(xml: string, algorithmUri: string, keys: readonly VerificationKey[]): StrictVerifyResult {
  try {
    return verifyInner(xml, algorithmUri, keys);
  } catch (e) {
    return { kind: 'bad-signature', detail: `verification failed: ${(e as Error)?.message ?? String(e)}` };
  }
}

function verifyInner(xml: string, algorithmUri: string, keys: readonly VerificationKey[]): StrictVerifyResult {
  let doc: Document;
  try {
    // What this instance issued may be larger than what it accepts as input (engine MAX_ISSUED_TOKEN_BYTES).
    doc = parseStrict(xml, { maxBytes: ISSUED_XML_BYTES });
  } catch (e) {
    return { kind: 'malformed', detail: (e as Error).message };
  }
  const root: Node = doc.documentElement;
  // SAML core 2.3.4: only the SP can decrypt; the engine decides by the issued-token record.
  if (isElement(root, NS.saml, 'EncryptedAssertion')) return { kind: 'encrypted' };
  if (!isElement(root, NS.saml, 'Assertion')) return { kind: 'malformed', detail: 'the root is not saml:Assertion' };
  const id = root.getAttribute('ID') ?? '';
  if (!ASSERTION_ID_PATTERN.test(id)) return { kind: 'malformed', detail: 'the assertion ID is not one Tessera issues' };

  const signatures = findAll(root, NS.ds, 'Signature');
  const assertions = findAll(root, NS.saml, 'Assertion');
  // XSW defence: a Tessera assertion never holds another assertion (Advice) or a second signature.
  if (assertions.length !== 1) return { kind: 'bad-signature', detail: 'nested assertions are not accepted' };
  if (signatures.length === 0) return { kind: 'unsigned', id };
  if (signatures.length !== 1) return { kind: 'bad-signature', detail: 'more than one ds:Signature' };
  const signature = signatures[0]!;
  if (signature.parentNode !== root) return { kind: 'bad-signature', detail: 'ds:Signature is not a child of the assertion' };

  const spec = signatureAlgorithm(algorithmUri);
  if (!spec) return { kind: 'bad-signature', detail: 'the configured signature algorithm is not supported' };

  const checked = checkEnvelopedSignature(xml, signature, id, spec, keys);
  if (!checked.ok) return { kind: 'bad-signature', detail: checked.detail };
  return readSigned(checked.signedXml, id);
}

/**
 * Verifies one enveloped signature over the element with ID `id` (a Tessera assertion, or the samlp:Response
 * around one): the SignedInfo shape Tessera writes, the pinned algorithms, the instance's keys only. Returns the
 * signed canonical bytes.
 */
export function checkEnvelopedSignature(
  xml: string,
  signature: Element,
  id: string,
  spec: NonNullable<ReturnType<typeof signatureAlgorithm>>,
  keys: readonly VerificationKey[],
): { ok: true; signedXml: string } | { ok: false; detail: string } {
  const shape = checkSignatureShape(signature, id, spec.uri, spec.digestUri);
  if (shape) return { ok: false, detail: shape };
  const usable = keys.filter((k) =>
    spec.ecdsa ? k.publicKey.asymmetricKeyType === 'ec' : k.publicKey.asymmetricKeyType === 'rsa',
  );
  if (usable.length === 0) return { ok: false, detail: 'no verification key for the algorithm' };

  let lastError = 'signature does not verify';
  for (const key of usable) {
    const sig = new SignedXml({
      publicCert: key.publicKey,
      // Never trust a certificate the document brings along (xml-crypto CVE-2024-32962).
      getCertFromKeyInfo: () => null,
    });
    // Pin every algorithm: only what Tessera signs with can be looked up at all.
    const pinnedSig = spec.ecdsa ? EcdsaSha256 : sig.SignatureAlgorithms[spec.uri];
    const pinnedHash = sig.HashAlgorithms[spec.digestUri];
    const excC14n = sig.CanonicalizationAlgorithms[ALG.excC14n];
    const enveloped = sig.CanonicalizationAlgorithms[ALG.envelopedSignature];
    if (!pinnedSig || !pinnedHash || !excC14n || !enveloped) return { ok: false, detail: 'algorithm unavailable' };
    sig.SignatureAlgorithms = { [spec.uri]: pinnedSig };
    sig.HashAlgorithms = { [spec.digestUri]: pinnedHash };
    sig.CanonicalizationAlgorithms = { [ALG.excC14n]: excC14n, [ALG.envelopedSignature]: enveloped };
    try {
      sig.loadSignature(signature);
      if (!sig.checkSignature(xml)) {
        lastError = 'a reference does not verify';
        continue;
      }
    } catch (e) {
      lastError = (e as Error)?.message ?? String(e);
      continue;
    }
    const refs = sig.getSignedReferences();
    if (refs.length !== 1) return { ok: false, detail: 'expected exactly one signed reference' };
    return { ok: true, signedXml: refs[0]! };
  }
  return { ok: false, detail: lastError.slice(0, 300) };
}

/** xmldsig-core 4.4: the SignedInfo must be exactly what signCanonical writes. Returns a problem or null. */
function checkSignatureShape(signature: Element, id: string, sigAlg: string, digestAlg: string): string | null {
  const parts = childElements(signature);
  const signedInfo = parts.filter((e) => isElement(e, NS.ds, 'SignedInfo'));
  if (signedInfo.length !== 1 || parts[0] !== signedInfo[0]) return 'expected one SignedInfo first';
  const si = childElements(signedInfo[0]!);
  if (si.length !== 3) return 'SignedInfo must hold CanonicalizationMethod, SignatureMethod and one Reference';
  const [c14n, method, ref] = si as [Element, Element, Element];
  if (!isElement(c14n, NS.ds, 'CanonicalizationMethod') || c14n.getAttribute('Algorithm') !== ALG.excC14n || childElements(c14n).length) {
    return 'only exclusive c14n is accepted';
  }
  if (!isElement(method, NS.ds, 'SignatureMethod') || method.getAttribute('Algorithm') !== sigAlg || childElements(method).length) {
    return 'the signature algorithm is not the configured one';
  }
  if (!isElement(ref, NS.ds, 'Reference') || ref.getAttribute('URI') !== `#${id}`) return 'the Reference does not point at the assertion';
  const r = childElements(ref);
  if (r.length !== 3) return 'unexpected Reference content';
  const [transforms, digestMethod, digestValue] = r as [Element, Element, Element];
  if (!isElement(transforms, NS.ds, 'Transforms')) return 'missing Transforms';
  const t = childElements(transforms);
  if (
    t.length !== 2 ||
    !isElement(t[0], NS.ds, 'Transform') ||
    t[0].getAttribute('Algorithm') !== ALG.envelopedSignature ||
    childElements(t[0]).length ||
    !isElement(t[1], NS.ds, 'Transform') ||
    t[1].getAttribute('Algorithm') !== ALG.excC14n ||
    childElements(t[1]).length
  ) {
    return 'only the enveloped-signature and exc-c14n transforms are accepted';
  }
  if (!isElement(digestMethod, NS.ds, 'DigestMethod') || digestMethod.getAttribute('Algorithm') !== digestAlg) {
    return 'the digest algorithm is not the pinned one';
  }
  if (!isElement(digestValue, NS.ds, 'DigestValue')) return 'missing DigestValue';
  const sv = parts.filter((e) => isElement(e, NS.ds, 'SignatureValue'));
  if (sv.length !== 1 || parts[1] !== sv[0]) return 'expected one SignatureValue after SignedInfo';
  if (parts.length > 3 || (parts[2] && !isElement(parts[2], NS.ds, 'KeyInfo'))) return 'unexpected Signature content';
  if (!/^[A-Za-z0-9+/=\s]{1,2048}$/.test(textOf(sv[0]!))) return 'SignatureValue is not base64';
  return null;
}

/** Reads ID, NameID and expiry from the signed canonical bytes only. */
function readSigned(signedXml: string, expectedId: string): StrictVerifyResult {
  let doc: Document;
  try {
    doc = parseStrict(signedXml, { maxBytes: ISSUED_XML_BYTES });
  } catch (e) {
    return { kind: 'bad-signature', detail: `signed content unreadable: ${(e as Error).message}` };
  }
  const a: Node = doc.documentElement;
  if (!isElement(a, NS.saml, 'Assertion') || a.getAttribute('ID') !== expectedId) {
    return { kind: 'bad-signature', detail: 'the signed reference is not the assertion' };
  }
  const subject = childElements(a).filter((e) => isElement(e, NS.saml, 'Subject'));
  let nameId: string | null = null;
  if (subject.length === 1) {
    const n = childElements(subject[0]!).filter((e) => isElement(e, NS.saml, 'NameID'));
    if (n.length === 1) nameId = textOf(n[0]!);
  }
  const conditions = childElements(a).filter((e) => isElement(e, NS.saml, 'Conditions'));
  let notOnOrAfter: Date | null = null;
  if (conditions.length === 1 && conditions[0]!.hasAttribute('NotOnOrAfter')) {
    const d = new Date(conditions[0]!.getAttribute('NotOnOrAfter')!);
    if (!Number.isNaN(d.getTime())) notOnOrAfter = d;
  }
  return { kind: 'verified', id: expectedId, nameId, notOnOrAfter, signedXml };
}

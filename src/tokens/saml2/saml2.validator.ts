/**
 * SAML2 input (API.md §7–8): an assertion from a partner IdP listed in `saml2Trust` — as the assertion's XML, an
 * EncryptedAssertion addressed to this instance (decrypted with its own key), or a samlp:Response carrying one.
 * The signature is checked strictly (partner-verify.ts); then, from the signed content only: the Issuer is the
 * trusted one, an Audience is one the entry accepts (SAML core 2.5.1.4), the Conditions' NotBefore and
 * NotOnOrAfter hold (with 60 s of skew), a bearer SubjectConfirmation carries its SubjectConfirmationData
 * (SAML profiles 4.1.4.2: NotOnOrAfter, and a Recipient that is one of Tessera's endpoints when present), and the
 * assertion ID has not been seen before (remembered across restarts and nodes until it expires).
 * Subject = the NameID; attributes from the AttributeStatements; the authentication instant and class from the
 * AuthnStatement.
 */
import { InvalidTokenError, sanitizeMessage } from '../../engine/errors.js';
import { restStsPath } from '../../engine/instance-config.js';
import type { KindValidator } from '../../engine/kind.js';
import type { Attributes, KeyProvider, Obj, PublishedInstance, ReplayStore, TokenEnvelope, ValidatorContext, VerifiedSubject } from '../../engine/types.js';
import { AUTHN_CONTEXT_CLASS } from '../authn-context.js';
import { DecryptionError, decryptElement } from './decrypt.js';
import { verifyPartnerAssertion, verifyPartnerResponse } from './partner-verify.js';
import { saml2Of } from './saml2.config.js';
import { saml2TrustOf, type Saml2TrustConfig } from './saml2-trust.config.js';
import { signatureAlgorithm } from './sign.js';
import { UNSAFE_KEYS } from '../oidc/claims.js';
import { childElements, escapeAttr, isAbsoluteUri, isElement, NS, parseStrict, textOf, XmlParseError } from './xml.js';
import { X509Certificate } from 'node:crypto';

const SKEW_MS = 60_000;
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const NAMEID_ENTITY = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';
/** Bounds what an assertion may hand over as attributes. */
const MAX_ATTRIBUTES = 256;
const MAX_VALUES = 256;

export interface Saml2ValidatorDeps {
  keys: KeyProvider;
  replay: ReplayStore;
  publicUrl: string;
}

/**
 * The RSA key EncryptedAssertions for an instance are addressed to: its SAML signing key when that is RSA, else
 * the active RS256 key. The IdP metadata publishes its certificate as the encryption key.
 */
export async function decryptionKey(keys: KeyProvider, instance: PublishedInstance) {
  const saml2 = saml2Of(instance.config);
  const spec = saml2 ? signatureAlgorithm(saml2.signatureAlgorithm) : undefined;
  if (spec && !spec.ecdsa) return keys.signingKey(spec.jwsAlgorithm, saml2!.signingKeyId);
  return keys.signingKey('RS256');
}

/**
 * The keys an EncryptedAssertion may be addressed to: the current decryption key, then the rotated-out keys of
 * its algorithm that still verify (PUBLISHED), so that a partner still encrypting to last week's certificate
 * keeps working until the key is retired.
 */
async function decryptionKeys(keys: KeyProvider, instance: PublishedInstance) {
  const current = await decryptionKey(keys, instance);
  const older = (await keys.verificationKeys()).filter((k) => k.algorithm === current.algorithm && k.kid !== current.kid);
  const out = [current];
  for (const k of older) {
    try {
      out.push(await keys.signingKey(k.algorithm, k.kid));
    } catch {
      // Retired meanwhile: it decrypts nothing any more.
    }
  }
  return out;
}

function one(parent: Element, local: string): Element | undefined {
  const found = childElements(parent).filter((e) => isElement(e, NS.saml, local));
  return found.length === 1 ? found[0] : undefined;
}

function time(el: Element, attr: string): number | undefined {
  const v = el.getAttribute(attr);
  if (v === null || v === '') return undefined;
  // xs:dateTime in UTC as SAML core 1.3.3 requires.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(v)) throw new InvalidTokenError(`The SAML assertion's ${attr} is not a UTC xs:dateTime.`);
  const t = Date.parse(v.replace(/(\.\d{3})\d+Z$/, '$1Z'));
  if (!Number.isFinite(t)) throw new InvalidTokenError(`The SAML assertion's ${attr} is not a valid time.`);
  return t;
}

function parseToken(xml: string, what = 'The SAML assertion'): Document {
  try {
    return parseStrict(xml);
  } catch (e) {
    if (e instanceof XmlParseError) throw new InvalidTokenError(`${what} is not acceptable XML: ${e.message}.`);
    throw e;
  }
}

/** The namespace declarations in scope at `el` (the nearest declaration of a prefix wins), as attribute text. */
function inScopeNamespaces(el: Element): string {
  const seen = new Map<string, string>();
  for (let p: Node | null = el; p && p.nodeType === 1; p = p.parentNode) {
    const attrs = (p as Element).attributes;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs.item(i)!;
      if ((a.name === 'xmlns' || a.name.startsWith('xmlns:')) && !seen.has(a.name)) seen.set(a.name, a.value);
    }
  }
  return [...seen].map(([name, value]) => ` ${name}="${escapeAttr(value)}"`).join('');
}

const DECRYPTED = 'tessera-decrypted';

/**
 * The plaintext of an EncryptedAssertion or EncryptedID, placed where it was encrypted: XML Encryption serialises
 * the element without the namespace declarations it inherits (xmlenc-core1 4.3.3: the decryptor parses it in the
 * context of the EncryptedData's parent), so it is parsed inside a wrapper carrying those declarations. The
 * wrapper must then hold exactly one saml:<local> and nothing else. Returns the wrapped document's text.
 */
function decryptedDocument(encrypted: Element, plaintext: string, local: 'Assertion' | 'NameID'): string {
  const wrapped = `<${DECRYPTED}${inScopeNamespaces(encrypted)}>${plaintext}</${DECRYPTED}>`;
  const label = local === 'Assertion' ? 'The decrypted assertion' : 'The decrypted NameID';
  const doc = parseToken(wrapped, label);
  const root = doc.documentElement!;
  const elements = childElements(root);
  let strayText = false;
  for (let c = root.firstChild; c; c = c.nextSibling) if (c.nodeType !== 1 && (c.nodeType !== 3 || /\S/.test((c as CharacterData).data))) strayText = true;
  if (elements.length !== 1 || !isElement(elements[0], NS.saml, local) || strayText || (local === 'NameID' && childElements(elements[0]!).length > 0)) {
    throw new InvalidTokenError(`The ${local === 'Assertion' ? 'EncryptedAssertion' : 'EncryptedID'} does not hold exactly one saml:${local}.`);
  }
  return wrapped;
}

/** The plaintext of an encrypted element, with the first of the instance's keys that decrypts it. */
async function decryptForInstance(encrypted: Element, what: string, deps: Saml2ValidatorDeps, ctx: ValidatorContext): Promise<string> {
  let failure: DecryptionError | undefined;
  for (const key of await decryptionKeys(deps.keys, ctx.instance)) {
    try {
      return decryptElement(encrypted, key.privateKey);
    } catch (e) {
      if (!(e instanceof DecryptionError)) throw e;
      failure ??= e;
    }
  }
  throw new InvalidTokenError(`The ${what} cannot be read: ${failure?.message ?? 'no key of this instance decrypts it'}.`);
}

/** SAML core 3.2.2: a Success Response, and the one Assertion or EncryptedAssertion it carries. */
function responseContent(response: Element): Element {
  // A Response that is not Success carries no assertion to act on.
  const status = childElements(response).find((e) => isElement(e, PROTOCOL, 'Status'));
  const code = status && childElements(status).find((e) => isElement(e, PROTOCOL, 'StatusCode'));
  const value = code?.getAttribute('Value');
  if (value !== SUCCESS) throw new InvalidTokenError(`The SAML Response is not a success (status ${JSON.stringify(sanitizeMessage(value ?? 'missing', 96))}).`);
  const inner = childElements(response).filter((e) => isElement(e, NS.saml, 'Assertion') || isElement(e, NS.saml, 'EncryptedAssertion'));
  if (inner.length !== 1) throw new InvalidTokenError('The SAML Response must carry exactly one assertion.');
  return inner[0]!;
}

/** The EncryptedAssertion's plaintext as a document of its own, with the one Assertion it must hold. */
async function decryptAssertion(encrypted: Element, deps: Saml2ValidatorDeps, ctx: ValidatorContext): Promise<{ xml: string; assertion: Element }> {
  const wrapped = decryptedDocument(encrypted, await decryptForInstance(encrypted, 'EncryptedAssertion', deps, ctx), 'Assertion');
  return { xml: wrapped, assertion: childElements(parseStrict(wrapped).documentElement!)[0]! };
}

/**
 * SAML core 2.2.4: the NameID inside an EncryptedID, decrypted with the instance's keys (as an
 * EncryptedAssertion is) after the assertion's signature was verified over the EncryptedID as sent. The plaintext
 * must be exactly one saml:NameID.
 */
async function decryptNameId(encrypted: Element, deps: Saml2ValidatorDeps, ctx: ValidatorContext): Promise<Element> {
  const wrapped = decryptedDocument(encrypted, await decryptForInstance(encrypted, 'EncryptedID', deps, ctx), 'NameID');
  return childElements(parseStrict(wrapped).documentElement!)[0]!;
}

/** The trust entry for the issuer a document claims (unsigned: it only selects the entry whose keys must verify). */
function trustFor(ctx: ValidatorContext, claimed: string): Saml2TrustConfig {
  const trust = saml2TrustOf(ctx.instance.config).find((t) => claimed !== '' && t.issuer === claimed);
  if (!trust) throw new InvalidTokenError(`The SAML assertion comes from an untrusted issuer${claimed ? ` (${JSON.stringify(sanitizeMessage(claimed, 96))} is not in saml2Trust)` : ' (it names none)'}.`);
  return trust;
}

const issuerText = (el: Element | undefined): string => {
  const i = el && one(el, 'Issuer');
  return i ? textOf(i).trim() : '';
};

/**
 * The signed assertion to read, and the trust entry that vouches for it. Either the assertion carries its own
 * signature (read from its signed bytes), or — when it does not and the Response around it is signed — the
 * Response's signature covers it: the Response is verified as a whole, and the assertion (decrypted, if it is
 * an EncryptedAssertion) is read from the Response's signed bytes. The signed Response's Issuer, when present,
 * must be the trusted one and its Destination, when present, one of Tessera's endpoints.
 */
async function signedAssertion(xml: string, deps: Saml2ValidatorDeps, ctx: ValidatorContext): Promise<{ assertion: Element; id: string; trust: Saml2TrustConfig }> {
  const root = parseToken(xml).documentElement!;
  const responseSigned = isElement(root, PROTOCOL, 'Response') && childElements(root).some((e) => isElement(e, NS.ds, 'Signature'));
  const plainInner = isElement(root, PROTOCOL, 'Response') ? childElements(root).find((e) => isElement(e, NS.saml, 'Assertion')) : undefined;
  const innerSigned = plainInner !== undefined && childElements(plainInner).some((e) => isElement(e, NS.ds, 'Signature'));
  if (responseSigned && !innerSigned) {
    const trust = trustFor(ctx, issuerText(root) || issuerText(plainInner));
    const keys = trust.certificates.map((pem) => new X509Certificate(pem).publicKey);
    const verified = verifyPartnerResponse(xml, keys, trust.signatureAlgorithms);
    if (!verified.ok) throw new InvalidTokenError(`The SAML Response signature does not verify: ${verified.reason}.`);
    const response = parseStrict(verified.signedXml).documentElement!;
    const issuer = one(response, 'Issuer');
    if (issuer && textOf(issuer).trim() !== trust.issuer) throw new InvalidTokenError('The signed Response names another issuer.');
    const destination = response.hasAttribute('Destination') ? response.getAttribute('Destination') : null;
    if (destination !== null && !acceptableRecipients(deps, ctx, trust).has(destination)) {
      throw new InvalidTokenError('The SAML Response is addressed to another Destination.');
    }
    const inner = responseContent(response);
    const assertion = isElement(inner, NS.saml, 'Assertion') ? inner : (await decryptAssertion(inner, deps, ctx)).assertion;
    const id = assertion.getAttribute('ID') ?? '';
    if (!/^[A-Za-z_][\w.-]{0,255}$/.test(id)) throw new InvalidTokenError('The SAML assertion has no usable ID.');
    return { assertion, id, trust };
  }
  const located = await assertionDocument(xml, deps, ctx);
  // The unsigned Issuer only picks the trust entry; the signed one must say the same.
  const trust = trustFor(ctx, issuerText(located.assertion));
  const keys = trust.certificates.map((pem) => new X509Certificate(pem).publicKey);
  const verified = verifyPartnerAssertion(located.xml, keys, trust.signatureAlgorithms);
  if (!verified.ok) throw new InvalidTokenError(`The SAML assertion signature does not verify: ${verified.reason}.`);
  // From here on only the signed bytes are read.
  return { assertion: parseStrict(verified.signedXml).documentElement!, id: verified.id, trust };
}

/**
 * The document to verify, holding the one Assertion: the token itself (an Assertion, or a samlp:Response carrying
 * one), or the decrypted content of an EncryptedAssertion (alone or in a Response).
 */
async function assertionDocument(xml: string, deps: Saml2ValidatorDeps, ctx: ValidatorContext): Promise<{ xml: string; assertion: Element }> {
  const doc = parseToken(xml);
  let root = doc.documentElement!;
  if (isElement(root, PROTOCOL, 'Response')) {
    const inner = responseContent(root);
    if (isElement(inner, NS.saml, 'Assertion')) return { xml, assertion: inner };
    root = inner;
  }
  if (isElement(root, NS.saml, 'EncryptedAssertion')) return decryptAssertion(root, deps, ctx);
  if (!isElement(root, NS.saml, 'Assertion')) throw new InvalidTokenError('The token is not a SAML 2.0 assertion (saml:Assertion, saml:EncryptedAssertion or samlp:Response).');
  return { xml, assertion: root };
}

/** Tessera's own endpoints a bearer assertion may be addressed to, and the entry's extra recipients. */
function acceptableRecipients(deps: Saml2ValidatorDeps, ctx: ValidatorContext, trust: Saml2TrustConfig): Set<string> {
  const base = deps.publicUrl.replace(/\/+$/, '');
  const name = ctx.instance.config.name;
  // The REST URL follows the instance's realm (/rest-sts/<realm path>/<instance>).
  return new Set([`${base}/sts/${name}/token`, `${base}/token`, `${base}${restStsPath(name, ctx.instance.config.realm)}`, ...(trust.recipients ?? [])]);
}

function readAttributes(assertion: Element): Attributes {
  // A Map, not an object: an attribute called "constructor" or "toString" must not meet Object.prototype.
  const out = new Map<string, string[]>();
  let count = 0;
  for (const statement of childElements(assertion).filter((e) => isElement(e, NS.saml, 'AttributeStatement'))) {
    for (const a of childElements(statement).filter((e) => isElement(e, NS.saml, 'Attribute'))) {
      const name = a.getAttribute('Name') ?? '';
      // Names become claim and attribute names: no control characters, and no prototype keys.
      if (!name || /[\u0000-\u001f\u007f-\u009f]/.test(name) || UNSAFE_KEYS.has(name) || name.length > 512) continue;
      if (++count > MAX_ATTRIBUTES) throw new InvalidTokenError(`The SAML assertion carries more than ${MAX_ATTRIBUTES} attributes.`);
      const values = childElements(a)
        .filter((e) => isElement(e, NS.saml, 'AttributeValue'))
        .map((v) => textOf(v))
        .filter((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v));
      const list = out.get(name) ?? [];
      list.push(...values);
      if (list.length > MAX_VALUES) throw new InvalidTokenError(`The SAML attribute ${sanitizeMessage(name, 64)} has more than ${MAX_VALUES} values.`);
      out.set(name, list);
    }
  }
  return Object.fromEntries([...out].map(([k, v]) => [k, v.length === 1 ? v[0]! : v]));
}

/** SAML core 2.5.1: a condition the relying party does not understand makes the assertion Indeterminate. */
const UNDERSTOOD_CONDITIONS = new Set(['AudienceRestriction', 'OneTimeUse', 'ProxyRestriction']);

export function createSaml2Validator(deps: Saml2ValidatorDeps): KindValidator {
  return {
    fields: [
      {
        key: 'samlAssertion',
        rule: 'token',
        required: true,
        rest: 'saml2_token',
        oauth: 'subject_token',
        graphql: { name: 'samlAssertion', type: 'String', description: 'SAML2: a signed assertion (or EncryptedAssertion, or Response carrying one) from an IdP in saml2Trust, as XML.' },
      },
    ],
    needs: ['saml2Trust'],
    fromRest: (state: Obj) => (Object.prototype.hasOwnProperty.call(state, 'saml2_token') ? { samlAssertion: state.saml2_token } : {}),
    async validate(input: TokenEnvelope, ctx: ValidatorContext): Promise<VerifiedSubject> {
      const { assertion: a, id: assertionId, trust } = await signedAssertion(input.samlAssertion as string, deps, ctx);
      if (!isElement(a, NS.saml, 'Assertion') || a.getAttribute('Version') !== '2.0') throw new InvalidTokenError('The signed content is not a SAML 2.0 assertion.');
      const issuer = one(a, 'Issuer');
      if (!issuer || textOf(issuer).trim() !== trust.issuer) throw new InvalidTokenError('The signed assertion names another issuer.');
      // SAML profiles 4.1.4.2: the Issuer's Format, when given, is the entity format.
      // (xmldom's getAttribute answers '' for an absent attribute: presence is asked with hasAttribute.)
      if (issuer.hasAttribute('Format') && issuer.getAttribute('Format') !== NAMEID_ENTITY) throw new InvalidTokenError('The SAML assertion\'s Issuer has a Format other than the entity format.');
      const now = ctx.now.getTime();
      const issueInstant = time(a, 'IssueInstant');
      if (issueInstant === undefined) throw new InvalidTokenError('The SAML assertion has no IssueInstant.');
      if (issueInstant > now + SKEW_MS) throw new InvalidTokenError('The SAML assertion is not valid yet (its IssueInstant is in the future).');
      const conditions = one(a, 'Conditions');
      if (!conditions) throw new InvalidTokenError('The SAML assertion must have one Conditions element (an audience and a validity period are required).');
      const notBefore = time(conditions, 'NotBefore');
      const notOnOrAfter = time(conditions, 'NotOnOrAfter');
      if (notOnOrAfter === undefined) throw new InvalidTokenError('The SAML assertion has no NotOnOrAfter.');
      if (notBefore !== undefined && notBefore > now + SKEW_MS) throw new InvalidTokenError('The SAML assertion is not valid yet (NotBefore).');
      if (notOnOrAfter <= now - SKEW_MS) throw new InvalidTokenError('The SAML assertion has expired (NotOnOrAfter).');
      for (const c of childElements(conditions)) {
        if (c.namespaceURI !== NS.saml || !UNDERSTOOD_CONDITIONS.has(c.localName ?? '')) {
          throw new InvalidTokenError(`The SAML assertion carries a condition Tessera does not understand (${sanitizeMessage(c.localName ?? '?', 64)}).`);
        }
      }
      // SAML core 2.5.1.4: every AudienceRestriction must be met, and there must be at least one here.
      const restrictions = childElements(conditions).filter((e) => isElement(e, NS.saml, 'AudienceRestriction'));
      if (restrictions.length === 0) throw new InvalidTokenError('The SAML assertion names no audience.');
      for (const r of restrictions) {
        const audiences = childElements(r).filter((e) => isElement(e, NS.saml, 'Audience')).map((e) => textOf(e).trim());
        if (!audiences.some((x) => trust.audience.includes(x))) throw new InvalidTokenError('The SAML assertion is not meant for this audience (none of its Audience values is in saml2Trust[].audience).');
      }

      const subject = one(a, 'Subject');
      const plainNameId = subject && one(subject, 'NameID');
      const encryptedId = subject && one(subject, 'EncryptedID');
      if (plainNameId && encryptedId) throw new InvalidTokenError('The SAML assertion Subject holds both a NameID and an EncryptedID.');
      const nameIdEl = plainNameId ?? (encryptedId ? await decryptNameId(encryptedId, deps, ctx) : undefined);
      if (!nameIdEl) throw new InvalidTokenError('The SAML assertion has no Subject NameID or EncryptedID.');
      // The NameID exactly as signed: no trimming, so " admin" can never become "admin".
      const name = textOf(nameIdEl);
      if (!name || name.length > 512 || /[\u0000-\u001f\u007f-\u009f]/.test(name) || name.trim() !== name) {
        throw new InvalidTokenError('The SAML assertion NameID is empty, longer than 512 characters, padded with white space or holds control characters.');
      }
      const confirmations = childElements(subject!).filter((e) => isElement(e, NS.saml, 'SubjectConfirmation'));
      const bearer = confirmations.filter((c) => c.getAttribute('Method') === BEARER);
      if (bearer.length === 0) throw new InvalidTokenError('The SAML assertion has no bearer SubjectConfirmation.');
      let confirmedUntil = 0;
      const recipients = acceptableRecipients(deps, ctx, trust);
      // SAML profiles 4.1.4.2: one bearer confirmation whose data holds is enough.
      const problems: string[] = [];
      for (const c of bearer) {
        const data = one(c, 'SubjectConfirmationData');
        if (!data) {
          problems.push('no SubjectConfirmationData');
          continue;
        }
        const until = time(data, 'NotOnOrAfter');
        const recipient = data.hasAttribute('Recipient') ? data.getAttribute('Recipient') : null;
        if (until === undefined) problems.push('no NotOnOrAfter on the bearer confirmation');
        else if (until <= now - SKEW_MS) problems.push('the bearer confirmation has expired');
        else if (data.hasAttribute('NotBefore')) problems.push('a bearer confirmation must not carry NotBefore');
        else if (recipient !== null && !recipients.has(recipient)) problems.push(`the bearer confirmation is addressed to another recipient`);
        else {
          confirmedUntil = Math.max(confirmedUntil, until);
          continue;
        }
      }
      if (confirmedUntil === 0) throw new InvalidTokenError(`The SAML assertion's bearer confirmation does not hold: ${problems.join('; ')}.`);

      const authn = childElements(a).filter((e) => isElement(e, NS.saml, 'AuthnStatement'))[0];
      const authnInstant = authn ? time(authn, 'AuthnInstant') : undefined;
      const classRef = authn && one(authn, 'AuthnContext') && one(one(authn, 'AuthnContext')!, 'AuthnContextClassRef');
      const classUri = classRef ? textOf(classRef).trim() : '';
      const attributes = readAttributes(a);

      // Last, so a request refused for another reason does not use up the ID. Remembered while it could be valid.
      const fresh = await deps.replay.useOnce(`saml2-assertion:${trust.issuer}`, assertionId, new Date(Math.max(notOnOrAfter, confirmedUntil) + SKEW_MS));
      if (!fresh) throw new InvalidTokenError('The SAML assertion was already used (its ID is accepted once).');
      return {
        name,
        attributes,
        inputType: 'SAML2',
        authn: {
          instant: new Date(authnInstant ?? issueInstant),
          // The partner authenticated the subject; its class (a URI, SAML core 2.7.2.2) is stated again in a SAML
          // output, never as an acr.
          assumedContextClass: isAbsoluteUri(classUri) ? classUri : AUTHN_CONTEXT_CLASS.unspecified,
        },
        issuer: trust.issuer,
      };
    },
  };
}


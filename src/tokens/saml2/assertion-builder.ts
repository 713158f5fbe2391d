/**
 * Serializes a SAML 2.0 assertion (SAML core 2.3.3) directly in exclusive canonical form (xml-exc-c14n):
 * every namespace is declared on the outermost element that visibly uses it, attributes are in canonical order,
 * empty elements are start/end tag pairs, and text and attribute values are escaped as c14n escapes them. The
 * document is therefore its own canonical form, and the reference digest is computed over the string as it is,
 * without parsing it (xmldsig-core 4.4.3.3 with the enveloped-signature transform: the assertion minus Signature).
 *
 * Only unqualified attributes go through attrs(); the few namespaced ones (xmlns:*, xsi:type) are written by
 * hand in their canonical place: namespace declarations first, then unqualified attributes, then qualified ones.
 */
import type { SubjectConfirmationMethod } from '../../engine/types.js';
import type { StatementResults, SamlAttributeResult } from '../../plugins/types.js';
import { attrs, escapeText, NS, x509DataXml, xsDateTime } from './xml.js';

export const CONFIRMATION_METHOD: Record<SubjectConfirmationMethod, string> = {
  BEARER: 'urn:oasis:names:tc:SAML:2.0:cm:bearer',
  HOLDER_OF_KEY: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key',
  SENDER_VOUCHES: 'urn:oasis:names:tc:SAML:2.0:cm:sender-vouches',
};

/** SAML core 8.1.2: the action namespace assumed when none is given; the schema requires the attribute. */
export const DEFAULT_ACTION_NAMESPACE = 'urn:oasis:names:tc:SAML:1.0:action:rwedc-negation';

export interface AssertionInput {
  id: string;
  issueInstant: Date;
  issuer: string;
  statements: StatementResults;
  subjectConfirmation: SubjectConfirmationMethod;
  /** BEARER: SubjectConfirmationData/@Recipient (SAML profiles 4.1.4.2), omitted when unset. */
  recipient?: string;
  /** BEARER: SubjectConfirmationData/@InResponseTo, the SP's AuthnRequest ID (SAML profiles 4.1.4.2). */
  inResponseTo?: string;
  /** BEARER: SubjectConfirmationData/@NotOnOrAfter; the Conditions' NotOnOrAfter. */
  confirmationNotOnOrAfter?: Date;
  /** HOLDER_OF_KEY: the confirmation certificate, base64 DER (SAML profiles 3.1). */
  proofCertificateDer?: string;
  /**
   * SENDER_VOUCHES: who vouches (SAML core 2.4.1.1: the NameID inside SubjectConfirmation names the entity
   * expected to satisfy it) — the actor of an RFC 8693 delegation.
   */
  confirmer?: { name: string; issuer?: string };
  /** Replaces the NameID with what it returns (an EncryptedID); gets the NameID as a standalone element. */
  wrapNameId?: (standaloneNameIdXml: string) => string;
  /** Replaces each Attribute with what it returns (an EncryptedAttribute); gets the Attribute standalone. */
  wrapAttribute?: (standaloneAttributeXml: string) => string;
}

/**
 * The assertion split where ds:Signature goes: right after saml:Issuer (SAML core 5.4.1, schema order).
 * `head + tail` is the canonical unsigned assertion.
 */
export interface CanonicalAssertion {
  id: string;
  head: string;
  tail: string;
}

const SAML_NS_DECL = ` xmlns:saml="${NS.saml}"`;

export function buildAssertion(a: AssertionInput): CanonicalAssertion {
  // Root attributes in c14n order: the namespace declaration, then ID, IssueInstant, Version.
  const head =
    `<saml:Assertion${SAML_NS_DECL}${attrs({ ID: a.id, IssueInstant: xsDateTime(a.issueInstant), Version: '2.0' })}>` +
    `<saml:Issuer>${escapeText(a.issuer, 'issuer')}</saml:Issuer>`;
  let tail = subjectXml(a) + conditionsXml(a.statements.conditions);
  for (const s of a.statements.authenticationStatements) {
    tail +=
      `<saml:AuthnStatement${attrs({ AuthnInstant: xsDateTime(s.authnInstant), SessionIndex: s.sessionIndex })}>` +
      `<saml:AuthnContext><saml:AuthnContextClassRef>${escapeText(s.contextClassRef, 'AuthnContextClassRef')}</saml:AuthnContextClassRef></saml:AuthnContext>` +
      `</saml:AuthnStatement>`;
  }
  for (const s of a.statements.attributeStatements) {
    if (s.attributes.length === 0) continue; // SAML core 2.7.3: at least one Attribute
    tail += '<saml:AttributeStatement>';
    for (const attr of s.attributes) {
      tail += a.wrapAttribute ? a.wrapAttribute(attributeXml(attr, true)) : attributeXml(attr, false);
    }
    tail += '</saml:AttributeStatement>';
  }
  for (const s of a.statements.authorizationDecisionStatements) {
    tail += `<saml:AuthzDecisionStatement${attrs({ Decision: s.decision, Resource: s.resource })}>`;
    for (const act of s.actions) {
      tail += `<saml:Action${attrs({ Namespace: act.namespace ?? DEFAULT_ACTION_NAMESPACE })}>${escapeText(act.value, 'Action')}</saml:Action>`;
    }
    tail += '</saml:AuthzDecisionStatement>';
  }
  tail += '</saml:Assertion>';
  return { id: a.id, head, tail };
}

/** NameID element; `standalone` adds the saml namespace so it can be encrypted and decrypted on its own. */
export function nameIdXml(n: StatementResults['subject']['nameId'], standalone: boolean): string {
  return (
    `<saml:NameID${standalone ? SAML_NS_DECL : ''}${attrs({ Format: n.format, NameQualifier: n.nameQualifier, SPNameQualifier: n.spNameQualifier })}>` +
    `${escapeText(n.value, 'NameID')}</saml:NameID>`
  );
}

/** Attribute element (SAML core 2.7.3.1); values are plain text, so no xsi:type / xs namespace is needed. */
export function attributeXml(attr: SamlAttributeResult, standalone: boolean): string {
  let s = `<saml:Attribute${standalone ? SAML_NS_DECL : ''}${attrs({ FriendlyName: attr.friendlyName, Name: attr.name, NameFormat: attr.nameFormat })}>`;
  for (const v of attr.values) s += `<saml:AttributeValue>${escapeText(v, 'AttributeValue')}</saml:AttributeValue>`;
  return s + '</saml:Attribute>';
}

function subjectXml(a: AssertionInput): string {
  const nameId = a.statements.subject.nameId;
  let s = '<saml:Subject>';
  s += a.wrapNameId ? a.wrapNameId(nameIdXml(nameId, true)) : nameIdXml(nameId, false);
  s += `<saml:SubjectConfirmation${attrs({ Method: CONFIRMATION_METHOD[a.subjectConfirmation] })}>`;
  switch (a.subjectConfirmation) {
    case 'BEARER': {
      // SAML profiles 4.1.4.2 / SAML core 2.4.1.2: bearer confirmation data with NotOnOrAfter and Recipient.
      const data = attrs({
        InResponseTo: a.inResponseTo,
        NotOnOrAfter: a.confirmationNotOnOrAfter ? xsDateTime(a.confirmationNotOnOrAfter) : undefined,
        Recipient: a.recipient,
      });
      if (data) s += `<saml:SubjectConfirmationData${data}></saml:SubjectConfirmationData>`;
      break;
    }
    case 'HOLDER_OF_KEY': {
      // SAML profiles 3.1: KeyInfoConfirmationDataType holding the key as ds:KeyInfo. Exclusive c14n puts the
      // xsi declaration here, where xsi:type uses it; the saml prefix in its value is declared on the root.
      if (!a.proofCertificateDer) throw new Error('holder-of-key needs a proof certificate');
      s +=
        `<saml:SubjectConfirmationData xmlns:xsi="${NS.xsi}" xsi:type="saml:KeyInfoConfirmationDataType">` +
        `<ds:KeyInfo xmlns:ds="${NS.ds}">${x509DataXml(a.proofCertificateDer)}</ds:KeyInfo>` +
        `</saml:SubjectConfirmationData>`;
      break;
    }
    case 'SENDER_VOUCHES':
      // PingAM's DefaultSubjectProvider: sender-vouches carries no SubjectConfirmationData. With a delegation
      // actor, the actor is named as the confirming entity (SAML core 2.4.1.1).
      if (a.confirmer) s += nameIdXml({ value: a.confirmer.name, ...(a.confirmer.issuer ? { nameQualifier: a.confirmer.issuer } : {}) }, false);
      break;
  }
  s += '</saml:SubjectConfirmation></saml:Subject>';
  return s;
}

function conditionsXml(c: StatementResults['conditions']): string {
  let s = `<saml:Conditions${attrs({
    NotBefore: c.notBefore ? xsDateTime(c.notBefore) : undefined,
    NotOnOrAfter: c.notOnOrAfter ? xsDateTime(c.notOnOrAfter) : undefined,
  })}>`;
  if (c.audiences && c.audiences.length > 0) {
    s += '<saml:AudienceRestriction>';
    for (const aud of c.audiences) s += `<saml:Audience>${escapeText(aud, 'Audience')}</saml:Audience>`;
    s += '</saml:AudienceRestriction>';
  }
  if (c.oneTimeUse) s += '<saml:OneTimeUse></saml:OneTimeUse>';
  return s + '</saml:Conditions>';
}

/**
 * Reading a partner's SAML metadata (SAML metadata 2.0 §2.4): an SP's EntityDescriptor for instance set-up
 * (entity ID, assertion consumer service, encryption certificate) and an IdP's for trusting its assertions
 * (entity ID, signing certificates). samlify reads the metadata; the document is first parsed here with the
 * strict parser — no DTD or entity, bounded size and depth — since it is hostile input like any other XML.
 */
import { X509Certificate } from 'node:crypto';
import samlify from 'samlify';
import { BadUserInputError } from '../../engine/errors.js';
import { parseStrict, XmlParseError } from './xml.js';

const { SPMetadata, IdPMetadata } = samlify;

/** One EntityDescriptor with a few certificates and endpoints fits easily; a federation aggregate does not belong here. */
export const MAX_METADATA_BYTES = 512 * 1024;

const BINDINGS: Record<string, string> = {
  'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST': 'HTTP-POST',
  'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect': 'HTTP-Redirect',
  'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact': 'HTTP-Artifact',
  'urn:oasis:names:tc:SAML:2.0:bindings:PAOS': 'PAOS',
};

export interface Endpoint {
  binding: string;
  location: string;
}

export interface PartnerMetadata {
  entityId: string;
  role: 'sp' | 'idp';
  /** SP: its AssertionConsumerService endpoints, in document order. */
  assertionConsumerServices: Endpoint[];
  /** IdP: its SingleSignOnService endpoints. */
  singleSignOnServices: Endpoint[];
  /** PEM, canonical; a KeyDescriptor without `use` counts for both. */
  signingCertificates: string[];
  encryptionCertificates: string[];
  nameIdFormats: string[];
}

function list<T>(v: T | T[] | undefined | null): T[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function pem(der: string, field: string): string {
  try {
    return new X509Certificate(Buffer.from(der.replace(/\s+/g, ''), 'base64')).toString();
  } catch {
    throw new BadUserInputError('holds a KeyDescriptor certificate that is not a readable X.509 certificate.', field);
  }
}

function endpoints(v: unknown): Endpoint[] {
  return list(v as Array<{ binding?: string; location?: string }>)
    .filter((e) => e && typeof e.location === 'string')
    .map((e) => ({ binding: BINDINGS[String(e.binding)] ?? String(e.binding), location: String(e.location) }));
}

/** Reads an SP or IdP EntityDescriptor. Throws BadUserInputError naming `field` when it is not one. */
export function readPartnerMetadata(xml: unknown, field: string): PartnerMetadata {
  if (typeof xml !== 'string' || xml.trim() === '') throw new BadUserInputError('must be an EntityDescriptor XML document.', field);
  let doc: Document;
  try {
    doc = parseStrict(xml, { maxBytes: MAX_METADATA_BYTES, allowComments: true });
  } catch (e) {
    if (e instanceof XmlParseError) throw new BadUserInputError(`is not acceptable metadata: ${e.message}.`, field);
    throw e;
  }
  const root = doc.documentElement!;
  if (root.namespaceURI !== 'urn:oasis:names:tc:SAML:2.0:metadata' || root.localName !== 'EntityDescriptor') {
    throw new BadUserInputError('must be one md:EntityDescriptor (SAML metadata 2.0 §2.3.2); an EntitiesDescriptor aggregate is not read here.', field);
  }
  const hasSp = root.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:metadata', 'SPSSODescriptor').length > 0;
  const hasIdp = root.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:metadata', 'IDPSSODescriptor').length > 0;
  if (!hasSp && !hasIdp) throw new BadUserInputError('describes neither a service provider (SPSSODescriptor) nor an identity provider (IDPSSODescriptor).', field);
  let meta: { getEntityID(): string; getX509Certificate(use: string): string | string[] | null; getNameIDFormat(): unknown; meta: Record<string, unknown> };
  try {
    meta = (hasSp ? SPMetadata(xml) : IdPMetadata(xml)) as unknown as typeof meta;
  } catch (e) {
    throw new BadUserInputError(`could not be read: ${String((e as Error)?.message ?? e).slice(0, 120)}.`, field);
  }
  const entityId = meta.getEntityID();
  if (typeof entityId !== 'string' || entityId.trim() === '') throw new BadUserInputError('has no entityID.', field);
  const certs = (use: 'signing' | 'encryption') => [...new Set(list(meta.getX509Certificate(use)).filter((c): c is string => typeof c === 'string').map((c) => pem(c, field)))];
  return {
    entityId,
    role: hasSp ? 'sp' : 'idp',
    assertionConsumerServices: hasSp ? endpoints(meta.meta.assertionConsumerService) : [],
    singleSignOnServices: hasIdp ? endpoints(meta.meta.singleSignOnService) : [],
    signingCertificates: certs('signing'),
    encryptionCertificates: certs('encryption'),
    nameIdFormats: list(meta.getNameIDFormat() as string | string[]).filter((f): f is string => typeof f === 'string'),
  };
}

/**
 * IdP metadata for an instance (SAML metadata 2.0, API.md §5): entityID = the SAML issuer, the signing
 * certificate in a KeyDescriptor use="signing" (metadata 2.4.1.1), the certificate partners encrypt SAML2 input
 * to in a KeyDescriptor use="encryption" with the algorithms accepted, and the NameID format the instance asserts.
 */
import type { Saml2Config } from './saml2.config.js';
import { NAMEID_UNSPECIFIED } from './builtin-statements.js';
import { DATA_ENCRYPTION_ALGORITHMS, KEY_TRANSPORT_ALGORITHMS } from './encrypt.js';
import { attrs, escapeText, NS, x509DataXml, xsDateTime } from './xml.js';

const SAML20_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';

export interface IdpMetadataOptions {
  /**
   * The schema (metadata 2.4.3, IDPSSODescriptorType) requires at least one SingleSignOnService. An STS has no
   * browser SSO endpoint, so none is invented: pass the endpoint to list (e.g. the instance's REST STS URL with
   * its binding) when a consumer validates metadata against the schema.
   */
  singleSignOnService?: { binding: string; location: string };
  /**
   * Certificates of rotated-out keys that still verify (status PUBLISHED). Listing them too lets an SP that
   * refreshes metadata keep accepting assertions issued before a rotation (the usual key rollover practice).
   */
  additionalSigningCertsDer?: string[];
  /** The certificate partners encrypt assertions to (SAML2 input), published with use="encryption". */
  encryptionCertDer?: string;
  /** SAML metadata 2.3.1: when the document stops being valid, and how long an SP may cache it. */
  validUntil?: Date;
  cacheDurationSeconds?: number;
  /** The EntityDescriptor's ID, which a signature references. */
  id?: string;
}

/** HTTP-POST (SAML bindings 3.5): how the REST STS endpoint takes requests and answers. */
export const BINDING_HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

function cleanDer(text: string): string {
  const der = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(der)) throw new Error('signingCertDer must be base64 DER');
  return der;
}

/** The certificate partners encrypt to, with the algorithms they may use, preferred first (what decrypt.ts reads). */
function encryptionKeyDescriptor(certDer: string): string {
  return (
    `<md:KeyDescriptor use="encryption"><ds:KeyInfo xmlns:ds="${NS.ds}">${x509DataXml(cleanDer(certDer))}</ds:KeyInfo>` +
    // SAML metadata 2.4.1.1: EncryptionMethod elements name the algorithms the partner may encrypt with.
    [...Object.keys(DATA_ENCRYPTION_ALGORITHMS), ...KEY_TRANSPORT_ALGORITHMS].map((uri) => `<md:EncryptionMethod${attrs({ Algorithm: uri })}></md:EncryptionMethod>`).join('') +
    `</md:KeyDescriptor>`
  );
}

/** One service provider Tessera plays for partner IdPs (SAML2 input): the audience they address, where they post. */
export interface SpEntity {
  entityId: string;
  /** AssertionConsumerService locations (HTTP-POST), the first the default. */
  acs: string[];
}

export interface SpMetadataOptions {
  encryptionCertDer: string;
  validUntil: Date;
  cacheDurationSeconds: number;
}

/**
 * SP metadata (SAML metadata 2.4.4) for the partners an instance trusts: one EntityDescriptor per audience it
 * accepts (an EntitiesDescriptor around them when there are several), each an SPSSODescriptor with the
 * certificate to encrypt assertions to, and the AssertionConsumerService (HTTP-POST) where assertions are
 * presented. WantAssertionsSigned: Tessera takes an assertion only when it or the Response around it is signed.
 */
export function buildSpMetadata(entities: SpEntity[], opts: SpMetadataOptions): string {
  if (entities.length === 0) throw new Error('SP metadata needs at least one entity');
  const times = { cacheDuration: `PT${opts.cacheDurationSeconds}S`, validUntil: xsDateTime(opts.validUntil) };
  const descriptor = (e: SpEntity, root: boolean) =>
    `<md:EntityDescriptor${root ? ` xmlns:md="${NS.md}"` : ''}${attrs({ ...(root ? times : {}), entityID: e.entityId })}>` +
    `<md:SPSSODescriptor${attrs({ AuthnRequestsSigned: 'false', WantAssertionsSigned: 'true', protocolSupportEnumeration: SAML20_PROTOCOL })}>` +
    encryptionKeyDescriptor(opts.encryptionCertDer) +
    // Schema order within SPSSODescriptor: KeyDescriptor*, NameIDFormat*, AssertionConsumerService+.
    e.acs
      .map((location, i) => `<md:AssertionConsumerService${attrs({ Binding: BINDING_HTTP_POST, Location: location, index: String(i), isDefault: i === 0 ? 'true' : undefined })}></md:AssertionConsumerService>`)
      .join('') +
    `</md:SPSSODescriptor></md:EntityDescriptor>`;
  if (entities.length === 1) return descriptor(entities[0]!, true);
  return `<md:EntitiesDescriptor xmlns:md="${NS.md}"${attrs(times)}>${entities.map((e) => descriptor(e, false)).join('')}</md:EntitiesDescriptor>`;
}

export function buildIdpMetadata(config: Saml2Config, signingCertDer: string, opts: IdpMetadataOptions = {}): string {
  const ders = [cleanDer(signingCertDer), ...(opts.additionalSigningCertsDer ?? []).map(cleanDer)];
  const keyDescriptors = [...new Set(ders)]
    .map((der) => `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="${NS.ds}">${x509DataXml(der)}</ds:KeyInfo></md:KeyDescriptor>`)
    .join('') +
    (opts.encryptionCertDer
      ? encryptionKeyDescriptor(opts.encryptionCertDer)
      : '');
  // Schema order within IDPSSODescriptor: KeyDescriptor*, NameIDFormat*, SingleSignOnService+.
  let sso = '';
  if (opts.singleSignOnService) {
    sso = `<md:SingleSignOnService${attrs({ Binding: opts.singleSignOnService.binding, Location: opts.singleSignOnService.location })}></md:SingleSignOnService>`;
  }
  return (
    `<md:EntityDescriptor xmlns:md="${NS.md}"${attrs({
      ID: opts.id,
      cacheDuration: opts.cacheDurationSeconds !== undefined ? `PT${opts.cacheDurationSeconds}S` : undefined,
      entityID: config.issuer,
      validUntil: opts.validUntil ? xsDateTime(opts.validUntil) : undefined,
    })}>` +
    `<md:IDPSSODescriptor${attrs({ protocolSupportEnumeration: SAML20_PROTOCOL })}>` +
    keyDescriptors +
    `<md:NameIDFormat>${escapeText(config.nameIdFormat || NAMEID_UNSPECIFIED, 'nameIdFormat')}</md:NameIDFormat>` +
    sso +
    `</md:IDPSSODescriptor></md:EntityDescriptor>`
  );
}

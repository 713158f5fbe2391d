/**
 * The SAML2 kind's input trust section `saml2Trust` (API.md §7): the partner IdPs whose assertions an instance
 * accepts — entity ID, signing certificates (given, or read from the partner's metadata with samlify), the
 * audiences the assertion must name, and the recipients a bearer confirmation may name besides Tessera's own
 * endpoints. Certificates are parsed with the keys the verifier will use, so what publishes verifies.
 */
import { X509Certificate } from 'node:crypto';
import { absent, certificate, fail, get, MAX_TRUST_ENTRIES, object, onlyKeys, optionalString, quote, requiredString, stringList } from '../../engine/config-toolkit.js';
import type { ConfigSection, GqlObject } from '../../engine/kind.js';
import type { InstanceConfig } from '../../engine/types.js';
import { readPartnerMetadata } from './partner-metadata.js';
import { SIGNATURE_ALGORITHMS } from './sign.js';
import { isAbsoluteUri } from './xml.js';

export interface Saml2TrustConfig {
  issuer: string;
  /** PEM signing certificates (from `certificates` and from `metadataXml`). */
  certificates: string[];
  audience: string[];
  recipients?: string[];
  /** XML-DSig signature algorithms accepted from this partner; default every one Tessera supports. */
  signatureAlgorithms: string[];
}

export const saml2TrustOf = (c: InstanceConfig): Saml2TrustConfig[] => (c.saml2Trust as Saml2TrustConfig[] | undefined) ?? [];

const MAX_CERTIFICATES = 8;

/** The verifier's own key rule (partner-verify.ts fitsKey): RSA of at least 2048 bits or ECDSA P-256. */
function checkSigningKey(cert: X509Certificate, field: string): void {
  const k = cert.publicKey;
  if (k.asymmetricKeyType === 'rsa' && (k.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return;
  if (k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1') return;
  fail(field, 'must hold an RSA key of at least 2048 bits or an ECDSA P-256 key: the signature algorithms are rsa-sha256, rsa-sha512 and ecdsa-sha256.');
}

function parse(raw: unknown): Saml2TrustConfig[] | undefined {
  const field = 'input.saml2Trust';
  if (!Array.isArray(raw)) fail(field, 'must be a list of trusted identity providers.');
  if (raw.length > MAX_TRUST_ENTRIES) fail(field, `must hold at most ${MAX_TRUST_ENTRIES} identity providers.`);
  const issuers = new Set<string>();
  const entries = raw.map((item, i) => {
    const f = `${field}[${i}]`;
    const t = object(item, f);
    onlyKeys(t, ['issuer', 'certificates', 'metadataXml', 'audience', 'recipients', 'signatureAlgorithms'], f);
    const issuer = requiredString(t, 'issuer', `${f}.issuer`);
    if (issuers.has(issuer)) fail(`${f}.issuer`, `${quote(issuer)} is already listed; each trusted identity provider appears once.`);
    issuers.add(issuer);
    const certificates: string[] = [];
    const given = get(t, 'certificates');
    if (!absent(given)) {
      const list = stringList(given, `${f}.certificates`, MAX_CERTIFICATES);
      list.forEach((pem, j) => {
        const c = certificate(pem, `${f}.certificates[${j}]`);
        checkSigningKey(c.cert, `${f}.certificates[${j}]`);
        certificates.push(c.pem);
      });
    }
    const xml = optionalString(t, 'metadataXml', `${f}.metadataXml`, { max: 512 * 1024 });
    if (xml !== undefined) {
      const md = readPartnerMetadata(xml, `${f}.metadataXml`);
      if (md.role !== 'idp') fail(`${f}.metadataXml`, 'describes a service provider; the identity provider\'s EntityDescriptor (IDPSSODescriptor) is expected here.');
      if (md.entityId !== issuer) fail(`${f}.metadataXml`, `names entityID ${quote(md.entityId)}, not the issuer ${quote(issuer)}.`);
      md.signingCertificates.forEach((pem) => {
        checkSigningKey(new X509Certificate(pem), `${f}.metadataXml`);
        if (!certificates.includes(pem)) certificates.push(pem);
      });
    }
    if (certificates.length === 0) fail(f, 'needs the partner\'s signing certificates: give certificates or metadataXml with a signing KeyDescriptor.');
    const audienceValue = get(t, 'audience');
    if (absent(audienceValue)) fail(`${f}.audience`, 'is required.');
    const out: Saml2TrustConfig = {
      issuer,
      certificates,
      audience: stringList(audienceValue, `${f}.audience`),
      signatureAlgorithms: Object.keys(SIGNATURE_ALGORITHMS),
    };
    const recipients = get(t, 'recipients');
    if (!absent(recipients)) {
      // SAML core 2.4.1.2: Recipient is an absolute URI; a value that is not one could never match.
      out.recipients = stringList(recipients, `${f}.recipients`).map((r, j) => {
        if (!isAbsoluteUri(r)) fail(`${f}.recipients[${j}]`, 'must be an absolute URI (the Recipient a bearer confirmation names).');
        return r;
      });
    }
    const algs = get(t, 'signatureAlgorithms');
    if (!absent(algs)) {
      out.signatureAlgorithms = stringList(algs, `${f}.signatureAlgorithms`).map((a, j) => {
        if (!Object.prototype.hasOwnProperty.call(SIGNATURE_ALGORITHMS, a)) {
          fail(`${f}.signatureAlgorithms[${j}]`, `unsupported algorithm; one of ${Object.keys(SIGNATURE_ALGORITHMS).join(', ')} (SHA-1 is refused).`);
        }
        return a;
      });
    }
    return out;
  });
  return entries.length > 0 ? entries : undefined;
}

const COMMON = {
  issuer: { type: 'String', required: true, description: "The partner IdP's entity ID: the assertion's Issuer." },
  audience: { type: { list: 'String' }, required: true, description: 'The Audience values accepted (one must be named); non-empty.' },
  recipients: { type: { list: 'String' }, description: "Recipient URLs a bearer confirmation may name besides Tessera's token endpoint and REST URL." },
  signatureAlgorithms: { type: { list: 'String' }, description: 'XML-DSig signature algorithms accepted from this partner; default rsa-sha256, rsa-sha512, ecdsa-sha256.' },
} as const;

const INPUT: GqlObject = {
  object: 'Saml2TrustInput',
  description: 'A partner identity provider whose SAML 2.0 assertions this instance accepts as SAML2 input.',
  fields: {
    ...COMMON,
    certificates: { type: { list: 'String' }, description: "The partner's signing certificates, PEM (or give metadataXml)." },
    metadataXml: { type: 'String', description: "The partner's metadata (an md:EntityDescriptor with an IDPSSODescriptor): its signing certificates are added. Not stored." },
  },
};

const OUTPUT: GqlObject = {
  object: 'Saml2Trust',
  description: 'A partner identity provider whose SAML 2.0 assertions this instance accepts.',
  fields: {
    ...COMMON,
    certificates: { type: { list: 'String' }, required: true, description: "The partner's signing certificates, PEM." },
    signatureAlgorithms: { ...COMMON.signatureAlgorithms, required: true },
  },
};

export const saml2TrustSection: ConfigSection<Saml2TrustConfig[]> = {
  key: 'saml2Trust',
  parse: (raw) => parse(raw),
  missingMessage: 'must list at least one trusted identity provider',
  graphql: { input: { list: INPUT }, output: { list: OUTPUT }, description: 'Required when a transform takes SAML2 input.' },
};

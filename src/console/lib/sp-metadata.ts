/**
 * Reads a service provider's SAML 2.0 metadata (saml-metadata-2.0-os) in the browser, to fill the SAML2 section
 * of an instance: the entity ID, an AssertionConsumerService Location and the encryption certificate.
 */

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

export interface SpMetadata {
  entityId: string;
  acsUrl?: string;
  acsBinding?: string;
  encryptionCertificate?: string;
  /** True when the certificate came from a KeyDescriptor without `use`, which serves both purposes (§2.4.1.1). */
  certificateFromUnspecifiedUse?: boolean;
}

export class MetadataError extends Error {}

/** Metadata is a few kilobytes; anything far larger is not what the admin meant to paste. */
const MAX_CHARS = 512 * 1024;

function toPem(base64: string): string {
  const body = base64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new MetadataError('The encryption certificate in the metadata is not base64.');
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function children(el: Element, ns: string, local: string): Element[] {
  return Array.from(el.children).filter((c) => c.namespaceURI === ns && c.localName === local);
}

function certificateOf(kd: Element): string | undefined {
  for (const ki of children(kd, DS, 'KeyInfo')) {
    for (const data of children(ki, DS, 'X509Data')) {
      const cert = children(data, DS, 'X509Certificate')[0];
      if (cert?.textContent?.trim()) return toPem(cert.textContent);
    }
  }
  return undefined;
}

export function parseSpMetadata(xml: string): SpMetadata {
  const text = xml.trim();
  if (!text) throw new MetadataError('Paste the metadata XML or choose a file first.');
  if (text.length > MAX_CHARS) throw new MetadataError('This file is larger than 512 KiB; SP metadata is usually a few kilobytes.');
  // A DTD can define entities that expand without bound; metadata never needs one.
  if (/<!DOCTYPE/i.test(text)) throw new MetadataError('The metadata holds a DOCTYPE, which is refused.');
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length > 0) throw new MetadataError('This is not well-formed XML.');
  const root = doc.documentElement;
  let entities: Element[];
  if (root.namespaceURI === MD && root.localName === 'EntityDescriptor') entities = [root];
  else if (root.namespaceURI === MD && root.localName === 'EntitiesDescriptor') entities = Array.from(doc.getElementsByTagNameNS(MD, 'EntityDescriptor'));
  else throw new MetadataError('This is not SAML metadata: the root element is not an md:EntityDescriptor.');
  const entity = entities.find((e) => children(e, MD, 'SPSSODescriptor').length > 0);
  if (!entity) throw new MetadataError('The metadata describes no service provider (no md:SPSSODescriptor).');
  const entityId = entity.getAttribute('entityID')?.trim();
  if (!entityId) throw new MetadataError('The EntityDescriptor has no entityID.');
  const sp = children(entity, MD, 'SPSSODescriptor')[0]!;
  const out: SpMetadata = { entityId };

  // §2.4.4: the endpoint marked isDefault, else the lowest index; Tessera's assertions travel by HTTP-POST.
  const acs = children(sp, MD, 'AssertionConsumerService').filter((a) => a.getAttribute('Location'));
  const ranked = [...acs].sort((a, b) => {
    const rank = (e: Element) => (e.getAttribute('isDefault') === 'true' ? 0 : 1) * 2 + (e.getAttribute('Binding') === HTTP_POST ? 0 : 1);
    return rank(a) - rank(b) || Number(a.getAttribute('index') ?? 0) - Number(b.getAttribute('index') ?? 0);
  });
  if (ranked[0]) {
    out.acsUrl = ranked[0].getAttribute('Location')!.trim();
    out.acsBinding = ranked[0].getAttribute('Binding') ?? undefined;
  }

  const kds = children(sp, MD, 'KeyDescriptor');
  const enc = kds.find((k) => k.getAttribute('use') === 'encryption' && certificateOf(k));
  const either = kds.find((k) => !k.getAttribute('use') && certificateOf(k));
  if (enc) out.encryptionCertificate = certificateOf(enc);
  else if (either) {
    out.encryptionCertificate = certificateOf(either);
    out.certificateFromUnspecifiedUse = true;
  }
  return out;
}

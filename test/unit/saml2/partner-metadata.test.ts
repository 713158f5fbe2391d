/** Partner metadata read with samlify behind the strict parser, and an instance set up from an SP's metadata. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TesseraError } from '../../../src/engine/errors.js';
import { readPartnerMetadata } from '../../../src/tokens/saml2/partner-metadata.js';
import { getPki } from './setup.js';

const der = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');

/** An SP EntityDescriptor as Shibboleth writes one: a comment, two ACS bindings, separate signing and encryption keys. */
function spMetadata(signPem: string, encPem: string, entityId = 'https://sp.example.org/shibboleth'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- written by the SP's metadata generator -->
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${der(signPem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
${der(encPem).replace(/(.{64})/g, '$1\n')}
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://sp.example.org/Shibboleth.sso/SAML2/Artifact" index="2"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.org/Shibboleth.sso/SAML2/POST" index="1"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>`;
}

function refuses(xml: unknown, message: RegExp): void {
  assert.throws(() => readPartnerMetadata(xml, 'input.x'), (e: unknown) => {
    assert.ok(e instanceof TesseraError && e.code === 'BAD_USER_INPUT', String(e));
    assert.equal(e.field, 'input.x');
    assert.match(e.message, message);
    return true;
  });
}

describe('readPartnerMetadata', () => {
  it('reads an SP: entity ID, ACS endpoints, signing and encryption certificates as canonical PEM', async () => {
    const p = await getPki();
    const md = readPartnerMetadata(spMetadata(p.rsa.certPem, p.sp.certPem), 'input.x');
    assert.equal(md.role, 'sp');
    assert.equal(md.entityId, 'https://sp.example.org/shibboleth');
    assert.deepEqual(md.assertionConsumerServices, [
      { binding: 'HTTP-Artifact', location: 'https://sp.example.org/Shibboleth.sso/SAML2/Artifact' },
      { binding: 'HTTP-POST', location: 'https://sp.example.org/Shibboleth.sso/SAML2/POST' },
    ]);
    assert.deepEqual(md.signingCertificates.map(der), [der(p.rsa.certPem)]);
    assert.deepEqual(md.encryptionCertificates.map(der), [der(p.sp.certPem)]);
    assert.ok(md.encryptionCertificates[0]!.startsWith('-----BEGIN CERTIFICATE-----'));
    assert.deepEqual(md.nameIdFormats, ['urn:oasis:names:tc:SAML:2.0:nameid-format:transient']);
  });

  it('refuses a DOCTYPE, an aggregate, a document that is not metadata, garbage and oversize', async () => {
    const p = await getPki();
    const good = spMetadata(p.rsa.certPem, p.sp.certPem);
    refuses(good.replace('<!-- written', '<!DOCTYPE md [<!ENTITY x "y">]><!-- written'), /DTD/);
    refuses(`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${good.replace(/^<\?xml[^>]*>/, '')}</md:EntitiesDescriptor>`, /EntitiesDescriptor/);
    refuses('<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/>', /EntityDescriptor/);
    refuses('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>', /neither a service provider/);
    refuses('not xml', /not acceptable metadata/);
    refuses(good.replace('</md:EntityDescriptor>', `<!--${'x'.repeat(600 * 1024)}--></md:EntityDescriptor>`), /too large/);
    refuses(good.replace(der(p.sp.certPem).slice(0, 64), 'AAAA'), /not a readable X.509 certificate/);
    refuses(42, /EntityDescriptor XML/);
  });
});

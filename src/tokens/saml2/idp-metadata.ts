/**
 * The IdP metadata document an instance publishes (API.md §5 and §8): validUntil and cacheDuration (SAML
 * metadata 2.3.1), a SingleSignOnService with the HTTP-POST binding at the instance's REST STS URL (the
 * schema requires one; that endpoint answers POSTs with Responses), and, when the instance asks, an enveloped
 * signature with its signing key (metadata 3: integrity and authenticity of the document).
 */
import type { SigningKey } from '../../engine/types.js';
import { BINDING_HTTP_POST, buildIdpMetadata } from './metadata.js';
import { signRoot } from './response.js';
import { DEFAULT_METADATA, type Saml2Config, type Saml2MetadataSettings } from './saml2.config.js';
import { newAssertionId } from './xml.js';

/**
 * validUntil and cacheDuration of a metadata document: whole seconds, so the document changes at most once a
 * second and caches see stable values within one.
 */
export function metadataTimes(settings: Saml2MetadataSettings, now: Date): { validUntil: Date; cacheDurationSeconds: number } {
  const at = Math.floor(now.getTime() / 1000) * 1000;
  return { validUntil: new Date(at + settings.validitySeconds * 1000), cacheDurationSeconds: settings.cacheDurationSeconds };
}

export function idpMetadataDocument(
  saml2: Saml2Config,
  key: SigningKey,
  otherCertsDer: string[],
  restUrl: string,
  now: Date = new Date(),
  /** The certificate partners encrypt SAML2 input to (use="encryption"), when the instance trusts partners. */
  encryptionCertDer?: string,
): string {
  const settings = saml2.metadata ?? DEFAULT_METADATA;
  const xml = buildIdpMetadata(saml2, key.certificateDer, {
    singleSignOnService: { binding: BINDING_HTTP_POST, location: restUrl },
    additionalSigningCertsDer: otherCertsDer,
    ...metadataTimes(settings, now),
    ...(settings.sign ? { id: newAssertionId() } : {}),
    ...(encryptionCertDer ? { encryptionCertDer } : {}),
  });
  return settings.sign ? signRoot(xml, key, saml2.signatureAlgorithm, 'first-child') : xml;
}

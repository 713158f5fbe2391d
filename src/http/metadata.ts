/**
 * Per-instance metadata (API.md §5): the JWKS that verifies its ID tokens, the OpenID discovery document,
 * and the SAML IdP metadata with the signing certificate.
 */
import type { Services } from '../services.js';
import { defaultIssuer } from '../tokens/oidc/oidc.provider.js';
import { buildIdpMetadata } from '../tokens/saml2/metadata.js';

/** The key store algorithm behind each XML-DSig signature algorithm. */
const SAML_KEY_ALGORITHM: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'RS256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'RS512',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256': 'ES256',
};
const samlKeyAlgorithm = (uri: string): string => SAML_KEY_ALGORITHM[uri] ?? 'RS256';
const pemToDer = (pem: string): string => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

export interface MetadataResponse {
  status: number;
  body: string;
  type: string;
}

const json = (status: number, body: unknown): MetadataResponse => ({ status, body: JSON.stringify(body), type: 'application/json; charset=utf-8' });
const notFound = (message: string): MetadataResponse => json(404, { code: 404, reason: 'Not Found', message, detail: { code: 'NOT_FOUND' } });

export async function metadataRoute(services: Services, name: string, what: string): Promise<MetadataResponse> {
  const inst = await services.instances.get(name);
  if (!inst) return notFound(`Unknown instance ${name}.`);
  const base = `${services.config.publicUrl}/sts/${name}`;
  const oidc = inst.config.oidc;
  if (what === 'jwks.json') {
    if (!oidc || oidc.signatureAlgorithm === 'HS256') return json(200, { keys: [] });
    // Make sure the instance's key exists before anyone needs to verify with it.
    const active = await services.keys.signingKey(oidc.signatureAlgorithm, oidc.signingKeyId);
    const keys = (await services.keys.verificationKeys()).filter((k) =>
      oidc.signingKeyId ? k.kid === active.kid : k.algorithm === oidc.signatureAlgorithm,
    );
    return json(200, { keys: keys.map((k) => k.jwk) });
  }
  if (what === '.well-known/openid-configuration') {
    if (!oidc) return notFound(`Instance ${name} issues no OpenID Connect tokens.`);
    return json(200, {
      issuer: oidc.issuer ?? defaultIssuer(services.config.publicUrl, name),
      jwks_uri: `${base}/jwks.json`,
      id_token_signing_alg_values_supported: [oidc.signatureAlgorithm],
      subject_types_supported: ['public'],
      response_types_supported: ['id_token'],
      claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'jti', 'acr', 'amr', 'azp', ...Object.keys(oidc.claimMap ?? {})],
    });
  }
  const saml2 = inst.config.saml2;
  if (!saml2) return notFound(`Instance ${name} issues no SAML 2.0 assertions.`);
  const algorithm = samlKeyAlgorithm(saml2.signatureAlgorithm);
  const key = await services.keys.signingKey(algorithm, saml2.signingKeyId);
  // Rotated-out keys of the same algorithm still verify until retired: list them after the active one.
  const others = saml2.signingKeyId
    ? []
    : (await services.keys.list()).filter((k) => k.algorithm === algorithm && k.status === 'PUBLISHED').map((k) => pemToDer(k.certificate));
  // The metadata schema requires a SingleSignOnService; Tessera's is its REST STS endpoint.
  const metadata = buildIdpMetadata(saml2, key.certificateDer, {
    singleSignOnService: { binding: 'urn:tessera:bindings:rest-sts', location: `${services.config.publicUrl}/rest-sts/${name}` },
    additionalSigningCertsDer: others,
  });
  return { status: 200, body: metadata, type: 'application/samlmetadata+xml; charset=utf-8' };
}

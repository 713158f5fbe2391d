/**
 * OPENIDCONNECT: ID tokens from trusted issuers as input (oidc.validator.ts), ID tokens signed by Tessera as
 * output (oidc.provider.ts), the `oidc` and `oidcTrust` sections (oidc.config.ts), and the instance's JWKS and
 * OpenID discovery document.
 */
import type { KindMetadata, MetadataContext, TokenKind } from '../../engine/kind.js';
import type { KeyProvider } from '../../engine/types.js';
import { createOidcProvider } from './oidc.provider.js';
import { createOidcValidator, type JwtVerifier } from './oidc.validator.js';
import { defaultIssuer, oidcOf, oidcSection, oidcTrustSection } from './oidc.config.js';

export const ID_TOKEN_TYPE_URI = 'urn:ietf:params:oauth:token-type:id_token';

/** Claims an issued ID token may carry besides the mapped ones (OIDC Discovery `claims_supported`). */
const ISSUED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'jti', 'acr', 'amr', 'azp'];

/** The public keys that verify tokens signed with `algorithm` (or with the pinned kid) for an instance. */
export async function instanceJwks(keys: KeyProvider, algorithm: string, kid: string | undefined): Promise<Record<string, unknown>[]> {
  // Make sure the instance's key exists before anyone needs to verify with it.
  const active = await keys.signingKey(algorithm, kid);
  const all = await keys.verificationKeys();
  return all.filter((k) => (kid ? k.kid === active.kid : k.algorithm === algorithm)).map((k) => k.jwk);
}

function metadata(deps: { keys: KeyProvider }): KindMetadata {
  return {
    async jwks({ instance }: MetadataContext) {
      const oidc = oidcOf(instance.config);
      if (!oidc || oidc.signatureAlgorithm === 'HS256') return [];
      return instanceJwks(deps.keys, oidc.signatureAlgorithm, oidc.signingKeyId);
    },
    async discovery({ instance, publicUrl }: MetadataContext) {
      const oidc = oidcOf(instance.config);
      if (!oidc) return null;
      const name = instance.config.name;
      return {
        issuer: oidc.issuer ?? defaultIssuer(publicUrl, name),
        jwks_uri: `${publicUrl}/sts/${name}/jwks.json`,
        id_token_signing_alg_values_supported: [oidc.signatureAlgorithm],
        subject_types_supported: ['public'],
        response_types_supported: ['id_token'],
        claims_supported: [...ISSUED_CLAIMS, ...Object.keys(oidc.claimMap ?? {})],
      };
    },
  };
}

export function createOidcKind(deps: { keys: KeyProvider; publicUrl: string; verifier: JwtVerifier }): TokenKind {
  return {
    name: 'OPENIDCONNECT',
    builtIn: true,
    description: 'An OpenID Connect ID token (a signed JWT).',
    tokenTypeUri: ID_TOKEN_TYPE_URI,
    // RFC 7519 §5.1: an ID token's typ is JWT or absent.
    jwtTypes: ['', 'jwt', 'application/jwt'],
    validator: createOidcValidator({ verifier: deps.verifier }),
    provider: createOidcProvider(deps),
    sections: [oidcSection(deps), oidcTrustSection],
    metadata: metadata(deps),
  };
}

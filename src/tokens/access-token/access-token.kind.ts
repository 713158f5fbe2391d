/**
 * ACCESS_TOKEN: RFC 9068 JWT access tokens — as output (access-token.provider.ts, the `accessToken` section) and
 * as input from trusted issuers (access-token.validator.ts, `oidcTrust[].acceptAccessTokens`).
 */
import type { TokenKind } from '../../engine/kind.js';
import type { KeyProvider } from '../../engine/types.js';
import { instanceJwks } from '../oidc/oidc.kind.js';
import type { JwtVerifier } from '../oidc/oidc.validator.js';
import { accessTokenOf, accessTokenSection } from './access-token.config.js';
import { createAccessTokenProvider } from './access-token.provider.js';
import { createAccessTokenValidator } from './access-token.validator.js';

export const ACCESS_TOKEN_TYPE_URI = 'urn:ietf:params:oauth:token-type:access_token';

export function createAccessTokenKind(deps: { keys: KeyProvider; publicUrl: string; verifier: JwtVerifier }): TokenKind {
  return {
    name: 'ACCESS_TOKEN',
    builtIn: true,
    description: 'An OAuth 2.0 access token: a JWT access token (RFC 9068, typ at+jwt).',
    tokenTypeUri: ACCESS_TOKEN_TYPE_URI,
    // RFC 9068 §2.1.
    jwtTypes: ['at+jwt', 'application/at+jwt'],
    validator: createAccessTokenValidator(deps),
    provider: createAccessTokenProvider(deps),
    sections: [accessTokenSection(deps)],
    metadata: {
      async jwks({ instance }) {
        const c = accessTokenOf(instance.config);
        return c ? instanceJwks(deps.keys, c.signatureAlgorithm, c.signingKeyId) : [];
      },
    },
  };
}

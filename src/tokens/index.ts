/**
 * The built-in token kinds, one registration line each. A kind lives in its own folder and brings everything
 * about itself (engine/kind.ts); adding one is its folder and a line here.
 */
import type { TokenKind } from '../engine/kind.js';
import { TokenRegistry } from '../engine/registry.js';
import { tokenExchangeExtension } from '../engine/exchange.js';
import type { IdentityProvider, KeyProvider, ReplayStore } from '../engine/types.js';
import type { Saml2StatementPlugin } from '../plugins/types.js';
import { createAccessTokenKind } from './access-token/access-token.kind.js';
import { createOidcKind } from './oidc/oidc.kind.js';
import { createJwtVerifier, type OidcValidatorDeps } from './oidc/oidc.validator.js';
import { createSaml2Kind } from './saml2/saml2.kind.js';
import { createSessionKind } from './session/session.kind.js';
import { createUsernameKind } from './username/username.kind.js';
import { createX509Kind } from './x509/x509.kind.js';

/** What the built-in kinds are built from (app.ts hands over the running services). */
export interface KindDeps {
  identity: IdentityProvider;
  keys: KeyProvider;
  replay: ReplayStore;
  /** TESSERA_PUBLIC_URL, for default issuers and metadata links. */
  publicUrl: string;
  samlPlugins: { resolve(name: string): Saml2StatementPlugin | undefined; statementOf(name: string): string | undefined };
  pluginTimeoutMs: number;
  /** Test seams for the OIDC validator (fetch, JWKS cache timings). */
  oidcValidator?: OidcValidatorDeps;
}

export function builtInKinds(deps: KindDeps): TokenKind[] {
  // One JWT verifier (and one JWK Set cache per issuer) for ID tokens and access tokens from trusted issuers.
  const verifier = createJwtVerifier(deps.oidcValidator);
  return [
    createUsernameKind(deps),
    createSessionKind(deps),
    createOidcKind({ keys: deps.keys, publicUrl: deps.publicUrl, verifier }),
    createX509Kind(deps),
    createSaml2Kind({ keys: deps.keys, replay: deps.replay, publicUrl: deps.publicUrl, plugins: deps.samlPlugins, pluginTimeoutMs: deps.pluginTimeoutMs }),
    createAccessTokenKind({ keys: deps.keys, publicUrl: deps.publicUrl, verifier }),
  ];
}

/**
 * The registry a server builds: the kinds (built-ins first, then kinds from code and plugins), then what belongs
 * to no kind (the token exchange policy), sealed.
 */
export function buildRegistry(kinds: Iterable<TokenKind>, registry = new TokenRegistry()): TokenRegistry {
  for (const kind of kinds) registry.register(kind);
  registry.registerExtension(tokenExchangeExtension(registry));
  return registry.seal();
}

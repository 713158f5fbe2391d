/**
 * SAML2: SAML 2.0 assertions issued by Tessera (saml2.provider.ts, bearer, holder-of-key and sender-vouches,
 * signed and encrypted as configured), the `saml2` section (saml2.config.ts), and the instance's IdP metadata.
 */
import type { KindMetadata, MetadataContext, TokenKind } from '../../engine/kind.js';
import type { KeyProvider } from '../../engine/types.js';
import type { Saml2StatementPlugin } from '../../plugins/types.js';
import { idpMetadataDocument } from './idp-metadata.js';
import { saml2Of, saml2Section, type StatementPluginLookup } from './saml2.config.js';
import { createSaml2Provider } from './saml2.provider.js';
import { signatureAlgorithm } from './sign.js';

export const SAML2_TOKEN_TYPE_URI = 'urn:ietf:params:oauth:token-type:saml2';

export interface Saml2KindDeps {
  keys: KeyProvider;
  plugins: StatementPluginLookup & { resolve(name: string): Saml2StatementPlugin | undefined };
  pluginTimeoutMs: number;
}

function metadata(deps: Saml2KindDeps): KindMetadata {
  return {
    async samlMetadata({ instance, publicUrl }: MetadataContext) {
      const saml2 = saml2Of(instance.config);
      if (!saml2) return null;
      const algorithm = signatureAlgorithm(saml2.signatureAlgorithm)?.jwsAlgorithm ?? 'RS256';
      const key = await deps.keys.signingKey(algorithm, saml2.signingKeyId);
      // Rotated-out keys of the same algorithm still verify until retired: list them after the active one.
      const others = saml2.signingKeyId ? [] : ((await deps.keys.publishedCertificates?.(algorithm)) ?? []);
      return idpMetadataDocument(saml2, key, others, `${publicUrl}/rest-sts/${instance.config.name}`);
    },
  };
}

export function createSaml2Kind(deps: Saml2KindDeps): TokenKind {
  return {
    name: 'SAML2',
    builtIn: true,
    description: 'A SAML 2.0 assertion.',
    tokenTypeUri: SAML2_TOKEN_TYPE_URI,
    provider: createSaml2Provider({ keys: deps.keys, resolvePlugin: (n) => deps.plugins.resolve(n), pluginTimeoutMs: deps.pluginTimeoutMs }),
    sections: [saml2Section(deps)],
    metadata: metadata(deps),
  };
}

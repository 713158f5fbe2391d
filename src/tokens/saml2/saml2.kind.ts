/**
 * SAML2: SAML 2.0 assertions issued by Tessera (saml2.provider.ts, bearer, holder-of-key and sender-vouches,
 * signed and encrypted as configured; the `saml2` section), assertions from partner IdPs as input
 * (saml2.validator.ts; the `saml2Trust` section), and the instance's IdP metadata.
 */
import { restStsPath } from '../../engine/instance-config.js';
import type { KindMetadata, MetadataContext, TokenKind } from '../../engine/kind.js';
import type { KeyProvider, ReplayStore } from '../../engine/types.js';
import type { Saml2StatementPlugin } from '../../plugins/types.js';
import { idpMetadataDocument, metadataTimes } from './idp-metadata.js';
import { buildSpMetadata } from './metadata.js';
import { DEFAULT_METADATA, saml2Of, saml2Section, type StatementPluginLookup } from './saml2.config.js';
import { createSaml2Provider } from './saml2.provider.js';
import { saml2TrustOf, saml2TrustSection } from './saml2-trust.config.js';
import { createSaml2Validator, decryptionKey } from './saml2.validator.js';
import { signatureAlgorithm } from './sign.js';

export const SAML2_TOKEN_TYPE_URI = 'urn:ietf:params:oauth:token-type:saml2';

export interface Saml2KindDeps {
  keys: KeyProvider;
  replay: ReplayStore;
  publicUrl: string;
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
      // Partners encrypt assertions for SAML2 input to the decryption key (SAML metadata 2.4.1.1 use="encryption").
      const encryption = saml2TrustOf(instance.config).length > 0 ? (await decryptionKey(deps.keys, instance)).certificateDer : undefined;
      return idpMetadataDocument(saml2, key, others, `${publicUrl}${restStsPath(instance.config.name, instance.config.realm)}`, new Date(), encryption);
    },
    async samlSpMetadata({ instance, publicUrl }: MetadataContext) {
      const trust = saml2TrustOf(instance.config);
      if (trust.length === 0) return null;
      const rest = `${publicUrl}${restStsPath(instance.config.name, instance.config.realm)}`;
      // One SP per audience the partners address; assertions are presented at the REST door, and the extra
      // Recipients an entry accepts are listed as further consumer services.
      const byAudience = new Map<string, string[]>();
      for (const t of trust) {
        for (const a of t.audience) {
          const acs = byAudience.get(a) ?? [rest];
          for (const r of t.recipients ?? []) if (!acs.includes(r)) acs.push(r);
          byAudience.set(a, acs);
        }
      }
      return buildSpMetadata(
        [...byAudience].map(([entityId, acs]) => ({ entityId, acs })),
        {
          encryptionCertDer: (await decryptionKey(deps.keys, instance)).certificateDer,
          ...metadataTimes(saml2Of(instance.config)?.metadata ?? DEFAULT_METADATA, new Date()),
        },
      );
    },
  };
}

export function createSaml2Kind(deps: Saml2KindDeps): TokenKind {
  return {
    name: 'SAML2',
    builtIn: true,
    description: 'A SAML 2.0 assertion.',
    tokenTypeUri: SAML2_TOKEN_TYPE_URI,
    // RFC 8693 §3: urn:ietf:params:oauth:token-type:saml2 is the base64url of the assertion XML.
    tokenEncoding: 'base64url',
    validator: createSaml2Validator(deps),
    provider: createSaml2Provider({ keys: deps.keys, resolvePlugin: (n) => deps.plugins.resolve(n), pluginTimeoutMs: deps.pluginTimeoutMs }),
    sections: [saml2Section(deps), saml2TrustSection],
    metadata: metadata(deps),
  };
}

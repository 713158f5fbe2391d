/**
 * What the PingAM mapping (instance-state.ts) knows of the running server, taken from the registry and the SAML
 * plugin registry: the configuration sections, the plugin kinds (registry kinds with `builtIn: false`) and the
 * SAML statement plugins, each with the AM classes it stands in for.
 */
import type { TokenRegistry } from '../engine/registry.js';
import type { SamlPluginRegistry } from '../plugins/registry.js';
import type { AmCatalog } from './instance-state.js';

export function amCatalog(registry: TokenRegistry, samlPlugins: Pick<SamlPluginRegistry, 'list'>): AmCatalog {
  return {
    sectionKeys: registry.sections().map((s) => s.key),
    customKinds: registry
      .all()
      .filter((k) => !k.builtIn)
      .map((k) => ({
        name: k.name,
        ...(k.validator ? { validator: { amClassNames: k.validator.amClassNames ?? [] } } : {}),
        ...(k.provider ? { provider: { amClassNames: k.provider.amClassNames ?? [] } } : {}),
      })),
    samlPlugins: samlPlugins.list(),
  };
}

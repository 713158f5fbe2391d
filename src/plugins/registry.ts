/**
 * The SAML statement plugins: what the `saml2` section (saml2.plugins), the SAML2 provider and the admin query
 * `samlPlugins` look them up in. Built once at start from the built-ins and the loader's
 * result; read-only afterwards.
 */
import { BUILT_IN_SAML_PREFIX } from './loader.js';
import type { Saml2StatementPlugin, SamlStatementKind } from './types.js';

export interface SamlPluginInfo {
  name: string;
  statement: SamlStatementKind;
  builtIn: boolean;
  description?: string;
  /** PingAM classes the plugin stands in for (plugins/types.ts). */
  amClassNames?: readonly string[];
}

export class SamlPluginRegistry {
  private readonly byName = new Map<string, { plugin: Saml2StatementPlugin; builtIn: boolean }>();

  constructor(builtIns: readonly Saml2StatementPlugin[], loaded: readonly Saml2StatementPlugin[]) {
    for (const plugin of builtIns) {
      // The prefix is what keeps loaded names from ever shadowing a built-in (the loader refuses it).
      if (!plugin.name.startsWith(BUILT_IN_SAML_PREFIX)) {
        throw new Error(`Built-in SAML plugin "${plugin.name}" must be named ${BUILT_IN_SAML_PREFIX}…`);
      }
      this.add(plugin, true);
    }
    for (const plugin of loaded) this.add(plugin, false);
  }

  private add(plugin: Saml2StatementPlugin, builtIn: boolean): void {
    // The loader already refuses duplicates; this guards other callers (tests, embedders) all the same.
    if (this.byName.has(plugin.name)) throw new Error(`SAML plugin name "${plugin.name}" is registered twice`);
    this.byName.set(plugin.name, { plugin, builtIn });
  }

  resolve(name: string): Saml2StatementPlugin | undefined {
    return this.byName.get(name)?.plugin;
  }

  /** The statement kind a plugin provides; the instance validator checks that `saml2.plugins.<kind>` names one of that kind. */
  statementOf(name: string): SamlStatementKind | undefined {
    return this.byName.get(name)?.plugin.statement;
  }

  isBuiltIn(name: string): boolean {
    return this.byName.get(name)?.builtIn ?? false;
  }

  /** Built-ins first, then loaded plugins, each by name. */
  list(): SamlPluginInfo[] {
    return [...this.byName.values()]
      .sort((a, b) => Number(b.builtIn) - Number(a.builtIn) || (a.plugin.name < b.plugin.name ? -1 : 1))
      .map(({ plugin, builtIn }) => ({
        name: plugin.name,
        statement: plugin.statement,
        builtIn,
        ...(plugin.description !== undefined ? { description: plugin.description } : {}),
        ...(plugin.amClassNames !== undefined ? { amClassNames: [...plugin.amClassNames] } : {}),
      }));
  }
}

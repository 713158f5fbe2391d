/**
 * Runs a SAML statement plugin for the SAML2 provider with the same failure rules as custom token providers,
 * so every plugin failure reaches clients the same way (PluginFailureError, INTERNAL, no token). Checking the
 * result's shape stays with the SAML2 provider, which is what knows how each statement is serialized.
 */
import { PluginFailureError, pluginErrorText } from './custom-tokens.js';
import { callWithTimeout } from './timeout.js';
import type { Saml2StatementPlugin, SamlStatementContext, SamlStatementKind } from './types.js';

export function statementPluginLabel(plugin: Pick<Saml2StatementPlugin, 'name'>): string {
  return `SAML statement plugin ${plugin.name}`;
}

/**
 * Calls `plugin.provide(ctx)` within `timeoutMs`. Returns the raw result, typed `unknown` on purpose: it is
 * plugin output until the caller has checked it (and a malformed one should be reported with
 * `new PluginFailureError(statementPluginLabel(plugin), 'malformed-result', why)`).
 */
export async function runStatementPlugin<K extends SamlStatementKind>(
  plugin: Saml2StatementPlugin<K>,
  ctx: SamlStatementContext<K>,
  timeoutMs: number,
): Promise<unknown> {
  const who = statementPluginLabel(plugin);
  try {
    return await callWithTimeout(
      () => plugin.provide(ctx),
      timeoutMs,
      () => new PluginFailureError(who, 'timeout', `no answer within ${timeoutMs} ms`),
    );
  } catch (err) {
    if (err instanceof PluginFailureError) throw err;
    throw new PluginFailureError(who, 'threw', pluginErrorText(err), err);
  }
}

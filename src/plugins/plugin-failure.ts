/**
 * The one error for a plugin that fails a request (API.md §6): it threw, timed out or returned something
 * malformed. A server-side fault, not the client's, so it is INTERNAL (HTTP 500) and the client learns nothing of
 * the plugin's internals; its message is built only from the plugin's label (kind and name or token type, chosen
 * by the operator and checked at load) and is what the server log and the audit trail show, with the plugin's
 * sanitized error as `detail` and the original error as `cause`.
 */
import { channel } from 'node:diagnostics_channel';
import { InternalError, sanitizeMessage } from '../engine/errors.js';

export type PluginFailureReason = 'threw' | 'timeout' | 'malformed-result';

/**
 * Every plugin failure is published here as it happens (metrics count them by plugin and reason). A diagnostics
 * channel costs nothing while nobody subscribes, and keeps the plugin code free of any metrics dependency.
 */
export const PLUGIN_FAILURE_CHANNEL = 'tessera:plugin-failure';
const failures = channel(PLUGIN_FAILURE_CHANNEL);

export interface PluginFailureMessage {
  plugin: string;
  reason: PluginFailureReason;
}

export class PluginFailureError extends InternalError {
  /** The plugin's label: its kind and name or token type (`SAML statement plugin one-time-use`). */
  readonly plugin: string;
  readonly reason: PluginFailureReason;
  /** The plugin's own (sanitized) error text or what was wrong with its result; for logs only. */
  readonly detail: string;
  /** SAML statement plugins: the plugin's name and the statement kind it was asked for. */
  readonly pluginName?: string;
  readonly statement?: string;
  constructor(plugin: string, reason: PluginFailureReason, detail: string, cause?: unknown, saml?: { pluginName: string; statement: string }) {
    super(`${plugin} ${REASON_TEXT[reason]}.`, cause);
    this.name = 'PluginFailureError';
    this.plugin = plugin;
    this.reason = reason;
    this.detail = detail;
    if (saml) {
      this.pluginName = saml.pluginName;
      this.statement = saml.statement;
    }
    if (failures.hasSubscribers) failures.publish({ plugin: saml?.pluginName ?? plugin, reason } satisfies PluginFailureMessage);
  }
}

const REASON_TEXT: Record<PluginFailureReason, string> = {
  threw: 'failed',
  timeout: 'did not answer in time',
  'malformed-result': 'returned a malformed result',
};

/** A plugin may throw anything, even a value whose toString throws; describing it must not throw again. */
export function pluginErrorText(err: unknown): string {
  try {
    return sanitizeMessage(err instanceof Error ? err.message : err);
  } catch {
    return '';
  }
}


/** Shared fixtures for the OIDC unit tests. */
import type { InstanceConfig, PublishedInstance, RequestContext } from '../../../src/engine/types.js';

export const REQUEST: RequestContext = { caller: null, clientAddress: '127.0.0.1', door: 'graphql' };

export function publishedInstance(config: Partial<InstanceConfig> & { name?: string }): PublishedInstance {
  const at = new Date('2025-01-01T00:00:00Z');
  return {
    id: `id-${config.name ?? 'partner'}`,
    config: { name: 'partner', transforms: [], persistIssuedTokens: true, ...config },
    createdAt: at,
    updatedAt: at,
  };
}

/** The current time truncated to whole seconds, as JWT NumericDates are. */
export function nowSeconds(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

export function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  const part = token.split('.')[index];
  return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * UNAVAILABLE over GraphQL: when a database fault (persistence/faults.ts) is all that stopped an operation, the
 * answer is HTTP 503 with Retry-After, as on every other door, so that load balancers and clients back off. An
 * answer with data, or with any other error besides, keeps GraphQL's 200.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { asTesseraError } from '../engine/errors.js';

function retryAfterOf(errors: ReadonlyArray<{ extensions?: Record<string, unknown> }>): number {
  const values = errors.map((e) => e.extensions?.retryAfter).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return Math.max(1, Math.ceil(values.length ? Math.max(...values) : 5));
}

function emptyData(data: unknown): boolean {
  if (data === null || data === undefined) return true;
  return typeof data === 'object' && Object.values(data as Record<string, unknown>).every((v) => v === null);
}

export function unavailablePlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { errors, data } = response.body.singleResult;
          if (!errors || errors.length === 0 || !emptyData(data)) return;
          if (!errors.every((e) => e.extensions?.code === 'UNAVAILABLE')) return;
          response.http.status = 503;
          response.http.headers.set('retry-after', String(retryAfterOf(errors)));
        },
      };
    },
  };
}

/**
 * For the context function: a fault while resolving the caller's session becomes a GraphQL error that keeps
 * its TesseraError (formatError shows its code) and tells Apollo the HTTP status. Anything else is rethrown.
 */
export function contextFault(e: unknown): never {
  const te = asTesseraError(e);
  if (te && te.code === 'UNAVAILABLE') {
    const after = String(Math.max(1, Math.ceil(te.retryAfter ?? 5)));
    throw new GraphQLError(te.message, {
      originalError: te,
      extensions: { code: 'UNAVAILABLE', http: { status: 503, headers: new Map([['retry-after', after]]) } },
    });
  }
  throw e;
}

/**
 * The schema of a server with the built-in token kinds and no plugins: what schema.graphql commits. Building
 * the kinds needs their services only to run, not to describe themselves, so inert stand-ins serve here.
 */
import type { GraphQLSchema } from 'graphql';
import type { TokenRegistry } from '../engine/registry.js';
import { buildRegistry, builtInKinds, type KindDeps } from '../tokens/index.js';
import { buildTesseraSchema, printTesseraSchema } from './schema.js';

function inert<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: () => () => {
      throw new Error(`${what} is not available while describing the schema`);
    },
  });
}

let registry: TokenRegistry | undefined;

export function builtInRegistry(): TokenRegistry {
  if (!registry) {
    const deps: KindDeps = {
      identity: inert('the identity store'),
      keys: inert('the key store'),
      replay: inert('the replay store'),
      publicUrl: 'http://127.0.0.1:4000',
      samlPlugins: { resolve: () => undefined, statementOf: () => undefined },
      pluginTimeoutMs: 2000,
    };
    registry = buildRegistry(builtInKinds(deps));
  }
  return registry;
}

export function defaultSchema(): GraphQLSchema {
  return buildTesseraSchema(builtInRegistry());
}

export function printDefaultSchema(): string {
  return printTesseraSchema(builtInRegistry());
}

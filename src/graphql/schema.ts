/**
 * Builds the GraphQL schema from the resolvers, with the contract's scalar names (DateTime, JSON), and the
 * request limits: the document size here; depth, cost, aliases, directives and tokens in limits.ts; string
 * arguments in input-guard.ts.
 */
import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { buildSchemaSync } from 'type-graphql';
import type { TokenRegistry } from '../engine/registry.js';
import { RESOLVERS } from './resolvers.js';
import { badBearerMiddleware } from './middleware.js';
import { buildRegistryTypes } from './registry-types.js';
import { EndpointsType, TransformInput, TransformType } from './types.js';
import { inputGuardMiddleware } from './input-guard.js';

const cached = new WeakMap<TokenRegistry, GraphQLSchema>();

/** The schema for a registry: the static operations plus the types its token kinds shape (registry-types.ts). */
export function buildTesseraSchema(registry: TokenRegistry): GraphQLSchema {
  let schema = cached.get(registry);
  if (!schema) {
    // Building is synchronous: the registry types are current for exactly this build.
    buildRegistryTypes(registry, { TransformInput, Transform: TransformType, Endpoints: EndpointsType });
    schema = buildSchemaSync({
      resolvers: [...RESOLVERS] as unknown as [Function, ...Function[]],
      scalarsMap: [{ type: Date, scalar: GraphQLDateTime }],
      validate: false,
      // The bearer check first: a bad session is UNAUTHENTICATED whatever the arguments hold.
      globalMiddlewares: [badBearerMiddleware, inputGuardMiddleware],
    });
    // type-graphql has no option for the root types' own descriptions; graphql-js keeps them as plain fields.
    schema.getQueryType()!.description = 'Reads: the caller, and (admin) users, instances, keys, plugins, issued-token records and the audit trail.';
    schema.getMutationType()!.description = 'Changes: login and passwords, users, instances and keys (admin), and the token operations translate, validate and cancel.';
    cached.set(registry, schema);
  }
  return schema;
}

/** The SDL committed as schema.graphql (sorted, so it is stable). */
export function printTesseraSchema(registry: TokenRegistry): string {
  return printSchema(lexicographicSortSchema(buildTesseraSchema(registry))) + '\n';
}

export const LIMITS = {
  /** Characters of the query document (variables are bounded by the body limit). */
  maxDocumentChars: 100_000,
};

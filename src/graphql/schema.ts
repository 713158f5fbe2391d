/**
 * Builds the GraphQL schema from the resolvers, with the contract's scalar names (DateTime, JSON), and the
 * request limits: the document size here; depth, cost, aliases, directives and tokens in limits.ts; string
 * arguments in input-guard.ts.
 */
import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { buildSchemaSync } from 'type-graphql';
import { RESOLVERS } from './resolvers.js';
import { badBearerMiddleware } from './middleware.js';
import { inputGuardMiddleware } from './input-guard.js';

let cached: GraphQLSchema | undefined;

export function buildTesseraSchema(): GraphQLSchema {
  cached ??= buildSchemaSync({
    resolvers: [...RESOLVERS] as unknown as [Function, ...Function[]],
    scalarsMap: [{ type: Date, scalar: GraphQLDateTime }],
    validate: false,
    // The bearer check first: a bad session is UNAUTHENTICATED whatever the arguments hold.
    globalMiddlewares: [badBearerMiddleware, inputGuardMiddleware],
  });
  return cached;
}

/** The SDL committed as schema.graphql (sorted, so it is stable). */
export function printTesseraSchema(): string {
  return printSchema(lexicographicSortSchema(buildTesseraSchema())) + '\n';
}

export const LIMITS = {
  /** Characters of the query document (variables are bounded by the body limit). */
  maxDocumentChars: 100_000,
};

/**
 * Builds the GraphQL schema from the resolvers, with the contract's scalar names (DateTime, JSON), and the
 * request limits: query depth, aliases, document size.
 */
import 'reflect-metadata';
import {
  GraphQLError,
  GraphQLSchema,
  Kind,
  lexicographicSortSchema,
  printSchema,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { buildSchemaSync } from 'type-graphql';
import type { TokenRegistry } from '../engine/registry.js';
import { RESOLVERS } from './resolvers.js';
import { badBearerMiddleware } from './middleware.js';
import { buildRegistryTypes } from './registry-types.js';
import { EndpointsType, TransformInput, TransformType } from './types.js';

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
      globalMiddlewares: [badBearerMiddleware],
    });
    cached.set(registry, schema);
  }
  return schema;
}

/** The SDL committed as schema.graphql (sorted, so it is stable). */
export function printTesseraSchema(registry: TokenRegistry): string {
  return printSchema(lexicographicSortSchema(buildTesseraSchema(registry))) + '\n';
}

export const LIMITS = {
  /** GraphiQL's own introspection query nests about 13 levels. */
  maxDepth: 15,
  maxAliases: 15,
  /** Characters of the query document (variables are bounded by the body limit). */
  maxDocumentChars: 100_000,
};

function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** Rejects documents nested deeper than `max` selection sets (fragments followed). */
export function depthLimit(max: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of context.getDocument().definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    const depthOf = (set: SelectionSetNode | undefined, depth: number, seen: Set<string>): number => {
      if (!set) return depth;
      let deepest = depth;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) deepest = Math.max(deepest, depthOf(sel.selectionSet, depth + 1, seen));
        else if (sel.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, depthOf(sel.selectionSet, depth, seen));
        else if (sel.kind === Kind.FRAGMENT_SPREAD) {
          const name = sel.name.value;
          const f = fragments.get(name);
          if (f && !seen.has(name)) deepest = Math.max(deepest, depthOf(f.selectionSet, depth, new Set([...seen, name])));
        }
        if (deepest > max) return deepest;
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const d = depthOf(node.selectionSet, 0, new Set());
        if (d > max) context.reportError(limitError(`The query is nested ${d > max ? 'more than ' + max : d} levels deep; the limit is ${max}.`));
      },
    };
  };
}

/** Rejects documents with more than `max` aliased fields (aliases multiply work inside one request). */
export function aliasLimit(max: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let count = 0;
    let reported = false;
    return {
      Field(node) {
        if (node.alias) count++;
        if (count > max && !reported) {
          reported = true;
          context.reportError(limitError(`The query uses more than ${max} aliases.`));
        }
      },
    };
  };
}

export const VALIDATION_RULES: ValidationRule[] = [depthLimit(LIMITS.maxDepth), aliasLimit(LIMITS.maxAliases)];

/**
 * Request limits for GraphQL documents, applied before anything executes: tokens while parsing, then depth,
 * cost, aliases and directives while validating.
 *
 * Why a library and why these rules: a depth rule that re-walks fragment spreads without remembering what it
 * found is exponential in a chain of fragments each spreading the next twice (23 levels, 1.4 KB, took 10 s
 * of event loop). The graphql-armor rules remember each fragment's result the first time they meet it, so
 * every rule is one linear pass over the document; the token limit is graphql-js's own, counted by the
 * parser, so an oversized document stops being read at the first token past the limit.
 */
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { DEFAULT_GRAPHQL_LIMITS, type GraphqlLimits } from '../config.js';

export type { GraphqlLimits };

function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/**
 * graphql-armor reports through callbacks; its own messages start with "Syntax Error:", which these are not.
 * `found` is the number the rule computed (it may be Infinity for a cost that overflows).
 */
function reporter(message: (found: number) => string) {
  return [
    (context: ValidationContext | null, error: GraphQLError): void => {
      const m = /found (\S+?)\.?$/.exec(error.message);
      const found = m ? Number(m[1]) : NaN;
      context?.reportError(limitError(message(found)));
    },
  ];
}

/** The validation rules, in addition to graphql-js's specified rules (Apollo adds those). */
export function graphqlValidationRules(limits: GraphqlLimits = DEFAULT_GRAPHQL_LIMITS): ValidationRule[] {
  const common = {
    // Introspection is enabled, and __Type.fields.type.fields… nests without end: it is limited like the rest.
    ignoreIntrospection: false,
    exposeLimits: true,
    propagateOnRejection: false,
  };
  return [
    maxDepthRule({
      ...common,
      n: limits.maxDepth,
      // A fragment is a name for a selection set, not a level of its own.
      flattenFragments: true,
      onReject: reporter((found) => `The query is nested ${found} levels deep; the limit is ${limits.maxDepth}.`),
    }) as unknown as ValidationRule,
    costLimitRule({
      ...common,
      maxCost: limits.maxCost,
      flattenFragments: true,
      onReject: reporter((found) =>
        `The query is too costly (${Number.isFinite(found) ? Math.ceil(found) : 'unbounded'}); the limit is ${limits.maxCost}.`,
      ),
    }) as unknown as ValidationRule,
    maxAliasesRule({
      ...common,
      n: limits.maxAliases,
      // Only __typename may be aliased freely: it costs nothing to resolve. The default list allows it by
      // alias too, which would let any field hide behind the alias "__typename".
      allowList: [],
      onReject: reporter((found) => `The query uses ${found} aliases; the limit is ${limits.maxAliases}.`),
    }) as unknown as ValidationRule,
    maxDirectivesRule({
      ...common,
      n: limits.maxDirectives,
      onReject: reporter((found) => `The query uses ${found} directives; the limit is ${limits.maxDirectives}.`),
    }) as unknown as ValidationRule,
  ];
}

/** Parser options: graphql-js stops at the first token past the limit (GRAPHQL_PARSE_FAILED → BAD_USER_INPUT). */
export function graphqlParseOptions(limits: GraphqlLimits = DEFAULT_GRAPHQL_LIMITS): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

/** What Apollo Server needs: `new ApolloServer({ ...graphqlLimitOptions(config.graphql), … })`. */
export function graphqlLimitOptions(limits: GraphqlLimits = DEFAULT_GRAPHQL_LIMITS): { validationRules: ValidationRule[]; parseOptions: ParseOptions } {
  return { validationRules: graphqlValidationRules(limits), parseOptions: graphqlParseOptions(limits) };
}

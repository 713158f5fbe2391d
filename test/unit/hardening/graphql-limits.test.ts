/**
 * The GraphQL limit rules on their own: one linear pass however fragments are chained, each limit reported
 * as BAD_USER_INPUT with its number, and the TESSERA_GRAPHQL_* configuration with its defaults and bounds.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getIntrospectionQuery, GraphQLError, parse, specifiedRules, validate } from 'graphql';
import { defaultSchema } from '../../../src/graphql/default-schema.js';
import { graphqlParseOptions, graphqlValidationRules } from '../../../src/graphql/limits.js';
import { ConfigError, DEFAULT_GRAPHQL_LIMITS, loadConfig } from '../../../src/config.js';

const schema = defaultSchema();

function chain(levels: number, type = 'Query', leaf = '__typename'): string {
  let doc = 'query { ...F0 }\n';
  for (let i = 0; i < levels; i++) doc += `fragment F${i} on ${type} { ...F${i + 1} ...F${i + 1} }\n`;
  return doc + `fragment F${levels} on ${type} { ${leaf} }\n`;
}

function check(doc: string, limits = DEFAULT_GRAPHQL_LIMITS): { errors: readonly GraphQLError[]; ms: number } {
  const t = performance.now();
  const ast = parse(doc, graphqlParseOptions(limits));
  const errors = validate(schema, ast, [...specifiedRules, ...graphqlValidationRules(limits)]);
  return { errors, ms: performance.now() - t };
}

describe('GraphQL limit rules', () => {
  test('fragment chains are checked in linear time: 30, 60 and 120 levels in well under 50 ms', () => {
    for (const levels of [30, 60, 120]) {
      const best = Math.min(...[0, 1, 2].map(() => check(chain(levels)).ms));
      const { errors } = check(chain(levels));
      assert.equal(errors.length, 1, errors.map((e) => e.message).join('; '));
      assert.equal(errors[0].extensions.code, 'BAD_USER_INPUT');
      assert.match(errors[0].message, /too costly/);
      assert.ok(best < 50, `${levels} levels: ${best.toFixed(1)} ms`);
    }
  });

  test('a short chain is cheap and passes; depth through fragments counts fields, not fragments', () => {
    assert.deepEqual(check(chain(5)).errors, []);
    const deep = check(`
      query { __schema { queryType { ...F1 } } }
      fragment F1 on __Type { fields { type { ...F2 } } }
      fragment F2 on __Type { ofType { ofType { ofType { ...F3 } } } }
      fragment F3 on __Type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } }`);
    assert.equal(deep.errors.length, 1);
    assert.match(deep.errors[0].message, /nested 16 levels deep; the limit is 15/);
  });

  test("GraphiQL's introspection queries pass the default limits", () => {
    for (const q of [getIntrospectionQuery(), getIntrospectionQuery({ descriptions: true, schemaDescription: true, inputValueDeprecation: true, specifiedByUrl: true, directiveIsRepeatable: true })]) {
      assert.deepEqual(check(q).errors, []);
    }
  });

  const table: Array<[string, string, RegExp]> = [
    ['depth', `{ __schema { types { fields { type { ${'ofType { '.repeat(11)}name${' }'.repeat(11)} } } } } }`, /nested 16 levels deep; the limit is 15/],
    ['aliases', `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: __typename`).join(' ')} }`, /16 aliases; the limit is 15/],
    ['aliases through fragments', `query { ...A ...B } fragment A on Query { ${Array.from({ length: 8 }, (_, i) => `a${i}: __typename`).join(' ')} } fragment B on Query { ${Array.from({ length: 8 }, (_, i) => `b${i}: __typename`).join(' ')} }`, /16 aliases/],
    ['directives', `{ ${Array.from({ length: 21 }, () => '__typename @skip(if: false)').join(' ')} }`, /21 directives; the limit is 20/],
    ['cost', chain(12), /too costly \(\d+\); the limit is 50000/],
  ];
  for (const [name, doc, message] of table) {
    test(`${name} over the limit: one BAD_USER_INPUT error naming the limit`, () => {
      const { errors } = check(doc);
      assert.equal(errors.length, 1, errors.map((e) => e.message).join('; '));
      assert.equal(errors[0].extensions.code, 'BAD_USER_INPUT');
      assert.match(errors[0].message, message);
    });
  }

  test('tokens: the parser stops at the first token past the limit', () => {
    assert.doesNotThrow(() => parse(`{ ${'__typename '.repeat(1998)}}`, graphqlParseOptions()));
    assert.throws(() => parse(`{ ${'__typename '.repeat(1999)}}`, graphqlParseOptions()), /more tha[nt] 2000 tokens/);
  });
});

describe('TESSERA_GRAPHQL_* configuration', () => {
  test('defaults: depth 15, aliases 15, directives 20, tokens 2000, cost 50000', () => {
    assert.deepEqual(loadConfig({}).graphql, { maxDepth: 15, maxAliases: 15, maxDirectives: 20, maxTokens: 2000, maxCost: 50_000 });
  });

  test('each variable sets its limit', () => {
    const c = loadConfig({ TESSERA_GRAPHQL_MAX_DEPTH: '20', TESSERA_GRAPHQL_MAX_ALIASES: '0', TESSERA_GRAPHQL_MAX_DIRECTIVES: '5', TESSERA_GRAPHQL_MAX_TOKENS: '800', TESSERA_GRAPHQL_MAX_COST: '100000' });
    assert.deepEqual(c.graphql, { maxDepth: 20, maxAliases: 0, maxDirectives: 5, maxTokens: 800, maxCost: 100_000 });
  });

  const bad: Array<[string, string]> = [
    ['TESSERA_GRAPHQL_MAX_DEPTH', '14'], // GraphiQL's introspection query would be refused
    ['TESSERA_GRAPHQL_MAX_DEPTH', 'deep'],
    ['TESSERA_GRAPHQL_MAX_ALIASES', '-1'],
    ['TESSERA_GRAPHQL_MAX_DIRECTIVES', '1.5'],
    ['TESSERA_GRAPHQL_MAX_TOKENS', '100'],
    ['TESSERA_GRAPHQL_MAX_COST', '1000'],
    ['TESSERA_GRAPHQL_MAX_COST', '1e9'],
  ];
  for (const [name, value] of bad) {
    test(`${name}=${value} stops the start, naming the variable`, () => {
      assert.throws(() => loadConfig({ [name]: value }), (e: unknown) => e instanceof ConfigError && e.message.includes(name));
    });
  }
});

/**
 * A self-describing schema: every query, mutation, type, field, argument, input field and enum value of the
 * schema Tessera serves has a description (GraphiQL's docs explorer shows them). The built-in scalars and the
 * introspection types are GraphQL's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType, type GraphQLSchema } from 'graphql';
import { defaultSchema } from '../../../src/graphql/default-schema.js';

const BUILT_IN = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);

function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const has = (d: string | null | undefined) => typeof d === 'string' && d.trim().length > 0;
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || (isScalarType(type) && BUILT_IN.has(type.name))) continue;
    if (!has(type.description)) missing.push(`type ${type.name}`);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const f of Object.values(type.getFields())) {
        if (!has(f.description)) missing.push(`${type.name}.${f.name}`);
        for (const a of f.args) if (!has(a.description)) missing.push(`${type.name}.${f.name}(${a.name})`);
      }
    } else if (isInputObjectType(type)) {
      for (const f of Object.values(type.getFields())) if (!has(f.description)) missing.push(`${type.name}.${f.name}`);
    } else if (isEnumType(type)) {
      for (const v of type.getValues()) if (!has(v.description)) missing.push(`${type.name}.${v.name}`);
    }
  }
  return missing;
}

test('every element of the served schema has a description', () => {
  const missing = undescribed(defaultSchema());
  assert.deepEqual(missing, [], `undescribed:\n${missing.join('\n')}`);
});

test('the check names each undescribed element (it can fail)', () => {
  const s = buildSchema('"The root." type Query { "described" a(x: Int): String, b(y: E): Int } enum E { "one" ONE TWO } input I { f: Int }');
  assert.deepEqual(undescribed(s).sort(), ['E.TWO', 'I.f', 'Query.a(x)', 'Query.b', 'Query.b(y)', 'type E', 'type I'].sort());
});

/**
 * The committed schema.graphql is what the code builds (`npm run schema` refreshes it), and the schema keeps
 * the fixed names of API.md §3: scalars, every query and mutation with its arguments and result type, and the
 * input types clients send.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLSchema,
} from 'graphql';
import { defaultSchema as buildTesseraSchema, printDefaultSchema as printTesseraSchema } from '../../src/graphql/default-schema.js';
import { projectRoot } from '../../src/paths.js';

const SCHEMA_FILE = join(projectRoot(), 'schema.graphql');

/** API.md §3: name → (argument → type) and result type. */
const QUERIES: Record<string, { args: Record<string, string>; type: string }> = {
  me: { args: {}, type: 'User' },
  users: { args: {}, type: '[User!]!' },
  instances: { args: {}, type: '[StsInstance!]!' },
  instance: { args: { name: 'String!' }, type: 'StsInstance' },
  keys: { args: {}, type: '[Key!]!' },
  samlPlugins: { args: {}, type: '[SamlPlugin!]!' },
  customTokenTypes: { args: {}, type: '[CustomTokenType!]!' },
  issuedTokens: { args: { instance: 'String', subject: 'String', first: 'Int', after: 'String' }, type: '[IssuedTokenRecord!]!' },
  auditEvents: { args: { instance: 'String', first: 'Int' }, type: '[AuditEvent!]!' },
  // API.md §7
  oauthClients: { args: {}, type: '[OAuthClient!]!' },
};

const MUTATIONS: Record<string, { args: Record<string, string>; type: string }> = {
  login: { args: { username: 'String!', password: 'String!' }, type: 'Session!' },
  logout: { args: {}, type: 'Boolean!' },
  changePassword: { args: { oldPassword: 'String!', newPassword: 'String!' }, type: 'Boolean!' },
  createUser: { args: { input: 'UserInput!' }, type: 'User!' },
  deleteUser: { args: { username: 'String!' }, type: 'Boolean!' },
  publishInstance: { args: { input: 'InstanceInput!' }, type: 'StsInstance!' },
  updateInstance: { args: { name: 'String!', input: 'InstanceInput!' }, type: 'StsInstance!' },
  deleteInstance: { args: { name: 'String!' }, type: 'Boolean!' },
  generateKey: { args: { algorithm: 'String!' }, type: 'Key!' },
  rotateKey: { args: { kid: 'String!' }, type: 'Key!' },
  retireKey: { args: { kid: 'String!' }, type: 'Key!' },
  translateToken: { args: { instance: 'String!', input: 'TokenInput!', output: 'TokenOutput!' }, type: 'TranslatedToken!' },
  validateToken: { args: { instance: 'String!', type: 'TokenType!', token: 'String!' }, type: 'TokenValidation!' },
  cancelToken: { args: { instance: 'String!', type: 'TokenType!', token: 'String!' }, type: 'Boolean!' },
  // API.md §7
  createOAuthClient: { args: { input: 'OAuthClientInput!' }, type: 'CreatedOAuthClient!' },
  updateOAuthClient: { args: { clientId: 'String!', input: 'OAuthClientInput!' }, type: 'OAuthClient!' },
  deleteOAuthClient: { args: { clientId: 'String!' }, type: 'Boolean!' },
  rotateOAuthClientSecret: { args: { clientId: 'String!' }, type: 'CreatedOAuthClient!' },
};

/** Object and input types with the fields API.md §3 names (more fields are allowed). */
const TYPES: Record<string, Record<string, string>> = {
  Session: { token: 'String!', expiresAt: 'DateTime!', user: 'User!' },
  User: { id: 'ID!', username: 'String!', roles: '[String!]!', attributes: 'JSON!' },
  Key: { kid: 'String!', algorithm: 'String!', status: 'String!', publicJwk: 'JSON!', certificate: 'String!', createdAt: 'DateTime!' },
  TranslatedToken: { token: 'String!', type: 'TokenType!', tokenId: 'String!', subject: 'String!', issuedAt: 'DateTime!', expiresAt: 'DateTime!' },
  TokenValidation: { valid: 'Boolean!', reason: 'String', subject: 'String', expiresAt: 'DateTime' },
  SamlPlugin: { name: 'String!', statement: 'String!', builtIn: 'Boolean!' },
  CustomTokenType: { tokenType: 'String!', hasValidator: 'Boolean!', hasProvider: 'Boolean!' },
  UserInput: { username: 'String!', password: 'String!', roles: '[String!]', attributes: 'JSON' },
  InstanceInput: {
    name: 'String!',
    transforms: '[TransformInput!]!',
    persistIssuedTokens: 'Boolean',
    callerRoles: '[String!]',
    saml2: 'Saml2Input',
    oidc: 'OidcInput',
    oidcTrust: '[OidcTrustInput!]',
    x509Trust: 'X509TrustInput',
    // API.md §7
    tokenExchange: 'TokenExchangeInput',
    accessToken: 'AccessTokenInput',
    saml2Trust: '[Saml2TrustInput!]',
  },
  // API.md §7
  OAuthClient: { clientId: 'String!', authMethod: 'String!', instances: '[String!]!', scopes: '[String!]!', roles: '[String!]!', hasSecret: 'Boolean!', createdAt: 'DateTime!' },
  CreatedOAuthClient: { client: 'OAuthClient!', clientSecret: 'String' },
  OAuthClientInput: { clientId: 'String!', authMethod: 'String!', jwks: 'JSON', instances: '[String!]!', scopes: '[String!]', roles: '[String!]' },
  TokenExchangeInput: { audiences: '[String!]', resources: '[String!]', scopes: '[String!]', delegation: 'DelegationInput' },
  DelegationInput: { allowed: 'Boolean', requireMayAct: 'Boolean', maxChainDepth: 'Int' },
  OidcTrustInput: { acceptAccessTokens: 'Boolean' },
  TransformInput: { input: 'TokenType!', output: 'TokenType!', invalidateInterimSession: 'Boolean', customInput: 'String', customOutput: 'String' },
  TokenInput: {
    type: 'TokenType!',
    username: 'String',
    password: 'String',
    idToken: 'String',
    certificate: 'String',
    proof: 'String',
    sessionToken: 'String',
    customType: 'String',
    customToken: 'JSON',
    // API.md §8
    accessToken: 'String',
    samlAssertion: 'String',
  },
  TokenOutput: { type: 'TokenType!', subjectConfirmation: 'SubjectConfirmation', proofCertificate: 'String', nonce: 'String', customType: 'String', audience: '[String!]', scope: 'String' },
};

const ENUMS: Record<string, string[]> = {
  TokenType: ['USERNAME', 'OPENIDCONNECT', 'X509', 'SESSION', 'SAML2', 'ACCESS_TOKEN', 'CUSTOM'],
  SubjectConfirmation: ['BEARER', 'HOLDER_OF_KEY', 'SENDER_VOUCHES'],
};

function checkRoot(schema: GraphQLSchema, kind: 'Query' | 'Mutation', expected: typeof QUERIES): void {
  const root = kind === 'Query' ? schema.getQueryType() : schema.getMutationType();
  assert.ok(root, `the schema has a ${kind} type`);
  const fields = root.getFields();
  for (const [name, want] of Object.entries(expected)) {
    const field: GraphQLField<unknown, unknown> | undefined = fields[name];
    assert.ok(field, `${kind}.${name} exists`);
    assert.equal(String(field.type), want.type, `${kind}.${name} returns ${want.type}`);
    const args = Object.fromEntries(field.args.map((a) => [a.name, String(a.type)]));
    for (const [arg, type] of Object.entries(want.args)) {
      assert.equal(args[arg], type, `${kind}.${name}(${arg}: ${type})`);
    }
    // Any further argument must be optional, or existing clients break.
    for (const a of field.args) {
      if (!(a.name in want.args)) assert.ok(!String(a.type).endsWith('!'), `${kind}.${name}: extra argument ${a.name} is optional`);
    }
  }
}

function checkContract(schema: GraphQLSchema): void {
  for (const scalar of ['DateTime', 'JSON']) {
    assert.ok(isScalarType(schema.getType(scalar)), `scalar ${scalar}`);
  }
  checkRoot(schema, 'Query', QUERIES);
  checkRoot(schema, 'Mutation', MUTATIONS);
  for (const [typeName, fields] of Object.entries(TYPES)) {
    const t = schema.getType(typeName);
    assert.ok(isObjectType(t) || isInputObjectType(t), `type ${typeName} exists`);
    const have = t.getFields();
    for (const [f, type] of Object.entries(fields)) {
      assert.ok(have[f], `${typeName}.${f} exists`);
      assert.equal(String(have[f].type), type, `${typeName}.${f}: ${type}`);
    }
  }
  for (const [enumName, values] of Object.entries(ENUMS)) {
    const t = schema.getType(enumName);
    assert.ok(isEnumType(t), `enum ${enumName}`);
    assert.deepEqual(
      t.getValues().map((v) => v.name).sort(),
      [...values].sort(),
      `enum ${enumName} values`,
    );
  }
}

test('schema.graphql is committed at the package root', () => {
  assert.ok(existsSync(SCHEMA_FILE), `${SCHEMA_FILE} exists (create it with npm run schema)`);
});

test('schema.graphql equals the schema the code builds (run npm run schema after changing the API)', () => {
  const committed = readFileSync(SCHEMA_FILE, 'utf8');
  const built = printTesseraSchema();
  if (committed !== built) {
    const a = committed.split('\n');
    const b = built.split('\n');
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    assert.fail(
      `schema.graphql is stale: first difference at line ${i + 1}\n  file: ${JSON.stringify(a[i])}\n  code: ${JSON.stringify(b[i])}\nRun: npm run schema`,
    );
  }
});

test('the built schema has the operations, arguments, scalars and types of API.md §3', () => {
  checkContract(buildTesseraSchema());
});

test('the committed SDL parses and has the same contract', () => {
  checkContract(buildSchema(readFileSync(SCHEMA_FILE, 'utf8')));
});

test('DateTime is an ISO-8601 string and JSON passes any JSON value', () => {
  const schema = buildTesseraSchema();
  const dt = schema.getType('DateTime');
  const json = schema.getType('JSON');
  assert.ok(isScalarType(dt) && isScalarType(json));
  // graphql-scalars keeps a Date, which goes onto the wire as its ISO string.
  assert.equal(JSON.stringify(dt.serialize(new Date('2030-01-02T03:04:05.000Z'))), '"2030-01-02T03:04:05.000Z"');
  assert.throws(() => dt.parseValue('not a date'));
  const value = { mail: 'a@example.com', memberOf: ['staff', 'dev'], n: 1, ok: true, none: null };
  assert.deepEqual(json.serialize(value), value);
});

/**
 * Custom token plugins that misbehave, through GraphQL and REST on SQLite and PostgreSQL: validators and
 * providers that throw, hang past TESSERA_PLUGIN_TIMEOUT_MS or return the wrong shape each fail that one request
 * with a typed error, no token, no record and no internals, and the server keeps serving. Also what a validator
 * and a provider receive from each door, and the default lifetime of a provider that sets no expiry.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, codeOf, startServer, type TestServer } from '../support/server.js';
import { assertNoInternals, makePluginDir, type PluginDir } from '../support/plugins-api.js';

const TIMEOUT_MS = 200;
const INSTANCE = 'hostile';
const BOB = { username: 'bob', password: 'bob-password-1', attributes: { mail: 'bob@example.com', memberOf: ['ops'] } };
/** Text a plugin puts in its errors that must never reach a client. */
const SECRET_DETAIL = 'db.internal:5432 slot=7 key=hunter2';
const LEAKED_TOKEN = 'LEAKED-TOKEN-0123456789';

// PROBE reports what it was handed; its provider sets no expiresAt.
const PROBE = `
const keys = (v) => (typeof v === 'object' && v !== null ? Object.keys(v).sort() : [typeof v]);
export default [
  { kind: 'token-validator', tokenType: 'PROBE',
    validate(customToken, ctx) {
      if (typeof customToken !== 'object' || customToken === null || typeof customToken.user !== 'string') throw new Error('no user');
      return { subject: customToken.user, attributes: { tokenKeys: keys(customToken), rawKeys: keys(ctx.rawInput),
        instance: ctx.instance.name, hasNow: String(ctx.now instanceof Date), client: ctx.clientAddress } };
    } },
  { kind: 'token-provider', tokenType: 'PROBE',
    async issue(subject, ctx) {
      subject.attributes.injected = 'changed';
      return { token: JSON.stringify({ subject, rawOutput: ctx.rawOutput, instance: ctx.instance.name, now: ctx.now.toISOString(), n: Math.random() }) };
    } },
];
`;

const THROWS = `
class Oops extends Error {}
export default [
  { kind: 'token-validator', tokenType: 'THROWS',
    validate() { throw new Oops('refused:\\n\\u0007bad\\tticket ' + 'x'.repeat(400)); } },
  { kind: 'token-validator', tokenType: 'THROWS_ODD',
    validate() { throw { toString() { throw new Error('${SECRET_DETAIL}'); } }; } },
  { kind: 'token-provider', tokenType: 'THROWS',
    issue() { throw new Error('cannot reach ${SECRET_DETAIL}'); } },
  { kind: 'token-provider', tokenType: 'REJECTS',
    issue() { return Promise.reject(new TypeError('${SECRET_DETAIL}')); } },
];
`;

const HANGS = `
export default [
  { kind: 'token-validator', tokenType: 'HANGS', validate() { return new Promise(() => {}); } },
  { kind: 'token-provider', tokenType: 'HANGS', issue() { return new Promise(() => {}); } },
];
`;

const SHAPE = `
export default [
  { kind: 'token-validator', tokenType: 'BAD_SHAPE', validate() { return 'bob'; } },
  { kind: 'token-validator', tokenType: 'BAD_SUBJECT', validate() { return { subject: 'bob\\nadmin' }; } },
  { kind: 'token-validator', tokenType: 'BAD_ATTRS', validate() { return { subject: 'bob', attributes: { level: 3 } }; } },
  { kind: 'token-provider', tokenType: 'BAD_SHAPE', issue() { return { token: '${LEAKED_TOKEN}', expiresAt: 'tomorrow' }; } },
  { kind: 'token-provider', tokenType: 'BAD_EXPIRY', issue(s, ctx) { return { token: '${LEAKED_TOKEN}', expiresAt: new Date(ctx.now.getTime() - 1000) }; } },
  { kind: 'token-provider', tokenType: 'NO_TOKEN', issue() { return { token: '' }; } },
  { kind: 'token-provider', tokenType: 'SAME', issue() { return { token: 'always-the-same-token' }; } },
  { kind: 'token-validator', tokenType: 'VALIDATOR_ONLY', validate() { return { subject: 'bob' }; } },
];
`;

const VALIDATORS = ['PROBE', 'THROWS', 'THROWS_ODD', 'HANGS', 'BAD_SHAPE', 'BAD_SUBJECT', 'BAD_ATTRS'];
const PROVIDERS = ['PROBE', 'THROWS', 'REJECTS', 'HANGS', 'BAD_SHAPE', 'BAD_EXPIRY', 'NO_TOKEN', 'SAME'];

const TRANSLATE = `mutation($i: String!, $in: TokenInput!, $out: TokenOutput!) {
  translateToken(instance: $i, input: $in, output: $out) { token type tokenId subject issuedAt expiresAt } }`;

for (const db of DB_KINDS) {
  describe(`misbehaving custom token plugins on ${db}`, () => {
    let s: TestServer;
    let plugins: PluginDir;

    const translate = (input: unknown, output: unknown) => s.gql(TRANSLATE, { i: INSTANCE, in: input, out: output });
    const custom = (customType: string, customToken: unknown = { user: 'bob' }) => ({ type: 'CUSTOM', customType, customToken });
    const bobInput = { type: 'USERNAME', username: BOB.username, password: BOB.password };
    const recordCount = async () => {
      const r = await s.gql(`{ issuedTokens(instance: "${INSTANCE}", first: 500) { tokenId } }`, {}, s.adminToken);
      return (r.data.issuedTokens as unknown[]).length;
    };
    /** A good request right after a failure: the process keeps serving. */
    const stillServing = async () => {
      const g = await translate(custom('PROBE'), { type: 'CUSTOM', customType: 'PROBE' });
      assert.equal(g.errors, undefined, JSON.stringify(g.errors));
      const r = await s.rest(INSTANCE, 'translate', {
        input_token_state: { token_type: 'USERNAME', username: BOB.username, password: BOB.password },
        output_token_state: { token_type: 'PROBE' },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    };

    before(async () => {
      plugins = makePluginDir({ modules: { 'probe.mjs': PROBE, 'throws.mjs': THROWS, 'hangs.mjs': HANGS, 'shape.mjs': SHAPE } });
      s = await startServer({ db, env: { TESSERA_PLUGIN_DIR: plugins.dir, TESSERA_PLUGIN_TIMEOUT_MS: String(TIMEOUT_MS) } });
      const u = await s.gql('mutation($u: UserInput!) { createUser(input: $u) { username } }', { u: BOB }, s.adminToken);
      assert.equal(u.errors, undefined, JSON.stringify(u.errors));
      const transforms = [
        ...VALIDATORS.map((v) => ({ input: 'CUSTOM', customInput: v, output: 'CUSTOM', customOutput: 'PROBE' })),
        ...PROVIDERS.map((p) => ({ input: 'USERNAME', output: 'CUSTOM', customOutput: p })),
        { input: 'CUSTOM', customInput: 'PROBE', output: 'SAML2' },
      ];
      const p = await s.gql(
        'mutation($in: InstanceInput!) { publishInstance(input: $in) { name } }',
        { in: { name: INSTANCE, transforms, saml2: { issuer: 'https://sts.example.com', spEntityId: 'https://sp.example.com' } } },
        s.adminToken,
      );
      assert.equal(p.errors, undefined, JSON.stringify(p.errors));
    });
    after(async () => {
      await s?.destroy();
      plugins?.cleanup();
    });

    test('customTokenTypes lists what each module provides', async () => {
      const r = await s.gql('{ customTokenTypes { tokenType hasValidator hasProvider } }', {}, s.adminToken);
      const byType = Object.fromEntries(r.data.customTokenTypes.map((t: { tokenType: string; hasValidator: boolean; hasProvider: boolean }) => [t.tokenType, [t.hasValidator, t.hasProvider]]));
      assert.deepEqual(byType.PROBE, [true, true]);
      assert.deepEqual(byType.VALIDATOR_ONLY, [true, false]);
      assert.deepEqual(byType.REJECTS, [false, true]);
      assert.equal(Object.keys(byType).length, 12);
    });

    test('publishing a custom output without a provider, or an input without a validator, is BAD_USER_INPUT', async () => {
      for (const t of [
        { input: 'USERNAME', output: 'CUSTOM', customOutput: 'VALIDATOR_ONLY' },
        { input: 'CUSTOM', customInput: 'REJECTS', output: 'CUSTOM', customOutput: 'PROBE' },
      ]) {
        const r = await s.gql('mutation($in: InstanceInput!) { publishInstance(input: $in) { name } }', { in: { name: 'half-pair', transforms: [t] } }, s.adminToken);
        assert.equal(codeOf(r), 'BAD_USER_INPUT', JSON.stringify(t));
      }
    });

    test('a validator gets TokenInput.customToken over GraphQL and input_token_state without token_type over REST', async () => {
      const g = await translate(custom('PROBE', { user: 'bob', extra: 1 }), { type: 'SAML2' });
      assert.equal(g.errors, undefined, JSON.stringify(g.errors));
      assert.equal(g.data.translateToken.subject, 'bob');
      const viaGql = await translate(custom('PROBE', { user: 'bob', extra: 1 }), { type: 'CUSTOM', customType: 'PROBE' });
      const gSeen = JSON.parse(viaGql.data.translateToken.token);
      assert.deepEqual(gSeen.subject.attributes.tokenKeys, ['extra', 'user']);
      assert.deepEqual(gSeen.subject.attributes.rawKeys, ['customToken', 'customType', 'type']);
      assert.equal(gSeen.subject.attributes.instance, INSTANCE);
      assert.equal(gSeen.subject.attributes.hasNow, 'true');
      assert.equal(gSeen.subject.attributes.client, '127.0.0.1');
      assert.equal(gSeen.subject.inputType, 'PROBE');
      assert.deepEqual(gSeen.rawOutput, { type: 'CUSTOM', customType: 'PROBE' });

      const r = await s.rest(INSTANCE, 'translate', {
        input_token_state: { token_type: 'PROBE', user: 'bob', extra: 1 },
        output_token_state: { token_type: 'PROBE', flavour: 'x' },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const rSeen = JSON.parse(r.body.issued_token);
      assert.deepEqual(rSeen.subject.attributes.tokenKeys, ['extra', 'user']);
      assert.deepEqual(rSeen.subject.attributes.rawKeys, ['extra', 'token_type', 'user']);
      assert.deepEqual(rSeen.rawOutput, { flavour: 'x' });
    });

    test('a provider without expiresAt gets issue time + 600 s; the subject it is handed is a copy', async () => {
      const g = await translate(bobInput, { type: 'CUSTOM', customType: 'PROBE' });
      assert.equal(g.errors, undefined, JSON.stringify(g.errors));
      const t = g.data.translateToken;
      assert.equal(Date.parse(t.expiresAt) - Date.parse(t.issuedAt), 600_000);
      const seen = JSON.parse(t.token);
      assert.equal(seen.now, t.issuedAt);
      assert.deepEqual(seen.subject, { name: 'bob', attributes: { ...BOB.attributes, injected: 'changed' }, inputType: 'USERNAME' });
      const rec = await s.gql(`{ issuedTokens(instance: "${INSTANCE}", first: 1) { tokenId type subject issuedAt expiresAt } }`, {}, s.adminToken);
      assert.deepEqual(rec.data.issuedTokens[0], { tokenId: t.tokenId, type: 'PROBE', subject: 'bob', issuedAt: t.issuedAt, expiresAt: t.expiresAt });
      const v = await s.gql('mutation($t: String!) { validateToken(instance: "hostile", type: CUSTOM, token: $t) { valid expiresAt } }', { t: t.token });
      assert.deepEqual(v.data.validateToken, { valid: true, expiresAt: t.expiresAt });
    });

    // validator outcomes: [type, code, exact message]
    const validatorCases: Array<[string, string, number, string | RegExp]> = [
      ['THROWS', 'INVALID_TOKEN', 401, /^refused: {2}bad ticket x{179}…$/],
      ['THROWS_ODD', 'INVALID_TOKEN', 401, 'The THROWS_ODD token was rejected.'],
      ['HANGS', 'INVALID_TOKEN', 401, 'The HANGS validator did not answer in time.'],
      ['BAD_SHAPE', 'INTERNAL', 500, 'An internal error occurred.'],
      ['BAD_SUBJECT', 'INTERNAL', 500, 'An internal error occurred.'],
      ['BAD_ATTRS', 'INTERNAL', 500, 'An internal error occurred.'],
    ];
    for (const [type, code, status, message] of validatorCases) {
      test(`validator ${type}: ${code} over GraphQL and REST, no token, and the server keeps serving`, async () => {
        const before = await recordCount();
        const started = Date.now();
        const g = await translate(custom(type), { type: 'CUSTOM', customType: 'PROBE' });
        assert.equal(codeOf(g), code, JSON.stringify(g.errors));
        assert.equal(g.data, null);
        const gMessage = g.errors![0]!.message;
        if (typeof message === 'string') assert.equal(gMessage, message);
        else assert.match(gMessage, message);
        assert.ok(gMessage.length <= 201);
        assert.equal(Object.keys(g.errors![0]!.extensions!).join(), 'code');
        const r = await s.rest(INSTANCE, 'translate', {
          input_token_state: { token_type: type, user: 'bob' },
          output_token_state: { token_type: 'PROBE' },
        });
        assert.equal(r.status, status);
        assert.deepEqual(r.body, { code: status, reason: status === 401 ? 'Unauthorized' : 'Internal Server Error', message: gMessage, detail: { code } });
        if (type === 'HANGS') {
          const elapsed = Date.now() - started;
          assert.ok(elapsed >= 2 * TIMEOUT_MS && elapsed < 2 * TIMEOUT_MS + 3000, `took ${elapsed} ms`);
        }
        assertNoInternals(JSON.stringify(g) + JSON.stringify(r.body), [SECRET_DETAIL, 'Oops', 'bob\\nadmin']);
        assert.equal(await recordCount(), before);
        await stillServing();
      });
    }

    for (const type of ['THROWS', 'REJECTS', 'HANGS', 'BAD_SHAPE', 'BAD_EXPIRY', 'NO_TOKEN']) {
      test(`provider ${type}: INTERNAL over GraphQL and REST, no token, no record, and the server keeps serving`, async () => {
        const before = await recordCount();
        const g = await translate(bobInput, { type: 'CUSTOM', customType: type });
        assert.equal(codeOf(g), 'INTERNAL', JSON.stringify(g.errors));
        assert.equal(g.errors![0]!.message, 'An internal error occurred.');
        assert.equal(g.data, null);
        const r = await s.rest(INSTANCE, 'translate', {
          input_token_state: { token_type: 'USERNAME', username: BOB.username, password: BOB.password },
          output_token_state: { token_type: type },
        });
        assert.equal(r.status, 500);
        assert.deepEqual(r.body, { code: 500, reason: 'Internal Server Error', message: 'An internal error occurred.', detail: { code: 'INTERNAL' } });
        assertNoInternals(JSON.stringify(g) + JSON.stringify(r.body), [SECRET_DETAIL, LEAKED_TOKEN, type]);
        assert.equal(await recordCount(), before);
        const audit = await s.gql(`{ auditEvents(instance: "${INSTANCE}", first: 1) { action outcome outputType } }`, {}, s.adminToken);
        assert.deepEqual(audit.data.auditEvents[0], { action: 'translate', outcome: 'INTERNAL', outputType: type });
        await stillServing();
      });
    }

    test('a provider that repeats a token string: each issuance is recorded, and the string validates and cancels as one token', async () => {
      const first = await translate(bobInput, { type: 'CUSTOM', customType: 'SAME' });
      assert.equal(first.errors, undefined, JSON.stringify(first.errors));
      const again = await translate(bobInput, { type: 'CUSTOM', customType: 'SAME' });
      assert.equal(again.errors, undefined, JSON.stringify(again.errors));
      assert.equal(again.data.translateToken.token, first.data.translateToken.token);
      assert.notEqual(again.data.translateToken.tokenId, first.data.translateToken.tokenId);
      const token = first.data.translateToken.token as string;
      const validate = () => s.rest(INSTANCE, 'validate', { validated_token_state: { token_type: 'SAME', token } });
      assert.deepEqual((await validate()).body, { token_valid: true });
      const cancelled = await s.rest(INSTANCE, 'cancel', { cancelled_token_state: { token_type: 'SAME', token } });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      // Cancelling the string cancels every record of it: no older issuance stays valid.
      assert.deepEqual((await validate()).body, { token_valid: false });
      await stillServing();
    });

    test('many hanging requests at once all time out and leave the server responsive', async () => {
      const started = Date.now();
      const all = await Promise.all(Array.from({ length: 10 }, () => translate(custom('HANGS'), { type: 'CUSTOM', customType: 'PROBE' })));
      assert.ok(Date.now() - started < TIMEOUT_MS + 3000);
      for (const g of all) assert.equal(codeOf(g), 'INVALID_TOKEN');
      await stillServing();
      const health = await fetch(`${s.url}/healthz`);
      assert.equal(health.status, 200);
    });
  });
}

/**
 * The conformance suite every token kind runs, built-in or plugin (DESIGN.md §3): one table of defects for
 * validators and one round trip for providers, through the public doors of a real server (GraphQL and REST).
 *
 * A validator fixture says, for each defect, how to make a token with it — or why the defect cannot apply to
 * its kind. Every defect must be one or the other, so a new kind cannot skip a case by forgetting it. A
 * provider fixture issues a token, has it verified by an implementation no one here wrote, and the suite then
 * validates, tampers with and cancels it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../support/server.js';

/** What is wrong with a presented token. `oversized` is a field over 64 KiB; the rest are the token's own faults. */
export const DEFECTS = [
  'expired',
  'not-yet-valid',
  'wrong-audience',
  'wrong-issuer',
  'bad-signature',
  'unsigned',
  'unknown-key',
  'oversized',
] as const;
export type Defect = (typeof DEFECTS)[number];

/** A token as each door carries it: GraphQL TokenInput and REST input_token_state. */
export interface Presented {
  gql: Record<string, unknown>;
  rest: Record<string, unknown>;
}

export interface ValidatorFixture {
  /** The kind under test, for the test names. */
  kind: string;
  server(): TestServer;
  /** An instance that takes this kind as input and issues `output`. */
  instance: string;
  output: { gql: Record<string, unknown>; rest: Record<string, unknown> };
  /** A token without defects (a fresh one per call). */
  valid(): Promise<Presented>;
  /** How to make each defect, or — as a string — why it cannot apply to this kind. */
  defects: Record<Defect, (() => Promise<Presented>) | string>;
  /** The kind is single use (a proof jti, an assertion ID, an interim session): the same token twice. */
  replay?: (() => Promise<Presented>) | string;
}

const TRANSLATE = `mutation($n: String!, $in: TokenInput!, $out: TokenOutput!) { translateToken(instance: $n, input: $in, output: $out) { token type } }`;

async function gqlTranslate(f: ValidatorFixture, input: Record<string, unknown>) {
  return f.server().gql(TRANSLATE, { n: f.instance, in: input, out: f.output.gql });
}

async function restTranslate(f: ValidatorFixture, input: Record<string, unknown>) {
  return f.server().rest(f.instance, 'translate', { input_token_state: input, output_token_state: f.output.rest });
}

function refusedGql(r: Awaited<ReturnType<typeof gqlTranslate>>, code: string, what: string): void {
  assert.equal(r.errors?.[0]?.extensions?.code, code, `${what}: ${JSON.stringify(r.errors ?? r.data)}`);
  assert.equal(r.data, null, `${what}: no token`);
}

function refusedRest(r: Awaited<ReturnType<typeof restTranslate>>, status: number, code: string, what: string): void {
  assert.deepEqual([r.status, r.body?.detail?.code], [status, code], `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body?.issued_token, undefined, `${what}: no token`);
  // PingAM's body: code is the HTTP status.
  assert.equal(r.body?.code, status);
}

/** Registers the validator conformance tests for a fixture (call inside a describe whose before() sets it up). */
export function validatorConformance(fixture: () => ValidatorFixture): void {
  test('every defect is either made or explained', () => {
    const f = fixture();
    for (const d of DEFECTS) {
      const how = f.defects[d];
      assert.ok(typeof how === 'function' || (typeof how === 'string' && how.length > 10), `${f.kind}: defect ${d} needs a maker or a reason`);
    }
    assert.ok(f.replay !== undefined, `${f.kind}: say whether the kind is single use`);
  });

  test('a valid token translates over GraphQL and REST', async () => {
    const f = fixture();
    const g = await gqlTranslate(f, (await f.valid()).gql);
    assert.equal(g.errors, undefined, JSON.stringify(g.errors));
    assert.ok(g.data.translateToken.token.length > 0);
    const r = await restTranslate(f, (await f.valid()).rest);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(typeof r.body.issued_token === 'string' && r.body.issued_token.length > 0);
  });

  for (const defect of DEFECTS) {
    test(`${defect}: refused with a typed error and no token, at both doors`, async (t) => {
      const f = fixture();
      const how = f.defects[defect];
      if (typeof how === 'string') {
        t.diagnostic(`not applicable to ${f.kind}: ${how}`);
        return;
      }
      const [code, status] = defect === 'oversized' ? ['BAD_USER_INPUT', 400] : ['INVALID_TOKEN', 401];
      refusedGql(await gqlTranslate(f, (await how()).gql), code, `GraphQL ${defect}`);
      refusedRest(await restTranslate(f, (await how()).rest), status, code, `REST ${defect}`);
    });
  }

  test('replay where the kind is single use', async (t) => {
    const f = fixture();
    if (typeof f.replay === 'string' || f.replay === undefined) {
      t.diagnostic(`not single use: ${f.replay}`);
      return;
    }
    const once = await f.replay();
    const first = await gqlTranslate(f, once.gql);
    assert.equal(first.errors, undefined, JSON.stringify(first.errors));
    refusedGql(await gqlTranslate(f, once.gql), 'INVALID_TOKEN', 'GraphQL replay');
    const onceRest = await f.replay();
    const firstRest = await restTranslate(f, onceRest.rest);
    assert.equal(firstRest.status, 200, JSON.stringify(firstRest.body));
    refusedRest(await restTranslate(f, onceRest.rest), 401, 'INVALID_TOKEN', 'REST replay');
  });
}

export interface ProviderFixture {
  kind: string;
  server(): TestServer;
  instance: string;
  /** A valid input and this kind as output, for each door. */
  input: () => Promise<Presented>;
  output: { gql: Record<string, unknown>; rest: Record<string, unknown> };
  /** The GraphQL TokenType validate and cancel take (CUSTOM for plugin kinds). */
  validateType: string;
  /** validated_token_state / cancelled_token_state for a token of this kind. */
  restState(token: string): Record<string, unknown>;
  /** Checks the token with an implementation independent of Tessera's; throws when it does not verify. */
  verifyIndependently(token: string): Promise<void>;
  /** A copy of the token its issuer never made (changed content, or a broken signature). */
  tamper(token: string): string;
  /** What validate says of the tampered copy. */
  tamperedReason: 'BAD_SIGNATURE' | 'UNKNOWN' | 'MALFORMED';
}

const VALIDATE = `mutation($n: String!, $t: TokenType!, $tok: String!) { validateToken(instance: $n, type: $t, token: $tok) { valid reason } }`;
const CANCEL = `mutation($n: String!, $t: TokenType!, $tok: String!) { cancelToken(instance: $n, type: $t, token: $tok) }`;

/** Registers the provider round trip: issue → independent check → validate → tamper → cancel, at both doors. */
export function providerConformance(fixture: () => ProviderFixture): void {
  test('round trip over GraphQL: issued, verified independently, valid, a tampered copy refused, cancelled', async () => {
    const f = fixture();
    const s = f.server();
    const issued = await s.gql(TRANSLATE, { n: f.instance, in: (await f.input()).gql, out: f.output.gql });
    assert.equal(issued.errors, undefined, JSON.stringify(issued.errors));
    const token = issued.data.translateToken.token as string;
    await f.verifyIndependently(token);
    const v = await s.gql(VALIDATE, { n: f.instance, t: f.validateType, tok: token });
    assert.deepEqual(v.data?.validateToken, { valid: true, reason: null }, JSON.stringify(v.errors));
    const tampered = f.tamper(token);
    assert.notEqual(tampered, token);
    await assert.rejects(f.verifyIndependently(tampered), Error, 'the independent verifier refuses the tampered copy too');
    const vt = await s.gql(VALIDATE, { n: f.instance, t: f.validateType, tok: tampered });
    assert.deepEqual(vt.data?.validateToken, { valid: false, reason: f.tamperedReason });
    const c = await s.gql(CANCEL, { n: f.instance, t: f.validateType, tok: token });
    assert.equal(c.data?.cancelToken, true, JSON.stringify(c.errors));
    const after = await s.gql(VALIDATE, { n: f.instance, t: f.validateType, tok: token });
    assert.deepEqual(after.data?.validateToken, { valid: false, reason: 'CANCELLED' });
  });

  test('round trip over REST: issued, verified independently, token_valid, cancelled', async () => {
    const f = fixture();
    const s = f.server();
    const r = await s.rest(f.instance, 'translate', { input_token_state: (await f.input()).rest, output_token_state: f.output.rest });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const token = r.body.issued_token as string;
    await f.verifyIndependently(token);
    assert.deepEqual((await s.rest(f.instance, 'validate', { validated_token_state: f.restState(token) })).body, { token_valid: true });
    assert.deepEqual((await s.rest(f.instance, 'validate', { validated_token_state: f.restState(f.tamper(token)) })).body, { token_valid: false });
    const c = await s.rest(f.instance, 'cancel', { cancelled_token_state: f.restState(token) });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.deepEqual((await s.rest(f.instance, 'validate', { validated_token_state: f.restState(token) })).body, { token_valid: false });
  });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BadUserInputError,
  ConflictError,
  ERROR_TABLE,
  ForbiddenError,
  INTERNAL_MESSAGE,
  InternalError,
  InvalidTokenError,
  NotFoundError,
  RateLimitedError,
  TokenPersistenceDisabledError,
  UnauthenticatedError,
  UnsupportedTransformError,
  type ErrorCode,
  TesseraError,
} from '../../../src/engine/errors.js';
import type { IssuedToken, RequestContext, TokenEngine, TokenEnvelope, TokenValidationResult } from '../../../src/engine/types.js';
import { Engine } from '../../../src/engine/engine.js';
import { tokenExchangeExtension } from '../../../src/engine/exchange.js';
import { TokenRegistry } from '../../../src/engine/registry.js';
import { builtInRegistry } from '../../../src/graphql/default-schema.js';
import { customTokenKinds } from '../../../src/plugins/custom-tokens.js';
import { handleRestSts, type RestStsRequest, type RestStsResponse } from '../../../src/http/rest-sts.js';

type Call =
  | { op: 'translate'; instance: string; input: TokenEnvelope; output: TokenEnvelope; req: RequestContext }
  | { op: 'validate' | 'cancel'; instance: string; type: string; token: string; req: RequestContext };

/** The built-in kinds and the custom types the cases use, as a server with those plugins registers them. */
const REGISTRY = (() => {
  const base = builtInRegistry();
  const r = new TokenRegistry();
  for (const k of base.all()) r.register(k);
  const validate = () => ({ subject: 'x' });
  const issue = () => ({ token: 't' });
  for (const k of customTokenKinds(
    {
      validators: ['ACME_TOKEN', 'IN_T'].map((tokenType) => ({ kind: 'token-validator' as const, tokenType, validate })),
      providers: ['ACME_OUT', 'OUT_T'].map((tokenType) => ({ kind: 'token-provider' as const, tokenType, issue })),
    },
    1000,
  )) r.register(k);
  r.registerExtension(tokenExchangeExtension(r));
  return r.seal();
})();

/**
 * Records what the door hands the engine. Before recording, it runs the real engine's first step — the kinds
 * and field checks — so a refusal that the engine makes before touching any token shows as "not called".
 */
class FakeEngine implements TokenEngine {
  calls: Call[] = [];
  failWith: unknown = undefined;
  validResult: TokenValidationResult = { valid: true };
  cancelResult = true;
  private readonly real = new Engine({
    registry: REGISTRY,
    instances: { get: async () => null },
    log: { commit: async () => {}, audit: async () => {}, findByHash: async () => null, cancel: async () => false },
    identity: { endSession: async () => false },
  });

  async translate(instance: string, input: TokenEnvelope, output: TokenEnvelope, req: RequestContext): Promise<IssuedToken> {
    this.real.prepare(input, output, req);
    this.calls.push({ op: 'translate', instance, input, output, req });
    if (this.failWith !== undefined) throw this.failWith;
    const now = new Date(0);
    return { token: `issued-${output.type}`, type: output.type, tokenId: 't1', subject: 'demo', issuedAt: now, expiresAt: now };
  }
  async validate(instance: string, type: string, token: string, req: RequestContext): Promise<TokenValidationResult> {
    this.calls.push({ op: 'validate', instance, type, token, req });
    if (this.failWith !== undefined) throw this.failWith;
    return this.validResult;
  }
  async cancel(instance: string, type: string, token: string, req: RequestContext): Promise<boolean> {
    this.calls.push({ op: 'cancel', instance, type, token, req });
    if (this.failWith !== undefined) throw this.failWith;
    return this.cancelResult;
  }
}

const REQ: RequestContext = { caller: null, clientAddress: '192.0.2.10', door: 'rest' };

async function call(
  action: string | null | string[],
  body: unknown,
  extra: Partial<Omit<RestStsRequest, 'engine' | 'registry'>> = {},
  engine = new FakeEngine(),
): Promise<{ res: RestStsResponse; engine: FakeEngine }> {
  const res = await handleRestSts({ instanceName: 'demo-sts', action, body, request: REQ, engine, registry: REGISTRY, ...extra });
  return { res, engine };
}

async function translate(input: Record<string, unknown>, output: Record<string, unknown>, extra: Partial<Omit<RestStsRequest, 'engine' | 'registry'>> = {}) {
  const { res, engine } = await call('translate', { input_token_state: input, output_token_state: output }, extra);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(engine.calls.length, 1);
  const c = engine.calls[0]!;
  assert.equal(c.op, 'translate');
  if (c.op !== 'translate') throw new Error('unreachable');
  assert.equal(c.instance, 'demo-sts');
  assert.equal(c.req, REQ);
  return { res, input: c.input, output: c.output };
}

function assertError(res: RestStsResponse, status: number, code: ErrorCode, message?: RegExp | string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  const body = res.body as { code: number; reason: string; message: string; detail: { code: string } };
  assert.equal(body.code, status);
  assert.equal(body.detail.code, code);
  assert.equal(typeof body.reason, 'string');
  assert.ok(body.reason.length > 0);
  if (typeof message === 'string') assert.equal(body.message, message);
  else if (message) assert.match(body.message, message);
}

const BEARER = { token_type: 'SAML2', subject_confirmation: 'BEARER' };
const OIDC_OUT = { token_type: 'OPENIDCONNECT', allow_access: true };
const USER = { token_type: 'USERNAME', username: 'demo', password: 'changeit' };

// ---------------------------------------------------------------------------------------------------------------
// translate: PingAM documentation examples, unchanged
// ---------------------------------------------------------------------------------------------------------------

test('PingAM example: USERNAME → OPENIDCONNECT with nonce', async () => {
  const body = JSON.parse(
    '{"input_token_state":{"token_type":"USERNAME","username":"demo","password":"changeit"},"output_token_state":{"token_type":"OPENIDCONNECT","nonce":"471564333","allow_access":true}}',
  );
  const { res, engine } = await call('translate', body);
  assert.deepEqual(res, { status: 200, headers: { 'Cache-Control': 'no-store' }, body: { issued_token: 'issued-OPENIDCONNECT' } });
  const c = engine.calls[0]!;
  assert.ok(c.op === 'translate');
  assert.deepEqual(c.input, { type: 'USERNAME', username: 'demo', password: 'changeit' });
  assert.deepEqual(c.output, { type: 'OPENIDCONNECT', nonce: '471564333' });
});

test('PingAM example: USERNAME → SAML2 BEARER', async () => {
  const { res, input, output } = await translate(USER, BEARER);
  assert.deepEqual(res.body, { issued_token: 'issued-SAML2' });
  assert.deepEqual(input, { type: 'USERNAME', username: 'demo', password: 'changeit' });
  assert.deepEqual(output, { type: 'SAML2', subjectConfirmation: 'BEARER' });
});

// ---------------------------------------------------------------------------------------------------------------
// translate: input mapping
// ---------------------------------------------------------------------------------------------------------------

test('input OPENIDCONNECT', async () => {
  const { input } = await translate({ token_type: 'OPENIDCONNECT', oidc_id_token: 'eyJ.a.b' }, BEARER);
  assert.deepEqual(input, { type: 'OPENIDCONNECT', idToken: 'eyJ.a.b' });
});

test('input OPENAM and SESSION both map to SESSION', async () => {
  for (const token_type of ['OPENAM', 'SESSION']) {
    const { input } = await translate({ token_type, session_id: 'AQIC5w' }, OIDC_OUT);
    assert.deepEqual(input, { type: 'SESSION', sessionToken: 'AQIC5w' });
  }
});

test('input USERNAME accepts an empty password (a wrong password, decided by the validator)', async () => {
  const { input } = await translate({ token_type: 'USERNAME', username: 'demo', password: '' }, BEARER);
  assert.deepEqual(input, { type: 'USERNAME', username: 'demo', password: '' });
});

test('input X509 with one certificate and a proof', async () => {
  const { input } = await translate({ token_type: 'X509', x509_cert: 'MIIB...', proof: 'eyJ.p.s' }, BEARER);
  assert.deepEqual(input, { type: 'X509', certificates: ['MIIB...'], proof: 'eyJ.p.s' });
});

test('input X509 with a chain and no proof (the validator decides)', async () => {
  const { input } = await translate({ token_type: 'X509', x509_cert: ['leaf', 'ca'] }, BEARER);
  assert.deepEqual(input, { type: 'X509', certificates: ['leaf', 'ca'] });
});

test('input X509 without a certificate: the validator looks for a trusted offloader\'s header', async () => {
  // The door does not decide: the X.509 validator reads the request's headers and socket address.
  const { input } = await translate({ token_type: 'X509' }, BEARER);
  assert.deepEqual(input, { type: 'X509' });
});

test('input custom type', async () => {
  const state = { token_type: 'ACME_TOKEN', value: 'abc', nested: { n: 1 } };
  const { input } = await translate(state, BEARER);
  assert.deepEqual(input, { type: 'ACME_TOKEN', token: { value: 'abc', nested: { n: 1 } }, raw: state });
});

// ---------------------------------------------------------------------------------------------------------------
// translate: output mapping
// ---------------------------------------------------------------------------------------------------------------

test('output SAML2 subject confirmations', async () => {
  assert.deepEqual((await translate(USER, { token_type: 'SAML2', subject_confirmation: 'SENDER_VOUCHES' })).output, {
    type: 'SAML2',
    subjectConfirmation: 'SENDER_VOUCHES',
  });
  // Chosen default when missing: BEARER, as over GraphQL.
  // The engine applies the default: the door hands over what was sent.
  assert.deepEqual((await translate(USER, { token_type: 'SAML2' })).output, { type: 'SAML2' });
  // proof_token_state is ignored unless HOLDER_OF_KEY.
  assert.deepEqual((await translate(USER, { ...BEARER, proof_token_state: 'x' })).output, { type: 'SAML2', subjectConfirmation: 'BEARER' });
});

test('output SAML2 HOLDER_OF_KEY with proof_token_state', async () => {
  const { output } = await translate(USER, {
    token_type: 'SAML2',
    subject_confirmation: 'HOLDER_OF_KEY',
    proof_token_state: { base64EncodedCertificate: 'MIIC0zCCAbs' },
  });
  assert.deepEqual(output, { type: 'SAML2', subjectConfirmation: 'HOLDER_OF_KEY', proofCertificate: 'MIIC0zCCAbs' });
});

test('output SAML2 HOLDER_OF_KEY without proof for X509 input uses the proven certificate', async () => {
  const { output } = await translate({ token_type: 'X509', x509_cert: 'c', proof: 'p' }, { token_type: 'SAML2', subject_confirmation: 'HOLDER_OF_KEY' });
  assert.deepEqual(output, { type: 'SAML2', subjectConfirmation: 'HOLDER_OF_KEY' });
});

test('output OPENIDCONNECT: allow_access true or "true", nonce optional', async () => {
  assert.deepEqual((await translate(USER, OIDC_OUT)).output, { type: 'OPENIDCONNECT' });
  assert.deepEqual((await translate(USER, { ...OIDC_OUT, allow_access: 'true', nonce: 'n-1' })).output, { type: 'OPENIDCONNECT', nonce: 'n-1' });
  // AM: an empty nonce means no nonce claim.
  assert.deepEqual((await translate(USER, { ...OIDC_OUT, nonce: '' })).output, { type: 'OPENIDCONNECT' });
});

test('output custom type', async () => {
  const { output, res } = await translate(USER, { token_type: 'ACME_OUT', audience: 'x' });
  assert.deepEqual(output, { type: 'ACME_OUT', raw: { audience: 'x' } });
  assert.deepEqual(res.body, { issued_token: 'issued-ACME_OUT' });
});

test('custom input to custom output', async () => {
  const { input, output } = await translate({ token_type: 'IN_T', t: 1 }, { token_type: 'OUT_T' });
  assert.deepEqual(input, { type: 'IN_T', token: { t: 1 }, raw: { token_type: 'IN_T', t: 1 } });
  assert.deepEqual(output, { type: 'OUT_T', raw: {} });
});

test('a "__proto__" key in a custom state stays plain data', async () => {
  const state = JSON.parse('{"token_type":"ACME_TOKEN","__proto__":{"polluted":true}}');
  const { input } = await translate(state, BEARER);
  assert.ok(input.type === 'ACME_TOKEN');
  const token = input.token as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(token), Object.prototype);
  assert.ok(Object.prototype.hasOwnProperty.call(token, '__proto__'));
  assert.equal((token as { polluted?: unknown }).polluted, undefined);
});

// ---------------------------------------------------------------------------------------------------------------
// translate: refusals (no engine call)
// ---------------------------------------------------------------------------------------------------------------

const BIG = 'x'.repeat(64 * 1024 + 1);
const translateRefusals: Array<[string, unknown, number, ErrorCode, (RegExp | string)?]> = [
  ['body not an object', ['input_token_state'], 400, 'BAD_USER_INPUT', /JSON object/],
  ['body a string', 'translate', 400, 'BAD_USER_INPUT'],
  ['body missing', undefined, 400, 'BAD_USER_INPUT'],
  ['body null', null, 400, 'BAD_USER_INPUT'],
  ['input_token_state missing', { output_token_state: BEARER }, 400, 'BAD_USER_INPUT', /input_token_state/],
  ['output_token_state missing', { input_token_state: USER }, 400, 'BAD_USER_INPUT', /output_token_state/],
  ['input_token_state a string', { input_token_state: 'USERNAME', output_token_state: BEARER }, 400, 'BAD_USER_INPUT'],
  ['output_token_state a list', { input_token_state: USER, output_token_state: [BEARER] }, 400, 'BAD_USER_INPUT'],
  ['input token_type missing', { input_token_state: { username: 'demo' }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT', /token_type/],
  ['input token_type a number', { input_token_state: { token_type: 1 }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT'],
  ['output token_type missing', { input_token_state: USER, output_token_state: { subject_confirmation: 'BEARER' } }, 400, 'BAD_USER_INPUT'],
  ['input token_type lower-case', { input_token_state: { ...USER, token_type: 'username' }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT', /Unsupported input token type/],
  ['input token_type CUSTOM (a reserved name)', { input_token_state: { token_type: 'CUSTOM' }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT'],
  ['output token_type reserved CUSTOM', { input_token_state: USER, output_token_state: { token_type: 'CUSTOM' } }, 400, 'BAD_USER_INPUT', /Unsupported output token type/],
  ['X509 as output (no provider)', { input_token_state: { token_type: 'USERNAME', username: 'u', password: 'p' }, output_token_state: { token_type: 'X509' } }, 400, 'UNSUPPORTED_TRANSFORM', /X509/],
  ['USERNAME as output', { input_token_state: USER, output_token_state: { token_type: 'USERNAME' } }, 400, 'UNSUPPORTED_TRANSFORM'],
  ['OPENAM as output', { input_token_state: USER, output_token_state: { token_type: 'OPENAM' } }, 400, 'UNSUPPORTED_TRANSFORM'],
  ['username missing', { input_token_state: { token_type: 'USERNAME', password: 'p' }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT', /username/],
  ['username empty', { input_token_state: { ...USER, username: '' }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT'],
  ['password missing', { input_token_state: { token_type: 'USERNAME', username: 'demo' }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT', /password/],
  ['password a number', { input_token_state: { ...USER, password: 1234 }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT'],
  ['oidc_id_token missing', { input_token_state: { token_type: 'OPENIDCONNECT' }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT', /oidc_id_token/],
  ['oidc_id_token over 64 KiB', { input_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: BIG }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT', /65536 bytes/],
  ['multi-byte token over 64 KiB in UTF-8', { input_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: '€'.repeat(22000) }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT'],
  ['session_id missing', { input_token_state: { token_type: 'OPENAM' }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT', /session_id/],
  ['password over 64 KiB', { input_token_state: { ...USER, password: BIG }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT'],
  ['X509 with an empty chain', { input_token_state: { token_type: 'X509', x509_cert: [] }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT'],
  ['X509 with six certificates', { input_token_state: { token_type: 'X509', x509_cert: ['a', 'b', 'c', 'd', 'e', 'f'] }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT'],
  ['X509 certificate not a string', { input_token_state: { token_type: 'X509', x509_cert: ['a', 7] }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT', /x509_cert\[1\]/],
  ['X509 certificate over 64 KiB', { input_token_state: { token_type: 'X509', x509_cert: BIG }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT'],
  ['X509 proof not a string', { input_token_state: { token_type: 'X509', x509_cert: 'c', proof: {} }, output_token_state: BEARER }, 400, 'BAD_USER_INPUT', /proof/],
  ['subject_confirmation invalid', { input_token_state: USER, output_token_state: { token_type: 'SAML2', subject_confirmation: 'bearer' } }, 400, 'BAD_USER_INPUT', /subject_confirmation/],
  ['subject_confirmation not a string', { input_token_state: USER, output_token_state: { token_type: 'SAML2', subject_confirmation: true } }, 400, 'BAD_USER_INPUT'],
  ['HOLDER_OF_KEY without proof_token_state', { input_token_state: USER, output_token_state: { token_type: 'SAML2', subject_confirmation: 'HOLDER_OF_KEY' } }, 400, 'BAD_USER_INPUT', 'output_token_state.proof_token_state: If HOLDER_OF_KEY is specified, proofTokenState must also be set.'],
  ['HOLDER_OF_KEY with a bare-string proof_token_state', { input_token_state: USER, output_token_state: { token_type: 'SAML2', subject_confirmation: 'HOLDER_OF_KEY', proof_token_state: 'MIIC0z' } }, 400, 'BAD_USER_INPUT', /\{"base64EncodedCertificate"/],
  ['HOLDER_OF_KEY with proof_token_state missing the certificate', { input_token_state: USER, output_token_state: { token_type: 'SAML2', subject_confirmation: 'HOLDER_OF_KEY', proof_token_state: { certificate: 'x' } } }, 400, 'BAD_USER_INPUT', /base64EncodedCertificate/],
  ['HOLDER_OF_KEY with a non-string certificate', { input_token_state: USER, output_token_state: { token_type: 'SAML2', subject_confirmation: 'HOLDER_OF_KEY', proof_token_state: { base64EncodedCertificate: 1 } } }, 400, 'BAD_USER_INPUT'],
  ['OIDC without allow_access', { input_token_state: USER, output_token_state: { token_type: 'OPENIDCONNECT' } }, 400, 'BAD_USER_INPUT', "output_token_state.allow_access: The OpenIdConnectTokenCreation state must indicate access to the caller's identity with a field of allow_access:true."],
  ['OIDC with allow_access false', { input_token_state: USER, output_token_state: { token_type: 'OPENIDCONNECT', allow_access: false } }, 400, 'BAD_USER_INPUT', /allow_access:true/],
  ['OIDC with allow_access "yes"', { input_token_state: USER, output_token_state: { token_type: 'OPENIDCONNECT', allow_access: 'yes' } }, 400, 'BAD_USER_INPUT', /allow_access:true/],
  ['OIDC with allow_access 1', { input_token_state: USER, output_token_state: { token_type: 'OPENIDCONNECT', allow_access: 1 } }, 400, 'BAD_USER_INPUT'],
  ['OIDC nonce a number', { input_token_state: USER, output_token_state: { ...OIDC_OUT, nonce: 471564333 } }, 400, 'BAD_USER_INPUT', /nonce/],
  ['OIDC nonce too long', { input_token_state: USER, output_token_state: { ...OIDC_OUT, nonce: 'n'.repeat(2049) } }, 400, 'BAD_USER_INPUT'],
  ['input from the prototype does not count', { input_token_state: { token_type: 'USERNAME', username: 'demo', password: 'x', constructor: 1 }, output_token_state: { token_type: 'OPENIDCONNECT', toString: true } }, 400, 'BAD_USER_INPUT', /allow_access/],
];

test('translate refusals', async (t) => {
  for (const [name, body, status, code, message] of translateRefusals) {
    await t.test(name, async () => {
      const { res, engine } = await call('translate', body);
      assertError(res, status, code, message);
      assert.equal(engine.calls.length, 0, 'the engine must not be called');
    });
  }
});

test('an unknown type name in a message is quoted and capped', async () => {
  const { res } = await call('translate', { input_token_state: { token_type: 'bad\u0000type' + 'y'.repeat(40) }, output_token_state: BEARER });
  assertError(res, 400, 'BAD_USER_INPUT');
  const message = (res.body as { message: string }).message;
  assert.ok(!message.includes('\u0000'));
});

// ---------------------------------------------------------------------------------------------------------------
// validate and cancel
// ---------------------------------------------------------------------------------------------------------------

test('validate SAML2, OPENIDCONNECT and a custom type', async () => {
  const cases: Array<[Record<string, unknown>, { type: string; token: string }]> = [
    [{ token_type: 'SAML2', saml2_token: '<saml:Assertion/>' }, { type: 'SAML2', token: '<saml:Assertion/>' }],
    [{ token_type: 'OPENIDCONNECT', oidc_id_token: 'eyJ.x.y' }, { type: 'OPENIDCONNECT', token: 'eyJ.x.y' }],
    [{ token_type: 'ACME_OUT', token: 'opaque' }, { type: 'ACME_OUT', token: 'opaque' }],
  ];
  for (const [state, expected] of cases) {
    const { res, engine } = await call('validate', { validated_token_state: state });
    assert.deepEqual(res.body, { token_valid: true });
    assert.equal(res.status, 200);
    assert.deepEqual(engine.calls, [{ op: 'validate', instance: 'demo-sts', req: REQ, ...expected }]);
  }
});

test('validate answers token_valid false, whatever the reason', async () => {
  const engine = new FakeEngine();
  engine.validResult = { valid: false, reason: 'EXPIRED' };
  const { res } = await call('validate', { validated_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: 'x' } }, {}, engine);
  assert.deepEqual(res, { status: 200, headers: { 'Cache-Control': 'no-store' }, body: { token_valid: false } });
});

test('cancel SAML2, OPENIDCONNECT and a custom type', async () => {
  const cases: Array<[Record<string, unknown>, string, { type: string; token: string }]> = [
    [{ token_type: 'SAML2', saml2_token: '<a/>' }, 'SAML2 token cancelled successfully.', { type: 'SAML2', token: '<a/>' }],
    [{ token_type: 'OPENIDCONNECT', oidc_id_token: 'e.y.j' }, 'OPENIDCONNECT token cancelled successfully.', { type: 'OPENIDCONNECT', token: 'e.y.j' }],
    [{ token_type: 'ACME_OUT', token: 'o' }, 'ACME_OUT token cancelled successfully.', { type: 'ACME_OUT', token: 'o' }],
  ];
  for (const [state, result, expected] of cases) {
    const { res, engine } = await call('cancel', { cancelled_token_state: state });
    assert.deepEqual(res, { status: 200, headers: { 'Cache-Control': 'no-store' }, body: { result } });
    assert.deepEqual(engine.calls, [{ op: 'cancel', instance: 'demo-sts', req: REQ, ...expected }]);
  }
});

test('cancel never reports success for a false from the engine', async () => {
  const engine = new FakeEngine();
  engine.cancelResult = false;
  const { res } = await call('cancel', { cancelled_token_state: { token_type: 'SAML2', saml2_token: '<a/>' } }, {}, engine);
  assertError(res, 401, 'INVALID_TOKEN');
});

test('validate and cancel refusals', async (t) => {
  const refusals: Array<[string, string, unknown, RegExp?]> = [
    ['validate without validated_token_state', 'validate', { cancelled_token_state: { token_type: 'SAML2', saml2_token: 'x' } }, /validated_token_state/],
    ['cancel without cancelled_token_state', 'cancel', { validated_token_state: { token_type: 'SAML2', saml2_token: 'x' } }, /cancelled_token_state/],
    ['validate state not an object', 'validate', { validated_token_state: 'eyJ' }],
    ['validate without token_type', 'validate', { validated_token_state: { oidc_id_token: 'x' } }, /token_type/],
    ['validate SAML2 without saml2_token', 'validate', { validated_token_state: { token_type: 'SAML2', oidc_id_token: 'x' } }, /saml2_token/],
    ['validate OIDC without oidc_id_token', 'validate', { validated_token_state: { token_type: 'OPENIDCONNECT' } }, /oidc_id_token/],
    ['validate custom without token', 'validate', { validated_token_state: { token_type: 'ACME_OUT', value: 'x' } }, /token/],
    ['validate USERNAME', 'validate', { validated_token_state: { token_type: 'USERNAME', username: 'x' } }, /take OPENIDCONNECT, SAML2, ACCESS_TOKEN or a custom/],
    ['cancel OPENAM', 'cancel', { cancelled_token_state: { token_type: 'OPENAM', session_id: 'x' } }],
    ['cancel CUSTOM literal', 'cancel', { cancelled_token_state: { token_type: 'CUSTOM', token: 'x' } }],
    // What an instance issues, validate accepts: up to 256 KiB, the largest token an instance issues.
    ['validate token over 256 KiB', 'validate', { validated_token_state: { token_type: 'SAML2', saml2_token: 'x'.repeat(256 * 1024 + 1) } }, /262144/],
    ['cancel token empty', 'cancel', { cancelled_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: '' } }],
    ['validate body a list', 'validate', [], /JSON object/],
  ];
  for (const [name, action, body, message] of refusals) {
    await t.test(name, async () => {
      const { res, engine } = await call(action, body);
      assertError(res, 400, 'BAD_USER_INPUT', message);
      assert.equal(engine.calls.length, 0);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Actions, raw body errors, instance names
// ---------------------------------------------------------------------------------------------------------------

test('a repeated _action is 400, never "the first one wins"', async () => {
  const { res, engine } = await call(['translate', 'cancel'], { input_token_state: USER, output_token_state: BEARER });
  assertError(res, 400, 'BAD_USER_INPUT', /given once/);
  assert.equal(engine.calls.length, 0);
});

test('an unknown or missing _action is 400', async () => {
  for (const action of ['issue', 'TRANSLATE', '', null, 'translate ']) {
    const { res, engine } = await call(action, { input_token_state: USER, output_token_state: BEARER });
    assertError(res, 400, 'BAD_USER_INPUT', /_action/);
    assert.equal(engine.calls.length, 0);
  }
});

test('raw body errors', async () => {
  const tooLarge = await call('translate', undefined, { rawBodyError: 'TOO_LARGE' });
  assertError(tooLarge.res, 413, 'BAD_USER_INPUT', /too large/);
  assert.equal((tooLarge.res.body as { reason: string }).reason, 'Payload Too Large');
  const badJson = await call('translate', undefined, { rawBodyError: 'BAD_JSON' });
  assertError(badJson.res, 400, 'BAD_USER_INPUT', /not valid JSON/);
  const badType = await call('validate', undefined, { rawBodyError: 'BAD_CONTENT_TYPE' });
  assertError(badType.res, 415, 'BAD_USER_INPUT', /application\/json/);
  // A raw body error wins over whatever body came along.
  const withBody = await call('translate', { input_token_state: USER, output_token_state: BEARER }, { rawBodyError: 'BAD_JSON' });
  assertError(withBody.res, 400, 'BAD_USER_INPUT');
  assert.equal(withBody.engine.calls.length, 0);
});

test('an instance name no instance can have is 404 without an engine call', async () => {
  for (const instanceName of ['..', 'UPPER', 'a/b', '', 'x'.repeat(64)]) {
    const { res, engine } = await call('translate', { input_token_state: USER, output_token_state: BEARER }, { instanceName });
    assertError(res, 404, 'NOT_FOUND');
    assert.equal(engine.calls.length, 0);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Errors from the engine
// ---------------------------------------------------------------------------------------------------------------

const ENGINE_ERRORS: Array<[TesseraError, number, string]> = [
  [new BadUserInputError('bad field', 'input.x'), 400, 'Bad Request'],
  [new UnsupportedTransformError('USERNAME', 'SAML2'), 400, 'Bad Request'],
  [new UnauthenticatedError(), 401, 'Unauthorized'],
  [new InvalidTokenError('The password is wrong.'), 401, 'Unauthorized'],
  [new ForbiddenError(), 403, 'Forbidden'],
  [new NotFoundError('No STS instance named demo-sts.'), 404, 'Not Found'],
  [new ConflictError('taken'), 409, 'Conflict'],
  [new TokenPersistenceDisabledError('demo-sts'), 409, 'Conflict'],
  [new RateLimitedError(30), 429, 'Too Many Requests'],
];

test('every error code maps to its status and PingAM body', async (t) => {
  for (const [err, status, reason] of ENGINE_ERRORS) {
    await t.test(err.code, async () => {
      assert.equal(ERROR_TABLE[err.code].status, status);
      const engine = new FakeEngine();
      engine.failWith = err;
      const { res } = await call('translate', { input_token_state: USER, output_token_state: BEARER }, {}, engine);
      assert.equal(res.status, status);
      const expectedDetail = err.field ? { code: err.code, field: err.field } : { code: err.code };
      assert.deepEqual(res.body, { code: status, reason, message: err.message, detail: expectedDetail });
      assert.equal(res.internalError, undefined);
      if (err.code === 'RATE_LIMITED') assert.equal(res.headers?.['Retry-After'], '30');
      else assert.equal(res.headers?.['Retry-After'], undefined);
    });
  }
});

test('Retry-After is whole seconds, rounded up, at least 1', async () => {
  for (const [after, header] of [[2.2, '3'], [0, '1'], [Number.NaN, '1'], [900, '900']] as const) {
    const engine = new FakeEngine();
    engine.failWith = new RateLimitedError(after);
    const { res } = await call('validate', { validated_token_state: { token_type: 'SAML2', saml2_token: 'x' } }, {}, engine);
    assertError(res, 429, 'RATE_LIMITED');
    assert.equal(res.headers?.['Retry-After'], header);
  }
});

test('an internal error is masked and handed back for logging', async () => {
  const secretDetail = 'ECONNREFUSED postgres://admin:hunter2@db/tessera';
  for (const thrown of [new Error(secretDetail), new InternalError(secretDetail), secretDetail, { message: secretDetail }, undefined]) {
    const engine = new FakeEngine();
    // `undefined` means "don't throw" to the fake, so wrap it.
    engine.failWith = thrown === undefined ? null : thrown;
    const { res } = await call('cancel', { cancelled_token_state: { token_type: 'SAML2', saml2_token: 'x' } }, {}, engine);
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, { code: 500, reason: 'Internal Server Error', message: INTERNAL_MESSAGE, detail: { code: 'INTERNAL' } });
    assert.ok(!JSON.stringify(res.body).includes('hunter2'));
    assert.equal(res.internalError, thrown === undefined ? null : thrown);
  }
});

test('a throwing engine on translate and validate is masked too', async () => {
  for (const [action, body] of [
    ['translate', { input_token_state: USER, output_token_state: OIDC_OUT }],
    ['validate', { validated_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: 'x' } }],
  ] as const) {
    const engine = new FakeEngine();
    engine.failWith = new TypeError('Cannot read properties of undefined');
    const { res } = await call(action, body, {}, engine);
    assertError(res, 500, 'INTERNAL', INTERNAL_MESSAGE);
    assert.ok(res.internalError instanceof TypeError);
  }
});

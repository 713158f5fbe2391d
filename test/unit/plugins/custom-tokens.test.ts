import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INTERNAL_MESSAGE, InvalidTokenError, publicCode, publicMessage } from '../../../src/engine/errors.js';
import type { ProviderContext, TokenEnvelope, ValidatorContext, VerifiedSubject } from '../../../src/engine/types.js';
import {
  customTokenKinds,
  customProviderAdapter,
  customValidatorAdapter,
  PluginFailureError,
} from '../../../src/plugins/custom-tokens.js';
import type { TokenProviderPlugin, TokenValidatorPlugin } from '../../../src/plugins/types.js';
import { instance, keepingAlive, NOW, request } from './helpers.js';

const TIMEOUT = 1000;
const HANG_TIMEOUT = 30;

const vctx = (): ValidatorContext => ({ instance: instance(), request: request(), now: NOW });
const pctx = (): ProviderContext => ({ instance: instance(), request: request(), now: NOW, inputType: 'USERNAME' });
const customInput = (customToken: unknown, customType = 'PARTNER'): TokenEnvelope => ({
  type: customType,
  token: customToken,
  raw: { token_type: customType, ticket: customToken },
});

function validatorPlugin(validate: TokenValidatorPlugin['validate']): TokenValidatorPlugin {
  return { kind: 'token-validator', tokenType: 'PARTNER', validate };
}
function providerPlugin(issue: TokenProviderPlugin['issue']): TokenProviderPlugin {
  return { kind: 'token-provider', tokenType: 'PARTNER', issue };
}

const subject: VerifiedSubject = {
  name: 'alice',
  attributes: { mail: 'alice@example.com', memberOf: ['staff', 'dev'] },
  inputType: 'USERNAME',
  authn: { instant: new Date('2025-06-01T11:00:00Z'), methods: ['pwd'] },
};
const output: TokenEnvelope = { type: 'PARTNER', raw: { token_type: 'PARTNER', audience: 'x' } };

/** Asserts a PluginFailureError that clients see only as INTERNAL with the generic message. */
function isPluginFailure(reason: PluginFailureError['reason'], detail?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof PluginFailureError, `expected PluginFailureError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    assert.equal(err.code, 'INTERNAL');
    assert.equal(publicCode(err), 'INTERNAL');
    assert.equal(publicMessage(err), INTERNAL_MESSAGE);
    assert.match(err.message, /PARTNER/);
    if (detail) assert.match(err.detail, detail);
    return true;
  };
}

describe('customValidatorAdapter', () => {
  it('returns the verified subject and hands the plugin its token and context', async () => {
    let seen: { token: unknown; ctx: unknown } | undefined;
    const adapter = customValidatorAdapter(
      validatorPlugin((token, ctx) => {
        seen = { token, ctx };
        return { subject: 'bob', attributes: { mail: 'bob@example.com', memberOf: ['staff'] } };
      }),
      TIMEOUT,
    );
    assert.deepEqual(adapter.fields.map((f) => f.key), ['token', 'raw']);
    const input = customInput({ ticket: 't1' });
    const verified = await adapter.validate(input, vctx());
    assert.deepEqual(verified, {
      name: 'bob',
      attributes: { mail: 'bob@example.com', memberOf: ['staff'] },
      inputType: 'PARTNER',
      authn: { instant: NOW },
    });
    assert.deepEqual(seen, {
      token: { ticket: 't1' },
      ctx: { instance: { name: 'legacy-bridge' }, rawInput: { token_type: 'PARTNER', ticket: { ticket: 't1' } }, clientAddress: '192.0.2.10', now: NOW },
    });
  });

  it('accepts an async validator and defaults attributes to {}', async () => {
    const adapter = customValidatorAdapter(validatorPlugin(async () => ({ subject: 'carol' })), TIMEOUT);
    const verified = await adapter.validate(customInput('x'), vctx());
    assert.deepEqual(verified.attributes, {});
  });

  it('copies attributes, so a "__proto__" key stays an own property', async () => {
    const attributes = JSON.parse('{"__proto__": "x", "role": ["a"]}') as Record<string, string>;
    const adapter = customValidatorAdapter(validatorPlugin(() => ({ subject: 'dave', attributes })), TIMEOUT);
    const verified = await adapter.validate(customInput('x'), vctx());
    assert.equal(Object.getPrototypeOf(verified.attributes), Object.prototype);
    assert.deepEqual(Object.keys(verified.attributes).sort(), ['__proto__', 'role']);
  });

  it('turns a throw into INVALID_TOKEN with the message sanitized (control characters removed, length capped)', async () => {
    const adapter = customValidatorAdapter(
      validatorPlugin(() => {
        throw new Error('ticket\u0000 forged\r\nX-Injected: yes\u001b[31m ' + 'z'.repeat(500));
      }),
      TIMEOUT,
    );
    await assert.rejects(adapter.validate(customInput('x'), vctx()), (err: unknown) => {
      assert.ok(err instanceof InvalidTokenError);
      assert.equal(publicCode(err), 'INVALID_TOKEN');
      assert.doesNotMatch(err.message, /[\u0000-\u001f\u007f-\u009f]/);
      assert.ok(err.message.startsWith('ticket  forged  X-Injected: yes [31m'), err.message);
      assert.ok(err.message.length <= 201, `length ${err.message.length}`);
      assert.equal(publicMessage(err), err.message);
      // The plugin's stack stays server-side, on the cause.
      assert.doesNotMatch(err.message, /at .*\.ts:\d+/);
      return true;
    });
  });

  it('turns a rejection with a non-Error value into INVALID_TOKEN', async () => {
    const adapter = customValidatorAdapter(validatorPlugin(() => Promise.reject('expired\nticket')), TIMEOUT);
    await assert.rejects(adapter.validate(customInput('x'), vctx()), { code: 'INVALID_TOKEN', message: 'expired ticket' });
  });

  it('gives a generic INVALID_TOKEN message when the plugin throws without one', async () => {
    const adapter = customValidatorAdapter(
      validatorPlugin(() => {
        throw new Error('');
      }),
      TIMEOUT,
    );
    await assert.rejects(adapter.validate(customInput('x'), vctx()), { code: 'INVALID_TOKEN', message: 'The PARTNER token was rejected.' });
  });

  it('survives a thrown value that cannot even be turned into a string', async () => {
    const adapter = customValidatorAdapter(
      validatorPlugin(() => {
        throw Object.create(null);
      }),
      TIMEOUT,
    );
    await assert.rejects(adapter.validate(customInput('x'), vctx()), { code: 'INVALID_TOKEN', message: 'The PARTNER token was rejected.' });
  });

  it('fails with INVALID_TOKEN when the validator never settles', async () => {
    const adapter = customValidatorAdapter(validatorPlugin(() => new Promise(() => {})), HANG_TIMEOUT);
    const started = Date.now();
    await assert.rejects(keepingAlive(adapter.validate(customInput('x'), vctx())), {
      code: 'INVALID_TOKEN',
      message: 'The PARTNER validator did not answer in time.',
    });
    assert.ok(Date.now() - started < 1000);
  });

  const malformed: Array<[string, () => unknown, RegExp]> = [
    ['undefined', () => undefined, /expected \{ subject/],
    ['null', () => null, /got null/],
    ['a string', () => 'alice', /got string/],
    ['an array', () => [{ subject: 'a' }], /got an array/],
    ['no subject', () => ({ attributes: {} }), /subject must be a non-empty string/],
    ['an empty subject', () => ({ subject: '' }), /subject must be a non-empty string/],
    ['a numeric subject', () => ({ subject: 42 }), /subject must be a non-empty string/],
    ['a 257-character subject', () => ({ subject: 'a'.repeat(257) }), /longer than 256/],
    ['a subject with a newline', () => ({ subject: 'alice\nadmin' }), /control characters/],
    ['attributes as an array', () => ({ subject: 'a', attributes: ['x'] }), /attributes must be an object/],
    ['a numeric attribute', () => ({ subject: 'a', attributes: { age: 42 } }), /attribute "age"/],
    ['an attribute list with a number', () => ({ subject: 'a', attributes: { groups: ['x', 1] } }), /attribute "groups"/],
    ['a nested attribute', () => ({ subject: 'a', attributes: { o: { x: 'y' } } }), /attribute "o"/],
    [
      'a getter that throws',
      () => ({
        get subject(): string {
          throw new Error('boom');
        },
      }),
      /reading the result failed: boom/,
    ],
  ];
  for (const [title, result, detail] of malformed) {
    it(`refuses a result that is ${title} (INTERNAL, no subject)`, async () => {
      const adapter = customValidatorAdapter(validatorPlugin(result as TokenValidatorPlugin['validate']), TIMEOUT);
      await assert.rejects(adapter.validate(customInput('x'), vctx()), isPluginFailure('malformed-result', detail));
    });
  }

  it('accepts a subject of exactly 256 characters', async () => {
    const adapter = customValidatorAdapter(validatorPlugin(() => ({ subject: 's'.repeat(256) })), TIMEOUT);
    assert.equal((await adapter.validate(customInput('x'), vctx())).name.length, 256);
  });

  it('refuses an input of another type without calling the plugin', async () => {
    let called = false;
    const adapter = customValidatorAdapter(
      validatorPlugin(() => {
        called = true;
        return { subject: 'a' };
      }),
      TIMEOUT,
    );
    await assert.rejects(adapter.validate(customInput('x', 'OTHER'), vctx()), { code: 'INTERNAL' });
    await assert.rejects(adapter.validate({ type: 'SESSION', sessionToken: 's' }, vctx()), { code: 'INTERNAL' });
    assert.equal(called, false);
  });
});

describe('customProviderAdapter', () => {
  it('issues a token expiring 600 s after issue by default, and hands the plugin a subject copy and context', async () => {
    let seen: { subject: unknown; ctx: unknown } | undefined;
    const adapter = customProviderAdapter(
      providerPlugin((s, ctx) => {
        seen = { subject: structuredClone(s), ctx };
        (s.attributes.memberOf as string[]).push('admin'); // must not leak into the engine's subject
        return { token: `ticket-for-${s.name}` };
      }),
      TIMEOUT,
    );
    assert.deepEqual(adapter.fields.map((f) => f.key), ['raw']);
    assert.equal(adapter.restTokenField, 'token');
    assert.equal(adapter.verifyIssued, undefined);
    const issued = await adapter.issue(subject, output, pctx());
    assert.match(issued.tokenId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(issued, {
      token: 'ticket-for-alice',
      type: 'PARTNER',
      tokenId: issued.tokenId,
      subject: 'alice',
      issuedAt: NOW,
      expiresAt: new Date(NOW.getTime() + 600_000),
    });
    assert.deepEqual(seen, {
      subject: { name: 'alice', attributes: { mail: 'alice@example.com', memberOf: ['staff', 'dev'] }, inputType: 'USERNAME' },
      ctx: { instance: { name: 'legacy-bridge' }, rawOutput: { token_type: 'PARTNER', audience: 'x' }, now: NOW },
    });
    assert.deepEqual(subject.attributes.memberOf, ['staff', 'dev']);
  });

  it('keeps the plugin expiry and gives each token its own id', async () => {
    const expiresAt = new Date(NOW.getTime() + 60_000);
    const adapter = customProviderAdapter(providerPlugin(async () => ({ token: 't', expiresAt })), TIMEOUT);
    const one = await adapter.issue(subject, output, pctx());
    const two = await adapter.issue(subject, output, pctx());
    assert.deepEqual(one.expiresAt, expiresAt);
    assert.notEqual(one.tokenId, two.tokenId);
  });

  it('turns a throw into INTERNAL (PluginFailureError) and keeps the plugin text for the log only', async () => {
    const adapter = customProviderAdapter(
      providerPlugin(() => {
        throw new Error('HSM at 10.0.0.7 refused\nkey slot 3');
      }),
      TIMEOUT,
    );
    await assert.rejects(adapter.issue(subject, output, pctx()), (err: unknown) => {
      isPluginFailure('threw', /^HSM at 10\.0\.0\.7 refused key slot 3$/)(err);
      assert.equal((err as PluginFailureError).message, 'Custom token provider PARTNER failed.');
      assert.ok((err as Error).cause instanceof Error);
      return true;
    });
  });

  it('fails with INTERNAL (PluginFailureError) when the provider never settles', async () => {
    const adapter = customProviderAdapter(providerPlugin(() => new Promise(() => {})), HANG_TIMEOUT);
    const started = Date.now();
    await assert.rejects(keepingAlive(adapter.issue(subject, output, pctx())), isPluginFailure('timeout'));
    assert.ok(Date.now() - started < 1000);
  });

  const malformed: Array<[string, () => unknown, RegExp]> = [
    ['undefined', () => undefined, /expected \{ token/],
    ['a bare string', () => 'token', /got string/],
    ['no token', () => ({ expiresAt: new Date(NOW.getTime() + 1000) }), /non-empty string/],
    ['an empty token', () => ({ token: '' }), /non-empty string/],
    ['a numeric token', () => ({ token: 12 }), /non-empty string/],
    ['a token over 64 KiB', () => ({ token: 'x'.repeat(64 * 1024 + 1) }), /larger than 65536 bytes/],
    ['a token over 64 KiB in UTF-8 bytes', () => ({ token: 'é'.repeat(32 * 1024 + 1) }), /larger than 65536 bytes/],
    ['expiresAt as a string', () => ({ token: 't', expiresAt: '2030-01-01T00:00:00Z' }), /valid Date/],
    ['an invalid Date', () => ({ token: 't', expiresAt: new Date(Number.NaN) }), /valid Date/],
    ['expiresAt in the past', () => ({ token: 't', expiresAt: new Date(NOW.getTime() - 1) }), /after the issue time/],
    ['expiresAt equal to now', () => ({ token: 't', expiresAt: new Date(NOW.getTime()) }), /after the issue time/],
  ];
  for (const [title, result, detail] of malformed) {
    it(`refuses a result with ${title} (INTERNAL, no token)`, async () => {
      const adapter = customProviderAdapter(providerPlugin(result as TokenProviderPlugin['issue']), TIMEOUT);
      await assert.rejects(adapter.issue(subject, output, pctx()), isPluginFailure('malformed-result', detail));
    });
  }

  it('accepts a token of exactly 64 KiB', async () => {
    const adapter = customProviderAdapter(providerPlugin(() => ({ token: 'x'.repeat(64 * 1024) })), TIMEOUT);
    assert.equal((await adapter.issue(subject, output, pctx())).token.length, 64 * 1024);
  });

  it('refuses an output of another type without calling the plugin', async () => {
    let called = false;
    const adapter = customProviderAdapter(
      providerPlugin(() => {
        called = true;
        return { token: 't' };
      }),
      TIMEOUT,
    );
    await assert.rejects(adapter.issue(subject, { type: 'OTHER' }, pctx()), { code: 'INTERNAL' });
    await assert.rejects(adapter.issue(subject, { type: 'OPENIDCONNECT' }, pctx()), { code: 'INTERNAL' });
    assert.equal(called, false);
  });
});

describe('customTokenKinds', () => {
  it('makes one kind per custom type: its validator and provider are a pair', () => {
    const kinds = customTokenKinds(
      {
        validators: [validatorPlugin(() => ({ subject: 'a' })), { kind: 'token-validator', tokenType: 'ONLY_IN', validate: () => ({ subject: 'b' }) }],
        providers: [providerPlugin(() => ({ token: 't' }))],
      },
      TIMEOUT,
    );
    assert.deepEqual(
      kinds.map((k) => [k.name, k.builtIn, !!k.validator, !!k.provider, k.graphqlEnum, k.tokenTypeUri]),
      [
        ['ONLY_IN', false, true, false, false, 'urn:tessera:token-type:ONLY_IN'],
        ['PARTNER', false, true, true, false, 'urn:tessera:token-type:PARTNER'],
      ],
    );
  });
});

/** The example plugins in examples/plugins, loaded the way Tessera loads them (from a copy with safe permissions). */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { PluginFailureError, customProviderAdapter, customValidatorAdapter } from '../../../src/plugins/custom-tokens.js';
import { loadPlugins, type LoadedPlugins } from '../../../src/plugins/loader.js';
import type {
  SamlStatementContext,
  SamlStatementKind,
  StatementResults,
  TokenProviderPlugin,
  TokenValidatorPlugin,
} from '../../../src/plugins/types.js';
import type { VerifiedSubject } from '../../../src/engine/types.js';
import { examplesCopy, instance, NOW, removeTempDirs, request } from './helpers.js';

const SECRET = 'an-example-secret-of-at-least-32-bytes!!';
let loaded: LoadedPlugins;

before(async () => {
  loaded = await loadPlugins(await examplesCopy(), () => {});
});
after(removeTempDirs);

function samlPlugin<K extends SamlStatementKind>(name: string, statement: K) {
  const p = loaded.samlPlugins.find((x) => x.name === name);
  assert.ok(p, `example ${name} not loaded`);
  assert.equal(p.statement, statement);
  return p as unknown as { provide(ctx: SamlStatementContext<K>): StatementResults[K] | Promise<StatementResults[K]> };
}

function ctx<K extends SamlStatementKind>(defaults: StatementResults[K], attributes: Record<string, string | string[]> = {}): SamlStatementContext<K> {
  return {
    instance: { name: 'legacy-bridge', saml2: { issuer: 'https://sts.example.com', spEntityId: 'https://sp.example.com' } },
    subject: { name: 'alice', attributes, inputType: 'LEGACY_TICKET', authnInstant: new Date('2025-06-01T11:30:00Z') },
    issueInstant: NOW,
    subjectConfirmation: 'BEARER',
    defaults,
  };
}

const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');
/** Mints a ticket the way the legacy system does, independently of the example module. */
function legacyTicket(payload: unknown, secret = SECRET): string {
  const part = b64url(JSON.stringify(payload));
  return `${part}.${createHmac('sha256', secret).update(part).digest('base64url')}`;
}
const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

describe('example: legacy-ticket.mjs (LEGACY_TICKET)', () => {
  let validatorPlugin: TokenValidatorPlugin;
  let providerPlugin: TokenProviderPlugin;
  let saved: string | undefined;
  const vctx = (now = NOW) => ({ instance: instance(), request: request(), now });
  const pctx = () => ({ instance: instance(), request: request(), now: NOW, inputType: 'USERNAME' });
  const input = (customToken: unknown) => ({ type: 'LEGACY_TICKET', token: customToken, raw: customToken });
  const output = { type: 'LEGACY_TICKET' };
  const subject: VerifiedSubject = {
    name: 'alice',
    attributes: { mail: 'alice@example.com', memberOf: ['staff', 'dev'] },
    inputType: 'USERNAME',
    authn: { instant: NOW, methods: ['pwd'] },
  };

  beforeEach(() => {
    saved = process.env.LEGACY_TICKET_SECRET;
    process.env.LEGACY_TICKET_SECRET = SECRET;
    validatorPlugin = loaded.validators.find((v) => v.tokenType === 'LEGACY_TICKET')!;
    providerPlugin = loaded.providers.find((p) => p.tokenType === 'LEGACY_TICKET')!;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.LEGACY_TICKET_SECRET;
    else process.env.LEGACY_TICKET_SECRET = saved;
  });

  it('round trip: a ticket it issues validates, as {"ticket": …} and as a bare string', async () => {
    const issued = await customProviderAdapter(providerPlugin, 1000).issue(subject, output, pctx());
    assert.deepEqual(issued.expiresAt, new Date(NOW.getTime() + 600_000));
    const validator = customValidatorAdapter(validatorPlugin, 1000);
    for (const token of [{ ticket: issued.token }, issued.token]) {
      assert.deepEqual(await validator.validate(input(token), vctx()), {
        name: 'alice',
        attributes: { mail: 'alice@example.com', memberOf: ['staff', 'dev'] },
        inputType: 'LEGACY_TICKET',
        authn: { instant: NOW },
      });
    }
  });

  it('issues the documented format: base64url(JSON {sub, attrs, exp}) "." base64url(HMAC-SHA256)', async () => {
    const { token } = await providerPlugin.issue({ name: 'alice', attributes: { mail: 'a@example.com' }, inputType: 'USERNAME' }, { instance: { name: 'i' }, rawOutput: undefined, now: NOW });
    const [part, sig] = token.split('.');
    const { jti, ...payload } = JSON.parse(Buffer.from(part!, 'base64url').toString()) as { jti: unknown };
    assert.deepEqual(payload, { sub: 'alice', attrs: { mail: 'a@example.com' }, exp: seconds(NOW) + 600 });
    assert.match(String(jti), /^[A-Za-z0-9_-]{22}$/);
    assert.equal(sig, createHmac('sha256', SECRET).update(part!).digest('base64url'));
  });

  it('accepts a ticket minted by the legacy system and drops non-string attributes', async () => {
    const ticket = legacyTicket({ sub: 'bob', attrs: { dept: 'ops', level: 3, roles: ['a', 'b'] }, exp: seconds(NOW) + 30 });
    const result = await validatorPlugin.validate({ ticket }, { instance: { name: 'i' }, rawInput: {}, clientAddress: '::1', now: NOW });
    assert.deepEqual(result, { subject: 'bob', attributes: { dept: 'ops', roles: ['a', 'b'] } });
  });

  it('refuses a forged ticket: payload changed, signature kept', async () => {
    const good = legacyTicket({ sub: 'bob', attrs: {}, exp: seconds(NOW) + 60 });
    const forged = `${b64url(JSON.stringify({ sub: 'admin', attrs: {}, exp: seconds(NOW) + 60 }))}.${good.split('.')[1]}`;
    await assert.rejects(customValidatorAdapter(validatorPlugin, 1000).validate(input({ ticket: forged }), vctx()), {
      code: 'INVALID_TOKEN',
      message: 'ticket signature is invalid',
    });
  });

  it('refuses a ticket signed with another secret, or with a truncated signature', async () => {
    const validator = customValidatorAdapter(validatorPlugin, 1000);
    const other = legacyTicket({ sub: 'bob', exp: seconds(NOW) + 60 }, 'another-secret-that-is-32-bytes-long!');
    await assert.rejects(validator.validate(input({ ticket: other }), vctx()), { code: 'INVALID_TOKEN', message: 'ticket signature is invalid' });
    const good = legacyTicket({ sub: 'bob', exp: seconds(NOW) + 60 });
    await assert.rejects(validator.validate(input({ ticket: good.slice(0, -4) }), vctx()), { message: 'ticket signature is invalid' });
  });

  it('refuses an expired ticket, and its own ticket once 600 s have passed', async () => {
    const validator = customValidatorAdapter(validatorPlugin, 1000);
    const expired = legacyTicket({ sub: 'bob', exp: seconds(NOW) - 1 });
    await assert.rejects(validator.validate(input({ ticket: expired }), vctx()), { code: 'INVALID_TOKEN', message: 'ticket has expired' });
    const issued = await customProviderAdapter(providerPlugin, 1000).issue(subject, output, pctx());
    await validator.validate(input(issued.token), vctx(new Date(NOW.getTime() + 599_000)));
    await assert.rejects(validator.validate(input(issued.token), vctx(new Date(NOW.getTime() + 600_000))), { message: 'ticket has expired' });
  });

  it('refuses malformed input', async () => {
    const validator = customValidatorAdapter(validatorPlugin, 1000);
    const cases: Array<[unknown, string]> = [
      [{}, 'expected {"ticket": "<legacy ticket>"} or a ticket string'],
      [42, 'expected {"ticket": "<legacy ticket>"} or a ticket string'],
      [{ ticket: 'a.b.c' }, 'ticket is malformed'],
      [{ ticket: 'no-dot' }, 'ticket is malformed'],
      [{ ticket: 'a+b.c' }, 'ticket is malformed'],
      [{ ticket: 'x'.repeat(20_000) }, 'ticket is too large'],
      [{ ticket: legacyTicket({ attrs: {}, exp: seconds(NOW) + 60 }) }, 'ticket has no subject'],
      [{ ticket: legacyTicket({ sub: 'bob' }) }, 'ticket has no expiry'],
      [{ ticket: legacyTicket('just a string') }, 'ticket payload is malformed'],
    ];
    for (const [token, message] of cases) {
      await assert.rejects(validator.validate(input(token), vctx()), { code: 'INVALID_TOKEN', message }, JSON.stringify(token).slice(0, 40));
    }
  });

  for (const [title, value] of [
    ['unset', undefined],
    ['shorter than 32 bytes', 'x'.repeat(31)],
  ] as const) {
    it(`fails the request, not the start, when the secret is ${title}`, async () => {
      if (value === undefined) delete process.env.LEGACY_TICKET_SECRET;
      else process.env.LEGACY_TICKET_SECRET = value;
      const ticket = legacyTicket({ sub: 'bob', exp: seconds(NOW) + 60 }, 'x'.repeat(31));
      await assert.rejects(customValidatorAdapter(validatorPlugin, 1000).validate(input({ ticket }), vctx()), {
        code: 'INVALID_TOKEN',
        message: 'legacy ticket signing is not configured',
      });
      await assert.rejects(
        customProviderAdapter(providerPlugin, 1000).issue(subject, output, pctx()),
        (err: unknown) => err instanceof PluginFailureError && err.detail === 'legacy ticket signing is not configured',
      );
    });
  }
});

describe('example SAML statement plugins', () => {
  it('conditions-one-time-use.mjs: adds OneTimeUse and caps NotOnOrAfter at issue + 60 s', async () => {
    const p = samlPlugin('one-time-use-conditions', 'conditions');
    const defaults = {
      notBefore: NOW,
      notOnOrAfter: new Date(NOW.getTime() + 600_000),
      audiences: ['https://sp.example.com'],
    };
    assert.deepEqual(await p.provide(ctx<'conditions'>(defaults)), {
      notBefore: NOW,
      notOnOrAfter: new Date(NOW.getTime() + 60_000),
      audiences: ['https://sp.example.com'],
      oneTimeUse: true,
    });
    // Never lengthens a shorter built-in lifetime.
    const short = { ...defaults, notOnOrAfter: new Date(NOW.getTime() + 30_000) };
    assert.deepEqual((await p.provide(ctx<'conditions'>(short))).notOnOrAfter, short.notOnOrAfter);
  });

  it('subject-email-nameid.mjs: emits mail as an emailAddress NameID, or keeps the default without mail', async () => {
    const p = samlPlugin('email-name-id', 'subject');
    const defaults = { nameId: { value: 'alice', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' } };
    const emailAddress = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
    assert.deepEqual(await p.provide(ctx<'subject'>(defaults, { mail: 'alice@example.com' })), {
      nameId: { value: 'alice@example.com', format: emailAddress },
    });
    assert.deepEqual(await p.provide(ctx<'subject'>(defaults, { mail: ['first@example.com', 'second@example.com'] })), {
      nameId: { value: 'first@example.com', format: emailAddress },
    });
    assert.deepEqual(await p.provide(ctx<'subject'>(defaults, { cn: 'Alice' })), defaults);
  });

  it('authn-session-index.mjs: adds the same SessionIndex for the same login, another for another login', async () => {
    const p = samlPlugin('session-index-authn', 'authenticationStatements');
    const defaults = [{ authnInstant: new Date('2025-06-01T11:30:00Z'), contextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified' }];
    const [first] = await p.provide(ctx<'authenticationStatements'>(defaults));
    assert.deepEqual({ ...first, sessionIndex: undefined }, { ...defaults[0], sessionIndex: undefined });
    assert.match(first!.sessionIndex!, /^_[0-9a-f]{32}$/);
    const [again] = await p.provide(ctx<'authenticationStatements'>(defaults));
    assert.equal(again!.sessionIndex, first!.sessionIndex);
    const other = ctx<'authenticationStatements'>(defaults);
    other.subject.authnInstant = new Date('2025-06-01T11:45:00Z');
    const [later] = await p.provide(other);
    assert.notEqual(later!.sessionIndex, first!.sessionIndex);
    assert.equal(defaults[0]!.hasOwnProperty('sessionIndex'), false, 'defaults are not modified');
  });

  it('attributes-static-tenant.mjs: extends the mapped attributes with tenant=acme', async () => {
    const p = samlPlugin('static-tenant-attribute', 'attributeStatements');
    const tenant = {
      name: 'urn:example:tenant',
      nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
      friendlyName: 'tenant',
      values: ['acme'],
    };
    const mail = { name: 'mail', values: ['alice@example.com'] };
    const defaults = [{ attributes: [mail] }];
    assert.deepEqual(await p.provide(ctx<'attributeStatements'>(defaults)), [{ attributes: [mail, tenant] }]);
    assert.deepEqual(defaults, [{ attributes: [mail] }], 'defaults are not modified');
    assert.deepEqual(await p.provide(ctx<'attributeStatements'>([])), [{ attributes: [tenant] }]);
  });

  it('authz-staff-admin.mjs: Permit GET on the admin area for memberOf staff, nothing added otherwise', async () => {
    const p = samlPlugin('staff-admin-authz', 'authorizationDecisionStatements');
    const permit = {
      resource: 'https://sp.example.com/admin',
      decision: 'Permit',
      actions: [{ namespace: 'urn:oasis:names:tc:SAML:1.0:action:ghpp', value: 'GET' }],
    };
    assert.deepEqual(await p.provide(ctx<'authorizationDecisionStatements'>([], { memberOf: ['dev', 'staff'] })), [permit]);
    assert.deepEqual(await p.provide(ctx<'authorizationDecisionStatements'>([], { memberOf: 'staff' })), [permit]);
    assert.deepEqual(await p.provide(ctx<'authorizationDecisionStatements'>([], { memberOf: ['dev'] })), []);
    assert.deepEqual(await p.provide(ctx<'authorizationDecisionStatements'>([], {})), []);
  });
});

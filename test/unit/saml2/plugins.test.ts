/** SAML statement plugins: what they receive, what they may return, and how their failures end a request. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { TesseraError } from '../../../src/engine/errors.js';
import type { SubjectConfirmationMethod } from '../../../src/engine/types.js';
import type { Saml2StatementPlugin, SamlStatementContext, SamlStatementKind } from '../../../src/plugins/types.js';
import { PluginFailureError } from '../../../src/plugins/plugin-failure.js';
import { NS } from '../../../src/tokens/saml2/xml.js';
import { xmlsecVerify, xmllintAssertion } from '../../support/saml.js';
import { CALLER, makeProvider, NOW, providerCtx, samlConfig, subject } from './setup.js';

function plugin<K extends SamlStatementKind>(statement: K, name: string, provide: (ctx: SamlStatementContext<K>) => unknown): Saml2StatementPlugin {
  return { kind: 'saml2-statement', statement, name, provide: provide as never } as Saml2StatementPlugin;
}

async function issueWith(p: Saml2StatementPlugin, opts: { method?: SubjectConfirmationMethod; timeoutMs?: number } = {}) {
  const { provider, pki } = await makeProvider({ plugins: [p], pluginTimeoutMs: opts.timeoutMs ?? 200 });
  const method = opts.method ?? 'BEARER';
  const cfg = samlConfig({ plugins: { [p.statement]: p.name } });
  const out =
    method === 'HOLDER_OF_KEY'
      ? ({ type: 'SAML2', subjectConfirmation: method, proofCertificate: pki.client.certPem } as const)
      : ({ type: 'SAML2', subjectConfirmation: method } as const);
  const token = await provider.issue(subject(), out, providerCtx(cfg, { request: { caller: CALLER, clientAddress: '::1', door: 'graphql' } }));
  return { token, pki };
}

function failsWithPlugin(p: Promise<unknown>, name: string, reason?: RegExp): Promise<void> {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PluginFailureError, String(e));
    assert.ok(e instanceof TesseraError);
    assert.equal(e.code, 'INTERNAL');
    assert.equal(e.pluginName, name);
    assert.ok(e.message.startsWith(`SAML statement plugin ${name} `), e.message);
    if (reason) assert.match(`${e.message} ${e.reason}: ${e.detail}`, reason);
    return true;
  });
}

describe('SAML statement plugins', () => {
  it('receive copies of the context with the built-in result as defaults, and can extend it', async () => {
    let seen: SamlStatementContext<'attributeStatements'> | undefined;
    const p = plugin('attributeStatements', 'extend', (ctx) => {
      seen = ctx;
      // Mutating what it was given must not leak anywhere.
      (ctx.subject.attributes as Record<string, string>)['mail'] = 'changed@example.org';
      assert.throws(() => {
        (ctx.instance.saml2 as Record<string, unknown>)['issuer'] = 'x';
      });
      return [...ctx.defaults, { attributes: [{ name: 'role', friendlyName: 'Role', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic', values: ['admin', 'user'] }] }];
    });
    const { token, pki } = await issueWith(p);
    assert.ok(seen);
    assert.equal(seen!.instance.name, 'demo');
    assert.equal(seen!.instance.saml2['spEntityId'], 'https://sp.example.org/saml');
    assert.deepEqual(seen!.issueInstant, new Date('2030-01-01T12:00:00Z'));
    assert.equal(seen!.subjectConfirmation, 'BEARER');
    assert.equal(seen!.defaults.length, 1);
    assert.ok(token.token.includes('<saml:AttributeValue>demo@example.org</saml:AttributeValue>'));
    assert.ok(token.token.includes('<saml:Attribute FriendlyName="Role" Name="role" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">'));
    xmllintAssertion(token.token);
    xmlsecVerify(token.token, pki.rsa.certPem);
  });

  it('HOLDER_OF_KEY plugins see the proof certificate', async () => {
    let proof: string | undefined;
    const p = plugin('subject', 'who', (ctx) => {
      proof = ctx.proofCertificate;
      return { nameId: { value: 'someone@example.org', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', nameQualifier: 'q', spNameQualifier: 'sp' } };
    });
    const { token, pki } = await issueWith(p, { method: 'HOLDER_OF_KEY' });
    assert.equal(proof, pki.client.certDer);
    assert.ok(token.token.includes('<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" NameQualifier="q" SPNameQualifier="sp">someone@example.org</saml:NameID>'));
    xmllintAssertion(token.token);
  });

  it('authorization decisions and OneTimeUse are serialized in schema order', async () => {
    const authz = plugin('authorizationDecisionStatements', 'authz', () => [
      { resource: 'https://sp.example.org/r', decision: 'Permit', actions: [{ value: 'GET' }, { namespace: 'urn:oasis:names:tc:SAML:1.0:action:ghpp', value: 'POST' }] },
    ]);
    const { token, pki } = await issueWith(authz);
    assert.ok(
      token.token.includes(
        '<saml:AuthzDecisionStatement Decision="Permit" Resource="https://sp.example.org/r"><saml:Action Namespace="urn:oasis:names:tc:SAML:1.0:action:rwedc-negation">GET</saml:Action>',
      ),
    );
    xmllintAssertion(token.token);
    xmlsecVerify(token.token, pki.rsa.certPem);
    const once = plugin('conditions', 'once', (ctx) => ({ ...ctx.defaults, oneTimeUse: true, audiences: [...ctx.defaults.audiences!, 'urn:other'] }));
    const t2 = await issueWith(once);
    assert.ok(t2.token.token.includes('<saml:Audience>urn:other</saml:Audience></saml:AudienceRestriction><saml:OneTimeUse></saml:OneTimeUse></saml:Conditions>'));
    xmllintAssertion(t2.token.token);
  });

  it('markup in a plugin value comes out as text: same string back, no extra element', async () => {
    const evil = '</saml:AttributeValue><saml:AttributeValue>injected</saml:AttributeValue><!-- x --><![CDATA[y]]>&ent;';
    const p = plugin('attributeStatements', 'markup', () => [{ attributes: [{ name: 'evil"><x a="', values: [evil] }] }]);
    const { token, pki } = await issueWith(p);
    xmlsecVerify(token.token, pki.rsa.certPem);
    xmllintAssertion(token.token);
    const doc = new DOMParser().parseFromString(token.token, 'text/xml');
    const values = doc.getElementsByTagNameNS(NS.saml, 'AttributeValue');
    assert.equal(values.length, 1);
    assert.equal(values[0]!.textContent, evil);
    assert.equal(doc.getElementsByTagNameNS(NS.saml, 'Attribute')[0]!.getAttribute('Name'), 'evil"><x a="');
    assert.equal(doc.getElementsByTagName('x').length, 0);
    const nameIdPlugin = plugin('subject', 'markup-subject', () => ({ nameId: { value: '<saml:NameID>admin</saml:NameID>' } }));
    const t2 = await issueWith(nameIdPlugin);
    const d2 = new DOMParser().parseFromString(t2.token.token, 'text/xml');
    assert.equal(d2.getElementsByTagNameNS(NS.saml, 'NameID').length, 1);
    assert.equal(d2.getElementsByTagNameNS(NS.saml, 'NameID')[0]!.textContent, '<saml:NameID>admin</saml:NameID>');
  });

  it('a plugin that throws fails the request with a typed error naming it', async () => {
    await failsWithPlugin(issueWith(plugin('subject', 'thrower', () => {
      throw new Error('directory down\u0000\n');
    })), 'thrower', /threw: directory down/);
    await failsWithPlugin(issueWith(plugin('conditions', 'rejecter', () => Promise.reject(new Error('nope')))), 'rejecter', /nope/);
  });

  it('a plugin whose promise stays unsettled fails the request after the timeout', async () => {
    // callWithTimeout unrefs its timer (a server's socket keeps the loop alive); here a ref'd timer does.
    const keepAlive = setTimeout(() => {}, 5000);
    try {
      const t0 = Date.now();
      await failsWithPlugin(issueWith(plugin('attributeStatements', 'hang', () => new Promise(() => {})), { timeoutMs: 30 }), 'hang', /no result within 30 ms/);
      assert.ok(Date.now() - t0 < 2000);
    } finally {
      clearTimeout(keepAlive);
    }
  });

  it('an unknown plugin name or a plugin of another kind fails the request', async () => {
    const { provider } = await makeProvider();
    await failsWithPlugin(
      provider.issue(subject(), { type: 'SAML2', subjectConfirmation: 'BEARER' }, providerCtx(samlConfig({ plugins: { subject: 'missing' } }))),
      'missing',
      /no such SAML statement plugin/,
    );
    const wrongKind = plugin('conditions', 'wrong-kind', (ctx) => ctx.defaults);
    const { provider: p2 } = await makeProvider({ plugins: [wrongKind] });
    await failsWithPlugin(
      p2.issue(subject(), { type: 'SAML2', subjectConfirmation: 'BEARER' }, providerCtx(samlConfig({ plugins: { subject: 'wrong-kind' } }))),
      'wrong-kind',
    );
  });

  const d = new Date('2030-01-01T12:05:00Z');
  const malformed: Array<[SamlStatementKind, string, unknown]> = [
    ['subject', 'null', null],
    ['subject', 'string', 'demo'],
    ['subject', 'no nameId', {}],
    ['subject', 'numeric value', { nameId: { value: 42 } }],
    ['subject', 'empty value', { nameId: { value: '' } }],
    ['subject', 'too long', { nameId: { value: 'x'.repeat(1025) } }],
    ['subject', 'control character', { nameId: { value: 'a\u0000' } }],
    ['subject', 'lone surrogate', { nameId: { value: 'a\uD800' } }],
    ['subject', 'format not a URI', { nameId: { value: 'a', format: 'not a uri' } }],
    ['subject', 'unknown field', { nameId: { value: 'a' }, extra: 1 }],
    ['subject', 'class instance', { nameId: new (class { value = 'a'; })() }],
    ['conditions', 'array', []],
    ['conditions', 'string date', { notOnOrAfter: '2030-01-01T12:05:00Z', audiences: ['https://sp.example.org/saml'] }],
    ['conditions', 'invalid date', { notOnOrAfter: new Date('nope'), audiences: ['https://sp.example.org/saml'] }],
    ['conditions', 'year 10000', { notBefore: new Date('+010000-01-01T00:00:00Z'), audiences: ['https://sp.example.org/saml'] }],
    ['conditions', 'audiences not array', { audiences: 'https://sp.example.org/saml' }],
    ['conditions', 'audience number', { audiences: ['https://sp.example.org/saml', 7] }],
    ['conditions', 'oneTimeUse string', { audiences: ['https://sp.example.org/saml'], oneTimeUse: 'yes' }],
    ['conditions', 'too many audiences', { audiences: Array.from({ length: 33 }, (_, i) => `urn:a:${i}`) }],
    ['authenticationStatements', 'object', { authnInstant: d, contextClassRef: 'urn:x' }],
    ['authenticationStatements', 'number instant', [{ authnInstant: 0, contextClassRef: 'urn:x' }]],
    ['authenticationStatements', 'missing class', [{ authnInstant: d }]],
    ['authenticationStatements', 'sessionIndex number', [{ authnInstant: d, contextClassRef: 'urn:x', sessionIndex: 1 }]],
    ['authenticationStatements', 'too many', Array.from({ length: 17 }, () => ({ authnInstant: d, contextClassRef: 'urn:x' }))],
    ['attributeStatements', 'values not array', [{ attributes: [{ name: 'a', values: 'x' }] }]],
    ['attributeStatements', 'number value', [{ attributes: [{ name: 'a', values: ['x', 1] }] }]],
    ['attributeStatements', 'empty attributes', [{ attributes: [] }]],
    ['attributeStatements', 'no name', [{ attributes: [{ values: ['x'] }] }]],
    ['attributeStatements', 'too many values', [{ attributes: [{ name: 'a', values: Array.from({ length: 257 }, () => 'v') }] }]],
    ['authorizationDecisionStatements', 'bad decision', [{ resource: 'urn:r', decision: 'Allow', actions: [{ value: 'GET' }] }]],
    ['authorizationDecisionStatements', 'no actions', [{ resource: 'urn:r', decision: 'Permit', actions: [] }]],
    ['authorizationDecisionStatements', 'action number', [{ resource: 'urn:r', decision: 'Deny', actions: [{ value: 5 }] }]],
    ['authorizationDecisionStatements', 'resource not a URI', [{ resource: 'a b', decision: 'Deny', actions: [{ value: 'GET' }] }]],
  ];
  for (const [kind, label, result] of malformed) {
    it(`a malformed ${kind} result (${label}) fails the request`, async () => {
      await failsWithPlugin(issueWith(plugin(kind, `bad-${kind}`, () => result)), `bad-${kind}`, /malformed result/);
    });
  }

  it('bearer assertions keep an Audience naming the SP and NotOnOrAfter within the lifetime (refused, not repaired)', async () => {
    const noAudience = plugin('conditions', 'no-aud', (ctx) => ({ ...ctx.defaults, audiences: ['urn:someone-else'] }));
    await failsWithPlugin(issueWith(noAudience), 'no-aud', /Audience/);
    const noAudiences = plugin('conditions', 'no-aud2', () => ({}));
    await failsWithPlugin(issueWith(noAudiences), 'no-aud2', /Audience/);
    const tooLong = plugin('conditions', 'long', (ctx) => ({ ...ctx.defaults, notOnOrAfter: new Date(NOW.getTime() + 601_000) }));
    await failsWithPlugin(issueWith(tooLong), 'long', /no later than/);
    const past = plugin('conditions', 'past', (ctx) => ({ ...ctx.defaults, notOnOrAfter: new Date('2029-01-01T00:00:00Z') }));
    await failsWithPlugin(issueWith(past), 'past', /after the issue instant/);
    const inverted = plugin('conditions', 'inverted', (ctx) => ({ ...ctx.defaults, notBefore: new Date(NOW.getTime() + 700_000), notOnOrAfter: new Date(NOW.getTime() + 300_000) }));
    await failsWithPlugin(issueWith(inverted), 'inverted', /notBefore/);
    // Shorter is fine, and NotOnOrAfter defaults to issue + lifetime when a plugin leaves it out.
    const shorter = plugin('conditions', 'short', (ctx) => ({ ...ctx.defaults, notOnOrAfter: new Date(NOW.getTime() + 60_000) }));
    const { token } = await issueWith(shorter);
    assert.deepEqual(token.expiresAt, new Date('2030-01-01T12:01:00Z'));
    assert.ok(token.token.includes('<saml:SubjectConfirmationData NotOnOrAfter="2030-01-01T12:01:00Z"'));
    const unset = plugin('conditions', 'unset', (ctx) => ({ audiences: ctx.defaults.audiences! }));
    const t2 = await issueWith(unset);
    assert.deepEqual(t2.token.expiresAt, new Date('2030-01-01T12:10:00Z'));
  });

  it('other confirmation methods may drop the Audience and live up to 24 h, not longer', async () => {
    const day = plugin('conditions', 'day', (ctx) => ({ notOnOrAfter: new Date(ctx.issueInstant.getTime() + 86_400_000) }));
    const { token } = await issueWith(day, { method: 'SENDER_VOUCHES' });
    assert.ok(!token.token.includes('Audience'));
    xmllintAssertion(token.token);
    const more = plugin('conditions', 'more', () => ({ notOnOrAfter: new Date(NOW.getTime() + 86_401_000) }));
    await failsWithPlugin(issueWith(more, { method: 'HOLDER_OF_KEY' }), 'more', /no later than/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SamlPluginRegistry } from '../../../src/plugins/registry.js';
import type { Saml2StatementPlugin, SamlStatementKind } from '../../../src/plugins/types.js';

function saml(name: string, statement: SamlStatementKind, description?: string): Saml2StatementPlugin {
  return {
    kind: 'saml2-statement',
    statement,
    name,
    ...(description ? { description } : {}),
    provide: (ctx) => ctx.defaults,
  } as Saml2StatementPlugin;
}

describe('SamlPluginRegistry', () => {
  const builtIns = [saml('default-subject', 'subject'), saml('default-conditions', 'conditions')];
  const loaded = [saml('one-time-use', 'conditions', 'OneTimeUse'), saml('email-name-id', 'subject')];

  it('resolves built-in and loaded plugins by name, with their statement kind', () => {
    const reg = new SamlPluginRegistry(builtIns, loaded);
    assert.equal(reg.resolve('one-time-use'), loaded[0]);
    assert.equal(reg.resolve('default-subject'), builtIns[0]);
    assert.equal(reg.resolve('nope'), undefined);
    assert.equal(reg.statementOf('email-name-id'), 'subject');
    assert.equal(reg.statementOf('default-conditions'), 'conditions');
    assert.equal(reg.statementOf('nope'), undefined);
    assert.equal(reg.isBuiltIn('default-subject'), true);
    assert.equal(reg.isBuiltIn('email-name-id'), false);
  });

  it('lists built-ins first, then loaded plugins, each by name', () => {
    const reg = new SamlPluginRegistry(builtIns, loaded);
    assert.deepEqual(reg.list(), [
      { name: 'default-conditions', statement: 'conditions', builtIn: true },
      { name: 'default-subject', statement: 'subject', builtIn: true },
      { name: 'email-name-id', statement: 'subject', builtIn: false },
      { name: 'one-time-use', statement: 'conditions', builtIn: false, description: 'OneTimeUse' },
    ]);
  });

  it('refuses a loaded plugin that reuses a built-in name, a duplicate, and a built-in without the prefix', () => {
    assert.throws(() => new SamlPluginRegistry(builtIns, [saml('default-subject', 'subject')]), /registered twice/);
    assert.throws(() => new SamlPluginRegistry([], [saml('x', 'subject'), saml('x', 'conditions')]), /registered twice/);
    assert.throws(() => new SamlPluginRegistry([saml('mail', 'subject')], []), /must be named default-/);
  });
});

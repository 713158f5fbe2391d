import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INTERNAL_MESSAGE, publicMessage } from '../../../src/engine/errors.js';
import { PluginFailureError } from '../../../src/plugins/custom-tokens.js';
import { runStatementPlugin } from '../../../src/plugins/statement-runner.js';
import type { Saml2StatementPlugin, SamlStatementContext } from '../../../src/plugins/types.js';
import { keepingAlive, NOW } from './helpers.js';

const ctx: SamlStatementContext<'subject'> = {
  instance: { name: 'i', saml2: {} },
  subject: { name: 'alice', attributes: {}, inputType: 'USERNAME', authnInstant: NOW },
  issueInstant: NOW,
  subjectConfirmation: 'BEARER',
  defaults: { nameId: { value: 'alice' } },
};
const plugin = (provide: Saml2StatementPlugin<'subject'>['provide']): Saml2StatementPlugin<'subject'> => ({
  kind: 'saml2-statement',
  statement: 'subject',
  name: 'mail-subject',
  provide,
});

describe('runStatementPlugin', () => {
  it('returns what the plugin provides, sync or async', async () => {
    assert.deepEqual(await runStatementPlugin(plugin((c) => c.defaults), ctx, 1000), { nameId: { value: 'alice' } });
    assert.deepEqual(await runStatementPlugin(plugin(async () => ({ nameId: { value: 'x' } })), ctx, 1000), { nameId: { value: 'x' } });
  });

  it('turns a throw into PluginFailureError (INTERNAL) naming the plugin', async () => {
    const failing = plugin(() => {
      throw new Error('LDAP down\nat 10.0.0.3');
    });
    await assert.rejects(runStatementPlugin(failing, ctx, 1000), (err: unknown) => {
      assert.ok(err instanceof PluginFailureError);
      assert.equal(err.reason, 'threw');
      assert.equal(err.message, 'SAML statement plugin mail-subject failed.');
      assert.equal(err.detail, 'LDAP down at 10.0.0.3');
      assert.equal(publicMessage(err), INTERNAL_MESSAGE);
      return true;
    });
  });

  it('times out a plugin that never settles', async () => {
    await assert.rejects(keepingAlive(runStatementPlugin(plugin(() => new Promise(() => {})), ctx, 20)), (err: unknown) => {
      assert.ok(err instanceof PluginFailureError);
      assert.equal(err.reason, 'timeout');
      assert.equal(err.message, 'SAML statement plugin mail-subject did not answer in time.');
      return true;
    });
  });
});

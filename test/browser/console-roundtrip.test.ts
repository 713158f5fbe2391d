/**
 * Saving an instance from the console keeps everything it had: every section and field, those the form edits
 * and those it only carries (write-only secrets, long-form SAML attributes, sections of plugin token kinds).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createStampKind } from '../kinds/stamp/stamp.kind.js';
import { errorAt, openConsole, signIn, unlabelledControls, type ConsoleBrowser } from './console-harness.js';
import { FULL_INSTANCE_QUERY, publishFull } from './console-fixtures.js';

/** The stored instance without what a save changes by design. */
function comparable(i: Record<string, any>): Record<string, any> {
  const { updatedAt: _u, ...rest } = i;
  return rest;
}

describe('console: saving an instance keeps every section', () => {
  let b: ConsoleBrowser;

  before(async () => {
    b = await openConsole();
    await publishFull(b.s, 'orders');
    await signIn(b.page, b.s.url);
  });
  after(async () => {
    await b?.close();
  });

  const stored = async (name: string) => {
    const r = await b.s.gql(FULL_INSTANCE_QUERY.replace('createdAt', 'createdAt updatedAt'), { n: name }, b.s.adminToken);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data.instance;
  };

  test('load and save with no change publishes what the server has', async () => {
    const { page, s } = b;
    const before = await stored('orders');
    await page.goto(`${s.url}/admin/instances/orders`);
    // Every editor is on this form; each of its controls has a name.
    await page.getByLabel('IdP 2 entity ID (Issuer)').waitFor();
    assert.deepEqual(await unlabelledControls(page), []);
    // The default OIDC issuer is shown as the default (an empty field), not pinned by the save.
    assert.equal(await page.getByLabel('OIDC issuer').inputValue(), '');
    assert.equal(await page.getByLabel('OIDC issuer').getAttribute('placeholder'), before.oidc.issuer);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Instance orders was saved; the change is live.').waitFor();
    const after = await stored('orders');
    assert.notEqual(after.updatedAt, before.updatedAt, 'the instance was replaced');
    assert.deepEqual(comparable(after), comparable(before));
    b.assertClean();
  });

  test('changing one field changes that field only', async () => {
    const { page, s } = b;
    const before = await stored('orders');
    await page.goto(`${s.url}/admin/instances/orders`);
    await page.getByLabel('OIDC lifetime (seconds)').fill('120');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Instance orders was saved; the change is live.').waitFor();
    const after = await stored('orders');
    assert.equal(after.oidc.lifetimeSeconds, 120);
    after.oidc.lifetimeSeconds = before.oidc.lifetimeSeconds;
    assert.deepEqual(comparable(after), comparable(before));
    b.assertClean();
  });
});

describe('console: a section of a plugin token kind is edited as JSON and kept', () => {
  let b: ConsoleBrowser;
  const secret = 'stamp-secret-of-at-least-thirty-two-bytes';

  before(async () => {
    b = await openConsole({ kinds: [createStampKind()] });
    const r = await b.s.gql(
      'mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }',
      { i: { name: 'stamps', transforms: [{ input: 'USERNAME', output: 'STAMP' }], stamp: { secret, lifetimeSeconds: 300 } } },
      b.s.adminToken,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    await signIn(b.page, b.s.url);
  });
  after(async () => {
    await b?.close();
  });

  test('the JSON editor shows the section, refuses bad JSON here and the server\'s errors at itself, and saves', async () => {
    const { page, s } = b;
    const stamp = async () => (await s.gql('query { instance(name: "stamps") { transforms { input output } stamp { lifetimeSeconds hasSecret } } }', {}, s.adminToken)).data.instance;
    await page.goto(`${s.url}/admin/instances/stamps`);
    const editor = page.getByLabel('stamp settings (JSON)');
    // What the server shows, as the input takes it: hasSecret is output-only and the secret is never shown.
    assert.deepEqual(JSON.parse(await editor.inputValue()), { lifetimeSeconds: 300 });
    // The plugin's token kind is offered in the transforms.
    assert.equal(await page.getByLabel('Output token').inputValue(), 'STAMP');

    await editor.fill('{ "lifetimeSeconds": 60, ');
    // Checked as it is typed, and refused here on save: nothing is sent.
    await page.getByText('Not valid JSON yet:').waitFor();
    await page.getByRole('button', { name: 'Save changes' }).click();
    let e = await errorAt(page, 'stamp settings (JSON)');
    assert.match(e.text, /^Is not valid JSON/);

    // The secret is required again (GraphQL's own check names input.stamp).
    await editor.fill('{ "lifetimeSeconds": 60 }');
    assert.equal(await page.getByText('Not valid JSON yet:').count(), 0);
    await page.getByRole('button', { name: 'Save changes' }).click();
    e = await errorAt(page, 'stamp settings (JSON)');
    assert.match(e.text, /secret/);
    // The server's own check, named input.stamp.secret, lands on the editor too.
    await editor.fill('{ "lifetimeSeconds": 60, "secret": "short" }');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Must be at least 32 bytes.').waitFor();
    assert.equal((await stamp()).stamp.lifetimeSeconds, 300);

    await editor.fill(JSON.stringify({ lifetimeSeconds: 60, secret }));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Instance stamps was saved; the change is live.').waitFor();
    assert.deepEqual(await stamp(), { transforms: [{ input: 'USERNAME', output: 'STAMP' }], stamp: { lifetimeSeconds: 60, hasSecret: true } });
    b.assertClean();
  });
});

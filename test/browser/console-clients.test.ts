/**
 * OAuth clients in the console: the list, create with each authentication method, the secret shown once (and
 * gone after leaving the page), edit, server errors at their field, rotate and delete with confirmation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientKey, CLIENT_FIELDS, GRANT, TT, tokenRequest } from '../support/token-exchange.js';
import { alertText, errorAt, openConsole, signIn, unlabelledControls, type ConsoleBrowser } from './console-harness.js';

describe('console: OAuth clients', () => {
  let b: ConsoleBrowser;

  before(async () => {
    b = await openConsole();
    await signIn(b.page, b.s.url);
  });
  after(async () => {
    await b?.close();
  });

  const client = async (id: string) => (await b.s.gql(`{ oauthClients { ${CLIENT_FIELDS} } }`, {}, b.s.adminToken)).data.oauthClients.find((c: { clientId: string }) => c.clientId === id) ?? null;

  /** A token exchange with the client's secret: what proves the secret shown is the real one. */
  const exchange = async (id: string, secret: string) => {
    const demo = await b.s.login('demo', 'changeit');
    return tokenRequest(`${b.s.url}/sts/demo-exchange/token`, { grant_type: GRANT, subject_token: demo, subject_token_type: TT.session, scope: 'orders.read' }, { basic: { id, secret } });
  };

  test('the list shows each client with its method, instances, scopes and roles', async () => {
    const { page } = b;
    await page.getByRole('link', { name: 'OAuth clients' }).click();
    const row = page.getByRole('row', { name: /demo-exchange-client/ });
    await row.waitFor();
    assert.match(await row.innerText(), /client_secret_basic[\s\S]*secret set[\s\S]*demo-exchange[\s\S]*orders\.read/);
    assert.deepEqual(await unlabelledControls(page), []);
    b.assertClean();
  });

  test('create a secret client: the secret is shown once, copies, works, and is gone after leaving the page', async () => {
    const { page, s } = b;
    await page.getByRole('button', { name: 'New client' }).click();
    const form = page.getByRole('form', { name: 'New client' });
    await form.getByLabel('Client ID').fill('orders-backend');
    await form.getByLabel('Authentication method').selectOption('client_secret_post');
    await form.getByLabel('demo-exchange').check();
    await form.getByLabel('Scopes').fill('orders.read orders.write');
    await form.getByLabel('Roles').fill('sts-caller');
    await form.getByRole('button', { name: 'Create client' }).click();

    const panel = page.getByRole('region', { name: 'Client orders-backend was created' });
    await panel.waitFor();
    assert.match(await panel.innerText(), /you will not see it again/);
    const secret = await panel.getByLabel('Client secret').inputValue();
    assert.ok(secret.length >= 32, 'a real secret');
    assert.ok(await panel.getByRole('heading').evaluate((h) => h === document.activeElement), 'the focus goes to the secret');
    await panel.getByRole('button', { name: 'Copy secret' }).click();
    await panel.getByText('Copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    await page.evaluate(() => navigator.clipboard.writeText(''));

    const c = await client('orders-backend');
    assert.deepEqual([c.authMethod, c.instances, c.scopes, c.roles, c.hasSecret], ['client_secret_post', ['demo-exchange'], ['orders.read', 'orders.write'], ['sts-caller'], true]);
    // The secret is the client's: the token endpoint takes it (in the body, as client_secret_post).
    const demo = await s.login('demo', 'changeit');
    const r = await tokenRequest(`${s.url}/sts/demo-exchange/token`, { grant_type: GRANT, subject_token: demo, subject_token_type: TT.session, client_id: 'orders-backend', client_secret: secret });
    assert.equal(r.status, 200, JSON.stringify(r.body));

    // Nowhere to be found once the page is left: not on the page, not in storage, not in the history state.
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('button', { name: 'Generate key' }).waitFor();
    await page.goBack();
    await page.getByRole('row', { name: /orders-backend/ }).waitFor();
    assert.equal(await page.getByLabel('Client secret').count(), 0);
    const kept = await page.evaluate((x) => JSON.stringify([sessionStorage, localStorage, history.state, document.body.innerHTML]).includes(x), secret);
    assert.equal(kept, false, 'the secret is kept nowhere');
    b.assertClean();
  });

  test("the server's errors appear at their field", async () => {
    const { page } = b;
    await page.getByRole('button', { name: 'New client' }).click();
    const form = page.getByRole('form', { name: 'New client' });
    await form.getByLabel('Client ID').fill('has space');
    await form.getByLabel('demo-exchange').check();
    await form.getByRole('button', { name: 'Create client' }).click();
    let e = await errorAt(page, 'Client ID');
    assert.match(e.text, /letters, digits/);
    assert.ok(e.focused);

    await form.getByLabel('Client ID').fill('demo-exchange-client');
    await form.getByRole('button', { name: 'Create client' }).click();
    e = await errorAt(page, 'Client ID');
    assert.match(e.text, /demo-exchange-client/);

    await form.getByLabel('Client ID').fill('scoped');
    await form.getByLabel('Scopes').fill('bad"scope');
    await form.getByRole('button', { name: 'Create client' }).click();
    e = await errorAt(page, 'Scopes');
    assert.match(e.text, /scope token/);
    await form.getByLabel('Scopes').fill('');

    // private_key_jwt: the JWK Set is checked here for JSON, then by the server for what it holds.
    await form.getByLabel('Authentication method').selectOption('private_key_jwt');
    await form.getByLabel('Client JWK Set (JSON)').fill('{"keys": [');
    await form.getByRole('button', { name: 'Create client' }).click();
    e = await errorAt(page, 'Client JWK Set (JSON)');
    assert.match(e.text, /^Is not valid JSON/);
    const key = clientKey('ES256');
    const withPrivate = { keys: [{ ...key.privateKey.export({ format: 'jwk' }), kid: key.kid }] };
    await form.getByLabel('Client JWK Set (JSON)').fill(JSON.stringify(withPrivate));
    await form.getByRole('button', { name: 'Create client' }).click();
    e = await errorAt(page, 'Client JWK Set (JSON)');
    assert.match(e.text, /private key material/);
    assert.equal(await alertText(page), 'Tessera refused the form: see the field marked below.');

    // Fixed, it is created; a key client has no secret to show.
    await form.getByLabel('Client JWK Set (JSON)').fill(JSON.stringify(key.jwks));
    await form.getByRole('button', { name: 'Create client' }).click();
    await page.getByText('Client scoped was created.').waitFor();
    assert.equal(await page.getByLabel('Client secret').count(), 0);
    const c = await client('scoped');
    assert.equal(c.authMethod, 'private_key_jwt');
    assert.equal(c.hasSecret, false);
    assert.deepEqual(c.jwks, key.jwks);
    b.assertClean();
  });

  test('edit: the form shows the stored client, and saving replaces its settings but keeps its secret', async () => {
    const { page } = b;
    await page.getByRole('button', { name: 'Edit demo-exchange-client' }).click();
    const form = page.getByRole('form', { name: 'Edit client demo-exchange-client' });
    await form.waitFor();
    assert.equal(await form.getByLabel('Client ID').getAttribute('readonly'), '');
    assert.equal(await form.getByLabel('Scopes').inputValue(), 'orders.read');
    assert.equal(await form.getByLabel('demo-exchange').isChecked(), true);
    await form.getByLabel('Scopes').fill('orders.read, orders.write');
    await form.getByLabel('Roles').fill('auditor');
    await form.getByRole('button', { name: 'Save client' }).click();
    await page.getByText('Client demo-exchange-client was saved.').waitFor();
    const c = await client('demo-exchange-client');
    assert.deepEqual([c.scopes, c.roles, c.hasSecret, c.authMethod], [['orders.read', 'orders.write'], ['auditor'], true, 'client_secret_basic']);
    await page.getByRole('row', { name: /demo-exchange-client/ }).getByText('orders.read orders.write').waitFor();
    b.assertClean();
  });

  test('rotate asks first; confirming shows the new secret once and the old one stops working', async () => {
    const { page } = b;
    await page.getByRole('button', { name: 'New client' }).click();
    const form = page.getByRole('form', { name: 'New client' });
    await form.getByLabel('Client ID').fill('rotating');
    await form.getByLabel('demo-exchange').check();
    await form.getByLabel('Scopes').fill('orders.read');
    await form.getByRole('button', { name: 'Create client' }).click();
    const created = page.getByRole('region', { name: 'Client rotating was created' });
    const first = await created.getByLabel('Client secret').inputValue();
    await created.getByRole('button', { name: 'I have copied it' }).click();
    await created.waitFor({ state: 'detached' });
    assert.equal((await exchange('rotating', first)).status, 200);

    await page.getByRole('button', { name: 'Rotate the secret of rotating' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the secret of rotating?' });
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await exchange('rotating', first)).status, 200, 'Keep it rotated nothing');

    await page.getByRole('button', { name: 'Rotate the secret of rotating' }).click();
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    const panel = page.getByRole('region', { name: 'A new secret for rotating' });
    await panel.waitFor();
    assert.match(await panel.innerText(), /you will not see it again[\s\S]*old secret has stopped working/);
    const second = await panel.getByLabel('Client secret').inputValue();
    assert.notEqual(second, first);
    assert.equal((await exchange('rotating', first)).status, 401);
    assert.equal((await exchange('rotating', second)).status, 200);
    // A key client has no secret to rotate.
    assert.equal(await page.getByRole('button', { name: 'Rotate the secret of scoped' }).count(), 0);
    b.assertClean();
  });

  test('delete asks first; confirming deletes the client and its credentials stop working', async () => {
    const { page } = b;
    await page.getByRole('button', { name: 'Delete orders-backend' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete client orders-backend?' });
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.ok(await client('orders-backend'));

    await page.getByRole('button', { name: 'Delete orders-backend' }).click();
    await dialog.getByRole('button', { name: 'Delete client' }).click();
    await page.getByText('Client orders-backend was deleted; its credentials no longer work.').waitFor();
    await page.getByRole('row', { name: /orders-backend/ }).waitFor({ state: 'detached' });
    assert.equal(await client('orders-backend'), null);
    b.assertClean();
  });

  test('audit trail: the action filter suggests the actions the server recorded, client changes included', async () => {
    const { page, s } = b;
    await page.goto(`${s.url}/admin/audit`);
    // Suggested from the events Tessera recorded (the schema has no list of actions): no fixed list to fall behind.
    const suggested = page.locator('#audit-actions option[value="rotateOAuthClientSecret"]');
    await suggested.waitFor({ state: 'attached' });
    const actions = await page.locator('#audit-actions option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    for (const a of ['createOAuthClient', 'updateOAuthClient', 'deleteOAuthClient', 'login']) assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
    assert.deepEqual(actions, [...actions].sort(), 'sorted');
    await page.getByLabel('Action').fill('deleteOAuthClient');
    await page.getByRole('button', { name: 'Search' }).click();
    // The unfiltered page has delete events too: the filter has applied once the other actions are gone.
    await page.getByRole('row').filter({ hasText: 'createOAuthClient' }).first().waitFor({ state: 'detached' });
    const rows = page.getByRole('row').filter({ hasText: 'deleteOAuthClient' });
    await rows.first().waitFor();
    assert.match(await rows.first().innerText(), /orders-backend/);
    assert.equal(await page.getByRole('row').filter({ hasNotText: 'deleteOAuthClient' }).count(), 1, 'only the header row besides');
    b.assertClean();
  });
});

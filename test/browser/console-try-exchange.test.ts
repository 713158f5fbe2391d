/**
 * Try it with the token exchange kinds: an access token issued and decoded, taken back as ACCESS_TOKEN input
 * with an actor token (delegation), a SAML assertion pasted as SAML2 input, and the samlp:Response envelope.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { alertText, openConsole, signIn, type ConsoleBrowser } from './console-harness.js';

describe('console: try it with access tokens, SAML2 input, delegation and the envelope', () => {
  let b: ConsoleBrowser;

  before(async () => {
    b = await openConsole();
    const { s } = b;
    // SAML2 input that trusts demo-saml's own assertions: its issuer, the certificate of the key that signs them.
    const keys = (await s.gql('{ keys { algorithm status certificate } }', {}, s.adminToken)).data.keys as Array<{ algorithm: string; status: string; certificate: string }>;
    let rs256 = keys.find((k) => k.algorithm === 'RS256' && k.status === 'ACTIVE');
    if (!rs256) rs256 = (await s.gql('mutation { generateKey(algorithm: "RS256") { algorithm status certificate } }', {}, s.adminToken)).data.generateKey;
    const r = await s.gql(
      'mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }',
      {
        i: {
          name: 'saml-in',
          transforms: [{ input: 'SAML2', output: 'OPENIDCONNECT' }],
          oidc: { audience: ['saml-in-client'] },
          saml2Trust: [{ issuer: `${s.url}/sts/demo-saml`, certificates: [rs256!.certificate], audience: ['https://sp.example.com/saml'], recipients: ['https://sp.example.com/saml/acs'] }],
        },
      },
      s.adminToken,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    await signIn(b.page, s.url);
  });
  after(async () => {
    await b?.close();
  });

  const cell = (table: string, name: string) => b.page.getByRole('table').filter({ has: b.page.getByText(table, { exact: true }) }).getByRole('row', { name: new RegExp(`^${name}\\b`) });
  const issued = () => b.page.getByLabel('Issued token, as sent to the client').inputValue();

  let accessToken = '';

  test('ACCESS_TOKEN output: scope and audience are sent, the JWT access token is decoded and validated', async () => {
    const { page, s } = b;
    await page.getByRole('link', { name: 'Try it' }).click();
    await page.getByLabel('Instance').selectOption('demo-exchange');
    await page.getByLabel('Transform').selectOption({ label: 'SESSION → ACCESS_TOKEN' });
    await page.getByLabel('Session token').fill(await s.login('demo', 'changeit'));
    await page.getByLabel('Scope').fill('orders.read');
    await page.getByLabel('Audience').fill('https://api.example.com/orders');
    await page.getByRole('button', { name: 'Translate' }).click();
    await page.getByRole('heading', { name: 'Issued ACCESS_TOKEN token' }).waitFor();
    assert.match(await cell('JWT header', 'typ').innerText(), /at\+jwt/);
    assert.match(await cell('JWT claims', 'sub').innerText(), /demo/);
    assert.match(await cell('JWT claims', 'scope').innerText(), /orders\.read/);
    assert.match(await cell('JWT claims', 'aud').innerText(), /https:\/\/api\.example\.com\/orders/);
    accessToken = await issued();
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByRole('status', { name: 'Validation result' }).getByText('VALID', { exact: true }).waitFor();

    // A scope the instance does not issue is refused, readably.
    await page.getByLabel('Session token').fill(await s.login('demo', 'changeit'));
    await page.getByLabel('Scope').fill('orders.delete');
    await page.getByRole('button', { name: 'Translate' }).click();
    assert.match(await alertText(page), /orders\.delete/);
    b.assertClean();
  });

  test('ACCESS_TOKEN input with an actor token: the issued JWT names the actor in act', async () => {
    const { page, s } = b;
    const actor = await s.gql(
      'mutation { translateToken(instance: "demo-oidc", input: { type: USERNAME, username: "alice", password: "wonderland" }, output: { type: OPENIDCONNECT }) { token } }',
      {},
      s.adminToken,
    );
    await page.getByLabel('Transform').selectOption({ label: 'ACCESS_TOKEN → ACCESS_TOKEN' });
    await page.getByLabel('Access token', { exact: true }).fill(accessToken);
    await page.getByLabel('Scope').fill('');
    await page.getByLabel('Audience').fill('');
    await page.getByLabel('Add an actor token').check();
    await page.getByText('This instance allows delegation').waitFor();
    await page.getByLabel('Actor token kind').selectOption('OPENIDCONNECT');
    await page.getByLabel('Actor token', { exact: true }).fill(actor.data.translateToken.token);
    await page.getByRole('button', { name: 'Translate' }).click();
    await page.getByRole('heading', { name: 'Issued ACCESS_TOKEN token' }).waitFor();
    assert.match(await cell('JWT claims', 'sub').innerText(), /demo/);
    assert.match(await cell('JWT claims', 'act').innerText(), /"sub":"alice"/);

    // An instance without delegation says so, and Tessera refuses the actor.
    await page.getByLabel('Instance').selectOption('demo-oidc');
    await page.getByLabel('Add an actor token').check();
    await page.getByText('This instance does not allow delegation').waitFor();
    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill('changeit');
    await page.getByLabel('Actor token', { exact: true }).fill(actor.data.translateToken.token);
    await page.getByRole('button', { name: 'Translate' }).click();
    assert.match(await alertText(page), /delegation|actor/i);
    await page.getByLabel('Add an actor token').uncheck();
    b.assertClean();
  });

  test('SAML2 output in a samlp:Response envelope, then pasted as SAML2 input of another instance', async () => {
    const { page } = b;
    await page.getByLabel('Instance').selectOption('demo-saml');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wonderland');
    assert.match(await page.getByLabel('Response envelope').locator('option').first().innerText(), /bare assertion/);
    await page.getByLabel('Response envelope').selectOption('true');
    await page.getByLabel('In response to').fill('_req-4711');
    await page.getByRole('button', { name: 'Translate' }).click();
    await page.getByRole('heading', { name: 'Issued SAML2 token' }).waitFor();
    await page.getByRole('status', { name: 'Validation result' }).getByText('VALID', { exact: true }).waitFor();
    assert.match(await cell('SAML assertion', 'Destination').innerText(), /https:\/\/sp\.example\.com\/saml\/acs/);
    assert.match(await cell('SAML assertion', 'In response to').innerText(), /_req-4711/);
    assert.match(await cell('SAML assertion', 'Status').innerText(), /status:Success/);
    assert.match(await cell('SAML assertion', 'Subject').innerText(), /alice/);
    const response = await issued();
    assert.match(response, /^<samlp:Response/);

    // The Response, pasted into an instance that trusts demo-saml, is SAML2 input.
    await page.getByLabel('Instance').selectOption('saml-in');
    await page.getByLabel('SAML assertion (XML)').fill(response);
    await page.getByRole('button', { name: 'Translate' }).click();
    await page.getByRole('heading', { name: 'Issued OPENIDCONNECT token' }).waitFor();
    assert.match(await cell('JWT claims', 'sub').innerText(), /alice/);
    assert.match(await cell('JWT claims', 'aud').innerText(), /saml-in-client/);
    // Each assertion ID is accepted once.
    await page.getByRole('button', { name: 'Translate' }).click();
    assert.match(await alertText(page), /once|replay|already/i);
    b.assertClean();
  });

  test('curl: the REST body for ACCESS_TOKEN output and for SAML2 input, which Tessera answers once filled in', async () => {
    const { page, s } = b;
    await page.goto(`${s.url}/admin/instances`);
    await page.getByRole('button', { name: 'curl for demo-exchange' }).click();
    const dialog = page.getByRole('dialog', { name: 'curl for demo-exchange' });
    await dialog.getByLabel('Transform').selectOption({ label: 'SESSION → ACCESS_TOKEN' });
    const command = await dialog.getByLabel('Command').inputValue();
    const body = JSON.parse(/-d '(.*)'$/s.exec(command)![1]!);
    assert.deepEqual(body.output_token_state, { token_type: 'ACCESS_TOKEN', scope: '<scope>' });
    const r = await s.rest('demo-exchange', 'translate', {
      input_token_state: { ...body.input_token_state, session_id: await s.login('demo', 'changeit') },
      output_token_state: { ...body.output_token_state, scope: 'orders.read' },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.issued_token.split('.').length, 3);
    await dialog.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'curl for saml-in' }).click();
    const saml = page.getByRole('dialog', { name: 'curl for saml-in' });
    const samlBody = JSON.parse(/-d '(.*)'$/s.exec(await saml.getByLabel('Command').inputValue())![1]!);
    assert.deepEqual(samlBody.input_token_state, { token_type: 'SAML2', saml2_token: '<signed SAML assertion XML>' });
    const assertion = await s.gql(
      'mutation { translateToken(instance: "demo-saml", input: { type: USERNAME, username: "alice", password: "wonderland" }, output: { type: SAML2 }) { token } }',
      {},
      s.adminToken,
    );
    const r2 = await s.rest('saml-in', 'translate', { ...samlBody, input_token_state: { ...samlBody.input_token_state, saml2_token: assertion.data.translateToken.token } });
    assert.equal(r2.status, 200, JSON.stringify(r2.body));
    await saml.getByRole('button', { name: 'Close' }).click();
    b.assertClean();
  });
});

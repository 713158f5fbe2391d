/**
 * Try it, issued tokens and the audit trail in the console: an OIDC and a SAML output translated, decoded,
 * validated and cancelled; records filtered, paged and cancelled; audit events filtered and paged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { alertText, errorAt, openConsole, signIn, type ConsoleBrowser } from './console-harness.js';

const TRANSLATE = 'mutation($n: String!, $i: TokenInput!, $o: TokenOutput!) { translateToken(instance: $n, input: $i, output: $o) { token tokenId } }';

describe('console: try it, issued tokens, audit', () => {
  let b: ConsoleBrowser;

  before(async () => {
    b = await openConsole();
    await signIn(b.page, b.s.url);
  });
  after(async () => {
    await b?.close();
  });

  const validate = async (instance: string, type: string, token: string) =>
    (await b.s.gql('mutation($n: String!, $t: TokenType!, $k: String!) { validateToken(instance: $n, type: $t, token: $k) { valid reason } }', { n: instance, t: type, k: token }, b.s.adminToken)).data.validateToken;
  const cell = (table: string, name: string) => b.page.getByRole('table').filter({ has: b.page.getByText(table, { exact: true }) }).getByRole('row', { name: new RegExp(`^${name}\\b`) });

  test('try it, OIDC: the JWT is decoded into header and claims, then validated and cancelled', async () => {
    const { page } = b;
    await page.getByRole('link', { name: 'Try it' }).click();
    await page.getByLabel('Instance').selectOption('demo-oidc');
    assert.deepEqual(await page.getByLabel('Transform').locator('option').allInnerTexts(), ['USERNAME → OPENIDCONNECT', 'SESSION → OPENIDCONNECT', 'X509 → OPENIDCONNECT']);
    // The input fields follow the transform's input kind.
    await page.getByLabel('Transform').selectOption({ label: 'X509 → OPENIDCONNECT' });
    await page.getByLabel('Client certificate (PEM)').waitFor();
    await page.getByLabel('Transform').selectOption({ label: 'USERNAME → OPENIDCONNECT' });
    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Translate' }).click();
    assert.match(await alertText(page), /password/i);

    await page.getByLabel('Password').fill('changeit');
    await page.getByLabel('Nonce').fill('n-0S6_WzA2Mj');
    await page.getByRole('button', { name: 'Translate' }).click();
    await page.getByRole('heading', { name: 'Issued OPENIDCONNECT token' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'result-title', 'the focus moves to the result');
    assert.match(await cell('JWT header', 'alg').innerText(), /RS256/);
    assert.match(await cell('JWT header', 'typ').innerText(), /JWT/);
    assert.match(await cell('JWT claims', 'sub').innerText(), /demo/);
    assert.match(await cell('JWT claims', 'aud').innerText(), /demo-client/);
    assert.match(await cell('JWT claims', 'nonce').innerText(), /n-0S6_WzA2Mj/);
    assert.match(await cell('JWT claims', 'email').innerText(), /demo@example\.com/);
    // Times are shown as dates, with the number beside them.
    const exp = await cell('JWT claims', 'exp').innerText();
    assert.match(exp, /\(\d{10}\)/);
    const token = await page.getByLabel('Issued token, as sent to the client').inputValue();
    assert.equal(token.split('.').length, 3);

    await page.getByRole('button', { name: 'Validate' }).click();
    const status = page.getByRole('status', { name: 'Validation result' });
    await status.getByText('VALID', { exact: true }).waitFor();
    assert.match(await status.innerText(), /Subject: demo/);

    await page.getByRole('button', { name: 'Cancel token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this token?' });
    await dialog.getByRole('button', { name: 'Cancel token' }).click();
    await status.getByText('CANCELLED', { exact: true }).waitFor();
    assert.match(await status.innerText(), /The token was cancelled\./);
    assert.deepEqual(await validate('demo-oidc', 'OPENIDCONNECT', token), { valid: false, reason: 'CANCELLED' });
    b.assertClean();
  });

  test('try it, SAML: the assertion is pretty-printed with its signature status, then cancelled', async () => {
    const { page } = b;
    await page.getByLabel('Instance').selectOption('demo-saml');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wonderland');
    await page.getByLabel('Subject confirmation').selectOption('BEARER');
    await page.getByRole('button', { name: 'Translate' }).click();
    await page.getByRole('heading', { name: 'Issued SAML2 token' }).waitFor();
    // The signature status comes with the assertion, from validateToken.
    const status = page.getByRole('status', { name: 'Validation result' });
    await status.getByText('VALID', { exact: true }).waitFor();
    assert.match(await status.innerText(), /verified the signature/);
    assert.match(await cell('SAML assertion', 'Subject').innerText(), /alice/);
    assert.match(await cell('SAML assertion', 'Audience').innerText(), /https:\/\/sp\.example\.com\/saml/);
    assert.match(await cell('SAML assertion', 'Signature algorithm').innerText(), /rsa-sha256/);
    assert.match(await cell('SAML assertion', 'Attribute mail').innerText(), /alice@example\.com/);
    const xml = await page.getByLabel("The assertion's XML").innerText();
    // Pretty-printed: one element a line, indented by depth.
    assert.match(xml, /^<saml:Assertion [^\n]*>\n {2}<saml:Issuer>/);
    assert.match(xml, /\n {4}<ds:SignedInfo>\n/);
    const token = await page.getByLabel('Issued token, as sent to the client').inputValue();
    assert.match(token, /^<saml:Assertion/);

    await page.getByRole('button', { name: 'Cancel token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this token?' });
    // Changing one's mind leaves the token valid.
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.deepEqual(await validate('demo-saml', 'SAML2', token), { valid: true, reason: null });
    await page.getByRole('button', { name: 'Cancel token' }).click();
    await dialog.getByRole('button', { name: 'Cancel token' }).click();
    await status.getByText('CANCELLED', { exact: true }).waitFor();
    assert.deepEqual(await validate('demo-saml', 'SAML2', token), { valid: false, reason: 'CANCELLED' });
    await page.getByRole('button', { name: 'Validate' }).click();
    await status.getByText('CANCELLED', { exact: true }).waitFor();
    b.assertClean();
  });

  test('issued tokens: filter by instance and subject, page back and forth, cancel a record', async () => {
    const { page, s } = b;
    const tokens: string[] = [];
    for (let i = 0; i < 22; i++) {
      const r = await s.gql(TRANSLATE, { n: 'demo-oidc', i: { type: 'USERNAME', username: 'alice', password: 'wonderland' }, o: { type: 'OPENIDCONNECT' } }, s.adminToken);
      tokens.push(r.data.translateToken.token);
    }
    await page.getByRole('link', { name: 'Issued tokens' }).click();
    await page.getByLabel('Instance').selectOption('demo-oidc');
    await page.getByLabel('Subject').fill('alice');
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.locator('tbody tr');
    await page.getByText('Page 1').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 20);
    for (const t of await rows.locator('td[data-label="Subject"]').allInnerTexts()) assert.equal(t, 'alice');
    const firstPage = await rows.locator('th').allInnerTexts();
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.getByText('Page 2').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 2);
    const secondPage = await rows.locator('th').allInnerTexts();
    assert.equal(new Set([...firstPage, ...secondPage]).size, 22, 'the pages do not overlap');
    assert.equal(await page.getByRole('button', { name: 'Older →' }).isDisabled(), true);
    await page.getByRole('button', { name: '← Newer' }).click();
    await page.getByText('Page 1').waitFor();

    // Cancel the newest record: the token itself has to be pasted, since Tessera keeps only its hash.
    const jti = (t: string) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).jti as string;
    const newestId = firstPage[0]!;
    const newest = tokens.find((t) => jti(t) === newestId)!;
    const other = tokens.find((t) => jti(t) !== newestId)!;
    await page.getByRole('button', { name: `Cancel ${newestId}` }).click();
    const dialog = page.getByRole('dialog', { name: `Cancel token ${newestId}?` });
    // Another record's token is caught before anything is sent.
    await dialog.getByLabel('Token').fill(other);
    await dialog.getByRole('button', { name: 'Cancel token' }).click();
    const e = await errorAt(page, 'Token');
    assert.equal(e.text, `This is token ${jti(other)}, not ${newestId}: paste the token of this record.`);
    // This record's token with a forged signature: the server refuses it.
    await dialog.getByLabel('Token').fill(newest.slice(0, -6) + (newest.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'));
    await dialog.getByRole('button', { name: 'Cancel token' }).click();
    assert.match(await dialog.getByRole('alert').innerText(), /^Not cancelled\./);
    assert.deepEqual(await validate('demo-oidc', 'OPENIDCONNECT', other), { valid: true, reason: null });
    await dialog.getByLabel('Token').fill(newest);
    await dialog.getByRole('button', { name: 'Cancel token' }).click();
    await page.getByRole('status').filter({ hasText: `Token ${newestId} was cancelled.` }).waitFor();
    await page.getByRole('row', { name: new RegExp(newestId) }).getByText('cancelled').waitFor();
    assert.deepEqual(await validate('demo-oidc', 'OPENIDCONNECT', newest), { valid: false, reason: 'CANCELLED' });

    // A subject with no records says so.
    await page.getByLabel('Subject').fill('nobody');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No issued tokens match.').waitFor();
    b.assertClean();
  });

  test('issued tokens: a token issued from try it in this tab is offered for cancelling', async () => {
    const { page } = b;
    await page.getByRole('link', { name: 'Try it' }).click();
    await page.getByLabel('Instance').selectOption('demo-saml');
    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill('changeit');
    await page.getByRole('button', { name: 'Translate' }).click();
    await page.getByRole('status', { name: 'Validation result' }).getByText('VALID', { exact: true }).waitFor();
    const tokenId = (await page.locator('.result dd code').first().innerText()).trim();
    const token = await page.getByLabel('Issued token, as sent to the client').inputValue();

    await page.getByRole('link', { name: 'Issued tokens' }).click();
    await page.getByRole('button', { name: `Cancel ${tokenId}` }).click();
    const dialog = page.getByRole('dialog', { name: `Cancel token ${tokenId}?` });
    await dialog.getByText('This tab issued the token').waitFor();
    assert.equal(await dialog.getByLabel('Token').inputValue(), token);
    await dialog.getByRole('button', { name: 'Cancel token' }).click();
    await page.getByRole('row', { name: new RegExp(tokenId) }).getByText('cancelled').waitFor();
    assert.deepEqual(await validate('demo-saml', 'SAML2', token), { valid: false, reason: 'CANCELLED' });
    b.assertClean();
  });

  test('audit trail: newest first, filtered by instance, action and outcome, paged', async () => {
    const { page, s } = b;
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.getByRole('heading', { name: 'Audit trail', level: 1 }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    const times = await page.locator('tbody td[data-label="When"] time').evaluateAll((ts) => ts.map((t) => Date.parse(t.getAttribute('datetime')!)));
    assert.ok(times.length > 1);
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1]! >= times[i]!, 'newest first');

    await page.getByLabel('Instance').selectOption('demo-oidc');
    await page.getByLabel('Action').fill('translate');
    await page.getByLabel('Outcome').fill('INVALID_TOKEN');
    await page.getByRole('button', { name: 'Search' }).click();
    // The one wrong password of the OIDC try-it test.
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    const only = page.locator('tbody tr');
    assert.equal(await only.locator('th .action').innerText(), 'translate');
    assert.equal(await only.locator('td[data-label="Outcome"]').innerText(), 'INVALID_TOKEN');
    assert.equal(await only.locator('td[data-label="Instance"]').innerText(), 'demo-oidc');
    assert.equal(await only.locator('th .tokens').innerText(), 'USERNAME → OPENIDCONNECT');

    // A page holds 25 events: make it 26 successful translations on demo-oidc, so there are two pages.
    const q = '{ auditEvents(instance: "demo-oidc", action: "translate", outcome: "OK") { at } }';
    const sofar = (await s.gql(q, {}, s.adminToken)).data.auditEvents.length as number;
    assert.ok(sofar <= 26, `${sofar}`);
    for (let i = sofar; i < 26; i++) {
      await s.gql(TRANSLATE, { n: 'demo-oidc', i: { type: 'USERNAME', username: 'demo', password: 'changeit' }, o: { type: 'OPENIDCONNECT' } }, s.adminToken);
    }
    await page.getByLabel('Outcome').fill('OK');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 25);
    const newest = await page.locator('tbody td[data-label="Subject or target"]').first().innerText();
    assert.equal(newest, 'demo');
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.getByText('Page 2').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    const all = (await s.gql(q, {}, s.adminToken)).data.auditEvents;
    assert.equal(all.length, 26);
    const last = await page.locator('tbody td[data-label="When"] time').getAttribute('datetime');
    assert.equal(Date.parse(last!), Date.parse(all[25].at), 'page 2 holds the oldest event');
    b.assertClean();
  });

  test('auditEvents pages with its cursor: no event twice, none left out, and a bad cursor is refused', async () => {
    const { s } = b;
    const q = 'query($after: String) { auditEvents(first: 7, after: $after) { action cursor at } }';
    const everything = (await s.gql('{ auditEvents(first: 1000) { cursor } }', {}, s.adminToken)).data.auditEvents.map((e: { cursor: string }) => e.cursor);
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 100; i++) {
      const page: { cursor: string }[] = (await s.gql(q, { after }, s.adminToken)).data.auditEvents;
      seen.push(...page.map((e) => e.cursor));
      if (page.length < 7) break;
      after = page[page.length - 1]!.cursor;
    }
    assert.deepEqual(seen, everything);
    const bad = await s.gql(q, { after: 'not-a-cursor' }, s.adminToken);
    assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.equal(bad.errors?.[0]?.extensions?.field, 'after');
  });
});

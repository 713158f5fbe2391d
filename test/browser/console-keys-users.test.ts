/**
 * Keys and users in the console: key status and the instances that use each key, generate, rotate and retire
 * with confirmation; users with roles and attributes, create (with the server's errors at their field) and
 * delete with confirmation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorAt, openConsole, signIn, type ConsoleBrowser } from './console-harness.js';

interface KeyRow {
  kid: string;
  algorithm: string;
  status: string;
}

describe('console: keys and users', () => {
  let b: ConsoleBrowser;

  before(async () => {
    b = await openConsole();
    // One instance pinned to a key of its own (and one issuing access tokens pinned to it too), one signing ES256
    // ID tokens with the active ES256 key, one that signs only its SAML metadata document.
    const pinned = await b.s.gql('mutation { generateKey(algorithm: "RS512") { kid } }', {}, b.s.adminToken);
    const kid = pinned.data.generateKey.kid as string;
    for (const input of [
      { name: 'pinned-saml', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { issuer: 'https://sts.example/pinned', spEntityId: 'https://sp.example/pinned', signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', signingKeyId: kid } },
      { name: 'at-pinned', transforms: [{ input: 'USERNAME', output: 'ACCESS_TOKEN' }], accessToken: { audience: ['https://api.example'], signatureAlgorithm: 'RS512', signingKeyId: kid } },
      {
        name: 'meta-signed',
        transforms: [{ input: 'USERNAME', output: 'SAML2' }],
        saml2: { issuer: 'https://sts.example/meta', spEntityId: 'https://sp.example/meta', signAssertion: false, metadata: { sign: true } },
      },
      { name: 'es-oidc', transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }], oidc: { audience: ['es'], signatureAlgorithm: 'ES256' } },
      { name: 'hs-oidc', transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }], oidc: { audience: ['hs'], signatureAlgorithm: 'HS256', clientSecret: 'a-shared-secret-of-at-least-32-bytes!' } },
    ]) {
      const r = await b.s.gql('mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }', { i: input }, b.s.adminToken);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    }
    await signIn(b.page, b.s.url);
  });
  after(async () => {
    await b?.close();
  });

  const keys = async (): Promise<KeyRow[]> => (await b.s.gql('{ keys { kid algorithm status } }', {}, b.s.adminToken)).data.keys;
  const row = (kid: string) => b.page.getByRole('row', { name: new RegExp(kid.replace(/[-_]/g, '.')) });
  const usedBy = async (kid: string) => (await row(kid).locator('td[data-label="Used by"] a').allInnerTexts()).sort();

  test('the list shows each key with its status and the instances that use it', async () => {
    const { page } = b;
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('button', { name: 'Generate key' }).waitFor();
    const all = await keys();
    const rs256 = all.find((k) => k.algorithm === 'RS256' && k.status === 'ACTIVE')!;
    const rs512 = all.find((k) => k.algorithm === 'RS512')!;
    await row(rs256.kid).getByText('demo-oidc').waitFor();
    // RS256 signs for the three demo instances (the default algorithm); the RS512 key only where it is pinned.
    assert.deepEqual(await usedBy(rs256.kid), ['demo-exchange', 'demo-oidc', 'demo-saml', 'meta-signed']);
    assert.deepEqual(await usedBy(rs512.kid), ['at-pinned', 'pinned-saml']);
    const rs512Uses = await row(rs512.kid).locator('td[data-label="Used by"]').innerText();
    assert.match(rs512Uses, /pinned-saml \(SAML2, pinned\)/);
    assert.match(rs512Uses, /at-pinned \(access tokens, pinned\)/);
    // Every signing section counts: demo-exchange's access tokens and SAML assertions, a signed metadata document.
    const rs256Uses = await row(rs256.kid).locator('td[data-label="Used by"]').innerText();
    assert.match(rs256Uses, /demo-exchange \(access tokens; SAML2\)/);
    assert.match(rs256Uses, /meta-signed \(SAML2: metadata\)/);
    assert.equal(await row(rs256.kid).locator('.badge').innerText(), 'ACTIVE');
    // es-oidc needs an ES256 key that does not exist yet (one is created at its first signature); HS256 uses none.
    assert.ok(!(await page.getByRole('link', { name: 'es-oidc' }).count()));
    assert.ok(!(await page.getByRole('link', { name: 'hs-oidc' }).count()));
    b.assertClean();
  });

  test('generate: a new ES256 key appears as ACTIVE and takes the instance that needs it', async () => {
    const { page } = b;
    await page.getByLabel('Algorithm').selectOption('ES256');
    await page.getByRole('button', { name: 'Generate key' }).click();
    const notice = page.getByRole('status').filter({ hasText: /^Generated ES256 key/ });
    await notice.waitFor();
    const es = (await keys()).find((k) => k.algorithm === 'ES256')!;
    assert.ok(es && es.status === 'ACTIVE');
    await row(es.kid).getByText('es-oidc').waitFor();
    assert.deepEqual(await usedBy(es.kid), ['es-oidc']);
    b.assertClean();
  });

  test('rotate asks first; confirming makes a new ACTIVE key and keeps the old one PUBLISHED', async () => {
    const { page } = b;
    const old = (await keys()).find((k) => k.algorithm === 'RS256' && k.status === 'ACTIVE')!;
    await page.getByRole('button', { name: `Rotate ${old.kid}` }).click();
    const dialog = page.getByRole('dialog', { name: `Rotate key ${old.kid}?` });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Used now by: demo-exchange \(access tokens; SAML2\), demo-oidc \(OIDC\), demo-saml \(SAML2\), meta-signed \(SAML2: metadata\)/);
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await keys()).find((k) => k.kid === old.kid)!.status, 'ACTIVE');

    await page.getByRole('button', { name: `Rotate ${old.kid}` }).click();
    await dialog.getByRole('button', { name: 'Rotate key' }).click();
    await page.getByRole('status').filter({ hasText: `Key ${old.kid} was rotated` }).waitFor();
    const after = await keys();
    const fresh = after.find((k) => k.algorithm === 'RS256' && k.status === 'ACTIVE')!;
    assert.notEqual(fresh.kid, old.kid);
    assert.equal(after.find((k) => k.kid === old.kid)!.status, 'PUBLISHED');
    await row(old.kid).getByText('PUBLISHED').waitFor();
    await row(fresh.kid).getByText('demo-saml').waitFor();
    assert.deepEqual(await usedBy(fresh.kid), ['demo-exchange', 'demo-oidc', 'demo-saml', 'meta-signed']);
    assert.deepEqual(await usedBy(old.kid), []);
    // A published key can be retired but not rotated again.
    assert.equal(await page.getByRole('button', { name: `Rotate ${old.kid}` }).count(), 0);
    b.assertClean();
  });

  test('retire asks first, warns about pinned instances, and retires on confirmation', async () => {
    const { page } = b;
    const rs512 = (await keys()).find((k) => k.algorithm === 'RS512')!;
    await page.getByRole('button', { name: `Retire ${rs512.kid}` }).click();
    const dialog = page.getByRole('dialog', { name: `Retire key ${rs512.kid}?` });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Instances pinned to it will fail to sign/);
    await dialog.getByRole('button', { name: 'Retire key' }).click();
    await page.getByRole('status').filter({ hasText: `Key ${rs512.kid} was retired.` }).waitFor();
    assert.equal((await keys()).find((k) => k.kid === rs512.kid)!.status, 'RETIRED');
    await row(rs512.kid).getByText('RETIRED').waitFor();
    assert.equal(await page.getByRole('button', { name: `Retire ${rs512.kid}` }).count(), 0);
    b.assertClean();
  });

  test('users: the list shows roles and attributes', async () => {
    const { page } = b;
    await page.getByRole('link', { name: 'Users' }).click();
    const demo = page.getByRole('row', { name: /^demo / });
    await demo.waitFor();
    assert.match(await demo.locator('td[data-label="Roles"]').innerText(), /user/);
    const attrs = await demo.locator('td[data-label="Attributes"]').innerText();
    assert.match(attrs, /mail\s+demo@example\.com/);
    assert.match(attrs, /memberOf\s+staff, developers/);
    // The signed-in admin cannot delete themselves from here.
    assert.equal(await page.getByRole('button', { name: 'Delete admin' }).count(), 0);
    b.assertClean();
  });

  test('users: create with roles and attributes; the server refuses bad values at their field', async () => {
    const { page, s } = b;
    await page.getByLabel('Username').fill('carol');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create user' }).click();
    let e = await errorAt(page, 'Password');
    assert.equal(e.text, 'Must be at least 8 characters');
    assert.ok(e.focused);

    await page.getByLabel('Password', { exact: true }).fill('carol-password');
    await page.getByLabel('Other roles').fill('sts-caller, Ops!');
    await page.getByRole('button', { name: 'Create user' }).click();
    e = await errorAt(page, 'Other roles');
    assert.match(e.text, /^Role "Ops!" must match/);

    await page.getByLabel('Other roles').fill('sts-caller');
    await page.getByLabel('Administrator (role admin: may use this console)').check();
    await page.getByRole('button', { name: 'Add attribute' }).click();
    await page.getByLabel('Attribute 1 name').fill('mail');
    await page.getByLabel('Attribute 1 values').fill('carol@example.com');
    await page.getByRole('button', { name: 'Add attribute' }).click();
    await page.getByLabel('Attribute 2 name').fill('memberOf');
    await page.getByLabel('Attribute 2 values').fill('staff\nops');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('status').filter({ hasText: 'User carol was created.' }).waitFor();
    await page.getByRole('rowheader', { name: 'carol' }).waitFor();
    const users = (await s.gql('{ users { username roles attributes } }', {}, s.adminToken)).data.users;
    const carol = users.find((u: { username: string }) => u.username === 'carol');
    assert.deepEqual(carol.roles.sort(), ['admin', 'sts-caller']);
    assert.deepEqual(carol.attributes, { mail: 'carol@example.com', memberOf: ['staff', 'ops'] });
    assert.ok(await s.login('carol', 'carol-password'));

    // The same name again is CONFLICT, shown at the username.
    await page.getByLabel('Username').fill('carol');
    await page.getByLabel('Password', { exact: true }).fill('another-password');
    await page.getByRole('button', { name: 'Create user' }).click();
    e = await errorAt(page, 'Username');
    assert.equal(e.text, 'User carol already exists.');
    b.assertClean();
  });

  test('users: delete asks first and ends the user', async () => {
    const { page, s } = b;
    const carolSession = await s.login('carol', 'carol-password');
    await page.getByRole('button', { name: 'Delete carol' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete user carol?' });
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.ok((await s.gql('{ me { username } }', {}, carolSession)).data.me);

    await page.getByRole('button', { name: 'Delete carol' }).click();
    await dialog.getByRole('button', { name: 'Delete user' }).click();
    await page.getByRole('status').filter({ hasText: 'User carol was deleted' }).waitFor();
    await page.getByRole('rowheader', { name: 'carol' }).waitFor({ state: 'detached' });
    assert.equal((await s.gql('{ me { username } }', {}, carolSession)).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    b.assertClean();
  });
});

/**
 * The whole job in the browser, as an administrator who never saw the GraphQL schema does it: publish an
 * instance from an SP's metadata, rotate the key it signs with, translate a token with try it, and cancel it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSelfSigned } from '../support/pki.js';
import { openConsole, signIn, spMetadataXml, type ConsoleBrowser } from './console-harness.js';

describe('console: from SP metadata to a cancelled token', () => {
  let b: ConsoleBrowser;

  before(async () => {
    b = await openConsole();
  });
  after(async () => {
    await b?.close();
  });

  test('publish from metadata, rotate the key, translate with try it, cancel', async () => {
    const { page, s } = b;
    const sp = await makeSelfSigned({ cn: 'sp.acme.example' });
    const keys = async () => (await s.gql('{ keys { kid algorithm status certificate } }', {}, s.adminToken)).data.keys as Array<{ kid: string; algorithm: string; status: string; certificate: string }>;
    const der = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, '');

    await signIn(page, s.url);
    await page.getByRole('link', { name: 'New from SP metadata' }).click();
    await page.getByLabel('Metadata file').setInputFiles({ name: 'acme-sp.xml', mimeType: 'application/xml', buffer: Buffer.from(spMetadataXml('https://sp.acme.example/saml2', 'https://sp.acme.example/saml2/acs', sp.certDerB64)) });
    await page.waitForFunction(() => (document.getElementById('metadata-xml') as HTMLTextAreaElement).value.includes('sp.acme.example'));
    await page.getByRole('button', { name: 'Fill the form from this metadata' }).click();
    await page.getByLabel('Name', { exact: true }).fill('acme');
    await page.getByLabel('Issuer', { exact: true }).fill(`${s.url}/sts/acme`);
    await page.getByLabel('Encrypt the name ID').check();
    await page.getByRole('button', { name: 'Add saml attribute' }).click();
    await page.getByLabel('SAML attribute 1', { exact: true }).fill('mail');
    await page.getByLabel('From user attribute 1', { exact: true }).fill('mail');
    await page.getByRole('button', { name: 'Publish instance' }).click();
    await page.getByText('Instance acme was published.').waitFor();
    const md = await (await fetch(`${s.url}/sts/acme/saml-metadata.xml`)).text();
    assert.match(md, new RegExp(`entityID="${s.url}/sts/acme"`));

    await page.getByRole('link', { name: 'Keys' }).click();
    const before = (await keys()).find((k) => k.algorithm === 'RS256' && k.status === 'ACTIVE')!;
    const oldRow = page.getByRole('row', { name: new RegExp(before.kid.replace(/[-_]/g, '.')) });
    await oldRow.getByRole('link', { name: 'acme' }).waitFor();
    await page.getByRole('button', { name: `Rotate ${before.kid}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate key' }).click();
    await page.getByRole('status').filter({ hasText: `Key ${before.kid} was rotated` }).waitFor();
    const fresh = (await keys()).find((k) => k.algorithm === 'RS256' && k.status === 'ACTIVE')!;
    assert.notEqual(fresh.kid, before.kid);
    await page.getByRole('row', { name: new RegExp(fresh.kid.replace(/[-_]/g, '.')) }).getByRole('link', { name: 'acme' }).waitFor();

    await page.getByRole('link', { name: 'acme' }).first().click();
    await page.getByRole('heading', { name: 'Instance acme', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Try it' }).last().click();
    await page.getByRole('heading', { name: 'Try it', level: 1 }).waitFor();
    assert.equal(await page.getByLabel('Instance').inputValue(), 'acme');
    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill('changeit');
    await page.getByRole('button', { name: 'Translate' }).click();
    const status = page.getByRole('status', { name: 'Validation result' });
    await status.getByText('VALID', { exact: true }).waitFor();
    const xml = await page.getByLabel('Issued token, as sent to the client').inputValue();
    // Signed with the rotated-in key, the NameID encrypted for the SP, the attribute in the clear.
    const signingCert = /<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/.exec(xml)![1]!;
    assert.equal(signingCert, der(fresh.certificate));
    assert.match(xml, /<saml:EncryptedID>/);
    assert.match(await page.getByLabel("The assertion's XML").innerText(), /<saml:Attribute Name="mail"/);

    await page.getByRole('button', { name: 'Cancel token' }).click();
    await page.getByRole('dialog', { name: 'Cancel this token?' }).getByRole('button', { name: 'Cancel token' }).click();
    await status.getByText('CANCELLED', { exact: true }).waitFor();

    // Each step is in the audit trail, by the admin, newest first.
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.getByLabel('Instance').selectOption('acme');
    await page.getByRole('button', { name: 'Search' }).click();
    // Try it validated the assertion when it was issued and again after cancelling it.
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 5);
    const actions = await page.locator('tbody th .action').allInnerTexts();
    // Events in the same millisecond have no order among themselves; the publication came well before.
    assert.deepEqual([...actions].sort(), ['cancel', 'publishInstance', 'translate', 'validate', 'validate']);
    assert.equal(actions[4], 'publishInstance');
    // Asked directly (a sixth event, after the page read the trail), Tessera agrees.
    const v = await s.gql('mutation($t: String!) { validateToken(instance: "acme", type: SAML2, token: $t) { valid reason } }', { t: xml }, s.adminToken);
    assert.deepEqual(v.data.validateToken, { valid: false, reason: 'CANCELLED' });
    const rotated = (await s.gql('{ auditEvents(action: "rotateKey") { actor target outcome } }', {}, s.adminToken)).data.auditEvents;
    assert.deepEqual(rotated, [{ actor: 'admin', target: fresh.kid, outcome: 'OK' }]);
    b.assertClean();
  });
});

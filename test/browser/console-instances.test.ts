/**
 * Instances in the console: the list with transforms and endpoint links, create and edit by section, the
 * server's field-named errors shown at their field, create from an SP's metadata (pasted and uploaded), the
 * ready curl, and delete with confirmation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSelfSigned, type TestCert } from '../support/pki.js';
import { alertText, errorAt, openConsole, signIn, spMetadataXml, type ConsoleBrowser } from './console-harness.js';

const INSTANCE_QUERY = `query($n: String!) { instance(name: $n) {
  name callerRoles persistIssuedTokens transforms { input output invalidateInterimSession }
  oidc { audience authorizedParty signatureAlgorithm claimMap lifetimeSeconds }
  saml2 { issuer spEntityId spAcsUrl spEncryptionCertificate encryptAssertion attributeMap lifetimeSeconds }
} }`;

describe('console: instances', () => {
  let b: ConsoleBrowser;
  let spCert: TestCert;

  before(async () => {
    b = await openConsole();
    spCert = await makeSelfSigned({ cn: 'sp.partner.example' });
    await signIn(b.page, b.s.url);
  });
  after(async () => {
    await b?.close();
  });

  const instance = async (name: string) => (await b.s.gql(INSTANCE_QUERY, { n: name }, b.s.adminToken)).data.instance;

  test('the list shows each instance with its transforms and the endpoints it serves', async () => {
    const { page, s } = b;
    await page.getByRole('link', { name: 'Instances' }).click();
    const saml = page.getByRole('row', { name: /demo-saml/ });
    await saml.getByText('OPENIDCONNECT → SAML2').waitFor();
    assert.deepEqual(await saml.locator('.chip').allInnerTexts(), ['USERNAME → SAML2', 'OPENIDCONNECT → SAML2', 'X509 → SAML2', 'SESSION → SAML2']);
    const links = await saml.getByRole('link').evaluateAll((as) => as.map((a) => [a.textContent, (a as HTMLAnchorElement).href]));
    assert.deepEqual(links, [
      ['demo-saml', `${s.url}/admin/instances/demo-saml`],
      ['REST', `${s.url}/rest-sts/demo-saml`],
      ['SAML metadata', `${s.url}/sts/demo-saml/saml-metadata.xml`],
      ['Edit', `${s.url}/admin/instances/demo-saml`],
      ['Try it', `${s.url}/admin/try?instance=demo-saml`],
    ]);
    const oidc = page.getByRole('row', { name: /demo-oidc/ });
    assert.deepEqual(await oidc.locator('.links a').allInnerTexts(), ['REST', 'JWKS', 'OpenID configuration']);
    b.assertClean();
  });

  test('curl: a ready request for the REST door, per transform, that Tessera answers', async () => {
    const { page, s } = b;
    await page.getByRole('button', { name: 'curl for demo-oidc' }).click();
    const dialog = page.getByRole('dialog', { name: 'curl for demo-oidc' });
    await dialog.waitFor();
    const command = await dialog.getByLabel('Command').inputValue();
    assert.match(command, new RegExp(`^curl -s -X POST '${s.url}/rest-sts/demo-oidc\\?_action=translate'`));
    const body = JSON.parse(/-d '(.*)'$/s.exec(command)![1]!);
    assert.deepEqual(body.input_token_state, { token_type: 'USERNAME', username: '<username>', password: '<password>' });
    assert.equal(body.output_token_state.token_type, 'OPENIDCONNECT');
    // With the placeholders filled in, the same body is a working request.
    const r = await s.rest('demo-oidc', 'translate', { ...body, input_token_state: { token_type: 'USERNAME', username: 'demo', password: 'changeit' } });
    assert.equal(r.status, 200);
    assert.match(r.body.issued_token, /^ey/);

    await dialog.getByLabel('Transform').selectOption({ label: 'X509 → OPENIDCONNECT' });
    assert.match(await dialog.getByLabel('Command').inputValue(), /"token_type":"X509","x509_cert":"<PEM certificate>"/);
    await dialog.getByRole('button', { name: 'Copy command' }).click();
    await dialog.getByText('Copied.').waitFor();
    assert.match(await page.evaluate(() => navigator.clipboard.readText()), /"x509_cert"/);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
    b.assertClean();
  });

  test('create an OIDC instance from the form, section by section', async () => {
    const { page } = b;
    await page.getByRole('link', { name: 'New instance' }).click();
    await page.getByRole('heading', { name: 'New instance', level: 1 }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('web-app');
    await page.getByLabel('Caller roles').fill('sts-caller, ops');
    // The default first transform is USERNAME → OPENIDCONNECT; the OIDC section is there for it.
    await page.getByLabel('Audience', { exact: true }).fill('web-client, api');
    await page.getByLabel('Authorized party (azp)').fill('web-client');
    await page.getByLabel('OIDC signature algorithm').selectOption('ES256');
    await page.getByLabel('OIDC lifetime (seconds)').fill('300');
    await page.getByRole('button', { name: 'Add claim' }).click();
    await page.getByLabel('Claim 1', { exact: true }).fill('email');
    await page.getByLabel('Claim from user attribute 1').fill('mail');
    // Adding a SAML2 output brings its section in; removing the transform takes it away again.
    await page.getByRole('button', { name: 'Add transform' }).click();
    await page.getByLabel('Output token').nth(1).selectOption('SAML2');
    await page.getByRole('group', { name: 'SAML2 output' }).waitFor();
    await page.getByRole('button', { name: 'Remove transform 2' }).click();
    assert.equal(await page.getByRole('group', { name: 'SAML2 output' }).count(), 0);

    await page.getByRole('button', { name: 'Publish instance' }).click();
    await page.getByRole('heading', { name: 'Instance web-app', level: 1 }).waitFor();
    await page.getByText('Instance web-app was published.').waitFor();
    const i = await instance('web-app');
    assert.deepEqual(i.callerRoles, ['sts-caller', 'ops']);
    assert.deepEqual(i.transforms, [{ input: 'USERNAME', output: 'OPENIDCONNECT', invalidateInterimSession: false }]);
    assert.deepEqual(i.oidc, { audience: ['web-client', 'api'], authorizedParty: 'web-client', signatureAlgorithm: 'ES256', claimMap: { email: 'mail' }, lifetimeSeconds: 300 });
    assert.equal(i.saml2, null);
    b.assertClean();
  });

  test("the server's errors appear at the field they name, and the focus goes there", async () => {
    const { page } = b;
    await page.goto(`${b.s.url}/admin/instances/new`);
    await page.getByLabel('Name', { exact: true }).fill('broken');
    await page.getByLabel('Output token').selectOption('SAML2');
    await page.getByLabel('Issuer', { exact: true }).fill('https://sts.example.com');
    // Left empty: the server answers input.saml2.spEntityId.
    await page.getByRole('button', { name: 'Publish instance' }).click();
    let e = await errorAt(page, 'SP entity ID (audience)');
    assert.equal(e.text, 'Must not be empty.');
    assert.ok(e.focused, 'the focus moves to the field in error');
    assert.equal(await alertText(page), 'Tessera refused the form: see the field marked below.');

    // A field inside a list: the second transform's output.
    await page.getByLabel('SP entity ID (audience)').fill('https://sp.example.com');
    await page.getByRole('button', { name: 'Add transform' }).click();
    await page.getByLabel('Output token').nth(1).selectOption('SAML2');
    await page.getByRole('button', { name: 'Publish instance' }).click();
    const dup = await page.getByRole('group', { name: 'Transform 2' }).locator('.field-error').innerText();
    assert.match(dup, /Duplicates the transform USERNAME→SAML2/);
    await page.getByRole('button', { name: 'Remove transform 2' }).click();

    // A value of the wrong type is refused by GraphQL itself; it still lands on its field.
    await page.getByLabel('Lifetime (seconds)').fill('ten minutes');
    await page.getByRole('button', { name: 'Publish instance' }).click();
    e = await errorAt(page, 'Lifetime (seconds)');
    assert.equal(e.text, 'Must be a whole number.');
    await page.getByLabel('Lifetime (seconds)').fill('100000');
    await page.getByRole('button', { name: 'Publish instance' }).click();
    e = await errorAt(page, 'Lifetime (seconds)');
    assert.match(e.text, /^Must be an integer number of seconds from 1 to 86400/);
    await page.getByLabel('Lifetime (seconds)').fill('');

    // The encryption certificate must be RSA (key transport is RSA-OAEP).
    const ec = await makeSelfSigned({ keyAlg: 'EC', cn: 'ec.example' });
    await page.getByLabel('SP encryption certificate (PEM)').fill(ec.certPem);
    await page.getByRole('button', { name: 'Publish instance' }).click();
    e = await errorAt(page, 'SP encryption certificate (PEM)');
    assert.match(e.text, /must hold an RSA public key/i);
    await page.getByLabel('SP encryption certificate (PEM)').fill('');

    // A taken name is CONFLICT, which names no field: the console puts it at the name.
    await page.getByLabel('Name', { exact: true }).fill('demo-saml');
    await page.getByRole('button', { name: 'Publish instance' }).click();
    e = await errorAt(page, 'Name');
    assert.equal(e.text, 'Instance demo-saml already exists.');
    // Errors clear on the next try; this one publishes.
    await page.getByLabel('Name', { exact: true }).fill('fixed');
    await page.getByRole('button', { name: 'Publish instance' }).click();
    await page.getByText('Instance fixed was published.').waitFor();
    assert.equal((await instance('fixed')).saml2.spEntityId, 'https://sp.example.com');
    assert.equal(await instance('broken'), null);
    b.assertClean();
  });

  test('edit: the form shows the stored configuration, and saving replaces it', async () => {
    const { page, s } = b;
    await page.goto(`${s.url}/admin/instances/demo-saml`);
    const acs = page.getByLabel('SP assertion consumer service URL');
    assert.equal(await acs.inputValue(), 'https://sp.example.com/saml/acs');
    assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('readonly'), '');
    assert.equal(await page.getByLabel('Issuer (iss)').inputValue(), `${s.url}/sts/demo-oidc`);
    assert.equal(await page.getByLabel('SAML attribute 1', { exact: true }).inputValue(), 'mail');
    await acs.fill('https://sp.example.com/saml/acs2');
    await page.getByLabel('Lifetime (seconds)').fill('120');
    await page.getByRole('button', { name: 'Remove saml attribute 5' }).click();
    // A bad edit is refused at its field and changes nothing.
    await page.getByLabel('JWKS URL').fill('ftp://idp.example.com/keys');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const e = await errorAt(page, 'JWKS URL');
    assert.match(e.text, /http/);
    assert.equal((await instance('demo-saml')).saml2.spAcsUrl, 'https://sp.example.com/saml/acs');

    await page.getByLabel('JWKS URL').fill(`${s.url}/sts/demo-oidc/jwks.json`);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Instance demo-saml was saved; the change is live.').waitFor();
    const i = await instance('demo-saml');
    assert.equal(i.saml2.spAcsUrl, 'https://sp.example.com/saml/acs2');
    assert.equal(i.saml2.lifetimeSeconds, 120);
    assert.deepEqual(Object.keys(i.saml2.attributeMap), ['mail', 'givenName', 'sn', 'memberOf']);
    assert.equal(i.transforms.length, 4, 'what the form did not touch is kept');
    b.assertClean();
  });

  test('create from pasted SP metadata: entity ID, ACS URL and encryption certificate are filled in', async () => {
    const { page, s } = b;
    await page.goto(`${s.url}/admin/instances`);
    await page.getByRole('link', { name: 'New from SP metadata' }).click();
    const xml = spMetadataXml('https://sp.partner.example/saml', 'https://sp.partner.example/saml/acs', spCert.certDerB64);
    await page.getByLabel('Metadata XML').fill(xml);
    await page.getByRole('button', { name: 'Fill the form from this metadata' }).click();
    const filled = page.getByRole('status').filter({ hasText: 'Filled from the metadata' });
    await filled.waitFor();
    assert.match(await filled.innerText(), /Entity ID \(audience\): https:\/\/sp\.partner\.example\/saml/);
    assert.equal(await page.getByLabel('SP entity ID (audience)').inputValue(), 'https://sp.partner.example/saml');
    // The HTTP-POST endpoint marked isDefault, not the redirect one listed first.
    assert.equal(await page.getByLabel('SP assertion consumer service URL').inputValue(), 'https://sp.partner.example/saml/acs');
    const pem = await page.getByLabel('SP encryption certificate (PEM)').inputValue();
    assert.equal(pem.replace(/-----[A-Z ]+-----|\s/g, ''), spCert.certDerB64);
    assert.equal(await page.getByLabel('Output token').first().inputValue(), 'SAML2');

    await page.getByLabel('Name', { exact: true }).fill('partner');
    await page.getByLabel('Issuer', { exact: true }).fill(`${s.url}/sts/partner`);
    await page.getByLabel('Encrypt the whole assertion').check();
    await page.getByRole('button', { name: 'Publish instance' }).click();
    await page.getByText('Instance partner was published.').waitFor();
    const i = await instance('partner');
    assert.equal(i.saml2.spEntityId, 'https://sp.partner.example/saml');
    assert.equal(i.saml2.spAcsUrl, 'https://sp.partner.example/saml/acs');
    assert.equal(i.saml2.encryptAssertion, true);
    assert.equal(i.saml2.spEncryptionCertificate.replace(/-----[A-Z ]+-----|\s/g, ''), spCert.certDerB64);
    b.assertClean();
  });

  test('create from an uploaded metadata file; metadata that is not an SP is refused readably', async () => {
    const { page, s } = b;
    await page.goto(`${s.url}/admin/instances/new?metadata`);
    await page.getByLabel('Metadata file').setInputFiles({
      name: 'sp.xml',
      mimeType: 'application/xml',
      buffer: Buffer.from(spMetadataXml('urn:example:uploaded-sp', 'https://uploaded.example/acs', spCert.certDerB64)),
    });
    await page.waitForFunction(() => (document.getElementById('metadata-xml') as HTMLTextAreaElement).value.includes('uploaded-sp'));
    await page.getByRole('button', { name: 'Fill the form from this metadata' }).click();
    await page.getByRole('status').filter({ hasText: 'Filled from the metadata' }).waitFor();
    assert.equal(await page.getByLabel('SP entity ID (audience)').inputValue(), 'urn:example:uploaded-sp');
    assert.equal(await page.getByLabel('SP assertion consumer service URL').inputValue(), 'https://uploaded.example/acs');

    for (const [bad, message] of [
      ['<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:IDPSSODescriptor/></md:EntityDescriptor>', 'The metadata describes no service provider (no md:SPSSODescriptor).'],
      ['<not-xml', 'This is not well-formed XML.'],
      ['<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', 'The metadata holds a DOCTYPE, which is refused.'],
    ] as const) {
      await page.getByLabel('Metadata XML').fill(bad);
      await page.getByRole('button', { name: 'Fill the form from this metadata' }).click();
      await page.getByRole('alert').filter({ hasText: message }).waitFor();
    }
    // What was filled before stays: a failed import changes nothing.
    assert.equal(await page.getByLabel('SP entity ID (audience)').inputValue(), 'urn:example:uploaded-sp');
    // Chromium puts a <parsererror> element with a style attribute into a document that failed to parse; the
    // console's CSP blocks that style (and says so on the console), which is the CSP working, not a fault.
    b.assertClean([/^console: Applying inline style violates the following Content Security Policy directive 'style-src 'self''/]);
  });

  test('delete asks first; "Keep it" keeps the instance, confirming deletes it', async () => {
    const { page, s } = b;
    await page.goto(`${s.url}/admin/instances`);
    await page.getByRole('button', { name: 'Delete web-app' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete web-app?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.ok(await instance('web-app'));

    await page.getByRole('button', { name: 'Delete web-app' }).click();
    await dialog.getByRole('button', { name: 'Delete instance' }).click();
    await page.getByText('Instance web-app was deleted.').waitFor();
    await page.getByRole('row', { name: /web-app/ }).waitFor({ state: 'detached' });
    assert.equal(await instance('web-app'), null);
    assert.equal((await fetch(`${s.url}/sts/web-app/.well-known/openid-configuration`)).status, 404);
    b.assertClean();
  });
});

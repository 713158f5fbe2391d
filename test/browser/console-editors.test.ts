/**
 * The instance form's editors for the access token output, token exchange, trusted SAML2 identity providers,
 * access-token acceptance per trusted issuer, the SAML2 envelope and metadata, long-form SAML attributes and the
 * realm: each fills what it shows, saves what it edits, and shows the server's errors at its field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSelfSigned } from '../support/pki.js';
import { errorAt, openConsole, signIn, type ConsoleBrowser } from './console-harness.js';
import { FULL_INSTANCE_QUERY, publishFull } from './console-fixtures.js';

const SAVED = 'Instance orders was saved; the change is live.';

describe('console: the editors of the token exchange sections', () => {
  let b: ConsoleBrowser;

  before(async () => {
    b = await openConsole();
    await publishFull(b.s, 'orders');
    await signIn(b.page, b.s.url);
  });
  after(async () => {
    await b?.close();
  });

  const stored = async (name: string) => (await b.s.gql(FULL_INSTANCE_QUERY, { n: name }, b.s.adminToken)).data.instance;
  const save = async () => {
    await b.page.getByRole('button', { name: 'Save changes' }).click();
  };

  test('a new instance with an ACCESS_TOKEN output, token exchange and a realm, from the form', async () => {
    const { page, s } = b;
    await page.goto(`${s.url}/admin/instances/new`);
    await page.getByLabel('Name', { exact: true }).fill('api-gateway');
    await page.getByLabel('Realm').fill('/partners');
    await page.getByLabel('Input token').selectOption('SESSION');
    await page.getByLabel('Output token').selectOption('ACCESS_TOKEN');
    // The ACCESS_TOKEN output brings its section; the OIDC one goes with the OPENIDCONNECT output.
    await page.getByRole('group', { name: 'Access token output' }).waitFor();
    assert.equal(await page.getByRole('group', { name: 'OIDC output' }).count(), 0);
    await page.getByLabel('Access token audience').fill('https://api.example.com/gw');
    await page.getByLabel('Access token signature algorithm').selectOption('ES256');
    await page.getByLabel('Access token lifetime (seconds)').fill('120');
    await page.getByRole('button', { name: 'Add access token claim' }).click();
    await page.getByLabel('Access token claim 1', { exact: true }).fill('sub');
    await page.getByLabel('Its user attribute 1').fill('mail');
    await page.getByLabel('Offer token exchange').check();
    await page.getByLabel('Exchange audiences').fill('gateway');
    await page.getByLabel('Exchange resources').fill('not a uri');
    await page.getByLabel('Exchange scopes').fill('gw.read gw.write');
    await page.getByLabel('Allow delegation (actor tokens)').check();
    await page.getByLabel('Maximum delegation chain depth').fill('11');

    // Each mistake is refused by the server at its own field, one at a time, in the order it checks them.
    await page.getByRole('button', { name: 'Publish instance' }).click();
    let e = await errorAt(page, 'Access token claim 1');
    assert.match(e.text, /registered claim/);
    assert.ok(e.focused);
    await page.getByLabel('Access token claim 1', { exact: true }).fill('email');
    await page.getByRole('button', { name: 'Publish instance' }).click();
    e = await errorAt(page, 'Exchange resources');
    assert.match(e.text, /absolute URI/);
    await page.getByLabel('Exchange resources').fill('https://api.example.com/gw/v1');
    await page.getByRole('button', { name: 'Publish instance' }).click();
    e = await errorAt(page, 'Maximum delegation chain depth');
    assert.match(e.text, /from 1 to 10/);
    await page.getByLabel('Maximum delegation chain depth').fill('2');
    await page.getByLabel('Realm').fill('/not a realm');
    await page.getByRole('button', { name: 'Publish instance' }).click();
    e = await errorAt(page, 'Realm');
    assert.match(e.text, /realm path/);
    await page.getByLabel('Realm').fill('/partners');

    await page.getByRole('button', { name: 'Publish instance' }).click();
    await page.getByText('Instance api-gateway was published.').waitFor();
    const i = await stored('api-gateway');
    assert.equal(i.realm, '/partners');
    assert.equal(i.endpoints.rest, `${s.url}/rest-sts/partners/api-gateway`);
    assert.deepEqual(i.accessToken, { issuer: null, audience: ['https://api.example.com/gw'], lifetimeSeconds: 120, signatureAlgorithm: 'ES256', signingKeyId: null, claimMap: { email: 'mail' } });
    assert.deepEqual(i.tokenExchange, { audiences: ['gateway'], resources: ['https://api.example.com/gw/v1'], scopes: ['gw.read', 'gw.write'], delegation: { allowed: true, requireMayAct: false, maxChainDepth: 2 } });
    assert.equal(i.oidc, null);
    // The edit form shows what was saved.
    assert.equal(await page.getByLabel('Realm').inputValue(), '/partners');
    assert.equal(await page.getByLabel('Exchange scopes').inputValue(), 'gw.read, gw.write');
    assert.equal(await page.getByLabel('Offer token exchange').isChecked(), true);

    // Turning token exchange off removes the section (the instance no longer offers a token endpoint).
    await page.getByLabel('Offer token exchange').uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Instance api-gateway was saved; the change is live.').waitFor();
    assert.equal((await stored('api-gateway')).tokenExchange, null);
    b.assertClean();
  });

  test('trusted SAML2 identity providers: the stored ones are shown, errors land at their field, metadata adds certificates', async () => {
    const { page, s } = b;
    await page.goto(`${s.url}/admin/instances/orders`);
    const idp1 = page.getByRole('group', { name: 'Identity provider 1' });
    assert.equal(await idp1.getByLabel('IdP 1 entity ID (Issuer)').inputValue(), 'https://idp.partner.example/saml');
    assert.match(await idp1.getByLabel('IdP 1 signing certificates (PEM)').inputValue(), /^-----BEGIN CERTIFICATE-----/);
    assert.equal(await idp1.getByLabel('IdP 1 accepted recipients').inputValue(), 'https://sp.example.com/saml/acs');
    assert.equal(await idp1.getByLabel('RSA-SHA256 from IdP 1').isChecked(), true);
    assert.equal(await idp1.getByLabel('RSA-SHA512 from IdP 1').isChecked(), false);

    // A certificate that is not PEM, at the certificates of the second IdP.
    await page.getByLabel('IdP 2 signing certificates (PEM)').fill('not a certificate');
    await save();
    let e = await errorAt(page, 'IdP 2 signing certificates (PEM)');
    assert.match(e.text, /PEM/);
    await page.getByLabel('IdP 2 signing certificates (PEM)').fill('');
    // No certificates and no metadata: the server names the entry, shown on its group.
    await save();
    const idp2 = page.getByRole('group', { name: 'Identity provider 2' });
    await idp2.locator('> .field-error').waitFor();
    assert.match(await idp2.locator('> .field-error').innerText(), /signing certificates/);

    // The IdP's metadata fills the certificates in on save (the XML itself is not stored).
    const partner = await makeSelfSigned({ cn: 'idp3.partner.example' });
    const der = partner.certDerB64.match(/.{1,64}/g)!.join('\n');
    await page.getByLabel('IdP 2 metadata XML').fill(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp2.partner.example/saml">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp2.partner.example/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`);
    // No accepted algorithm at all is refused at that list.
    for (const a of ['RSA-SHA256', 'RSA-SHA512', 'ECDSA-SHA256']) await page.getByLabel(`${a} from IdP 2`).uncheck();
    await save();
    const algs = page.getByRole('group', { name: 'Signature algorithms accepted from IdP 2' });
    await algs.locator('> .field-error').waitFor();
    await page.getByLabel('ECDSA-SHA256 from IdP 2').check();
    await page.getByLabel('RSA-SHA256 from IdP 2').check();
    await page.getByLabel('IdP 2 accepted audiences').fill('urn:tessera:orders, urn:tessera:orders-v2');
    await save();
    await page.getByText(SAVED).waitFor();
    const t = (await stored('orders')).saml2Trust[1];
    assert.equal(t.certificates.length, 1);
    assert.equal(t.certificates[0].replace(/-----[A-Z ]+-----|\s/g, ''), partner.certDerB64);
    assert.deepEqual(t.audience, ['urn:tessera:orders', 'urn:tessera:orders-v2']);
    assert.deepEqual(t.signatureAlgorithms, ['http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256']);
    // After the save the form shows the stored certificates, and the metadata box is empty again.
    assert.match(await page.getByLabel('IdP 2 signing certificates (PEM)').inputValue(), /BEGIN CERTIFICATE/);
    assert.equal(await page.getByLabel('IdP 2 metadata XML').inputValue(), '');

    // Add a third, remove it again: the list is edited row by row.
    await page.getByRole('button', { name: 'Add identity provider' }).click();
    await page.getByRole('group', { name: 'Identity provider 3' }).waitFor();
    await page.getByRole('button', { name: 'Remove identity provider 3' }).click();
    assert.equal(await page.getByRole('group', { name: 'Identity provider 3' }).count(), 0);
    // The SP metadata those IdPs are configured with is linked from the form, and served.
    const sp = page.getByRole('link', { name: 'SAML SP metadata' });
    const href = await sp.getAttribute('href');
    assert.equal(href, `${b.s.url}/sts/orders/saml-sp-metadata.xml`);
    const md = await fetch(href!);
    assert.equal(md.status, 200);
    assert.match(await md.text(), /entityID="urn:tessera:orders"/);
    b.assertClean();
  });

  test('access tokens from a trusted issuer, the access token output, the SAML2 envelope, metadata and long-form attributes', async () => {
    const { page, s } = b;
    await page.goto(`${s.url}/admin/instances/orders`);
    // acceptAccessTokens per trusted OIDC issuer.
    assert.equal(await page.getByLabel('Accept access tokens from issuer 1').isChecked(), false);
    assert.equal(await page.getByLabel('Accept access tokens from issuer 2').isChecked(), true);
    await page.getByLabel('Accept access tokens from issuer 1').check();
    await page.getByLabel('Accept access tokens from issuer 2').uncheck();

    // The access token output shows its pinned key and refuses an empty audience at its field.
    const before = await stored('orders');
    assert.equal(await page.getByLabel('Access token signing key').inputValue(), before.accessToken.signingKeyId);
    assert.equal(await page.getByLabel('Access token issuer').inputValue(), 'https://issuer.example.com/orders');
    await page.getByLabel('Access token audience').fill('');
    await save();
    let e = await errorAt(page, 'Access token audience');
    assert.match(e.text, /value|required|empty/i);
    await page.getByLabel('Access token audience').fill('https://api.example.com/orders, https://api.example.com/billing');

    // Envelope and metadata.
    assert.equal(await page.getByLabel('Wrap assertions in a samlp:Response').isChecked(), true);
    assert.equal(await page.getByLabel('Sign the Response too').isChecked(), true);
    assert.equal(await page.getByLabel('Sign the metadata document').isChecked(), true);
    assert.equal(await page.getByLabel('Metadata validity (seconds)').inputValue(), '86400');
    await page.getByLabel('Sign the Response too').uncheck();
    await page.getByLabel('Metadata validity (seconds)').fill('10');
    await save();
    e = await errorAt(page, 'Metadata validity (seconds)');
    assert.match(e.text, /60 to 31536000/);
    await page.getByLabel('Metadata validity (seconds)').fill('3600');
    await page.getByLabel('Metadata cache duration (seconds)').fill('60');

    // Long-form attributes: the stored NameFormat and FriendlyName, a bad NameFormat refused at its field.
    assert.equal(await page.getByLabel('SAML attribute 2', { exact: true }).inputValue(), 'urn:oid:2.5.4.42');
    assert.equal(await page.getByLabel('NameFormat and FriendlyName for attribute 2').isChecked(), true);
    assert.equal(await page.getByLabel('NameFormat 2').inputValue(), 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri');
    assert.equal(await page.getByLabel('FriendlyName 2').inputValue(), 'givenName');
    // The short form has no NameFormat until asked for.
    assert.equal(await page.getByLabel('NameFormat 1').count(), 0);
    await page.getByLabel('NameFormat and FriendlyName for attribute 1').check();
    await page.getByLabel('NameFormat 1').fill('not a uri');
    await save();
    e = await errorAt(page, 'NameFormat 1');
    assert.match(e.text, /absolute URI/);
    await page.getByLabel('NameFormat 1').fill('urn:oasis:names:tc:SAML:2.0:attrname-format:basic');
    await save();
    await page.getByText(SAVED).waitFor();

    const i = await stored('orders');
    assert.deepEqual(i.oidcTrust.map((t: { acceptAccessTokens: boolean | null }) => t.acceptAccessTokens), [true, null, null]);
    assert.deepEqual(i.accessToken.audience, ['https://api.example.com/orders', 'https://api.example.com/billing']);
    assert.equal(i.accessToken.signingKeyId, before.accessToken.signingKeyId);
    assert.deepEqual(i.saml2.envelope, { enabled: true, signResponse: false });
    assert.deepEqual(i.saml2.metadata, { sign: true, validitySeconds: 3600, cacheDurationSeconds: 60 });
    assert.deepEqual(i.saml2.attributeMap, {
      mail: { attribute: 'mail', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic' },
      'urn:oid:2.5.4.42': { attribute: 'givenName', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri', friendlyName: 'givenName' },
      groups: { attribute: 'memberOf' },
    });
    // The metadata document follows: cacheDuration PT60S.
    const md = await (await fetch(i.endpoints.samlMetadata)).text();
    assert.match(md, /cacheDuration="PT60S"/);
    b.assertClean();
  });

  test('the holder-of-key trust list: shown as stored, a bad entry refused at its field, kept on save', async () => {
    const { page, s } = b;
    await page.goto(`${s.url}/admin/instances/orders`);
    const field = page.getByLabel('Holder-of-key trust (PEM)');
    const shown = await field.inputValue();
    assert.equal(shown.match(/-----BEGIN CERTIFICATE-----/g)?.length, 2);
    await field.fill(`${shown}\n-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----`);
    await save();
    const e = await errorAt(page, 'Holder-of-key trust (PEM)');
    assert.match(e.text, /holderOfKeyTrust\[2\]|certificate/);
    const first = shown.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)![0];
    await field.fill(first);
    await save();
    await page.getByText(SAVED).waitFor();
    const stored1 = (await stored('orders')).saml2.holderOfKeyTrust as string[];
    assert.equal(stored1.length, 1);
    assert.equal(stored1[0]!.replace(/\s/g, ''), first.replace(/\s/g, ''));
    b.assertClean();
  });
});

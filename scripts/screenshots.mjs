// Regenerates the screenshots in docs/console/ (npm run screenshots): Tessera in-process with the demo data,
// Debian's Chromium at 1280×800 (and 390×844 for the narrow view), each page in a state worth showing.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openConsole, signIn, spMetadataXml } from '../dist/test/browser/console-harness.js';
import { publishFull } from '../dist/test/browser/console-fixtures.js';
import { makeSelfSigned } from '../dist/test/support/pki.js';

const OUT = join('docs', 'console');
mkdirSync(OUT, { recursive: true });

const b = await openConsole();
const { page, s } = b;
const shot = async (name, opts = {}) => {
  // Let spinners finish and focus rings settle before the picture.
  await page.waitForFunction(() => !document.querySelector('.spinner'), undefined, { timeout: 10_000 }).catch(() => undefined);
  await page.screenshot({ path: join(OUT, `${name}.png`), ...opts });
  console.log(`wrote ${join(OUT, `${name}.png`)}`);
};
/** A picture of one part of the page (a form section), as it looks at 1280 px. */
const shotOf = async (locator, name) => {
  await page.waitForFunction(() => !document.querySelector('.spinner'), undefined, { timeout: 10_000 }).catch(() => undefined);
  await locator.screenshot({ path: join(OUT, `${name}.png`) });
  console.log(`wrote ${join(OUT, `${name}.png`)}`);
};
try {
  await page.goto(`${s.url}/admin`);
  await page.getByLabel('Password').waitFor();
  await shot('sign-in');

  await signIn(page, s.url);
  // A little history for the records and the audit trail.
  for (const user of [['demo', 'changeit'], ['alice', 'wonderland']]) {
    await s.gql('mutation($i:TokenInput!,$o:TokenOutput!){ translateToken(instance:"demo-oidc", input:$i, output:$o){ tokenId } }', { i: { type: 'USERNAME', username: user[0], password: user[1] }, o: { type: 'OPENIDCONNECT' } });
  }
  await s.gql('mutation($i:TokenInput!,$o:TokenOutput!){ translateToken(instance:"demo-saml", input:$i, output:$o){ tokenId } }', { i: { type: 'USERNAME', username: 'demo', password: 'wrong-password' }, o: { type: 'SAML2' } });

  await page.getByRole('link', { name: 'Instances' }).click();
  await page.getByRole('cell', { name: /USERNAME → SAML2/ }).first().waitFor();
  await shot('instances');

  await page.getByRole('link', { name: 'demo-saml', exact: true }).click();
  await page.getByLabel('SP entity ID (audience)').waitFor();
  await shot('instance-edit');

  await page.goto(`${s.url}/admin/instances/new?metadata`);
  const enc = await makeSelfSigned({ cn: 'sp.partner.example' });
  await page.getByLabel('Metadata XML').fill(spMetadataXml('https://sp.partner.example/saml', 'https://sp.partner.example/saml/acs', enc.certDerB64));
  await page.getByRole('button', { name: 'Fill the form from this metadata' }).click();
  await page.getByLabel('Name', { exact: true }).fill('partner');
  await page.getByLabel('Issuer', { exact: true }).fill(`${s.url}/sts/partner`);
  await shot('instance-from-metadata', { fullPage: true });

  // The token exchange sections of demo-exchange, and the trusted SAML2 IdPs of an instance that has every section.
  await page.goto(`${s.url}/admin/instances/demo-exchange`);
  await page.getByLabel('Exchange scopes').waitFor();
  await shotOf(page.locator('#sec-access-token'), 'instance-access-token');
  await shotOf(page.locator('#sec-exchange'), 'instance-token-exchange');
  await publishFull(s, 'orders');
  await page.goto(`${s.url}/admin/instances/orders`);
  await page.getByLabel('IdP 1 entity ID (Issuer)').waitFor();
  await shotOf(page.locator('#sec-saml2trust'), 'instance-saml2-trust');

  await page.goto(`${s.url}/admin/clients`);
  await page.getByRole('rowheader', { name: 'demo-exchange-client' }).waitFor();
  await page.getByRole('button', { name: 'New client' }).click();
  await page.getByLabel('Client ID').fill('orders-backend');
  await page.getByLabel('demo-exchange', { exact: true }).check();
  await page.getByLabel('orders', { exact: true }).check();
  await page.getByLabel('Scopes').fill('orders.read');
  await shot('client-new', { fullPage: true });
  await page.getByRole('button', { name: 'Create client' }).click();
  await page.getByRole('button', { name: 'Copy secret' }).waitFor();
  await shot('clients', { fullPage: true });

  await page.goto(`${s.url}/admin/keys`);
  await page.getByRole('button', { name: 'Generate key' }).waitFor();
  await page.getByRole('cell', { name: /demo-oidc/ }).first().waitFor();
  await shot('keys');

  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('rowheader', { name: 'alice' }).waitFor();
  await shot('users', { fullPage: true });

  await page.getByRole('link', { name: 'Try it' }).click();
  await page.getByLabel('Instance').selectOption('demo-oidc');
  await page.getByLabel('Username').fill('demo');
  await page.getByLabel('Password').fill('changeit');
  await page.getByRole('button', { name: 'Translate' }).click();
  await page.getByRole('heading', { name: 'Issued OPENIDCONNECT token' }).waitFor();
  await page.getByRole('button', { name: 'Validate' }).click();
  await page.getByRole('status', { name: 'Validation result' }).waitFor();
  await shot('try-it-oidc', { fullPage: true });

  await page.getByLabel('Instance').selectOption('demo-saml');
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('wonderland');
  await page.getByRole('button', { name: 'Translate' }).click();
  await page.getByRole('status', { name: 'Validation result' }).waitFor();
  await shot('try-it-saml', { fullPage: true });

  await page.getByLabel('Instance').selectOption('demo-exchange');
  await page.getByLabel('Transform').selectOption({ label: 'SESSION → ACCESS_TOKEN' });
  await page.getByLabel('Session token').fill(await s.login('demo', 'changeit'));
  await page.getByLabel('Scope').fill('orders.read');
  await page.getByRole('button', { name: 'Translate' }).click();
  await page.getByRole('heading', { name: 'Issued ACCESS_TOKEN token' }).waitFor();
  await shot('try-it-access-token', { fullPage: true });

  await page.getByRole('link', { name: 'Issued tokens' }).click();
  await page.getByRole('cell', { name: 'demo-saml' }).first().waitFor();
  await shot('issued-tokens');

  await page.getByRole('link', { name: 'Audit trail' }).click();
  await page.getByRole('cell', { name: 'translate' }).first().waitFor().catch(() => page.getByRole('rowheader', { name: 'translate' }).first().waitFor());
  await shot('audit');

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${s.url}/admin/instances`);
  await page.getByRole('button', { name: 'Menu' }).click();
  await shot('narrow');
  b.assertClean();
} finally {
  await b.close();
}

// Regenerates the screenshots in docs/console/ (npm run screenshots): Tessera in-process with the demo data,
// Debian's Chromium at 1280×800 (and 390×844 for the narrow view), each page in a state worth showing.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openConsole, signIn, spMetadataXml } from '../dist/test/browser/console-harness.js';
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

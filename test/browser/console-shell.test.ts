/**
 * The console as served: its HTTP headers, sign-in and logout, the session, labels on every control, keyboard
 * navigation with visible focus, a narrow window, and no request that leaves Tessera's origin.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD } from '../support/server.js';
import { alertText, openConsole, signIn, signOutLocally, unlabelledControls, type ConsoleBrowser } from './console-harness.js';

const PAGES: Array<{ path: string; heading: string; ready: string }> = [
  { path: '/admin/instances', heading: 'Instances', ready: 'demo-saml' },
  { path: '/admin/instances/new', heading: 'New instance', ready: 'Publish instance' },
  { path: '/admin/instances/demo-saml', heading: 'Instance demo-saml', ready: 'Save changes' },
  { path: '/admin/instances/demo-exchange', heading: 'Instance demo-exchange', ready: 'Save changes' },
  { path: '/admin/keys', heading: 'Keys', ready: 'Generate key' },
  { path: '/admin/clients', heading: 'OAuth clients', ready: 'New client' },
  { path: '/admin/users', heading: 'Users', ready: 'alice' },
  { path: '/admin/tokens', heading: 'Issued tokens', ready: 'Search' },
  { path: '/admin/audit', heading: 'Audit trail', ready: 'login' },
  { path: '/admin/try', heading: 'Try it', ready: 'Translate' },
];

describe('console: serving, session, accessibility', () => {
  let b: ConsoleBrowser;

  before(async () => {
    b = await openConsole();
  });
  after(async () => {
    await b?.close();
  });

  test('/admin is served with a strict CSP, no framing, and cacheable hashed assets', async () => {
    const root = await fetch(`${b.s.url}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/admin');

    const page = await fetch(`${b.s.url}/admin`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|data:|\*/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const html = await page.text();
    // Scripts only by src, from this origin: nothing inline the CSP would have to allow.
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i);
    assert.doesNotMatch(html, /\bstyle=|<style/i);
    const assets = [...html.matchAll(/(?:src|href)="(\/admin\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), html);
    for (const a of assets) {
      const r = await fetch(`${b.s.url}${a}`);
      assert.equal(r.status, 200, a);
      assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable', a);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    }

    // Every console path is the same page (the browser routes); unknown assets and writes are refused.
    const deep = await fetch(`${b.s.url}/admin/instances/demo-saml`);
    assert.equal(deep.status, 200);
    assert.equal(await deep.text(), html);
    assert.equal((await fetch(`${b.s.url}/admin/assets/nope.js`)).status, 404);
    assert.equal((await fetch(`${b.s.url}/admin/assets/..%2F..%2Fpackage.json`)).status, 404);
    assert.equal((await fetch(`${b.s.url}/admin`, { method: 'POST' })).status, 405);
  });

  test('sign-in: a wrong password is refused readably, and the first-run hint explains the printed password', async () => {
    const { page, s } = b;
    await page.goto(`${s.url}/admin`);
    assert.equal(await page.title(), 'Sign in · Tessera admin');
    await page.getByText('Generated admin password (shown once)').waitFor();
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.equal(await alertText(page), 'The username or password is wrong.');

    // A user without the admin role is told why, and its session is not kept.
    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill('changeit');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('demo does not have the admin role').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    b.assertClean();
  });

  test('the session lives in sessionStorage, survives a reload, and logout ends it on the server', async () => {
    const { page, s } = b;
    await signIn(page, s.url);
    await page.getByRole('heading', { name: 'Instances', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/admin/instances');
    const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem('tessera.console.session') ?? 'null'));
    assert.match(stored.token, /^tsn_/);
    assert.equal(stored.username, 'admin');
    assert.deepEqual(await page.context().cookies(), [], 'no cookie carries the session');

    await page.reload();
    await page.getByRole('cell', { name: /USERNAME → SAML2/ }).first().waitFor();
    const me = await s.gql('{ me { username } }', {}, stored.token);
    assert.equal(me.data.me.username, 'admin');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('tessera.console.session')), null);
    // The logout mutation may still be in flight when the page changes; wait for the server to forget it.
    let after: Awaited<ReturnType<typeof s.gql>> | undefined;
    for (let i = 0; i < 50; i++) {
      after = await s.gql('{ me { username } }', {}, stored.token);
      if (after.errors) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(after?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    b.assertClean();
  });

  test('a session the server stops accepting sends the admin back to sign-in with a reason', async () => {
    const { page, s } = b;
    await signIn(page, s.url);
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('tessera.console.session')!).token as string);
    await s.gql('mutation { logout }', {}, token);
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByText('Your session has ended. Sign in again.').waitFor();
    b.assertClean();
  });

  test('every page loads, talks only to /graphql, and labels every control', async () => {
    const { page, s } = b;
    await signIn(page, s.url);
    for (const p of PAGES) {
      await page.goto(`${s.url}${p.path}`);
      await page.getByRole('heading', { name: p.heading, level: 1 }).waitFor();
      await page.getByText(p.ready, { exact: true }).first().waitFor();
      assert.equal(await page.title(), `${p.heading} · Tessera admin`);
      assert.deepEqual(await unlabelledControls(page), [], p.path);
      const current = await page.locator('nav[aria-label="Console"] a[aria-current="page"]').allInnerTexts();
      assert.equal(current.length, 1, p.path);
    }
    const api = b.requested.filter((u) => !new URL(u).pathname.startsWith('/admin'));
    assert.ok(api.length > 0);
    for (const u of api) assert.equal(new URL(u).pathname, '/graphql', u);
    b.assertClean();
  });

  test('keyboard: skip link, navigation by Tab and Enter, focus moved to the new page, visible focus ring', async () => {
    const { page, s } = b;
    await signIn(page, s.url);
    await page.getByRole('cell', { name: /USERNAME → SAML2/ }).first().waitFor();
    // A fresh load: the first Tab lands on the skip link.
    await page.reload();
    await page.getByRole('cell', { name: /USERNAME → SAML2/ }).first().waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    // The focused control shows an outline (not the browser's default none for mouse focus).
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(outline, 'none');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');

    // From the top again, Tab through the header into the navigation until "Keys", then follow it with Enter.
    await page.reload();
    await page.getByRole('cell', { name: /USERNAME → SAML2/ }).first().waitFor();
    let reached = false;
    for (let i = 0; i < 12 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate(() => document.activeElement?.textContent)) === 'Keys';
    }
    assert.ok(reached, 'Keys is reachable with Tab');
    assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle), 'none');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Generate key' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.tagName + ':' + document.activeElement?.textContent), 'H1:Keys');

    // A dialog opened from the keyboard keeps the focus inside, closes with Escape, and gives the focus back.
    const rotate = page.getByRole('button', { name: /^Rotate / }).first();
    await rotate.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => !!document.activeElement?.closest('dialog')), true);
    // The page behind is inert: Tab visits the dialog's controls (and the browser's own UI), never the page.
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      const where = await page.evaluate(() => {
        const a = document.activeElement;
        return !a || a === document.body ? 'browser' : a.closest('dialog') ? 'dialog' : a.outerHTML.slice(0, 80);
      });
      assert.ok(where === 'dialog' || where === 'browser', `focus left the dialog for ${where}`);
    }
    await page.getByRole('button', { name: 'Keep it' }).focus();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await rotate.evaluate((el) => el === document.activeElement), true);
    const keys = await s.gql('{ keys { status } }', {}, s.adminToken);
    assert.equal(keys.data.keys.filter((k: { status: string }) => k.status === 'PUBLISHED').length, 0, 'Escape rotated nothing');
    b.assertClean();
  });

  test('a narrow window: the navigation folds behind a menu, nothing scrolls sideways, rows read as cards', async () => {
    const { page, s } = b;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await signIn(page, s.url);
      await page.getByRole('cell', { name: /USERNAME → SAML2/ }).first().waitFor();
      const menu = page.getByRole('button', { name: 'Menu' });
      assert.equal(await menu.getAttribute('aria-expanded'), 'false');
      assert.equal(await page.getByRole('link', { name: 'Users' }).isVisible(), false);
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok((await overflow()) <= 0, `the page is ${await overflow()} px wider than the window`);
      // Table cells are stacked with their column name shown before each value.
      const label = await page.locator('td[data-label="Transforms"]').first().evaluate((el) => getComputedStyle(el, '::before').content);
      assert.equal(label, '"Transforms"');

      await menu.click();
      assert.equal(await menu.getAttribute('aria-expanded'), 'true');
      await page.getByRole('link', { name: 'Users' }).click();
      await page.getByRole('rowheader', { name: 'alice' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'Keys' }).isVisible(), false, 'the menu folds after a choice');
      assert.ok((await overflow()) <= 0);

      await page.goto(`${s.url}/admin/instances/demo-saml`);
      await page.getByLabel('SP entity ID (audience)').waitFor();
      assert.ok((await overflow()) <= 0, 'the instance form fits too');
      await page.goto(`${s.url}/admin/instances/demo-exchange`);
      await page.getByLabel('Exchange scopes').waitFor();
      assert.ok((await overflow()) <= 0, 'the token exchange sections fit too');
      await page.goto(`${s.url}/admin/clients`);
      await page.getByRole('rowheader', { name: 'demo-exchange-client' }).waitFor();
      await page.getByRole('button', { name: 'New client' }).click();
      await page.getByLabel('Client ID').waitFor();
      assert.ok((await overflow()) <= 0, 'the OAuth clients page fits too');
      await page.goto(`${s.url}/admin/try`);
      await page.getByRole('button', { name: 'Translate' }).waitFor();
      assert.ok((await overflow()) <= 0, 'try it fits too');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    b.assertClean();
  });

  test('signing in with the right password works from the form', async () => {
    const { page, s } = b;
    await signOutLocally(page, s.url);
    await page.goto(`${s.url}/admin/keys`);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByLabel('Password').press('Enter');
    // The address asked for is kept: the admin lands on the page they opened.
    await page.getByRole('button', { name: 'Generate key' }).waitFor();
    b.assertClean();
  });
});

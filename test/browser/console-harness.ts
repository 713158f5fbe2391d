/**
 * What the console's browser tests and `npm run screenshots` share: Tessera in-process on SQLite with the demo
 * data, and Debian's Chromium with a fresh profile whose every request is checked to stay on Tessera's origin.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_PASSWORD, startServer, type TestServer } from '../support/server.js';
import type { TokenKind } from '../../src/engine/kind.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ConsoleBrowser {
  s: TestServer;
  context: BrowserContext;
  page: Page;
  /** Every URL the pages asked for. */
  requested: string[];
  /** Requests to any other origin (aborted). */
  foreign: string[];
  /** Page errors, console errors, CSP violations and failed requests. */
  failures: string[];
  /** Asserts nothing left the origin and nothing failed (but what `allow` matches), then forgets what was seen. */
  assertClean(allow?: RegExp[]): void;
  close(): Promise<void>;
}

export interface OpenOptions {
  viewport?: { width: number; height: number };
  env?: Record<string, string>;
  /** Token kinds registered besides the built-ins (a plugin's sections and token types). */
  kinds?: TokenKind[];
}

export async function openConsole(opts: OpenOptions = {}): Promise<ConsoleBrowser> {
  const s = await startServer({ db: 'sqlite', env: { TESSERA_DEMO: 'true', ...opts.env }, kinds: opts.kinds });
  const profile = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      viewport: opts.viewport ?? { width: 1280, height: 800 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
  } catch (e) {
    await s.destroy();
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  const origin = new URL(s.url).origin;
  const requested: string[] = [];
  const foreign: string[] = [];
  const failures: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    requested.push(url);
    if (!url.startsWith('data:') && new URL(url).origin !== origin) {
      foreign.push(url);
      return route.abort();
    }
    return route.continue();
  });
  const watch = (p: Page) => {
    p.on('console', (m) => {
      if (m.type() !== 'error') return;
      // A GraphQL request the server refuses (e.g. a variable of the wrong type) is HTTP 400 by design; the
      // console shows it at the field, and Chromium logs the status. Anything else is a failure.
      if (/status of 400/.test(m.text()) && m.location().url.endsWith('/graphql')) return;
      failures.push(`console: ${m.text()} ${m.location().url}`);
    });
    p.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
    p.on('requestfailed', (r) => {
      // Leaving a page aborts its requests still in flight; that is the browser's doing, not a failure.
      const error = r.failure()?.errorText ?? '';
      if (!foreign.includes(r.url()) && error !== 'net::ERR_ABORTED') failures.push(`request failed: ${r.url()} ${error}`);
    });
    p.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/graphql')) failures.push(`HTTP ${r.status()}: ${r.url()}`);
    });
  };
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  return {
    s,
    context,
    page,
    requested,
    foreign,
    failures,
    assertClean(allow = []) {
      assert.deepEqual(foreign, [], 'no request leaves the origin');
      for (const u of requested) if (!u.startsWith('data:')) assert.equal(new URL(u).origin, origin, u);
      assert.deepEqual(failures.filter((f) => !allow.some((re) => re.test(f))), []);
      requested.length = 0;
      failures.length = 0;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
      await s.destroy();
    },
  };
}

/** Forgets this tab's session (the server still knows it), so the next load shows the sign-in page. */
export async function signOutLocally(page: Page, url: string): Promise<void> {
  if (!page.url().startsWith(url)) await page.goto(`${url}/admin`);
  await page.evaluate(() => sessionStorage.clear());
}

/** Opens the console and signs in as the bootstrap admin. */
export async function signIn(page: Page, url: string, path = '/admin'): Promise<void> {
  await signOutLocally(page, url);
  await page.goto(`${url}${path}`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Every form control has an accessible name: a label, aria-label or aria-labelledby. */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll('input, select, textarea, button'))) {
      const e = el as HTMLInputElement;
      if (e.type === 'hidden') continue;
      const named = (e.labels && e.labels.length > 0) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || (e.tagName === 'BUTTON' && e.textContent?.trim());
      if (!named) out.push(e.outerHTML.slice(0, 120));
    }
    return out;
  });
}

/** An SP's metadata, as an SP would publish it, with its encryption certificate. */
export function spMetadataXml(entityId: string, acsUrl: string, encryptionCertDerB64: string, signingCertDerB64?: string): string {
  const kd = (use: string, der: string) =>
    `<md:KeyDescriptor use="${use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n${der.match(/.{1,64}/g)!.join('\n')}\n</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    ${signingCertDerB64 ? kd('signing', signingCertDerB64) : ''}
    ${kd('encryption', encryptionCertDerB64)}
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${acsUrl}/redirect" index="0"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${acsUrl}" index="1" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
`;
}

/**
 * Waits until the control with this label is marked invalid and returns the error text tied to it through
 * aria-describedby, which is what a screen reader reads and what sits under the field on screen.
 */
export async function errorAt(page: Page, label: string | RegExp): Promise<{ text: string; focused: boolean }> {
  const control = page.getByLabel(label, { exact: typeof label === 'string' });
  await control.and(page.locator('[aria-invalid="true"]')).waitFor({ timeout: 15_000 });
  return control.evaluate((el) => {
    const ids = (el.getAttribute('aria-describedby') ?? '').split(/\s+/).filter((id) => id.endsWith('-error'));
    const text = ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ').replace(/^⚠\s*/, '');
    return { text, focused: document.activeElement === el };
  });
}

/** The text of the first visible alert (role=alert), once there is one. */
export async function alertText(page: Page): Promise<string> {
  const a = page.getByRole('alert').first();
  await a.waitFor();
  return (await a.innerText()).trim();
}

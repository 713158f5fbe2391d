/**
 * GraphiQL in a real browser (headless Chromium): the page loads only from Tessera itself (no CDN), a login
 * mutation runs from the editor, and the session token set in the Headers editor authenticates the next query.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_PASSWORD, startServer, type TestServer } from '../support/server.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

type EditorName = 'query' | 'headers' | 'result';

/** The CodeMirror 5 instance behind one of GraphiQL's editors. */
const EDITOR_SELECTORS: Record<EditorName, string> = {
  query: '.graphiql-query-editor .CodeMirror',
  headers: '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror',
  result: '.graphiql-response .CodeMirror',
};

async function setEditor(page: Page, editor: EditorName, text: string): Promise<void> {
  await page.waitForSelector(EDITOR_SELECTORS[editor]);
  await page.evaluate(
    ([selector, value]) => {
      const el = document.querySelector(selector!) as (Element & { CodeMirror?: { setValue(v: string): void } }) | null;
      if (!el?.CodeMirror) throw new Error(`no CodeMirror at ${selector}`);
      el.CodeMirror.setValue(value!);
    },
    [EDITOR_SELECTORS[editor], text] as const,
  );
}

/**
 * Sets the query and waits until GraphiQL has parsed it (it does so 100 ms after a change, debounced) and
 * picked `operationName`, so that running it sends the new operation and not the one shown before.
 */
async function setQuery(page: Page, text: string, operationName: string): Promise<void> {
  await setEditor(page, 'query', text);
  await page.waitForFunction(
    ([selector, name]) => {
      const el = document.querySelector(selector!) as (Element & { CodeMirror?: { operationName?: string } }) | null;
      return el?.CodeMirror?.operationName === name;
    },
    [EDITOR_SELECTORS.query, operationName] as const,
    { timeout: 5_000 },
  );
  // Let React commit the state update that followed.
  await page.waitForTimeout(100);
}

async function editorText(page: Page, editor: EditorName): Promise<string> {
  return page.evaluate((selector) => {
    const el = document.querySelector(selector) as (Element & { CodeMirror?: { getValue(): string } }) | null;
    return el?.CodeMirror?.getValue() ?? '';
  }, EDITOR_SELECTORS[editor]);
}

/** Waits until the result editor holds text matching `re` (and not the previous result). */
async function waitForResult(page: Page, re: RegExp, previous = ''): Promise<string> {
  const deadline = Date.now() + 10_000;
  let text = '';
  while (Date.now() < deadline) {
    text = await editorText(page, 'result');
    if (text !== previous && re.test(text)) return text;
    await page.waitForTimeout(100);
  }
  assert.fail(`the result pane never matched ${re}; it shows:\n${text}`);
}

describe('GraphiQL in headless Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requested: string[] = [];
  const foreign: string[] = [];
  const failures: string[] = [];

  before(async () => {
    s = await startServer({ db: 'sqlite' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext();
    const origin = new URL(s.url).origin;
    // Every request the page makes goes through here: record it, and never let one leave the server's origin.
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      requested.push(url);
      if (url.startsWith('data:')) return route.continue();
      if (new URL(url).origin !== origin) {
        foreign.push(url);
        return route.abort();
      }
      return route.continue();
    });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') failures.push(`console: ${m.text()} ${m.location().url}`);
    });
    page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => failures.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => {
      if (r.status() >= 400) failures.push(`HTTP ${r.status()}: ${r.url()}`);
    });
  });

  after(async () => {
    await browser?.close();
    await s?.destroy();
  });

  test('the page renders from local assets only', async () => {
    const res = await page.goto(`${s.url}/graphiql`);
    assert.equal(res?.status(), 200);
    assert.match(res?.headers()['content-security-policy'] ?? '', /default-src 'self'/);
    await page.waitForSelector(EDITOR_SELECTORS.query, { timeout: 15_000 });
    await page.waitForSelector('.graphiql-execute-button');
    // GraphiQL fetched the schema (introspection) from /graphql: the docs explorer can open.
    await page.waitForFunction(() => !document.querySelector('.graphiql-spinner'), undefined, { timeout: 10_000 });
    assert.match(await editorText(page, 'query'), /Welcome to Tessera/);
    assert.ok(requested.some((u) => u === `${s.url}/graphiql/assets/graphiql.min.js`), requested.join('\n'));
    assert.ok(requested.some((u) => u === `${s.url}/graphql`), 'GraphiQL introspected /graphql');
    assert.deepEqual(foreign, [], 'no request leaves the server');
    assert.deepEqual(failures, []);
  });

  test('login from the editor, then the token in the Headers editor authenticates me', async () => {
    await setQuery(page, `mutation Login {\n  login(username: "admin", password: "${ADMIN_PASSWORD}") {\n    token\n    expiresAt\n  }\n}\n`, 'Login');
    await page.click('.graphiql-execute-button');
    const loginText = await waitForResult(page, /"token": "tsn_[A-Za-z0-9_-]+"/);
    const token = /"token": "(tsn_[A-Za-z0-9_-]+)"/.exec(loginText)![1];

    // Anonymous first: the same query without the header gives me: null.
    await setQuery(page, 'query Me {\n  me {\n    username\n    roles\n  }\n}\n', 'Me');
    await page.click(EDITOR_SELECTORS.query);
    await page.keyboard.press('Control+Enter');
    const anonymous = await waitForResult(page, /"me": null/, loginText);

    await page.getByRole('button', { name: 'Headers', exact: true }).click();
    await page.waitForSelector('.graphiql-editor-tool[aria-label="Headers"]');
    await setEditor(page, 'headers', JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));

    await page.click(EDITOR_SELECTORS.query);
    await page.keyboard.press('Control+Enter');
    const me = await waitForResult(page, /"username": "admin"/, anonymous);
    assert.match(me, /"roles": \[\s*"admin"\s*\]/);
    // What the user sees on the page, not just the editor's model.
    const visible = await page.locator('.graphiql-response').innerText();
    assert.match(visible, /"username": "admin"/);

    assert.deepEqual(foreign, [], 'no request leaves the server');
    assert.deepEqual(failures, []);
    for (const u of requested) {
      if (!u.startsWith('data:')) assert.equal(new URL(u).origin, new URL(s.url).origin, u);
    }
  });
});

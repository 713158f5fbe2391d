/**
 * Property-based fuzzing of the PingAM doors of a real server (SQLite): the publish service with AM's documented
 * sample mutated field by field and section by section, or replaced by any JSON, at create and update; the login
 * with hostile credentials and realm paths; sessions presented as hostile iPlanetDirectoryPro headers and
 * cookies. Every answer: no 5xx and no INTERNAL, within a second, PingAM's error body for every refusal; the
 * server healthy afterwards. Bounded and replayable like the other fuzzing suites (support.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startServer, ADMIN_PASSWORD, type TestServer } from '../support/server.js';
import { amLogin, publishSample } from '../support/am.js';
import { MAX_RESPONSE_MS, fuzzParameters, hostileJson, judgeAnswer, mutatedShape, replayHint, send, type Exchange } from './support.js';

let s: TestServer;
let admin: string;
const SAMPLE = publishSample();

function call(what: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Exchange> {
  return send(what, `${s.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * A refusal is PingAM's error body whose code is the status. 501 is no server error here: it is AM's answer to a
 * query, a patch or an action the publish service does not offer (CREST NotSupportedException).
 */
function judgeAm(x: Exchange, input: unknown): void {
  if (x.status === 501) {
    assert.equal(x.json?.reason, 'Not Implemented', x.text.slice(0, 300));
    assert.ok(x.ms < MAX_RESPONSE_MS, `slow answer: ${x.what}`);
  } else {
    judgeAnswer(x, input);
  }
  if (x.status >= 400) {
    assert.equal(x.json?.code, x.status, `not PingAM's body: ${x.text.slice(0, 300)}`);
    assert.equal(typeof x.json?.detail?.code, 'string', x.text.slice(0, 300));
  }
}

async function check(name: string, arb: fc.Arbitrary<unknown>, predicate: (value: any) => Promise<void>, diagnostic: (m: string) => void): Promise<void> {
  diagnostic(replayHint(name));
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (v) => {
      cases += 1;
      await predicate(v);
    }),
    fuzzParameters(name),
  );
  diagnostic(`${name}: ${cases} cases`);
  const h = await send('healthz', `${s.url}/healthz`, {});
  assert.equal(h.status, 200, h.text);
  const list = await call('list', 'GET', '/sts-publish/rest', undefined, { iPlanetDirectoryPro: admin });
  assert.equal(list.status, 200, list.text.slice(0, 300));
}

/** Printable ASCII, as a header value must be; with the characters AM encodings and cookies care about. */
const headerText = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '=', '?', ';', ',', '"', '*', '/', '%', '_', '-', '.', '|'), maxLength: 60 });

before(async () => {
  s = await startServer({ db: 'sqlite' });
  admin = await amLogin(s, 'admin', ADMIN_PASSWORD);
  // An instance to update: the sample without its custom parts (no plugins are loaded here).
  const body = structuredClone(SAMPLE) as any;
  delete body.instance_state['custom-token-transforms'];
  const r = await call('create', 'POST', '/sts-publish/rest?_action=create', body, { iPlanetDirectoryPro: admin });
  assert.equal(r.status, 201, r.text);
});
after(async () => {
  await s?.destroy();
});

describe('fuzzing the PingAM publish service', () => {
  test("AM's sample mutated, or any JSON, at create and update: no 5xx or INTERNAL, PingAM's body, under 1 s", async (t) => {
    const state = SAMPLE.instance_state;
    const mutated = (section: string) => mutatedShape(state[section], Object.fromEntries(Object.keys(state[section]).concat('tessera-extra').map((k) => [k, hostileJson])));
    const body = fc.oneof(
      hostileJson,
      mutatedShape(SAMPLE as any, { invocation_context: hostileJson, instance_state: hostileJson }),
      fc
        .record({
          top: mutatedShape(state, Object.fromEntries([...Object.keys(state), 'tessera-oidc-trust', 'tessera-x509-trust', 'tessera-caller-roles'].map((k) => [k, hostileJson]))),
          saml2: mutated('saml2-config'),
          oidc: mutated('oidc-id-token-config'),
          deployment: mutated('deployment-config'),
        })
        .map(({ top, saml2, oidc, deployment }) => ({
          invocation_context: 'invocation_context_client_sdk',
          instance_state: { ...top, 'saml2-config': saml2, 'oidc-id-token-config': oidc, 'deployment-config': deployment },
        })),
    );
    await check('am-publish', body, async (b: unknown) => {
      judgeAm(await call('create', 'POST', '/sts-publish/rest?_action=create', b, { iPlanetDirectoryPro: admin }), b);
      judgeAm(await call('update', 'PUT', '/sts-publish/rest/username-transformer', b, { iPlanetDirectoryPro: admin }), b);
    }, (m) => t.diagnostic(m));
  });

  test('hostile paths below /sts-publish/rest: no 5xx, PingAM\'s body', async (t) => {
    // Dot segments are left out: URL parsing resolves them (".", "..", "%2e%2e") before the request is sent.
    const segment = fc
      .oneof(fc.constantFrom('root', 'alpha', 'username-transformer', '%00', '%2F', 'realms', '...'), fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '_', '.', '%', '~'), maxLength: 20 }))
      .filter((x) => !/^(\.|%2e){1,2}$/i.test(x));
    const arb = fc.record({ segments: fc.array(segment, { maxLength: 20 }), method: fc.constantFrom('GET', 'PUT', 'DELETE', 'POST', 'PATCH', 'OPTIONS') });
    await check('am-publish-paths', arb, async ({ segments, method }: { segments: string[]; method: string }) => {
      const path = `/sts-publish/rest/${segments.join('/')}`;
      const x = await call(`${method} ${path}`, method, path, method === 'GET' || method === 'DELETE' || method === 'OPTIONS' ? undefined : SAMPLE, { iPlanetDirectoryPro: admin });
      judgeAm(x, { path, method });
    }, (m) => t.diagnostic(m));
  });
});

describe('fuzzing the PingAM login and sessions', () => {
  test('hostile credentials, realm paths and session headers and cookies: no 5xx, no session, PingAM\'s body', async (t) => {
    const arb = fc.record({
      user: fc.option(headerText, { nil: undefined }),
      password: fc.option(fc.oneof(headerText, headerText.map((x) => `=?UTF-8?B?${Buffer.from(x).toString('base64')}?=`), headerText.map((x) => `=?UTF-8?Q?${x}?=`)), { nil: undefined }),
      realm: fc.array(fc.oneof(fc.constantFrom('realms', 'root', 'alpha', ''), fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '.', '%'), maxLength: 12 })), { maxLength: 8 }),
      session: fc.option(headerText, { nil: undefined }),
      asCookie: fc.boolean(),
    });
    await check('am-login', arb, async ({ user, password, realm, session, asCookie }: { user?: string; password?: string; realm: string[]; session?: string; asCookie: boolean }) => {
      const headers: Record<string, string> = {};
      if (user !== undefined) headers['X-OpenAM-Username'] = user;
      if (password !== undefined) headers['X-OpenAM-Password'] = password;
      if (session !== undefined) {
        if (asCookie) headers.cookie = `iPlanetDirectoryPro=${session}`;
        else headers.iPlanetDirectoryPro = session;
      }
      const prefix = realm.length ? `/json/${realm.join('/')}` : '/json';
      const login = await call('authenticate', 'POST', `${prefix}/authenticate`, {}, headers);
      judgeAm(login, { headers, realm });
      // No hostile credential is any user's.
      assert.equal(login.json?.tokenId, undefined, login.text.slice(0, 200));
      const out = await call('logout', 'POST', `${prefix}/sessions?_action=logout`, {}, headers);
      judgeAm(out, { headers, realm });
      assert.notEqual(out.status, 200, out.text.slice(0, 200));
      judgeAm(await call('publish', 'GET', '/sts-publish/rest', undefined, headers), { headers });
    }, (m) => t.diagnostic(m));
  });
});

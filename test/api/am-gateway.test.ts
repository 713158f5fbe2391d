/**
 * PingGateway's TokenTransformationFilter, replayed exactly against a real Tessera on SQLite and PostgreSQL: its
 * HeadlessAuthenticationFilter logs in with X-OpenAM-Username/X-OpenAM-Password at `json{realm}/authenticate`
 * (body `{}`), keeps the tokenId, posts the OIDC → SAML2 bearer translate to `rest-sts{realm}/{instance}` with
 * the tokenId in the iPlanetDirectoryPro header, re-authenticates once when that answers 401, and hands
 * `issued_token` downstream (any other status becomes 502, a missing token 500). The gateway below follows the
 * filter's code step by step; the instance requires a caller role, so the session is what lets it through.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { makeIssuer, type TestIssuer } from '../support/oidc.js';
import { CM, NS, assertionOf, createUser, el, judge, metadataCert, publish, text } from '../support/saml-api.js';
import { amFetch, amHeader } from '../support/am.js';

const AGENT = 'ig-agent';
const AGENT_PASSWORD = 'ig-agent-password-1';
const AUDIENCE = 'gateway-client';

interface Exchange {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  status: number;
}

/** The filter's configuration: `openamUri` (slash-ended), `realm` (default "/"), `instance`, credentials. */
interface GatewayConfig {
  openamUri: string;
  realm?: string;
  instance: string;
  username: string;
  password: string;
}

/**
 * TokenTransformationFilter with its HeadlessAuthenticationFilter (OpenIG's openig-openam module), as HTTP:
 * the same URLs, headers, bodies and retry.
 */
class Gateway {
  readonly exchanges: Exchange[] = [];
  private token: string | null = null;
  private readonly realm: string;

  constructor(private readonly cfg: GatewayConfig) {
    this.realm = cfg.realm ?? '/';
  }

  private async send(method: string, url: string, headers: Record<string, string>, body: string): Promise<{ status: number; json: any }> {
    const res = await fetch(url, { method, headers, body });
    const raw = await res.text();
    this.exchanges.push({ method, url, headers, body, status: res.status });
    let json: any = null;
    try {
      json = JSON.parse(raw);
    } catch {
      /* the filter's getJson would fail: no token */
    }
    return { status: res.status, json };
  }

  /** HeadlessAuthenticationFilter: BASE_ENDPOINT "json" + startsWithSlash(realm) + "/authenticate", entity {}. */
  private async authenticate(): Promise<string | null> {
    const realm = this.realm.startsWith('/') ? this.realm : `/${this.realm}`;
    const url = new URL(`json${realm}/authenticate`, this.cfg.openamUri).href;
    const r = await this.send('POST', url, { 'content-type': 'application/json; charset=UTF-8', 'X-OpenAM-Username': this.cfg.username, 'X-OpenAM-Password': this.cfg.password }, '{}');
    this.token = r.status === 200 && r.json ? (r.json.tokenId as string) : null;
    return this.token;
  }

  /** TokenTransformationFilter.Heaplet.transformationEndpoint. */
  private endpoint(): string {
    let sb = 'rest-sts';
    if (!this.realm.startsWith('/')) sb += '/';
    sb += this.realm;
    if (!this.realm.endsWith('/') && !this.cfg.instance.startsWith('/')) sb += '/';
    sb += this.cfg.instance;
    sb += '?_action=translate';
    return new URL(sb, this.cfg.openamUri).href;
  }

  /** One filtered request: the issuedToken handed downstream, or the gateway's own status. */
  async filter(idToken: string): Promise<{ issuedToken?: string; status: number }> {
    // The transformation entity, field by field as the filter builds it.
    const body = JSON.stringify({
      input_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: idToken },
      output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' },
    });
    const withToken = async (token: string | null) =>
      token === null ? null : this.send('POST', this.endpoint(), { 'content-type': 'application/json; charset=UTF-8', iPlanetDirectoryPro: token }, body);
    let r = await withToken(this.token ?? (await this.authenticate()));
    // A 401 is retried once with a fresh SSO token.
    if (r && r.status === 401) r = await withToken(await this.authenticate());
    if (!r) return { status: 500 }; // "Unable to retrieve SSO Token"
    if (r.status !== 200) return { status: 502 };
    const token = r.json?.issued_token;
    return typeof token === 'string' ? { issuedToken: token, status: 200 } : { status: 500 };
  }

  /** What each exchange was: "authenticate 200", "translate 401", … */
  log(): string[] {
    return this.exchanges.map((e) => `${e.url.includes('/authenticate') ? 'authenticate' : 'translate'} ${e.status}`);
  }
}

for (const db of DB_KINDS) {
  describe(`PingGateway's TokenTransformationFilter against Tessera on ${db}`, () => {
    let s: TestServer;
    let idp: TestIssuer;
    const idToken = (sub = 'dinah') => idp.sign(idp.claims(AUDIENCE, { sub, mail: `${sub}@example.org` }));
    const gateway = (realm: string | undefined, instance: string, password = AGENT_PASSWORD) =>
      new Gateway({ openamUri: `${s.url}/`, realm, instance, username: AGENT, password });

    before(async () => {
      s = await startServer({ db });
      idp = makeIssuer({ alg: 'RS256' });
      await createUser(s, AGENT, AGENT_PASSWORD, {}, ['gateway']);
      const instance = (name: string, realm?: string) => ({
        name,
        ...(realm ? { realm } : {}),
        transforms: [{ input: 'OPENIDCONNECT', output: 'SAML2' }],
        callerRoles: ['gateway'],
        oidcTrust: [{ issuer: idp.issuer, audience: [AUDIENCE], jwks: idp.jwks }],
        saml2: { issuer: 'https://tessera.example.com/idp', spEntityId: 'https://app.example.com/sp', spAcsUrl: 'https://app.example.com/acs', attributeMap: { mail: 'mail' } },
      });
      await publish(s, instance('oidc-to-saml', '/my-realm'));
      await publish(s, instance('oidc-to-saml-root'));
    });
    after(async () => {
      await s?.destroy();
    });

    test('realm /my-realm: login with headers at json/my-realm/authenticate, translate with iPlanetDirectoryPro, read issued_token', async () => {
      const g = gateway('/my-realm', 'oidc-to-saml');
      const r = await g.filter(idToken());
      assert.equal(r.status, 200);
      assert.deepEqual(g.log(), ['authenticate 200', 'translate 200']);
      assert.equal(g.exchanges[0]!.url, `${s.url}/json/my-realm/authenticate`);
      assert.equal(g.exchanges[1]!.url, `${s.url}/rest-sts/my-realm/oidc-to-saml?_action=translate`);
      const a = assertionOf(judge(r.issuedToken!, (await metadataCert(s, 'oidc-to-saml')).pem));
      assert.equal(text(el(a, NS.saml, 'NameID')), 'dinah');
      assert.equal(el(a, NS.saml, 'SubjectConfirmation').getAttribute('Method'), CM.BEARER);
      assert.equal(el(a, NS.saml, 'SubjectConfirmationData').getAttribute('Recipient'), 'https://app.example.com/acs');

      // The SSO token is kept: the next request goes straight to the translate.
      assert.equal((await g.filter(idToken('erin'))).status, 200);
      assert.deepEqual(g.log(), ['authenticate 200', 'translate 200', 'translate 200']);
    });

    test('an ended SSO token is 401, and the filter re-authenticates once and succeeds', async () => {
      const g = gateway('/my-realm', 'oidc-to-saml');
      assert.equal((await g.filter(idToken())).status, 200);
      const token = g.exchanges[1]!.headers.iPlanetDirectoryPro!;
      const out = await amFetch(s, 'POST', '/json/my-realm/sessions/?_action=logout', {}, amHeader(token));
      assert.equal(out.status, 200, JSON.stringify(out.body));
      const r = await g.filter(idToken('frank'));
      assert.equal(r.status, 200);
      assert.deepEqual(g.log(), ['authenticate 200', 'translate 200', 'translate 401', 'authenticate 200', 'translate 200']);
      assert.notEqual(g.exchanges[4]!.headers.iPlanetDirectoryPro, token);
      assert.equal(text(el(assertionOf(judge(r.issuedToken!, (await metadataCert(s, 'oidc-to-saml')).pem)), NS.saml, 'NameID')), 'frank');
    });

    test('the root realm: json//authenticate and rest-sts/<instance>', async () => {
      const g = gateway(undefined, 'oidc-to-saml-root');
      const r = await g.filter(idToken());
      assert.equal(r.status, 200);
      assert.equal(g.exchanges[0]!.url, `${s.url}/json//authenticate`);
      assert.equal(g.exchanges[1]!.url, `${s.url}/rest-sts/oidc-to-saml-root?_action=translate`);
    });

    test('what the filter turns into its own errors', async () => {
      // Wrong credentials: no SSO token, nothing sent to the STS.
      const badLogin = gateway('/my-realm', 'oidc-to-saml', 'not-the-password');
      assert.equal((await badLogin.filter(idToken())).status, 500);
      assert.deepEqual(badLogin.log(), ['authenticate 401']);
      // An instance of another realm: Tessera's 404 becomes the gateway's 502.
      const wrongRealm = gateway('/other-realm', 'oidc-to-saml');
      assert.equal((await wrongRealm.filter(idToken())).status, 502);
      assert.deepEqual(wrongRealm.log(), ['authenticate 200', 'translate 404']);
      // An ID token Tessera does not trust: 401 INVALID_TOKEN, retried once with a new session, then 502.
      const untrusted = gateway('/my-realm', 'oidc-to-saml');
      const stranger = makeIssuer({ alg: 'RS256' });
      assert.equal((await untrusted.filter(stranger.sign(stranger.claims(AUDIENCE)))).status, 502);
      assert.deepEqual(untrusted.log(), ['authenticate 200', 'translate 401', 'authenticate 200', 'translate 401']);
    });
  });
}

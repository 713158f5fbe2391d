/**
 * RFC 8693 with two client implementations no one here wrote (API.md §7): oauth4webapi (its discovery,
 * client authentication, genericTokenEndpointRequest and processGenericTokenEndpointResponse, and its RFC 9068
 * resource-server check validateJwtAccessToken) and Python's Authlib (OAuth2Session with Basic, body and
 * RFC 7523 private_key_jwt authentication, and its JOSE verification). ID tokens, access tokens and SAML
 * assertions from a pysaml2 partner IdP go in, access tokens, ID tokens and SAML assertions come out, with and
 * without an actor; each JWT is also verified by PyJWT
 * and each SAML assertion by xmlsec1 and xmllint. On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { publish, pyjwtVerify, uniqueName } from '../support/engine.js';
import { makeIssuer, type TestIssuer } from '../support/oidc.js';
import { metadataCert } from '../support/saml-api.js';
import { xmllintAssertion, xmlsecVerify } from '../support/saml.js';
import { clientKey, createClient, GRANT, TT, type RegisteredClient } from '../support/token-exchange.js';
import { OpensslWorkspace } from '../support/openssl.js';
import { PartnerIdp, Pysaml2Batch } from '../support/saml-partner.js';

const here = dirname(fileURLToPath(import.meta.url));
const AUTHLIB_SCRIPT = [join(here, '..', 'support', 'authlib_exchange.py'), join(here, '..', '..', '..', 'test', 'support', 'authlib_exchange.py')].find((p) => existsSync(p))!;
const SP = 'https://sp.partner.example/saml';
/** The audience the partner IdP addresses its assertions to (Tessera as its SP). */
const TESSERA_SP = 'https://tessera.example/sp';

interface AuthlibAnswer {
  status: number;
  body: Record<string, any>;
  cache_control?: string;
  claims?: Record<string, any>;
  header?: Record<string, any>;
}

function authlib(request: Record<string, unknown>): Promise<AuthlibAnswer> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', [AUTHLIB_SCRIPT], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`authlib: ${stderr.trim() || err.message}`));
      else resolve(JSON.parse(stdout) as AuthlibAnswer);
    });
    child.stdin!.end(JSON.stringify(request));
  });
}

/** The recognizer oauth4webapi needs for RFC 8693's N_A (it knows bearer and DPoP only). */
const recognizedTokenTypes: oauth.RecognizedTokenTypes = { n_a: () => {} };

for (const db of DB_KINDS) {
  describe(`independent RFC 8693 clients (${db})`, () => {
    let s: TestServer;
    let idp: TestIssuer;
    let inst: string;
    let issuer: string;
    let as: oauth.AuthorizationServer;
    let secretClient: RegisteredClient;
    let postClient: RegisteredClient;
    let jwtClient: RegisteredClient;
    let key: ReturnType<typeof clientKey>;
    let idpCert: string;
    let ws: OpensslWorkspace;
    let partner: PartnerIdp;
    /** pysaml2's assertions, each presented once (their IDs are single use), as RFC 8693 saml2 tokens. */
    let saml: Pysaml2Batch;
    const samlToken = (name: string) => Buffer.from(saml.get(name), 'utf8').toString('base64url');
    const insecure = { [oauth.allowInsecureRequests]: true };

    const idToken = (sub = 'alice', extra: Record<string, unknown> = {}) => idp.sign(idp.claims('tessera', { sub, ...extra }));

    before(async () => {
      s = await startServer({ db });
      idp = makeIssuer({ alg: 'ES256' });
      inst = uniqueName('clients');
      issuer = `${s.url}/sts/${inst}`;
      ws = new OpensslWorkspace();
      // A bearer Recipient at the instance's token endpoint, where the assertion is presented.
      partner = new PartnerIdp(ws, 'https://idp.partner.example/saml2', { audience: TESSERA_SP, recipient: `${issuer}/token` });
      saml = new Pysaml2Batch();
      for (const name of ['o4w-at', 'o4w-id', 'o4w-saml-actor', 'authlib-at', 'authlib-saml']) saml.add(name, partner.spec({ name_id: `${name}@partner.example` }));
      await saml.run();
      await publish(s, {
        name: inst,
        transforms: ['OPENIDCONNECT', 'ACCESS_TOKEN', 'SAML2'].flatMap((input) => ['ACCESS_TOKEN', 'OPENIDCONNECT', 'SAML2'].map((output) => ({ input, output }))),
        oidcTrust: [
          { issuer: idp.issuer, audience: ['tessera'], jwks: idp.jwks, acceptAccessTokens: true },
          { issuer, audience: ['https://api.example/orders'], jwksUri: `${issuer}/jwks.json`, acceptAccessTokens: true },
        ],
        saml2Trust: [{ issuer: partner.entityId, certificates: [partner.cert.pem], audience: [TESSERA_SP] }],
        oidc: { audience: ['rp-client'] },
        accessToken: { audience: ['https://api.example/orders'], lifetimeSeconds: 300 },
        saml2: { issuer: 'https://tessera.example/idp', spEntityId: SP, spAcsUrl: 'https://sp.partner.example/acs', lifetimeSeconds: 300 },
        tokenExchange: { audiences: ['https://api.example/orders', 'rp-client'], scopes: ['orders.read'], delegation: { allowed: true } },
      });
      secretClient = await createClient(s, { clientId: 'o4w-basic', authMethod: 'client_secret_basic', instances: [inst], scopes: ['orders.read'] });
      postClient = await createClient(s, { clientId: 'authlib-post', authMethod: 'client_secret_post', instances: [inst] });
      key = clientKey('ES256');
      jwtClient = await createClient(s, { clientId: 'authlib-jwt', authMethod: 'private_key_jwt', jwks: key.jwks, instances: [inst] });
      idpCert = (await metadataCert(s, inst)).pem;
      // oauth4webapi's own discovery: the instance's issuer identifier and its openid-configuration.
      as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), { algorithm: 'oidc', ...insecure }));
    });
    after(async () => {
      await s?.destroy();
      ws?.cleanup();
    });

    async function o4w(params: Record<string, string>, client: RegisteredClient = secretClient) {
      const res = await oauth.genericTokenEndpointRequest(as, { client_id: client.clientId }, oauth.ClientSecretBasic(client.clientSecret!), GRANT, params, insecure);
      return oauth.processGenericTokenEndpointResponse(as, { client_id: client.clientId }, res, { recognizedTokenTypes });
    }

    /** oauth4webapi as a resource server: RFC 9068 checks of an access token (typ, iss, aud, exp, sub, jti, client_id). */
    async function o4wValidate(token: string, audience: string) {
      const request = new Request('https://api.example/orders', { headers: { authorization: `Bearer ${token}` } });
      return oauth.validateJwtAccessToken(as, request, audience, insecure);
    }

    test('discovery names the token endpoint and the grant', () => {
      assert.equal(as.token_endpoint, `${issuer}/token`);
      assert.ok(as.grant_types_supported?.includes(GRANT));
    });

    test('oauth4webapi: ID token → access token, checked by oauth4webapi as a resource server and by PyJWT', async () => {
      const r = await o4w({ subject_token: idToken(), subject_token_type: TT.idToken, audience: 'https://api.example/orders', scope: 'orders.read' });
      assert.equal(r.token_type, 'bearer');
      assert.equal(r.issued_token_type, TT.accessToken);
      assert.equal(r.scope, 'orders.read');
      const claims = await o4wValidate(r.access_token, 'https://api.example/orders');
      assert.equal(claims.sub, 'alice');
      assert.equal(claims.client_id, 'o4w-basic');
      assert.equal(claims.scope, 'orders.read');
      await pyjwtVerify(`${issuer}/jwks.json`, r.access_token, 'https://api.example/orders', issuer);
    });

    test('oauth4webapi: ID token → ID token and → SAML assertion (N_A)', async () => {
      const id = await o4w({ subject_token: idToken(), subject_token_type: TT.idToken, requested_token_type: TT.idToken, audience: 'rp-client' });
      assert.equal(id.token_type, 'n_a');
      assert.equal(id.issued_token_type, TT.idToken);
      assert.equal((await pyjwtVerify(`${issuer}/jwks.json`, id.access_token, 'rp-client', issuer)).sub, 'alice');
      const saml = await o4w({ subject_token: idToken(), subject_token_type: TT.idToken, requested_token_type: TT.saml2 });
      assert.equal(saml.token_type, 'n_a');
      const xml = Buffer.from(saml.access_token, 'base64url').toString('utf8');
      xmlsecVerify(xml, idpCert);
      xmllintAssertion(xml);
    });

    test('oauth4webapi: access token → access token, ID token and SAML, with an actor', async () => {
      const first = await o4w({ subject_token: idToken(), subject_token_type: TT.idToken, audience: 'https://api.example/orders' });
      const actor = idToken('svc-gateway');
      const at = await o4w({ subject_token: first.access_token, subject_token_type: TT.accessToken, actor_token: actor, actor_token_type: TT.idToken, audience: 'https://api.example/orders' });
      const claims = await o4wValidate(at.access_token, 'https://api.example/orders');
      assert.deepEqual(claims.act, { sub: 'svc-gateway', iss: idp.issuer });
      const id = await o4w({ subject_token: first.access_token, subject_token_type: TT.accessToken, actor_token: actor, actor_token_type: TT.idToken, requested_token_type: TT.idToken, audience: 'rp-client' });
      const idClaims = await pyjwtVerify(`${issuer}/jwks.json`, id.access_token, 'rp-client', issuer);
      assert.deepEqual(idClaims.act, { sub: 'svc-gateway', iss: idp.issuer });
      const saml = await o4w({ subject_token: first.access_token, subject_token_type: TT.accessToken, actor_token: actor, actor_token_type: TT.idToken, requested_token_type: TT.saml2 });
      const xml = Buffer.from(saml.access_token, 'base64url').toString('utf8');
      xmlsecVerify(xml, idpCert);
      xmllintAssertion(xml);
      assert.match(xml, /cm:sender-vouches/);
    });

    test('oauth4webapi: a pysaml2 SAML assertion → access token, ID token, and SAML with an actor', async () => {
      const at = await o4w({ subject_token: samlToken('o4w-at'), subject_token_type: TT.saml2, audience: 'https://api.example/orders' });
      assert.equal(at.issued_token_type, TT.accessToken);
      assert.equal((await o4wValidate(at.access_token, 'https://api.example/orders')).sub, 'o4w-at@partner.example');
      await pyjwtVerify(`${issuer}/jwks.json`, at.access_token, 'https://api.example/orders', issuer);
      const id = await o4w({ subject_token: samlToken('o4w-id'), subject_token_type: TT.saml2, requested_token_type: TT.idToken, audience: 'rp-client' });
      assert.equal((await pyjwtVerify(`${issuer}/jwks.json`, id.access_token, 'rp-client', issuer)).sub, 'o4w-id@partner.example');
      const out = await o4w({ subject_token: samlToken('o4w-saml-actor'), subject_token_type: TT.saml2, actor_token: idToken('svc-gateway'), actor_token_type: TT.idToken, requested_token_type: TT.saml2 });
      const xml = Buffer.from(out.access_token, 'base64url').toString('utf8');
      xmlsecVerify(xml, idpCert);
      xmllintAssertion(xml);
      assert.match(xml, /cm:sender-vouches/);
      assert.match(xml, /o4w-saml-actor@partner\.example/);
      // The assertion's ID is single use: presented again, it is refused.
      await assert.rejects(o4w({ subject_token: samlToken('o4w-at'), subject_token_type: TT.saml2 }), (e: unknown) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_grant');
    });

    test('oauth4webapi sees RFC 6749 errors as errors: invalid_target, invalid_grant, invalid_client', async () => {
      await assert.rejects(o4w({ subject_token: idToken(), subject_token_type: TT.idToken, audience: 'https://evil.example' }), (e: unknown) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_target' && e.status === 400);
      await assert.rejects(o4w({ subject_token: idToken().slice(0, -3) + 'AAA', subject_token_type: TT.idToken }), (e: unknown) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_grant');
      // A 401 carries a WWW-Authenticate challenge, which oauth4webapi reports as such (RFC 6749 §5.2).
      await assert.rejects(
        o4w({ subject_token: idToken(), subject_token_type: TT.idToken }, { clientId: 'o4w-basic', clientSecret: 'tcs_wrong' }),
        (e: unknown) => e instanceof oauth.WWWAuthenticateChallengeError && e.status === 401 && e.cause[0]?.scheme === 'basic',
      );
    });

    test('Authlib with client_secret_post: ID token → access token (verified by Authlib JOSE), → ID token, → SAML', async () => {
      const base = { token_endpoint: as.token_endpoint, client_id: postClient.clientId, client_secret: postClient.clientSecret, auth_method: 'client_secret_post', jwks_uri: `${issuer}/jwks.json` };
      const at = await authlib({ ...base, params: { subject_token: idToken(), subject_token_type: TT.idToken }, verify: { audience: 'https://api.example/orders', issuer } });
      assert.equal(at.status, 200, JSON.stringify(at.body));
      assert.equal(at.cache_control, 'no-store');
      assert.equal(at.body.token_type, 'Bearer');
      assert.equal(at.header?.typ, 'at+jwt');
      assert.equal(at.claims?.client_id, 'authlib-post');
      const id = await authlib({ ...base, params: { subject_token: idToken(), subject_token_type: TT.idToken, requested_token_type: TT.idToken }, verify: { audience: 'rp-client', issuer } });
      assert.equal(id.status, 200, JSON.stringify(id.body));
      assert.equal(id.claims?.sub, 'alice');
      const saml = await authlib({ ...base, params: { subject_token: idToken(), subject_token_type: TT.idToken, requested_token_type: TT.saml2 } });
      assert.equal(saml.status, 200, JSON.stringify(saml.body));
      const xml = Buffer.from(saml.body.access_token, 'base64url').toString('utf8');
      xmlsecVerify(xml, idpCert);
      xmllintAssertion(xml);
    });

    test('Authlib with private_key_jwt (RFC 7523): access token in with an actor, out as access token and ID token', async () => {
      const base = { token_endpoint: as.token_endpoint, client_id: jwtClient.clientId, auth_method: 'private_key_jwt', private_key_pem: key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), kid: key.kid, alg: 'ES256', jwks_uri: `${issuer}/jwks.json` };
      const first = await authlib({ ...base, params: { subject_token: idToken(), subject_token_type: TT.idToken } });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const actor = idToken('svc-batch');
      const at = await authlib({ ...base, params: { subject_token: first.body.access_token, subject_token_type: TT.accessToken, actor_token: actor, actor_token_type: TT.idToken }, verify: { audience: 'https://api.example/orders', issuer } });
      assert.equal(at.status, 200, JSON.stringify(at.body));
      assert.deepEqual(at.claims?.act, { sub: 'svc-batch', iss: idp.issuer });
      assert.equal(at.claims?.client_id, 'authlib-jwt');
      const id = await authlib({ ...base, params: { subject_token: first.body.access_token, subject_token_type: TT.accessToken, requested_token_type: TT.idToken }, verify: { audience: 'rp-client', issuer } });
      assert.equal(id.status, 200, JSON.stringify(id.body));
      // Authlib makes a fresh jti for each assertion; a replayed one is refused (token-exchange.test.ts).
      const wrongKey = clientKey('ES256');
      const refused = await authlib({ ...base, private_key_pem: wrongKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), params: { subject_token: idToken(), subject_token_type: TT.idToken } });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error, 'invalid_client');
    });

    test('Authlib: a pysaml2 SAML assertion → access token (verified by Authlib JOSE) and → SAML', async () => {
      const base = { token_endpoint: as.token_endpoint, client_id: postClient.clientId, client_secret: postClient.clientSecret, auth_method: 'client_secret_post', jwks_uri: `${issuer}/jwks.json` };
      const at = await authlib({ ...base, params: { subject_token: samlToken('authlib-at'), subject_token_type: TT.saml2 }, verify: { audience: 'https://api.example/orders', issuer } });
      assert.equal(at.status, 200, JSON.stringify(at.body));
      assert.equal(at.claims?.sub, 'authlib-at@partner.example');
      const out = await authlib({ ...base, params: { subject_token: samlToken('authlib-saml'), subject_token_type: TT.saml2, requested_token_type: TT.saml2 } });
      assert.equal(out.status, 200, JSON.stringify(out.body));
      assert.equal(out.body.issued_token_type, TT.saml2);
      const xml = Buffer.from(out.body.access_token, 'base64url').toString('utf8');
      xmlsecVerify(xml, idpCert);
      xmllintAssertion(xml);
    });

    test('Authlib with client_secret_basic sees the refusals as RFC 6749 errors', async () => {
      const base = { token_endpoint: as.token_endpoint, client_id: secretClient.clientId, client_secret: secretClient.clientSecret, auth_method: 'client_secret_basic' };
      const scope = await authlib({ ...base, params: { subject_token: idToken(), subject_token_type: TT.idToken, scope: 'orders.write' } });
      assert.deepEqual([scope.status, scope.body.error], [400, 'invalid_scope']);
      const mayAct = await authlib({ ...base, params: { subject_token: idToken('alice', { may_act: { sub: 'svc-allowed' } }), subject_token_type: TT.idToken, actor_token: idToken('svc-other'), actor_token_type: TT.idToken } });
      assert.deepEqual([mayAct.status, mayAct.body.error], [400, 'invalid_grant']);
    });
  });
}

/**
 * The RFC 8693 token endpoint end to end (API.md §7), on SQLite and PostgreSQL: plain form posts, every issued
 * JWT verified by PyJWT against the instance's JWK Set, every SAML assertion by xmlsec1 and xmllint; client
 * authentication by secret (Basic and body) and by private_key_jwt; delegation; and every RFC 6749 error the
 * door gives, each with its status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { createUser, decodeJwt, ok, publish, pyjwtVerify, uniqueName } from '../support/engine.js';
import { makeIssuer, type TestIssuer } from '../support/oidc.js';
import { metadataCert } from '../support/saml-api.js';
import { xmllintAssertion, xmlsecVerify } from '../support/saml.js';
import { assertionClaims, clientAssertion, clientKey, createClient, GRANT, JWT_BEARER, tokenRequest, TT, type RegisteredClient } from '../support/token-exchange.js';

const PASSWORD = 'alice-password-1';
const SP = 'https://sp.partner.example/saml';
const ACS = 'https://sp.partner.example/acs';

for (const db of DB_KINDS) {
  describe(`token endpoint (${db})`, () => {
    let s: TestServer;
    let idp: TestIssuer;
    let inst: string;
    let plain: string;
    let guarded: string;
    let basic: RegisteredClient;
    let post: RegisteredClient;
    let jwtClient: RegisteredClient;
    let stranger: RegisteredClient;
    let roleClient: RegisteredClient;
    let key: ReturnType<typeof clientKey>;
    let endpoint: string;
    let idpCert: string;

    const idToken = (extra: Record<string, unknown> = {}) => idp.sign(idp.claims('tessera', extra));
    const exchange = (params: Record<string, string | string[] | undefined>, who: RegisteredClient = basic, url = endpoint) =>
      tokenRequest(url, { grant_type: GRANT, ...params }, { basic: { id: who.clientId, secret: who.clientSecret! } });

    before(async () => {
      s = await startServer({ db });
      idp = makeIssuer({ alg: 'RS256' });
      inst = uniqueName('tx');
      plain = uniqueName('plain');
      guarded = uniqueName('guarded');
      endpoint = `${s.url}/sts/${inst}/token`;
      await createUser(s, 'alice', PASSWORD, { attributes: { mail: 'alice@example.com' } });
      const self = `${s.url}/sts/${inst}`;
      const kinds = ['OPENIDCONNECT', 'ACCESS_TOKEN', 'SESSION'];
      await publish(s, {
        name: inst,
        transforms: kinds.flatMap((input) => ['ACCESS_TOKEN', 'OPENIDCONNECT', 'SAML2'].map((output) => ({ input, output }))),
        oidcTrust: [
          { issuer: idp.issuer, audience: ['tessera'], jwks: idp.jwks, acceptAccessTokens: true },
          // Its own access tokens, exchanged again (delegation chains).
          { issuer: self, audience: ['api://default', 'api://orders'], jwksUri: `${self}/jwks.json`, acceptAccessTokens: true },
        ],
        oidc: { audience: ['rp-client'], claimMap: { email: 'mail' } },
        accessToken: { audience: ['api://default'], lifetimeSeconds: 900, claimMap: { email: 'mail' } },
        saml2: { issuer: 'https://tessera.example/idp', spEntityId: SP, spAcsUrl: ACS, lifetimeSeconds: 300 },
        tokenExchange: {
          audiences: ['api://orders', 'rp-client'],
          resources: ['https://orders.example/api'],
          scopes: ['orders.read', 'orders.write'],
          delegation: { allowed: true, maxChainDepth: 2 },
        },
      });
      await publish(s, { name: plain, transforms: [{ input: 'OPENIDCONNECT', output: 'ACCESS_TOKEN' }], oidcTrust: [{ issuer: idp.issuer, audience: ['tessera'], jwks: idp.jwks }], accessToken: { audience: ['api://plain'] } });
      await publish(s, {
        name: guarded,
        transforms: [{ input: 'OPENIDCONNECT', output: 'ACCESS_TOKEN' }],
        callerRoles: ['exchanger'],
        oidcTrust: [{ issuer: idp.issuer, audience: ['tessera'], jwks: idp.jwks }],
        accessToken: { audience: ['api://guarded'] },
        tokenExchange: { audiences: ['api://guarded'] },
      });
      basic = await createClient(s, { clientId: 'orders-gateway', authMethod: 'client_secret_basic', instances: [inst, plain, guarded], scopes: ['orders.read'] });
      post = await createClient(s, { clientId: 'batch-job', authMethod: 'client_secret_post', instances: [inst] });
      key = clientKey('ES256');
      jwtClient = await createClient(s, { clientId: 'signed-client', authMethod: 'private_key_jwt', jwks: key.jwks, instances: [inst], scopes: ['orders.write'] });
      stranger = await createClient(s, { clientId: 'stranger', authMethod: 'client_secret_basic', instances: [guarded] });
      roleClient = await createClient(s, { clientId: 'trusted-exchanger', authMethod: 'client_secret_basic', instances: [guarded], roles: ['exchanger'] });
      idpCert = (await metadataCert(s, inst)).pem;
    });
    after(async () => {
      await s?.destroy();
    });

    test('an ID token becomes a JWT access token: the RFC 8693 §2.2.1 answer, verified by PyJWT', async () => {
      const r = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken, audience: 'api://orders', scope: 'orders.read' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.equal(r.headers.get('pragma'), 'no-cache');
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(r.body.issued_token_type, TT.accessToken);
      assert.equal(r.body.token_type, 'Bearer');
      assert.equal(r.body.scope, 'orders.read');
      assert.ok(r.body.expires_in > 890 && r.body.expires_in <= 900, String(r.body.expires_in));
      const { header } = decodeJwt(r.body.access_token);
      assert.equal(header.typ, 'at+jwt');
      const claims = await pyjwtVerify(`${s.url}/sts/${inst}/jwks.json`, r.body.access_token, 'api://orders', `${s.url}/sts/${inst}`);
      assert.equal(claims.sub, 'alice');
      assert.equal(claims.aud, 'api://orders');
      assert.equal(claims.client_id, 'orders-gateway');
      assert.equal(claims.scope, 'orders.read');
      assert.equal(claims.email, undefined, 'an upstream subject has no local attributes');
      assert.equal(typeof claims.jti, 'string');
      assert.equal(claims.exp - claims.iat, 900);
      assert.equal(claims.act, undefined);
    });

    test('requested_token_type defaults to an access token; resource and several audiences', async () => {
      const r = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken, audience: ['api://orders'], resource: 'https://orders.example/api' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.issued_token_type, TT.accessToken);
      assert.equal(r.body.scope, undefined, 'nothing asked, nothing granted');
      const { payload } = decodeJwt(r.body.access_token);
      assert.deepEqual(payload.aud, ['api://orders', 'https://orders.example/api']);
      const none = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken });
      assert.equal(none.status, 200);
      assert.equal(decodeJwt(none.body.access_token).payload.aud, 'api://default', 'accessToken.audience without a request');
    });

    test('an ID token becomes an ID token for an allowed audience, verified by PyJWT', async () => {
      const r = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken, requested_token_type: TT.idToken, audience: 'rp-client' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.issued_token_type, TT.idToken);
      assert.equal(r.body.token_type, 'N_A');
      const claims = await pyjwtVerify(`${s.url}/sts/${inst}/jwks.json`, r.body.access_token, 'rp-client', `${s.url}/sts/${inst}`);
      assert.equal(claims.sub, 'alice');
    });

    test('an ID token becomes a SAML assertion (base64url), verified by xmlsec1 and xmllint', async () => {
      const r = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken, requested_token_type: TT.saml2 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.issued_token_type, TT.saml2);
      assert.equal(r.body.token_type, 'N_A');
      assert.match(r.body.access_token, /^[A-Za-z0-9_-]+$/, 'base64url, no padding');
      const xml = Buffer.from(r.body.access_token, 'base64url').toString('utf8');
      xmlsecVerify(xml, idpCert);
      xmllintAssertion(xml);
      assert.match(xml, /<saml:NameID[^>]*>alice<\/saml:NameID>/);
      assert.match(xml, new RegExp(`<saml:Audience>${SP}</saml:Audience>`));
      assert.match(xml, /urn:oasis:names:tc:SAML:2\.0:cm:bearer/);
    });

    test('the jwt token type is read by its typ: an access token in, an ID token in', async () => {
      const at = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken, audience: 'api://orders' });
      const again = await exchange({ subject_token: at.body.access_token, subject_token_type: TT.jwt, requested_token_type: TT.jwt });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.issued_token_type, TT.jwt);
      assert.equal(decodeJwt(again.body.access_token).header.typ, 'at+jwt');
      const id = await exchange({ subject_token: idToken(), subject_token_type: TT.jwt });
      assert.equal(id.status, 200, JSON.stringify(id.body));
      // An ID token is never taken for an access token, nor the other way round.
      const wrong = await exchange({ subject_token: idToken(), subject_token_type: TT.accessToken });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error, 'invalid_grant');
      const wrong2 = await exchange({ subject_token: at.body.access_token, subject_token_type: TT.idToken });
      assert.equal(wrong2.body.error, 'invalid_grant');
    });

    test('a Tessera session is a subject token too', async () => {
      const session = await s.login('alice', PASSWORD);
      const r = await exchange({ subject_token: session, subject_token_type: TT.session, audience: 'api://orders' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const { payload } = decodeJwt(r.body.access_token);
      assert.equal(payload.sub, 'alice');
      assert.equal(payload.email, 'alice@example.com', 'claimMap from the local user');
      assert.deepEqual(payload.amr, ['pwd']);
    });

    test('client_secret_post and private_key_jwt authenticate; the assertion jti is single use', async () => {
      const viaPost = await tokenRequest(endpoint, { grant_type: GRANT, client_id: post.clientId, client_secret: post.clientSecret, subject_token: idToken(), subject_token_type: TT.idToken });
      assert.equal(viaPost.status, 200, JSON.stringify(viaPost.body));
      assert.equal(decodeJwt(viaPost.body.access_token).payload.client_id, 'batch-job');

      const assertion = clientAssertion(key, assertionClaims(jwtClient.clientId, endpoint));
      const params = { grant_type: GRANT, client_assertion_type: JWT_BEARER, client_assertion: assertion, subject_token: idToken(), subject_token_type: TT.idToken, scope: 'orders.write' };
      const signed = await tokenRequest(endpoint, params);
      assert.equal(signed.status, 200, JSON.stringify(signed.body));
      assert.equal(decodeJwt(signed.body.access_token).payload.client_id, 'signed-client');
      assert.equal(signed.body.scope, 'orders.write');
      const replayed = await tokenRequest(endpoint, params);
      assert.equal(replayed.status, 401);
      assert.equal(replayed.body.error, 'invalid_client');
      assert.match(replayed.body.error_description, /already used/);
      // The instance's issuer is an audience the assertion may name too.
      const byIssuer = await tokenRequest(endpoint, { ...params, client_assertion: clientAssertion(key, assertionClaims(jwtClient.clientId, `${s.url}/sts/${inst}`)) });
      assert.equal(byIssuer.status, 200, JSON.stringify(byIssuer.body));
    });

    test('private_key_jwt refusals: wrong audience, expired, too long, other key, alg none, HS256 with the public key', async () => {
      const other = clientKey('ES256');
      const now = Math.floor(Date.now() / 1000);
      const cases: Array<[string, string]> = [
        ['wrong audience', clientAssertion(key, assertionClaims(jwtClient.clientId, 'https://elsewhere.example/token'))],
        ['expired', clientAssertion(key, assertionClaims(jwtClient.clientId, endpoint, { iat: now - 600, exp: now - 120 }))],
        ['expiring in a day', clientAssertion(key, assertionClaims(jwtClient.clientId, endpoint, { exp: now + 86400 }))],
        ['signed by another key', clientAssertion({ ...other, kid: key.kid }, assertionClaims(jwtClient.clientId, endpoint))],
        ['no jti', clientAssertion(key, assertionClaims(jwtClient.clientId, endpoint, { jti: undefined }))],
        ['iss differs from sub', clientAssertion(key, assertionClaims(jwtClient.clientId, endpoint, { iss: 'someone-else' }))],
        ['alg none', `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(assertionClaims(jwtClient.clientId, endpoint))).toString('base64url')}.`],
        ['a secret client presenting an assertion', clientAssertion(key, assertionClaims(basic.clientId, endpoint))],
      ];
      for (const [what, assertion] of cases) {
        const r = await tokenRequest(endpoint, { grant_type: GRANT, client_assertion_type: JWT_BEARER, client_assertion: assertion, subject_token: idToken(), subject_token_type: TT.idToken });
        assert.equal(r.status, 401, `${what}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error, 'invalid_client', what);
        assert.ok(r.headers.get('www-authenticate')?.startsWith('Basic'), what);
      }
    });

    test('delegation: act carries the actor, nested for a chain; may_act is enforced; the chain has a limit', async () => {
      const actor = idp.sign(idp.claims('tessera', { sub: 'svc-orders' }));
      const r = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken, actor_token: actor, actor_token_type: TT.idToken, audience: 'api://orders' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const first = await pyjwtVerify(`${s.url}/sts/${inst}/jwks.json`, r.body.access_token, 'api://orders', `${s.url}/sts/${inst}`);
      assert.equal(first.sub, 'alice');
      assert.deepEqual(first.act, { sub: 'svc-orders', iss: idp.issuer });

      // The delegated token exchanged again by another actor: the new actor outermost, the first one nested.
      const actor2 = idp.sign(idp.claims('tessera', { sub: 'svc-billing' }));
      const r2 = await exchange({ subject_token: r.body.access_token, subject_token_type: TT.accessToken, actor_token: actor2, actor_token_type: TT.idToken, audience: 'api://orders' });
      assert.equal(r2.status, 200, JSON.stringify(r2.body));
      const second = decodeJwt(r2.body.access_token).payload;
      assert.deepEqual(second.act, { sub: 'svc-billing', iss: idp.issuer, act: { sub: 'svc-orders', iss: idp.issuer } });

      // A third actor would make three levels; the instance allows two.
      const actor3 = idp.sign(idp.claims('tessera', { sub: 'svc-third' }));
      const r3 = await exchange({ subject_token: r2.body.access_token, subject_token_type: TT.accessToken, actor_token: actor3, actor_token_type: TT.idToken, audience: 'api://orders' });
      assert.equal(r3.status, 400);
      assert.equal(r3.body.error, 'invalid_grant');
      assert.match(r3.body.error_description, /2/);

      // may_act names who may act: the right actor passes, another is refused.
      const allowed = await exchange({ subject_token: idToken({ may_act: { sub: 'svc-orders' } }), subject_token_type: TT.idToken, actor_token: actor, actor_token_type: TT.idToken });
      assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
      const refused = await exchange({ subject_token: idToken({ may_act: { sub: 'svc-orders' } }), subject_token_type: TT.idToken, actor_token: actor2, actor_token_type: TT.idToken });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_grant');
      assert.match(refused.body.error_description, /may_act/);
      const wrongIss = await exchange({ subject_token: idToken({ may_act: { sub: 'svc-orders', iss: 'https://other.example' } }), subject_token_type: TT.idToken, actor_token: actor, actor_token_type: TT.idToken });
      assert.equal(wrongIss.body.error, 'invalid_grant');

      // An actor token that does not verify is invalid_grant too.
      const forged = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken, actor_token: actor.slice(0, -4) + 'AAAA', actor_token_type: TT.idToken });
      assert.equal(forged.body.error, 'invalid_grant');
    });

    test('delegation into SAML: the actor vouches (sender-vouches), verified by xmlsec1 and xmllint', async () => {
      const actor = idp.sign(idp.claims('tessera', { sub: 'svc-orders' }));
      const r = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken, actor_token: actor, actor_token_type: TT.idToken, requested_token_type: TT.saml2 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const xml = Buffer.from(r.body.access_token, 'base64url').toString('utf8');
      xmlsecVerify(xml, idpCert);
      xmllintAssertion(xml);
      assert.match(xml, /urn:oasis:names:tc:SAML:2\.0:cm:sender-vouches/);
      assert.match(xml, /<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2\.0:cm:sender-vouches"><saml:NameID[^>]*>svc-orders<\/saml:NameID>/);
      const id = /<saml:Assertion [^>]*ID="([^"]+)"/.exec(xml)![1];
      const records = ok(await s.gql('query($i:String){ issuedTokens(instance:$i, first: 50){ tokenId sender type } }', { i: inst }, s.adminToken)).issuedTokens;
      assert.deepEqual(records.find((r: { tokenId: string }) => r.tokenId === id), { tokenId: id, sender: 'svc-orders', type: 'SAML2' });
    });

    test('POST /token picks the one instance whose audiences or resources name the request', async () => {
      const r = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken, resource: 'https://orders.example/api' }, basic, `${s.url}/token`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(decodeJwt(r.body.access_token).payload.iss, `${s.url}/sts/${inst}`);
      const none = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken, audience: 'api://nobody' }, basic, `${s.url}/token`);
      assert.equal(none.status, 400);
      assert.equal(none.body.error, 'invalid_target');
      const missing = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken }, basic, `${s.url}/token`);
      assert.equal(missing.body.error, 'invalid_target');
    });

    test('callerRoles: a client holding the role may exchange; one without it is unauthorized_client', async () => {
      const url = `${s.url}/sts/${guarded}/token`;
      const yes = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken }, roleClient, url);
      assert.equal(yes.status, 200, JSON.stringify(yes.body));
      const no = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken }, stranger, url);
      assert.equal(no.status, 400);
      assert.equal(no.body.error, 'unauthorized_client');
    });

    test('openid-configuration lists the token endpoint, grant, auth methods and accepted token types', async () => {
      const res = await fetch(`${s.url}/sts/${inst}/.well-known/openid-configuration`);
      assert.equal(res.status, 200);
      const doc = (await res.json()) as Record<string, any>;
      assert.equal(doc.token_endpoint, endpoint);
      assert.deepEqual(doc.grant_types_supported, [GRANT]);
      assert.deepEqual([...doc.token_endpoint_auth_methods_supported].sort(), ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
      assert.deepEqual([...doc.token_types_supported].sort(), [TT.accessToken, TT.idToken, TT.jwt, TT.session].sort());
      assert.deepEqual(doc.scopes_supported, ['orders.read', 'orders.write']);
      // An instance without token exchange says nothing of a token endpoint.
      const p = (await (await fetch(`${s.url}/sts/${plain}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      assert.equal(p.token_endpoint, undefined);
    });

    test('every error the door gives, with its status', async () => {
      const subject = { subject_token: idToken(), subject_token_type: TT.idToken };
      const wrongSecret = await tokenRequest(endpoint, { grant_type: GRANT, ...subject }, { basic: { id: basic.clientId, secret: 'tcs_wrong' } });
      const unknown = await tokenRequest(endpoint, { grant_type: GRANT, ...subject }, { basic: { id: 'nobody', secret: 'x' } });
      const anonymous = await tokenRequest(endpoint, { grant_type: GRANT, ...subject });
      const wrongMethod = await tokenRequest(endpoint, { grant_type: GRANT, client_id: basic.clientId, client_secret: basic.clientSecret, ...subject });
      for (const [what, r] of [['wrong secret', wrongSecret], ['unknown client', unknown], ['no client authentication', anonymous], ['a Basic client posting its secret', wrongMethod]] as const) {
        assert.equal(r.status, 401, what);
        assert.equal(r.body.error, 'invalid_client', what);
        assert.ok(r.headers.get('www-authenticate')?.startsWith('Basic'), what);
        assert.equal(r.headers.get('cache-control'), 'no-store', what);
      }
      assert.equal(wrongSecret.body.error_description, unknown.body.error_description, 'the same words whether or not the client exists');

      const cases: Array<[string, Record<string, string | string[] | undefined>, string, RegisteredClient?, string?]> = [
        ['no grant_type', { grant_type: undefined, ...subject }, 'invalid_request'],
        ['another grant', { grant_type: 'client_credentials', ...subject }, 'unsupported_grant_type'],
        ['no subject_token', { subject_token_type: TT.idToken }, 'invalid_request'],
        ['no subject_token_type', { subject_token: idToken() }, 'invalid_request'],
        ['an unknown token type', { subject_token: idToken(), subject_token_type: 'urn:example:unknown' }, 'invalid_request'],
        ['a token type the instance does not take', { subject_token: 'PHNhbWw+', subject_token_type: TT.saml2 }, 'invalid_request'],
        ['a requested type the instance does not issue', { ...subject, requested_token_type: 'urn:example:unknown' }, 'invalid_request'],
        ['actor_token without its type', { ...subject, actor_token: idToken() }, 'invalid_request'],
        ['a subject token that does not verify', { subject_token: idToken().slice(0, -4) + 'AAAA', subject_token_type: TT.idToken }, 'invalid_grant'],
        ['an expired subject token', { subject_token: idp.sign(idp.claims('tessera', {}, new Date(Date.now() - 3600_000))), subject_token_type: TT.idToken }, 'invalid_grant'],
        ['a scope the instance does not issue', { ...subject, scope: 'admin' }, 'invalid_scope'],
        ['a scope the client may not ask for', { ...subject, scope: 'orders.write' }, 'invalid_scope'],
        ['a scope on an ID token', { ...subject, scope: 'orders.read', requested_token_type: TT.idToken }, 'invalid_scope'],
        ['an audience the instance does not allow', { ...subject, audience: 'https://attacker.example' }, 'invalid_target'],
        ['a resource that is not an absolute URI', { ...subject, resource: 'orders' }, 'invalid_target'],
        ['a client not allowed this instance', subject, 'unauthorized_client', stranger],
        ['an instance without token exchange', subject, 'unauthorized_client', basic, `${s.url}/sts/${plain}/token`],
        ['an actor where delegation is off', { ...subject, actor_token: idToken(), actor_token_type: TT.idToken }, 'invalid_request', roleClient, `${s.url}/sts/${guarded}/token`],
        ['an unknown instance', subject, 'invalid_target', basic, `${s.url}/sts/no-such-instance/token`],
      ];
      for (const [what, params, error, who, url] of cases) {
        const r = await tokenRequest(url ?? endpoint, { grant_type: GRANT, ...params }, { basic: { id: (who ?? basic).clientId, secret: (who ?? basic).clientSecret! } });
        assert.equal(r.body.error, error, `${what}: ${JSON.stringify(r.body)}`);
        assert.equal(r.status, 400, what);
        assert.equal(typeof r.body.error_description, 'string', what);
        assert.match(r.body.error_description, /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/, `${what}: RFC 6749 §5.2 characters only`);
        assert.equal(r.headers.get('cache-control'), 'no-store', what);
      }
    });

    test('malformed requests: repeated parameters, two client methods, wrong media type, GET', async () => {
      const auth = { basic: { id: basic.clientId, secret: basic.clientSecret! } };
      const twice = await tokenRequest(endpoint, { grant_type: GRANT, subject_token: [idToken(), idToken()], subject_token_type: TT.idToken }, auth);
      assert.equal(twice.status, 400);
      assert.equal(twice.body.error, 'invalid_request');
      assert.match(twice.body.error_description, /subject_token.*repeated/);
      const two = await tokenRequest(endpoint, { grant_type: GRANT, client_id: basic.clientId, client_secret: basic.clientSecret, subject_token: idToken(), subject_token_type: TT.idToken }, auth);
      assert.equal(two.body.error, 'invalid_request');
      const json = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${basic.clientId}:${basic.clientSecret}`).toString('base64')}` }, body: '{}' });
      assert.equal(json.status, 400);
      assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');
      const get = await fetch(endpoint);
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST');
      assert.equal(((await get.json()) as { error: string }).error, 'invalid_request');
      const huge = await tokenRequest(endpoint, {}, { ...auth, rawBody: `grant_type=${GRANT}&subject_token_type=${TT.idToken}&subject_token=${'a'.repeat(2 * 1024 * 1024)}` });
      assert.equal(huge.status, 400);
      assert.equal(huge.body.error, 'invalid_request');
      const big = await exchange({ subject_token: 'a'.repeat(70 * 1024), subject_token_type: TT.idToken });
      assert.equal(big.body.error, 'invalid_request');
      assert.match(big.body.error_description, /subject_token.*64 KiB/);
    });

    test('every exchange is audited with the client as actor; failed client authentication too', async () => {
      const r = await exchange({ subject_token: idToken(), subject_token_type: TT.idToken, audience: 'api://orders' });
      assert.equal(r.status, 200);
      await tokenRequest(endpoint, { grant_type: GRANT }, { basic: { id: 'mallory', secret: 'guess' } });
      const events = ok(await s.gql('{ auditEvents(first: 50) { action actor target instance outcome inputType outputType } }', {}, s.adminToken)).auditEvents as Array<Record<string, string>>;
      const translate = events.find((e) => e.instance === inst && e.outcome === 'OK' && e.inputType === 'OPENIDCONNECT' && e.outputType === 'ACCESS_TOKEN');
      assert.ok(translate, JSON.stringify(events.slice(0, 5)));
      assert.equal(translate.actor, 'orders-gateway');
      const failed = events.find((e) => e.action === 'clientAuthentication' && e.target === 'mallory');
      assert.equal(failed?.outcome, 'UNAUTHENTICATED');
    });

    test('clients over admin GraphQL: the secret shown once, rotation, update, delete, and refusals', async () => {
      const created = await createClient(s, { clientId: 'rotating', authMethod: 'client_secret_basic', instances: [inst] });
      assert.match(created.clientSecret!, /^tcs_[A-Za-z0-9_-]{43}$/);
      const listed = ok(await s.gql('{ oauthClients { clientId authMethod hasSecret instances scopes roles } }', {}, s.adminToken)).oauthClients as Array<Record<string, unknown>>;
      assert.deepEqual(listed.find((c) => c.clientId === 'rotating'), { clientId: 'rotating', authMethod: 'client_secret_basic', hasSecret: true, instances: [inst], scopes: [], roles: [] });
      assert.ok(!JSON.stringify(listed).includes(created.clientSecret!));
      const subject = { subject_token: idToken(), subject_token_type: TT.idToken };
      assert.equal((await exchange(subject, created)).status, 200);
      const rotated = ok(await s.gql('mutation { rotateOAuthClientSecret(clientId: "rotating") { clientSecret client { hasSecret } } }', {}, s.adminToken)).rotateOAuthClientSecret;
      assert.notEqual(rotated.clientSecret, created.clientSecret);
      assert.equal((await exchange({ ...subject, subject_token: idToken() }, created)).status, 401, 'the old secret stops at once');
      assert.equal((await exchange({ ...subject, subject_token: idToken() }, { clientId: 'rotating', clientSecret: rotated.clientSecret })).status, 200);
      const updated = ok(await s.gql(`mutation { updateOAuthClient(clientId: "rotating", input: { clientId: "rotating", authMethod: "client_secret_basic", instances: ["${inst}"], scopes: ["orders.write"], roles: ["x"] }) { scopes roles hasSecret } }`, {}, s.adminToken)).updateOAuthClient;
      assert.deepEqual(updated, { scopes: ['orders.write'], roles: ['x'], hasSecret: true });
      assert.equal(ok(await s.gql('mutation { deleteOAuthClient(clientId: "rotating") }', {}, s.adminToken)).deleteOAuthClient, true);
      assert.equal((await exchange({ ...subject, subject_token: idToken() }, { clientId: 'rotating', clientSecret: rotated.clientSecret })).status, 401);

      const bad: Array<[Record<string, unknown>, string]> = [
        [{ clientId: 'x y', authMethod: 'client_secret_basic', instances: [inst] }, 'input.clientId'],
        [{ clientId: 'c1', authMethod: 'password', instances: [inst] }, 'input.authMethod'],
        [{ clientId: 'c1', authMethod: 'client_secret_basic', instances: [] }, 'input.instances'],
        [{ clientId: 'c1', authMethod: 'client_secret_basic', instances: ['no-such-instance'] }, 'input.instances[0]'],
        [{ clientId: 'c1', authMethod: 'private_key_jwt', instances: [inst] }, 'input.jwks'],
        [{ clientId: 'c1', authMethod: 'private_key_jwt', instances: [inst], jwks: { keys: [{ ...key.jwks.keys[0], d: 'secret' }] } }, 'input.jwks.keys[0].d'],
        [{ clientId: 'c1', authMethod: 'client_secret_post', instances: [inst], jwks: key.jwks }, 'input.jwks'],
        [{ clientId: 'c1', authMethod: 'client_secret_post', instances: [inst], scopes: ['a b'] }, 'input.scopes[0]'],
        [{ clientId: 'orders-gateway', authMethod: 'client_secret_basic', instances: [inst] }, ''],
      ];
      for (const [input, field] of bad) {
        const r = await s.gql('mutation($i: OAuthClientInput!) { createOAuthClient(input: $i) { clientSecret } }', { i: input }, s.adminToken);
        const e = r.errors?.[0];
        assert.ok(e, JSON.stringify(input));
        if (field) {
          assert.equal(e.extensions?.code, 'BAD_USER_INPUT', `${field}: ${e.message}`);
          assert.equal(e.extensions?.field, field, e.message);
        } else {
          assert.equal(e.extensions?.code, 'CONFLICT', e.message);
        }
      }
      const userToken = await s.login('alice', PASSWORD);
      const forbidden = await s.gql('{ oauthClients { clientId } }', {}, userToken);
      assert.equal(forbidden.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      const notFound = await s.gql('mutation { rotateOAuthClientSecret(clientId: "nobody") { clientSecret } }', {}, s.adminToken);
      assert.equal(notFound.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      const noSecret = await s.gql('mutation { rotateOAuthClientSecret(clientId: "signed-client") { clientSecret } }', {}, s.adminToken);
      assert.equal(noSecret.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      const audit = ok(await s.gql('{ auditEvents(action: "rotateOAuthClientSecret", first: 5) { actor target outcome } }', {}, s.adminToken)).auditEvents;
      assert.deepEqual(audit.map((e: Record<string, string>) => e.outcome).sort(), ['BAD_USER_INPUT', 'NOT_FOUND', 'OK']);
    });

    test('ACCESS_TOKEN at the other doors: REST in and out, GraphQL in, validate and cancel on both', async () => {
      const at = (await exchange({ subject_token: idToken(), subject_token_type: TT.idToken, audience: 'api://orders' })).body.access_token as string;
      const rest = await s.rest(inst, 'translate', {
        input_token_state: { token_type: 'ACCESS_TOKEN', access_token: at },
        output_token_state: { token_type: 'ACCESS_TOKEN', audience: ['api://orders'], scope: 'orders.write' },
      });
      assert.equal(rest.status, 200, JSON.stringify(rest.body));
      const issued = rest.body.issued_token as string;
      const claims = await pyjwtVerify(`${s.url}/sts/${inst}/jwks.json`, issued, 'api://orders', `${s.url}/sts/${inst}`);
      assert.equal(claims.sub, 'alice');
      assert.equal(claims.scope, 'orders.write', 'without a client, the instance alone bounds the scope');
      assert.equal(claims.client_id, inst, 'an anonymous caller: the instance is the client');
      const gql = await s.gql(
        'mutation($i:String!,$in:TokenInput!,$out:TokenOutput!){ translateToken(instance:$i, input:$in, output:$out){ token type } }',
        { i: inst, in: { type: 'ACCESS_TOKEN', accessToken: issued }, out: { type: 'OPENIDCONNECT', audience: ['rp-client'] } },
      );
      assert.equal(ok(gql).translateToken.type, 'OPENIDCONNECT');
      // An ID token is not an access token at the GraphQL door either.
      const wrong = await s.gql(
        'mutation($i:String!,$in:TokenInput!,$out:TokenOutput!){ translateToken(instance:$i, input:$in, output:$out){ token } }',
        { i: inst, in: { type: 'ACCESS_TOKEN', accessToken: idToken() }, out: { type: 'ACCESS_TOKEN' } },
      );
      assert.equal(wrong.errors?.[0]?.extensions?.code, 'INVALID_TOKEN');

      const v = await s.rest(inst, 'validate', { validated_token_state: { token_type: 'ACCESS_TOKEN', access_token: issued } });
      assert.deepEqual([v.status, v.body], [200, { token_valid: true }]);
      const c = await s.rest(inst, 'cancel', { cancelled_token_state: { token_type: 'ACCESS_TOKEN', access_token: issued } });
      assert.equal(c.status, 200, JSON.stringify(c.body));
      const after = ok(await s.gql('mutation($i:String!,$t:String!){ validateToken(instance:$i, type: ACCESS_TOKEN, token:$t){ valid reason } }', { i: inst, t: issued })).validateToken;
      assert.deepEqual(after, { valid: false, reason: 'CANCELLED' });
      // A cancelled access token no longer exchanges.
      const again = await exchange({ subject_token: issued, subject_token_type: TT.accessToken });
      assert.equal(again.body.error, 'invalid_grant');
    });

    test('delegation over GraphQL and PingAM REST: the same engine, the same act', async () => {
      const actor = idp.sign(idp.claims('tessera', { sub: 'svc-orders' }));
      const g = await s.gql(
        'mutation($i:String!,$in:TokenInput!,$out:TokenOutput!,$a:TokenInput){ translateToken(instance:$i, input:$in, output:$out, actor:$a){ token } }',
        { i: inst, in: { type: 'OPENIDCONNECT', idToken: idToken() }, out: { type: 'ACCESS_TOKEN', audience: ['api://orders'] }, a: { type: 'OPENIDCONNECT', idToken: actor } },
      );
      const gt = ok(g).translateToken.token as string;
      assert.deepEqual(decodeJwt(gt).payload.act, { sub: 'svc-orders', iss: idp.issuer });
      const r = await s.rest(inst, 'translate', {
        input_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: idToken() },
        output_token_state: { token_type: 'ACCESS_TOKEN', audience: 'api://orders' },
        actor_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: actor },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(decodeJwt(r.body.issued_token).payload.act, { sub: 'svc-orders', iss: idp.issuer });
      const off = await s.rest(plain, 'translate', {
        input_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: idToken() },
        output_token_state: { token_type: 'ACCESS_TOKEN' },
        actor_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: actor },
      });
      assert.equal(off.status, 400);
      assert.equal(off.body.detail.field, 'actor_token');
    });
  });
}

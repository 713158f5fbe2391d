/**
 * The foundation through the public GraphQL API, on SQLite and PostgreSQL: sessions, users, roles, the publish
 * service, keys, audit, and typed errors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { DB_KINDS, ADMIN_PASSWORD, codeOf, startServer, type TestServer } from '../support/server.js';
import { makeSelfSigned } from '../support/pki.js';

const SAML_INSTANCE = {
  name: 'sp-one',
  transforms: [{ input: 'USERNAME', output: 'SAML2' }],
  saml2: { issuer: 'https://idp.example.com', spEntityId: 'https://sp.example.com', attributeMap: { mail: 'mail' } },
};

const OIDC_INSTANCE = {
  name: 'rp-hs',
  transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }, { input: 'SESSION', output: 'OPENIDCONNECT', invalidateInterimSession: true }],
  oidc: { audience: ['client-a'], signatureAlgorithm: 'HS256', clientSecret: 'x'.repeat(40), claimMap: { email: 'mail' } },
};

const INSTANCE_FIELDS = `id name persistIssuedTokens callerRoles hasClientSecret createdAt updatedAt
  transforms { input output invalidateInterimSession }
  saml2 { issuer spEntityId nameIdFormat lifetimeSeconds signAssertion signatureAlgorithm attributeMap }
  oidc { issuer audience signatureAlgorithm hasClientSecret claimMap lifetimeSeconds }
  endpoints { rest jwks openidConfiguration samlMetadata }`;

for (const db of DB_KINDS) {
  describe(`foundation on ${db}`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer({ db });
    });
    after(async () => {
      await s?.destroy();
    });

    test('login gives an opaque session; me, logout', async () => {
      const r = await s.gql('mutation { login(username:"admin", password:"' + ADMIN_PASSWORD + '") { token expiresAt user { username roles } } }');
      assert.equal(r.errors, undefined);
      const token = r.data.login.token as string;
      assert.match(token, /^tsn_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(r.data.login.user, { username: 'admin', roles: ['admin'] });
      assert.ok(new Date(r.data.login.expiresAt).getTime() > Date.now() + 3500_000);
      const me = await s.gql('{ me { username } }', {}, token);
      assert.equal(me.data.me.username, 'admin');
      assert.equal((await s.gql('{ me { username } }')).data.me, null);
      assert.equal((await s.gql('mutation { logout }', {}, token)).data.logout, true);
      const after = await s.gql('{ me { username } }', {}, token);
      assert.equal(codeOf(after), 'UNAUTHENTICATED');
    });

    test('unknown user and wrong password fail alike', async () => {
      const a = await s.gql('mutation { login(username:"nobody", password:"whatever-1") { token } }');
      const b = await s.gql('mutation { login(username:"admin", password:"wrong-password") { token } }');
      assert.equal(codeOf(a), 'UNAUTHENTICATED');
      assert.equal(codeOf(b), 'UNAUTHENTICATED');
      assert.equal(a.errors![0].message, b.errors![0].message);
    });

    test('admin-only operations: anonymous UNAUTHENTICATED, non-admin FORBIDDEN', async () => {
      const c = await s.gql('mutation($i:UserInput!){ createUser(input:$i){ id username roles attributes } }', {
        i: { username: 'bob', password: 'bob-password', roles: ['user'], attributes: { mail: 'bob@example.com', memberOf: ['a', 'b'] } },
      }, s.adminToken);
      assert.equal(c.errors, undefined);
      assert.deepEqual(c.data.createUser.attributes, { mail: 'bob@example.com', memberOf: ['a', 'b'] });
      const bob = await s.login('bob', 'bob-password');
      for (const q of ['{ users { username } }', '{ instances { name } }', '{ keys { kid } }', '{ auditEvents { action } }', '{ issuedTokens { tokenId } }', '{ samlPlugins { name } }']) {
        assert.equal(codeOf(await s.gql(q)), 'UNAUTHENTICATED', q);
        assert.equal(codeOf(await s.gql(q, {}, bob)), 'FORBIDDEN', q);
      }
      assert.equal(codeOf(await s.gql('mutation { generateKey(algorithm:"ES256") { kid } }', {}, bob)), 'FORBIDDEN');
      assert.equal(codeOf(await s.gql('{ me { username } }', {}, 'tsn_invalid')), 'UNAUTHENTICATED');
    });

    test('createUser validates input and refuses a taken name', async () => {
      const mk = (i: Record<string, unknown>) => s.gql('mutation($i:UserInput!){ createUser(input:$i){ id } }', { i }, s.adminToken);
      assert.equal(codeOf(await mk({ username: 'carol', password: 'short' })), 'BAD_USER_INPUT');
      assert.equal(codeOf(await mk({ username: 'bad name', password: 'long-enough' })), 'BAD_USER_INPUT');
      assert.equal(codeOf(await mk({ username: 'carol', password: 'long-enough', attributes: { mail: 5 } })), 'BAD_USER_INPUT');
      assert.equal(codeOf(await mk({ username: 'carol', password: 'long-enough', roles: ['Admin!'] })), 'BAD_USER_INPUT');
      assert.equal((await mk({ username: 'carol', password: 'long-enough' })).errors, undefined);
      assert.equal(codeOf(await mk({ username: 'carol', password: 'long-enough' })), 'CONFLICT');
      const users = await s.gql('{ users { username } }', {}, s.adminToken);
      assert.ok(users.data.users.some((u: { username: string }) => u.username === 'carol'));
    });

    test('changePassword ends other sessions; deleteUser ends all of them', async () => {
      await s.gql('mutation($i:UserInput!){ createUser(input:$i){ id } }', { i: { username: 'dave', password: 'dave-password' } }, s.adminToken);
      const t1 = await s.login('dave', 'dave-password');
      const t2 = await s.login('dave', 'dave-password');
      assert.equal(codeOf(await s.gql('mutation { changePassword(oldPassword:"nope-nope", newPassword:"dave-new-password") }', {}, t1)), 'UNAUTHENTICATED');
      assert.equal((await s.gql('mutation { changePassword(oldPassword:"dave-password", newPassword:"dave-new-password") }', {}, t1)).data.changePassword, true);
      assert.equal(codeOf(await s.gql('{ me { username } }', {}, t2)), 'UNAUTHENTICATED');
      assert.equal((await s.gql('{ me { username } }', {}, t1)).data.me.username, 'dave');
      await s.login('dave', 'dave-new-password');
      assert.equal((await s.gql('mutation { deleteUser(username:"dave") }', {}, s.adminToken)).data.deleteUser, true);
      assert.equal(codeOf(await s.gql('{ me { username } }', {}, t1)), 'UNAUTHENTICATED');
      assert.equal(codeOf(await s.gql('mutation { deleteUser(username:"dave") }', {}, s.adminToken)), 'NOT_FOUND');
    });

    test('failed logins are throttled per user and address; a correct password is refused while throttled', async () => {
      await s.gql('mutation($i:UserInput!){ createUser(input:$i){ id } }', { i: { username: 'erin', password: 'erin-password' } }, s.adminToken);
      for (let i = 0; i < 5; i++) {
        assert.equal(codeOf(await s.gql('mutation { login(username:"erin", password:"wrong-one") { token } }')), 'UNAUTHENTICATED');
      }
      const r = await s.gql('mutation { login(username:"erin", password:"erin-password") { token } }');
      assert.equal(codeOf(r), 'RATE_LIMITED');
      assert.ok((r.errors![0].extensions!.retryAfter as number) > 0);
      // Another user from the same address is not affected.
      assert.ok(await s.login('admin', ADMIN_PASSWORD));
    });

    test('publish, read, update, delete an instance; secrets never returned', async () => {
      const p = await s.gql(`mutation($i:InstanceInput!){ publishInstance(input:$i){ ${INSTANCE_FIELDS} } }`, { i: OIDC_INSTANCE }, s.adminToken);
      assert.equal(p.errors, undefined, JSON.stringify(p.errors));
      const inst = p.data.publishInstance;
      assert.equal(inst.name, 'rp-hs');
      assert.equal(inst.hasClientSecret, true);
      assert.equal(inst.oidc.hasClientSecret, true);
      assert.equal(inst.oidc.issuer, `${s.url}/sts/rp-hs`);
      assert.equal(inst.persistIssuedTokens, true);
      assert.deepEqual(inst.endpoints, {
        rest: `${s.url}/rest-sts/rp-hs`,
        jwks: `${s.url}/sts/rp-hs/jwks.json`,
        openidConfiguration: `${s.url}/sts/rp-hs/.well-known/openid-configuration`,
        samlMetadata: `${s.url}/sts/rp-hs/saml-metadata.xml`,
      });
      assert.ok(!JSON.stringify(p).includes('x'.repeat(40)));

      // The endpoint exists as soon as it is published.
      const t = await s.rest('rp-hs', 'translate', {
        input_token_state: { token_type: 'USERNAME', username: 'admin', password: ADMIN_PASSWORD },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(t.status, 200, JSON.stringify(t.body));
      assert.match(t.body.issued_token, /^eyJ/);

      assert.equal(codeOf(await s.gql('mutation($i:InstanceInput!){ publishInstance(input:$i){ id } }', { i: OIDC_INSTANCE }, s.adminToken)), 'CONFLICT');

      // Full replacement; the omitted client secret keeps its value.
      const upd = { ...OIDC_INSTANCE, oidc: { audience: ['client-b'], signatureAlgorithm: 'HS256', lifetimeSeconds: 120 } };
      const u = await s.gql(`mutation($i:InstanceInput!){ updateInstance(name:"rp-hs", input:$i){ ${INSTANCE_FIELDS} } }`, { i: upd }, s.adminToken);
      assert.equal(u.errors, undefined, JSON.stringify(u.errors));
      assert.deepEqual(u.data.updateInstance.oidc.audience, ['client-b']);
      assert.equal(u.data.updateInstance.oidc.hasClientSecret, true);
      assert.equal(u.data.updateInstance.oidc.lifetimeSeconds, 120);
      assert.equal(u.data.updateInstance.id, inst.id);
      assert.deepEqual(u.data.updateInstance.oidc.claimMap, {});

      const read = await s.gql(`{ instance(name:"rp-hs"){ ${INSTANCE_FIELDS} } }`, {}, s.adminToken);
      assert.deepEqual(read.data.instance.oidc.audience, ['client-b']);
      const list = await s.gql('{ instances { name } }', {}, s.adminToken);
      assert.ok(list.data.instances.some((i: { name: string }) => i.name === 'rp-hs'));

      assert.equal(codeOf(await s.gql('mutation($i:InstanceInput!){ updateInstance(name:"rp-hs", input:$i){ id } }', { i: { ...upd, name: 'other' } }, s.adminToken)), 'BAD_USER_INPUT');
      assert.equal(codeOf(await s.gql('mutation($i:InstanceInput!){ updateInstance(name:"nope", input:$i){ id } }', { i: { ...upd, name: 'nope' } }, s.adminToken)), 'NOT_FOUND');

      assert.equal((await s.gql('mutation { deleteInstance(name:"rp-hs") }', {}, s.adminToken)).data.deleteInstance, true);
      assert.equal((await s.gql('{ instance(name:"rp-hs"){ id } }', {}, s.adminToken)).data.instance, null);
      assert.equal(codeOf(await s.gql('mutation { deleteInstance(name:"rp-hs") }', {}, s.adminToken)), 'NOT_FOUND');
      const gone = await s.rest('rp-hs', 'translate', {
        input_token_state: { token_type: 'USERNAME', username: 'admin', password: ADMIN_PASSWORD },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body.detail, { code: 'NOT_FOUND' });
    });

    test('publish-time validation names the field and writes nothing', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ ...SAML_INSTANCE, name: 'Bad_Name' }, 'name'],
        [{ ...SAML_INSTANCE, transforms: [] }, 'transforms'],
        [{ ...SAML_INSTANCE, saml2: undefined }, 'saml2'],
        [{ ...SAML_INSTANCE, saml2: { ...SAML_INSTANCE.saml2, lifetimeSeconds: 0 } }, 'lifetimeSeconds'],
        [{ ...SAML_INSTANCE, saml2: { ...SAML_INSTANCE.saml2, signatureAlgorithm: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' } }, 'signatureAlgorithm'],
        [{ ...SAML_INSTANCE, saml2: { ...SAML_INSTANCE.saml2, encryptAssertion: true } }, 'spEncryptionCertificate'],
        [{ ...OIDC_INSTANCE, oidc: { ...OIDC_INSTANCE.oidc, clientSecret: 'short' } }, 'clientSecret'],
        [{ ...OIDC_INSTANCE, oidc: { ...OIDC_INSTANCE.oidc, claimMap: { sub: 'mail' } } }, 'claimMap'],
        [{ ...OIDC_INSTANCE, name: 'oidc-in', transforms: [{ input: 'OPENIDCONNECT', output: 'OPENIDCONNECT' }] }, 'oidcTrust'],
      ];
      for (const [input, field] of cases) {
        const r = await s.gql('mutation($i:InstanceInput!){ publishInstance(input:$i){ id } }', { i: input }, s.adminToken);
        assert.equal(codeOf(r), 'BAD_USER_INPUT', `${field}: ${JSON.stringify(r)}`);
        assert.ok(String(r.errors![0].extensions!.field).includes(field), `${field} vs ${r.errors![0].extensions!.field}`);
      }
      const list = await s.gql('{ instances { name } }', {}, s.adminToken);
      assert.ok(!list.data.instances.some((i: { name: string }) => ['bad_name', 'sp-one', 'oidc-in'].includes(i.name)));
    });

    test('an encrypting SAML instance needs an RSA SP certificate and keeps it', async () => {
      const sp = await makeSelfSigned({ cn: 'sp.example.com' });
      const input = { ...SAML_INSTANCE, name: 'sp-enc', saml2: { ...SAML_INSTANCE.saml2, encryptAssertion: true, spEncryptionCertificate: sp.certPem } };
      const r = await s.gql('mutation($i:InstanceInput!){ publishInstance(input:$i){ saml2 { encryptAssertion dataEncryptionAlgorithm keyTransportAlgorithm } } }', { i: input }, s.adminToken);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      assert.equal(r.data.publishInstance.saml2.dataEncryptionAlgorithm, 'http://www.w3.org/2009/xmlenc11#aes256-gcm');
      const bad = { ...input, name: 'sp-enc2', saml2: { ...input.saml2, spEncryptionCertificate: 'not a pem' } };
      assert.equal(codeOf(await s.gql('mutation($i:InstanceInput!){ publishInstance(input:$i){ id } }', { i: bad }, s.adminToken)), 'BAD_USER_INPUT');
    });

    test('keys: generate, rotate (old one stays published), retire; no private material', async () => {
      const g = await s.gql('mutation { generateKey(algorithm:"ES256") { kid algorithm status publicJwk certificate createdAt } }', {}, s.adminToken);
      assert.equal(g.errors, undefined, JSON.stringify(g.errors));
      const k = g.data.generateKey;
      assert.equal(k.algorithm, 'ES256');
      assert.equal(k.status, 'ACTIVE');
      assert.equal(k.publicJwk.kty, 'EC');
      assert.equal(k.publicJwk.d, undefined);
      assert.match(k.certificate, /^-----BEGIN CERTIFICATE-----/);
      for (const alg of ['RS256-3072', 'PS256', 'EdDSA', 'RS512']) {
        const r = await s.gql(`mutation { generateKey(algorithm:"${alg}") { algorithm } }`, {}, s.adminToken);
        assert.equal(r.errors, undefined, alg);
      }
      assert.equal(codeOf(await s.gql('mutation { generateKey(algorithm:"HS256") { kid } }', {}, s.adminToken)), 'BAD_USER_INPUT');

      const rot = await s.gql(`mutation { rotateKey(kid:"${k.kid}") { kid algorithm status } }`, {}, s.adminToken);
      assert.equal(rot.data.rotateKey.algorithm, 'ES256');
      assert.notEqual(rot.data.rotateKey.kid, k.kid);
      const keys = (await s.gql('{ keys { kid status algorithm } }', {}, s.adminToken)).data.keys as Array<{ kid: string; status: string }>;
      assert.equal(keys.find((x) => x.kid === k.kid)!.status, 'PUBLISHED');
      assert.equal(keys.find((x) => x.kid === rot.data.rotateKey.kid)!.status, 'ACTIVE');

      // A published (rotated-out) key still verifies: it is in the instance JWKS until retired.
      await s.gql('mutation($i:InstanceInput!){ publishInstance(input:$i){ id } }', {
        i: { name: 'rp-es', transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }], oidc: { audience: ['c'], signatureAlgorithm: 'ES256' } },
      }, s.adminToken);
      const jwks1 = (await (await fetch(`${s.url}/sts/rp-es/jwks.json`)).json()) as { keys: Array<{ kid: string; d?: string }> };
      assert.ok(jwks1.keys.some((x) => x.kid === k.kid));
      assert.ok(jwks1.keys.some((x) => x.kid === rot.data.rotateKey.kid));
      assert.ok(jwks1.keys.every((x) => x.d === undefined));
      const ret = await s.gql(`mutation { retireKey(kid:"${k.kid}") { status } }`, {}, s.adminToken);
      assert.equal(ret.data.retireKey.status, 'RETIRED');
      const jwks2 = (await (await fetch(`${s.url}/sts/rp-es/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      assert.ok(!jwks2.keys.some((x) => x.kid === k.kid));
      assert.equal(codeOf(await s.gql('mutation { rotateKey(kid:"nope") { kid } }', {}, s.adminToken)), 'NOT_FOUND');
      const all = JSON.stringify((await s.gql('{ keys { kid algorithm status publicJwk certificate } }', {}, s.adminToken)).data);
      assert.ok(!/PRIVATE KEY|"d":/.test(all));
    });

    test('list sizes are bounded: issuedTokens and auditEvents refuse an out-of-range first', async () => {
      for (const q of ['{ issuedTokens(first: 0) { tokenId } }', '{ issuedTokens(first: 501) { tokenId } }', '{ auditEvents(first: 0) { action } }', '{ auditEvents(first: 1001) { action } }']) {
        const r = await s.gql(q, {}, s.adminToken);
        assert.equal(codeOf(r), 'BAD_USER_INPUT', q);
        assert.equal(r.errors![0].extensions!.field, 'first');
      }
    });

    test('a default RSA signing key exists after the first start', async () => {
      const keys = (await s.gql('{ keys { algorithm status } }', {}, s.adminToken)).data.keys as Array<{ algorithm: string; status: string }>;
      assert.ok(keys.some((k) => k.algorithm === 'RS256' && k.status === 'ACTIVE'));
    });

    test('administration leaves audit events without secrets', async () => {
      const ev = (await s.gql('{ auditEvents(first: 500) { at action actor instance target outcome clientAddress } }', {}, s.adminToken)).data.auditEvents as Array<Record<string, string>>;
      const actions = new Set(ev.map((e) => `${e.action}:${e.outcome}`));
      for (const a of ['login:OK', 'login:UNAUTHENTICATED', 'login:RATE_LIMITED', 'createUser:OK', 'createUser:CONFLICT', 'deleteUser:OK', 'publishInstance:OK', 'publishInstance:BAD_USER_INPUT', 'updateInstance:OK', 'deleteInstance:OK', 'generateKey:OK', 'rotateKey:OK', 'retireKey:OK', 'changePassword:OK']) {
        assert.ok(actions.has(a), `missing audit ${a}`);
      }
      assert.ok(ev.every((e) => e.at && e.clientAddress));
      const times = ev.map((e) => new Date(e.at).getTime());
      assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
      const text = JSON.stringify(ev);
      for (const secret of [ADMIN_PASSWORD, 'dave-password', 'x'.repeat(40), 'tsn_']) assert.ok(!text.includes(secret), secret);
      const one = (await s.gql('{ auditEvents(instance:"rp-es", first: 10) { instance } }', {}, s.adminToken)).data.auditEvents as Array<{ instance: string }>;
      assert.ok(one.length > 0 && one.every((e) => e.instance === 'rp-es'));
    });
  });
}

test('scrypt hashes verify and differ per salt', async () => {
  const { hashPassword, verifyPassword } = await import('../../src/identity/password.js');
  const a = await hashPassword('correct horse', { logN: 10, r: 8, p: 1 });
  const b = await hashPassword('correct horse', { logN: 10, r: 8, p: 1 });
  assert.notEqual(a, b);
  assert.ok(await verifyPassword('correct horse', a));
  assert.ok(!(await verifyPassword('correct horsE', a)));
  assert.ok(!(await verifyPassword('x', 'garbage')));
  void generateKeyPairSync;
});

/**
 * Realms end to end, on SQLite and PostgreSQL: an instance's optional `realm` (GraphQL and AM's
 * deployment-realm), the REST STS at `/rest-sts/<realm path>/<instance>` serving only that realm's instances
 * (`root` and no path being the root realm), the publish service addressing `<realm path>/<instance>`, the
 * endpoints and metadata that name the REST URL, and names unique across realms.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { createUser, fetchMetadata, parseXml, els, NS } from '../support/saml-api.js';
import { amFetch, amHeader, amLogin, assertAmError, publishSample, readState, restAt } from '../support/am.js';

const PASSWORD = 'erin-password-1';
const PUBLISH = `mutation($i: InstanceInput!) { publishInstance(input: $i) { name realm endpoints { rest } } }`;
const UPDATE = `mutation($n: String!, $i: InstanceInput!) { updateInstance(name: $n, input: $i) { name realm endpoints { rest } } }`;
const TRANSLATE = {
  input_token_state: { token_type: 'USERNAME', username: 'erin', password: PASSWORD },
  output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
};

function instance(name: string, realm?: string | null): Record<string, unknown> {
  return {
    name,
    ...(realm !== undefined ? { realm } : {}),
    transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }, { input: 'USERNAME', output: 'SAML2' }],
    oidc: { audience: ['rp'] },
    saml2: { issuer: `https://tessera.example.com/${name}`, spEntityId: 'https://sp.example.com' },
  };
}

for (const db of DB_KINDS) {
  describe(`realms on ${db}`, () => {
    let s: TestServer;
    let admin: string;

    before(async () => {
      s = await startServer({ db });
      await createUser(s, 'erin', PASSWORD);
      admin = await amLogin(s, 'admin', 'admin-password-for-tests');
    });
    after(async () => {
      await s?.destroy();
    });

    test('GraphQL takes a realm in every spelling and shows it as AM writes it, with the REST URL that serves it', async () => {
      const CASES: Array<[string, unknown, string | null, string]> = [
        ['in-root', undefined, null, 'in-root'],
        ['in-root-too', 'root', null, 'in-root-too'],
        ['in-slash', '/', null, 'in-slash'],
        ['in-alpha', '/alpha', '/alpha', 'alpha/in-alpha'],
        ['in-deep', 'root/fred/bobo/', '/fred/bobo', 'fred/bobo/in-deep'],
      ];
      for (const [name, realm, shown, path] of CASES) {
        const r = await s.gql(PUBLISH, { i: instance(name, realm as string | undefined) }, s.adminToken);
        assert.equal(r.errors, undefined, JSON.stringify(r.errors));
        assert.equal(r.data.publishInstance.realm, shown);
        assert.equal(r.data.publishInstance.endpoints.rest, `${s.url}/rest-sts/${path}`);
      }
      const bad = await s.gql(PUBLISH, { i: instance('bad-realm', '/al pha') }, s.adminToken);
      assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.match(bad.errors![0]!.message, /^input\.realm: /);
    });

    // Each row: a REST STS path and whether it serves (200) or which realm the 404 says the instance is in.
    const PATHS: Array<[string, number, RegExp?]> = [
      ['/rest-sts/in-root', 200],
      ['/rest-sts/root/in-root', 200],
      ['/rest-sts/alpha/in-root', 404, /in-root is published in the root realm/],
      ['/rest-sts/alpha/in-alpha', 200],
      ['/rest-sts/root/alpha/in-alpha', 200],
      ['/rest-sts/in-alpha', 404, /in-alpha is published in the realm \/alpha/],
      ['/rest-sts/beta/in-alpha', 404, /published in the realm \/alpha/],
      ['/rest-sts/alpha/beta/in-alpha', 404],
      ['/rest-sts/fred/bobo/in-deep', 200],
      ['/rest-sts/fred/in-deep', 404, /published in the realm \/fred\/bobo/],
      ['/rest-sts/bobo/in-deep', 404],
    ];
    for (const [path, status, message] of PATHS) {
      test(`POST ${path} → ${status}`, async () => {
        const r = await restAt(s, path, 'translate', TRANSLATE);
        if (status === 200) {
          assert.equal(r.status, 200, JSON.stringify(r.body));
          assert.equal(typeof r.body.issued_token, 'string');
        } else {
          assertAmError(r, status, 'NOT_FOUND');
          if (message) assert.match(r.body.message, message);
        }
      });
    }

    test('validate and cancel answer at the realm path too, and nowhere else', async () => {
      const issued = (await restAt(s, '/rest-sts/alpha/in-alpha', 'translate', TRANSLATE)).body.issued_token as string;
      const state = { token_type: 'OPENIDCONNECT', oidc_id_token: issued };
      assertAmError(await restAt(s, '/rest-sts/in-alpha', 'validate', { validated_token_state: state }), 404, 'NOT_FOUND');
      assert.deepEqual((await restAt(s, '/rest-sts/alpha/in-alpha', 'validate', { validated_token_state: state })).body, { token_valid: true });
      assertAmError(await restAt(s, '/rest-sts/in-alpha', 'cancel', { cancelled_token_state: state }), 404, 'NOT_FOUND');
      assert.equal((await restAt(s, '/rest-sts/alpha/in-alpha', 'cancel', { cancelled_token_state: state })).status, 200);
      assert.deepEqual((await restAt(s, '/rest-sts/alpha/in-alpha', 'validate', { validated_token_state: state })).body, { token_valid: false });
    });

    test('the SAML metadata names the realm path as its endpoint; the metadata itself stays at /sts/<instance>', async () => {
      const m = await fetchMetadata(s, 'in-alpha');
      assert.equal(m.status, 200);
      const sso = els(parseXml(m.body), NS.md, 'SingleSignOnService');
      assert.equal(sso[0]!.getAttribute('Location'), `${s.url}/rest-sts/alpha/in-alpha`);
    });

    test('the publish service addresses <realm path>/<instance>; root names the root realm', async () => {
      assert.equal(readState(await amFetch(s, 'GET', '/sts-publish/rest/alpha/in-alpha', undefined, amHeader(admin)), 'alpha/in-alpha')['deployment-config']['deployment-realm'], '/alpha');
      assert.equal(readState(await amFetch(s, 'GET', '/sts-publish/rest/root/alpha/in-alpha', undefined, amHeader(admin)), 'alpha/in-alpha')['deployment-config']['deployment-url-element'], 'in-alpha');
      readState(await amFetch(s, 'GET', '/sts-publish/rest/root/in-root', undefined, amHeader(admin)), 'in-root');
      readState(await amFetch(s, 'GET', '/sts-publish/rest/fred/bobo/in-deep/', undefined, amHeader(admin)), 'fred/bobo/in-deep');
      assertAmError(await amFetch(s, 'GET', '/sts-publish/rest/in-alpha', undefined, amHeader(admin)), 404, 'NOT_FOUND');
      assertAmError(await amFetch(s, 'DELETE', '/sts-publish/rest/beta/in-alpha', undefined, amHeader(admin)), 404, 'NOT_FOUND');
      const list = await amFetch(s, 'GET', '/sts-publish/rest', undefined, amHeader(admin));
      for (const id of ['in-root', 'alpha/in-alpha', 'fred/bobo/in-deep']) assert.equal(typeof list.body[id], 'string', id);
    });

    test('AM publishes into a realm that needs no creation; a name taken in another realm is 409 naming where', async () => {
      const body = publishSample();
      body.instance_state['deployment-config']['deployment-url-element'] = 'in-alpha';
      body.instance_state['deployment-config']['deployment-realm'] = '/gamma';
      delete body.instance_state['custom-token-transforms'];
      const taken = await amFetch(s, 'POST', '/sts-publish/rest?_action=create', body, amHeader(admin));
      assertAmError(taken, 409, 'CONFLICT');
      assert.match(taken.body.message, /already published \(alpha\/in-alpha\)/);
      body.instance_state['deployment-config']['deployment-url-element'] = 'in-gamma';
      const created = await amFetch(s, 'POST', '/sts-publish/rest?_action=create', body, amHeader(admin));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body._id, 'gamma/in-gamma');
      const t = await restAt(s, '/rest-sts/gamma/in-gamma', 'translate', { ...TRANSLATE, output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' } });
      assert.equal(t.status, 200, JSON.stringify(t.body));
      const gql = await s.gql('{ instance(name: "in-gamma") { realm } }', {}, s.adminToken);
      assert.equal(gql.data.instance.realm, '/gamma');
      const del = await amFetch(s, 'DELETE', '/sts-publish/rest/gamma/in-gamma', undefined, amHeader(admin));
      assert.equal(del.body.result, 'rest sts instance gamma/in-gamma successfully removed from realm /gamma');
    });

    test('updateInstance may move an instance to another realm; the old path stops serving it', async () => {
      const r = await s.gql(UPDATE, { n: 'in-deep', i: instance('in-deep', '/beta') }, s.adminToken);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      assert.equal(r.data.updateInstance.endpoints.rest, `${s.url}/rest-sts/beta/in-deep`);
      assert.equal((await restAt(s, '/rest-sts/beta/in-deep', 'translate', TRANSLATE)).status, 200);
      assertAmError(await restAt(s, '/rest-sts/fred/bobo/in-deep', 'translate', TRANSLATE), 404, 'NOT_FOUND');
      // Full replacement: no realm is the root realm.
      const back = await s.gql(UPDATE, { n: 'in-deep', i: instance('in-deep') }, s.adminToken);
      assert.equal(back.data.updateInstance.realm, null);
      assert.equal((await restAt(s, '/rest-sts/in-deep', 'translate', TRANSLATE)).status, 200);
    });

    test('a path segment that is no realm name is no endpoint', async () => {
      const r = await restAt(s, '/rest-sts/al%20pha/in-alpha', 'translate', TRANSLATE);
      assertAmError(r, 404, 'NOT_FOUND');
      assert.equal(r.body.message, 'No such endpoint.');
    });
  });
}

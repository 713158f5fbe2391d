/**
 * PingAM's publish service end to end (API.md §9, AM-STS-NOTES §4), on SQLite and PostgreSQL, through the public
 * HTTP doors of a real server: PingAM's documented publish example posted unchanged creates a working instance
 * (translated through at its REST path, the assertion judged by xmllint and xmlsec1); it is read, updated and
 * deleted through the publish door in AM's shape; GraphQL shows the same instance. An instance exported from AM
 * with what Tessera cannot take publishes after fixing exactly the fields the errors name. Negative cases assert
 * status and detail code.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { makePluginDir, type PluginDir } from '../support/plugins-api.js';
import { makeCa, type TestCa } from '../support/pki.js';
import { makeIssuer, type TestIssuer } from '../support/oidc.js';
import { CM, NAMEID, NS, assertionOf, attributeValues, createUser, el, judge, metadataCert, text } from '../support/saml-api.js';
import { amCookie, amFetch, amHeader, amLogin, assertAmError, publishSample, readState, restAt } from '../support/am.js';
import { ADMIN_PASSWORD } from '../support/server.js';

const NAME = 'username-transformer';
const PUBLISH = '/sts-publish/rest';
const ALICE_PASSWORD = 'alice-password-1';

/** Plugins that stand in for the AM classes the sample and the tests name. */
const ACME_PLUGINS = `
export default [
  {
    kind: 'token-validator', tokenType: 'ACME_TICKET', amClassNames: ['com.acme.MyValidator'],
    validate(token) {
      const t = token && token.ticket;
      if (typeof t !== 'string' || !t.startsWith('ok:')) throw new Error('not an ACME ticket');
      return { subject: t.slice(3), attributes: { mail: t.slice(3) + '@acme.example' } };
    },
  },
  { kind: 'token-provider', tokenType: 'ACME_TICKET', amClassNames: ['com.acme.MyProvider'], issue: (subject) => ({ token: 'ok:' + subject.name }) },
  {
    kind: 'saml2-statement', statement: 'conditions', name: 'acme-one-time-use', amClassNames: ['com.acme.OneTimeUseConditionsProvider'],
    provide: (ctx) => ({ ...ctx.defaults, oneTimeUse: true }),
  },
];
`;

const INSTANCE_FIELDS = `name realm persistIssuedTokens callerRoles
  transforms { input output invalidateInterimSession customInput customOutput }
  saml2 { issuer spEntityId spAcsUrl nameIdFormat attributeMap lifetimeSeconds signAssertion encryptAssertion encryptNameId
          encryptAttributes dataEncryptionAlgorithm signatureAlgorithm plugins { conditions subject attributeStatements } }
  oidc { issuer audience authorizedParty signatureAlgorithm claimMap lifetimeSeconds hasClientSecret }
  oidcTrust { issuer audience jwksUri }
  endpoints { rest }`;

/**
 * The GraphQL view an AM instance_state describes, decoded here with AM's documented encodings (strings for
 * booleans and numbers, OPENAM for a session), independently of Tessera's mapping.
 */
function expectedGraphql(state: Record<string, any>): Record<string, unknown> {
  const bool = (v: string) => v === 'true';
  const d = state['deployment-config'];
  const s = state['saml2-config'];
  const o = state['oidc-id-token-config'];
  const type = (t: string) => (t === 'OPENAM' ? 'SESSION' : t);
  const custom = new Set<string>((state['custom-token-validators'] ?? []).map((v: any) => v.customTokenName));
  return {
    name: d['deployment-url-element'],
    realm: d['deployment-realm'] === '/' ? null : d['deployment-realm'],
    persistIssuedTokens: bool(state['persist-issued-tokens-in-cts']),
    transforms: [...(state['supported-token-transforms'] ?? []), ...(state['custom-token-transforms'] ?? [])].map((t: any) => ({
      input: custom.has(t.inputTokenType) ? 'CUSTOM' : type(t.inputTokenType),
      output: type(t.outputTokenType),
      invalidateInterimSession: t.invalidateInterimOpenAMSession,
      customInput: custom.has(t.inputTokenType) ? t.inputTokenType : null,
      customOutput: null,
    })),
    saml2: s && {
      issuer: s['issuer-name'],
      spEntityId: s['saml2-sp-entity-id'],
      spAcsUrl: s['saml2-sp-acs-url'] ?? null,
      nameIdFormat: s['saml2-name-id-format'],
      attributeMap: s['saml2-attribute-map'],
      lifetimeSeconds: Number(s['saml2-token-lifetime-seconds']),
      signAssertion: bool(s['saml2-sign-assertion']),
      encryptAssertion: bool(s['saml2-encrypt-assertion']),
      encryptNameId: bool(s['saml2-encrypt-nameid']),
      encryptAttributes: bool(s['saml2-encrypt-attributes']),
      dataEncryptionAlgorithm: s['saml2-encryption-algorithm'],
    },
    oidc: o && {
      issuer: o['oidc-issuer'],
      audience: o['oidc-audience'],
      authorizedParty: o['oidc-authorized-party'] ?? null,
      signatureAlgorithm: o['oidc-signature-algorithm'],
      claimMap: o['oidc-claim-map'],
      lifetimeSeconds: Number(o['oidc-token-lifetime-seconds']),
    },
  };
}

/** The parts of a GraphQL instance that expectedGraphql describes. */
function comparable(i: Record<string, any>): Record<string, unknown> {
  const { issuer, spEntityId, spAcsUrl, nameIdFormat, attributeMap, lifetimeSeconds, signAssertion, encryptAssertion, encryptNameId, encryptAttributes, dataEncryptionAlgorithm } = i.saml2 ?? {};
  const o = i.oidc ?? {};
  return {
    name: i.name,
    realm: i.realm,
    persistIssuedTokens: i.persistIssuedTokens,
    transforms: i.transforms,
    saml2: i.saml2 && { issuer, spEntityId, spAcsUrl, nameIdFormat, attributeMap, lifetimeSeconds, signAssertion, encryptAssertion, encryptNameId, encryptAttributes, dataEncryptionAlgorithm },
    oidc: i.oidc && { issuer: o.issuer, audience: o.audience, authorizedParty: o.authorizedParty, signatureAlgorithm: o.signatureAlgorithm, claimMap: o.claimMap, lifetimeSeconds: o.lifetimeSeconds },
  };
}

for (const db of DB_KINDS) {
  describe(`PingAM publish service on ${db}`, () => {
    let s: TestServer;
    let plugins: PluginDir;
    let admin: string;
    let ca: TestCa;
    let idp: TestIssuer;

    const publish = (body: unknown, headers: Record<string, string> = amCookie(admin)) => amFetch(s, 'POST', `${PUBLISH}?_action=create`, body, headers);
    const read = (id: string, headers: Record<string, string> = amCookie(admin)) => amFetch(s, 'GET', `${PUBLISH}/${id}`, undefined, headers);
    const gqlInstance = async (name: string) => (await s.gql(`query($n:String!){ instance(name:$n){ ${INSTANCE_FIELDS} } }`, { n: name }, s.adminToken)).data.instance;

    before(async () => {
      plugins = makePluginDir({ modules: { 'acme.mjs': ACME_PLUGINS } });
      s = await startServer({ db, env: { TESSERA_PLUGIN_DIR: plugins.dir } });
      await createUser(s, 'alice', ALICE_PASSWORD, { mail: 'alice@example.com' });
      // The sample publishes with the admin session in the iPlanetDirectoryPro cookie, as AM's does.
      admin = await amLogin(s, 'admin', ADMIN_PASSWORD);
      ca = await makeCa(`AM publish CA ${db}`);
      idp = makeIssuer({ alg: 'ES256' });
    });
    after(async () => {
      await s?.destroy();
      plugins?.cleanup();
    });

    test("PingAM's publish example, posted unchanged, creates a working instance", async () => {
      const r = await publish(publishSample());
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body._id, NAME);
      assert.equal(r.body.url_element, NAME);
      assert.equal(r.body.result, 'success');
      assert.equal(typeof r.body._rev, 'string');
      // Keystores, aliases and passwords are accepted and reported as without effect, nothing silently dropped.
      for (const f of ['saml2-config.saml2-keystore-filename', 'saml2-config.saml2-keystore-password', 'saml2-config.saml2-signature-key-alias', 'oidc-id-token-config.oidc-keystore-location', 'deployment-config.deployment-auth-target-mappings']) {
        assert.ok(r.body.tessera_ignored.includes(`instance_state.${f}`), `${f} in ${JSON.stringify(r.body.tessera_ignored)}`);
      }
      assert.deepEqual(r.body.tessera_custom_token_types, { CUSTOM: 'ACME_TICKET' });

      // PingAM's documented translate request at the instance's REST path, unchanged.
      const t = await restAt(s, `/rest-sts/${NAME}`, 'translate', {
        input_token_state: { token_type: 'USERNAME', username: 'alice', password: ALICE_PASSWORD },
        output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' },
      });
      assert.equal(t.status, 200, JSON.stringify(t.body));
      const doc = judge(t.body.issued_token, (await metadataCert(s, NAME)).pem);
      const a = assertionOf(doc);
      assert.equal(text(el(a, NS.saml, 'Issuer')), 'http://idp.example.com/am');
      assert.equal(text(el(a, NS.saml, 'Audience')), 'http://sp.example.com');
      const nameId = el(a, NS.saml, 'NameID');
      assert.equal(text(nameId), 'alice');
      assert.equal(nameId.getAttribute('Format'), NAMEID.persistent);
      assert.equal(el(a, NS.saml, 'SubjectConfirmation').getAttribute('Method'), CM.BEARER);
      assert.equal(el(a, NS.saml, 'SubjectConfirmationData').getAttribute('Recipient'), 'http://sp.example.com/acs');
      assert.deepEqual(attributeValues(a), { email: ['alice@example.com'] });

      // The custom transform: AM's CUSTOM is the plugin type that stands in for com.acme.MyValidator.
      const c = await restAt(s, `/rest-sts/root/${NAME}`, 'translate', {
        input_token_state: { token_type: 'ACME_TICKET', ticket: 'ok:carol' },
        output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' },
      });
      assert.equal(c.status, 200, JSON.stringify(c.body));
      assert.equal(text(el(assertionOf(judge(c.body.issued_token, (await metadataCert(s, NAME)).pem)), NS.saml, 'NameID')), 'carol');
    });

    test("reads give AM's shape without secrets, and GraphQL shows the same instance", async () => {
      const state = readState(await read(NAME), NAME);
      assert.deepEqual(readState(await read(`root/${NAME}`), NAME), state);
      assert.equal(state['deployment-config']['deployment-url-element'], NAME);
      assert.equal(state['deployment-config']['deployment-realm'], '/');
      assert.equal(state['persist-issued-tokens-in-cts'], 'true');
      assert.equal(state['saml2-config']['saml2-token-lifetime-seconds'], '600');
      assert.equal(state['saml2-config']['saml2-sign-assertion'], 'true');
      assert.deepEqual(state['custom-token-validators'], [{ customTokenName: 'ACME_TICKET', customOperationClassName: 'com.acme.MyValidator' }]);
      for (const secretish of ['keystore', 'password', 'key-alias', 'client-secret']) assert.ok(!JSON.stringify(state).includes(secretish), secretish);

      const list = await amFetch(s, 'GET', PUBLISH, undefined, amHeader(admin));
      assert.equal(list.status, 200);
      assert.equal(list.body._id, 'published_instances');
      assert.deepEqual(JSON.parse(list.body[NAME]), state);

      const gql = await gqlInstance(NAME);
      assert.deepEqual(comparable(gql), expectedGraphql(state));
      assert.equal(gql.endpoints.rest, `${s.url}/rest-sts/${NAME}`);
    });

    test('an update in AM\'s shape replaces the instance; an AM read and GraphQL agree afterwards', async () => {
      const body = publishSample();
      const st = body.instance_state;
      st['saml2-config']['saml2-token-lifetime-seconds'] = '300';
      st['saml2-config']['saml2-custom-conditions-provider-class-name'] = 'com.acme.OneTimeUseConditionsProvider';
      st['supported-token-transforms'].push('USERNAME|OPENIDCONNECT|false');
      st['oidc-id-token-config']['oidc-signature-algorithm'] = 'HS256';
      st['oidc-id-token-config']['oidc-client-secret'] = 'a-shared-secret-of-thirty-two-bytes!';
      const u = await amFetch(s, 'PUT', `${PUBLISH}/${NAME}`, body, { ...amHeader(admin), 'Accept-API-Version': 'protocol=1.0, resource=1.0' });
      assert.equal(u.status, 200, JSON.stringify(u.body));
      assert.equal(u.body.result, 'success');

      const state = readState(await read(NAME), NAME);
      assert.equal(state['saml2-config']['saml2-token-lifetime-seconds'], '300');
      assert.equal(state['saml2-config']['saml2-custom-conditions-provider-class-name'], 'com.acme.OneTimeUseConditionsProvider');
      assert.ok(!('oidc-client-secret' in state['oidc-id-token-config']), 'the secret is never read back');
      const gql = await gqlInstance(NAME);
      assert.deepEqual(comparable(gql), expectedGraphql(state));
      assert.equal(gql.saml2.plugins.conditions, 'acme-one-time-use');
      assert.equal(gql.oidc.hasClientSecret, true);

      const t = await restAt(s, `/rest-sts/${NAME}`, 'translate', {
        input_token_state: { token_type: 'USERNAME', username: 'alice', password: ALICE_PASSWORD },
        output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' },
      });
      assert.equal(t.status, 200, JSON.stringify(t.body));
      assert.equal(el(assertionOf(judge(t.body.issued_token, (await metadataCert(s, NAME)).pem)), NS.saml, 'OneTimeUse').localName, 'OneTimeUse');

      // A read put back as it is (GET, then PUT) keeps the write-only secret, as updateInstance does.
      const again = await amFetch(s, 'PUT', `${PUBLISH}/${NAME}`, { invocation_context: 'invocation_context_client_sdk', instance_state: state }, amHeader(admin));
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.deepEqual(again.body.tessera_ignored, []);
      assert.deepEqual(readState(await read(NAME), NAME), state);
      const oidc = await restAt(s, `/rest-sts/${NAME}`, 'translate', {
        input_token_state: { token_type: 'USERNAME', username: 'alice', password: ALICE_PASSWORD },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(oidc.status, 200, JSON.stringify(oidc.body));
      assert.equal(JSON.parse(Buffer.from(oidc.body.issued_token.split('.')[0], 'base64url').toString()).alg, 'HS256');
    });

    test('a second create of the name is 409 and says what would work; a PUT naming another element is 400', async () => {
      const again = await publish(publishSample());
      assertAmError(again, 409, 'CONFLICT');
      assert.match(again.body.message, /PUT \/sts-publish\/rest\/username-transformer/);
      const body = publishSample();
      body.instance_state['deployment-config']['deployment-url-element'] = 'other-name';
      assertAmError(await amFetch(s, 'PUT', `${PUBLISH}/${NAME}`, body, amHeader(admin)), 400, 'BAD_USER_INPUT', 'instance_state.deployment-config.deployment-url-element');
    });

    test('an instance exported from AM publishes once the fields the errors name are changed', async () => {
      const exported = {
        invocation_context: 'invocation_context_client_sdk',
        instance_state: {
          'persist-issued-tokens-in-cts': 'true',
          'supported-token-transforms': ['USERNAME|SAML2|true', 'OPENIDCONNECT|SAML2|true', 'X509|OPENIDCONNECT|true', 'OPENAM|OPENIDCONNECT|false'],
          'deployment-config': {
            'deployment-url-element': 'partner_sts',
            'deployment-realm': '/partners',
            'deployment-auth-target-mappings': { OPENIDCONNECT: { 'mapping-auth-index-type': 'module', 'mapping-auth-index-value': 'oidc' } },
            'deployment-offloaded-two-way-tls-header-key': 'client_cert',
            'deployment-tls-offload-engine-hosts': ['127.0.0.1'],
          },
          'saml2-config': {
            'issuer-name': 'https://am.example.com/am',
            'saml2-sp-entity-id': 'https://partner.example.com/sp',
            'saml2-name-id-format': 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
            'saml2-sign-assertion': 'true',
            'saml2-keystore-filename': '/opt/am/keystore.jks',
            'saml2-signature-key-alias': 'test',
          },
          'oidc-id-token-config': { 'oidc-issuer': 'https://am.example.com/am/oauth2', 'oidc-audience': ['partner'], 'oidc-signature-algorithm': 'HS256', 'oidc-client-secret': 'changeit' },
        },
      };
      const fixes: Record<string, (st: Record<string, any>) => void> = {
        'instance_state.deployment-config.deployment-url-element': (st) => (st['deployment-config']['deployment-url-element'] = 'partner-sts'),
        'instance_state.oidc-id-token-config.oidc-client-secret': (st) => (st['oidc-id-token-config']['oidc-client-secret'] = 'partner-shared-secret-0123456789abcdef'),
        'instance_state.tessera-oidc-trust': (st) => (st['tessera-oidc-trust'] = [{ issuer: idp.issuer, audience: ['tessera'], jwks: idp.jwks }]),
        'instance_state.tessera-x509-trust': (st) => (st['tessera-x509-trust'] = { caCertificates: [ca.certPem] }),
      };
      const named: string[] = [];
      let r = await publish(exported);
      while (r.status === 400 && named.length < 6) {
        const field = r.body.detail.field as string;
        assert.ok(fixes[field], `unexpected field ${field}: ${r.body.message}`);
        assert.ok(r.body.message.startsWith(`${field}: `), r.body.message);
        named.push(field);
        fixes[field]!(exported.instance_state);
        r = await publish(exported);
      }
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual([...named].sort(), Object.keys(fixes).sort(), 'each field to change was named once');
      assert.equal(r.body._id, 'partners/partner-sts');

      const t = await restAt(s, '/rest-sts/partners/partner-sts', 'translate', {
        input_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: idp.sign(idp.claims('tessera', { sub: 'dinah' })) },
        output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' },
      });
      assert.equal(t.status, 200, JSON.stringify(t.body));
      const gql = await gqlInstance('partner-sts');
      assert.equal(gql.realm, '/partners');
      assert.equal(gql.endpoints.rest, `${s.url}/rest-sts/partners/partner-sts`);
      assert.deepEqual(gql.oidcTrust.map((x: any) => x.issuer), [idp.issuer]);
      const state = readState(await read('partners/partner-sts'), 'partners/partner-sts');
      assert.equal(state['deployment-config']['deployment-offloaded-two-way-tls-header-key'], 'client_cert');
      const der = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
      assert.deepEqual(state['tessera-x509-trust'].caCertificates.map(der), [ca.certDerB64]);
    });

    test('GraphQL names the AM classes each plugin stands in for', async () => {
      const r = await s.gql('{ samlPlugins { name builtIn amClassNames } customTokenTypes { tokenType validatorAmClassNames providerAmClassNames } }', {}, admin);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      const plugin = r.data.samlPlugins.find((p: { name: string }) => p.name === 'acme-one-time-use');
      assert.deepEqual(plugin.amClassNames, ['com.acme.OneTimeUseConditionsProvider']);
      assert.ok(r.data.samlPlugins.filter((p: { builtIn: boolean }) => p.builtIn).every((p: { amClassNames: string[] }) => Array.isArray(p.amClassNames)));
      const acme = r.data.customTokenTypes.find((t: { tokenType: string }) => t.tokenType === 'ACME_TICKET');
      assert.deepEqual([acme.validatorAmClassNames, acme.providerAmClassNames], [['com.acme.MyValidator'], ['com.acme.MyProvider']]);
    });

    test('delete removes the instance from every door', async () => {
      const d = await amFetch(s, 'DELETE', `${PUBLISH}/${NAME}`, undefined, amHeader(admin));
      assert.equal(d.status, 200, JSON.stringify(d.body));
      assert.equal(d.body.result, `rest sts instance ${NAME} successfully removed from realm /`);
      assertAmError(await read(NAME), 404, 'NOT_FOUND');
      assert.equal(await gqlInstance(NAME), null);
      assertAmError(
        await restAt(s, `/rest-sts/${NAME}`, 'translate', {
          input_token_state: { token_type: 'USERNAME', username: 'alice', password: ALICE_PASSWORD },
          output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' },
        }),
        404,
        'NOT_FOUND',
      );
      assertAmError(await amFetch(s, 'DELETE', `${PUBLISH}/${NAME}`, undefined, amHeader(admin)), 404, 'NOT_FOUND');
    });

    test('only an admin session may use the publish service', async () => {
      await createUser(s, 'bob', 'bob-password-12', {}, ['user']);
      const bob = await amLogin(s, 'bob', 'bob-password-12');
      assertAmError(await amFetch(s, 'GET', PUBLISH), 401, 'UNAUTHENTICATED');
      assertAmError(await amFetch(s, 'GET', PUBLISH, undefined, amHeader('tsn_not-a-session')), 401, 'UNAUTHENTICATED');
      assertAmError(await publish(publishSample(), amCookie(bob)), 403, 'FORBIDDEN');
      assertAmError(await amFetch(s, 'DELETE', `${PUBLISH}/partners/partner-sts`, undefined, amHeader(bob)), 403, 'FORBIDDEN');
      // Authorization: Bearer from the GraphQL login works as well.
      assert.equal((await amFetch(s, 'GET', PUBLISH, undefined, { authorization: `Bearer ${s.adminToken}` })).status, 200);
    });

    // Each row: a request the publish service refuses, with AM's status and Tessera's detail code (and field).
    const REFUSED: Array<[string, string, string, unknown, number, string, string?]> = [
      ['the console form', 'POST', `${PUBLISH}?_action=create`, { invocation_context: 'invocation_context_view_bean', instance_state: {} }, 400, 'BAD_USER_INPUT', 'invocation_context'],
      ['no body', 'POST', `${PUBLISH}?_action=create`, undefined, 400, 'BAD_USER_INPUT'],
      ['not JSON', 'POST', `${PUBLISH}?_action=create`, '{"invocation_context":', 400, 'BAD_USER_INPUT'],
      ['no _action', 'POST', PUBLISH, publishSample(), 400, 'BAD_USER_INPUT', '_action'],
      ['another action', 'POST', `${PUBLISH}?_action=republish`, publishSample(), 501, 'BAD_USER_INPUT'],
      ['a query', 'GET', `${PUBLISH}?_queryFilter=true`, undefined, 501, 'BAD_USER_INPUT'],
      ['a patch', 'PATCH', `${PUBLISH}/partners/partner-sts`, [], 501, 'BAD_USER_INPUT'],
      ['a PUT on the collection', 'PUT', PUBLISH, publishSample(), 405, 'BAD_USER_INPUT'],
      ['an unknown instance', 'GET', `${PUBLISH}/no-such-instance`, undefined, 404, 'NOT_FOUND'],
      ['an instance of another realm', 'GET', `${PUBLISH}/other/partner-sts`, undefined, 404, 'NOT_FOUND'],
      ['a root path to a realm instance', 'GET', `${PUBLISH}/partner-sts`, undefined, 404, 'NOT_FOUND'],
      ['a name no instance can have', 'GET', `${PUBLISH}/Partner_STS`, undefined, 404, 'NOT_FOUND'],
      ['an update of an unknown instance', 'PUT', `${PUBLISH}/no-such-instance`, publishSample(), 404, 'NOT_FOUND'],
      ['an update moving realms', 'PUT', `${PUBLISH}/partners/partner-sts`, publishSample(), 400, 'BAD_USER_INPUT', 'instance_state.deployment-config.deployment-realm'],
      ['an unknown extension field', 'POST', `${PUBLISH}?_action=create`, { invocation_context: 'invocation_context_client_sdk', instance_state: { ...publishSample().instance_state, 'tessera-colour': 'blue' } }, 400, 'BAD_USER_INPUT', 'instance_state.tessera-colour'],
    ];
    for (const [what, method, path, body, status, code, field] of REFUSED) {
      test(`${status} ${code}: ${what}`, async () => {
        const r = await amFetch(s, method, path, body, amHeader(admin));
        assertAmError(r, status, code, field);
        if (status === 405) assert.equal(r.headers.get('allow'), 'GET, POST');
      });
    }
  });
}

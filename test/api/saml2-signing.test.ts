/**
 * SAML2 signatures and IdP metadata end to end, on SQLite and PostgreSQL: rsa-sha256 (the default), rsa-sha512
 * and ecdsa-sha256 assertions verified by xmlsec1 with the certificate published at
 * GET /sts/<instance>/saml-metadata.xml (never the KeyInfo the assertion brings); the metadata itself
 * (EntityDescriptor, entityID = issuer, signing KeyDescriptor, 404s); unsigned assertions; and values with markup,
 * quotes and non-ASCII text that must round-trip exactly through signed XML.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { makeIssuer, type TestIssuer } from '../support/oidc.js';
import { ToolError, xmllintAssertion, xmlsecVerify } from '../support/saml.js';
import {
  NS,
  SIG,
  TRICKY,
  assertionOf,
  attributeValues,
  base64FromPem,
  children,
  createUser,
  el,
  els,
  fetchMetadata,
  judge,
  metadataCert,
  parseXml,
  publish,
  restTranslate,
  text,
  translate,
  validate,
} from '../support/saml-api.js';

const PASSWORD = 'zoe-password-1';
const ZOE = { mail: 'zoe@example.com', displayName: TRICKY, memberOf: ['R&D', '<admins>', `"q" 'q'`, 'Ünïcode ✓'] };
const ATTRIBUTE_MAP = { mail: 'mail', displayName: 'displayName', groups: 'memberOf' };
const EXPECTED = { mail: [ZOE.mail], displayName: [TRICKY], groups: ZOE.memberOf };
const AMP_ISSUER = 'https://idp.example.com/saml?tenant=acme&region=eu';

const ALGORITHMS = [
  { instance: 'sig-default', label: 'rsa-sha256 (default)', uri: SIG.rsaSha256, digest: 'http://www.w3.org/2001/04/xmlenc#sha256', key: 'RS256', configured: undefined },
  { instance: 'sig-rs512', label: 'rsa-sha512', uri: SIG.rsaSha512, digest: 'http://www.w3.org/2001/04/xmlenc#sha512', key: 'RS512', configured: SIG.rsaSha512 },
  { instance: 'sig-es256', label: 'ecdsa-sha256', uri: SIG.ecdsaSha256, digest: 'http://www.w3.org/2001/04/xmlenc#sha256', key: 'ES256', configured: SIG.ecdsaSha256 },
] as const;

for (const db of DB_KINDS) {
  describe(`SAML2 signatures and metadata on ${db}`, () => {
    let s: TestServer;
    let idp: TestIssuer;
    const certs: Record<string, string> = {};

    before(async () => {
      s = await startServer({ db });
      idp = makeIssuer({ alg: 'ES256' });
      await createUser(s, 'zoe', PASSWORD, ZOE);
      for (const a of ALGORITHMS) {
        await publish(s, {
          name: a.instance,
          transforms: [
            { input: 'USERNAME', output: 'SAML2' },
            { input: 'OPENIDCONNECT', output: 'SAML2' },
          ],
          saml2: {
            issuer: a.instance === 'sig-default' ? AMP_ISSUER : `https://idp.example.com/${a.instance}`,
            spEntityId: 'https://sp.example.com/sig',
            attributeMap: ATTRIBUTE_MAP,
            ...(a.configured ? { signatureAlgorithm: a.configured } : {}),
          },
          oidcTrust: [{ issuer: idp.issuer, audience: ['tessera'], jwks: idp.jwks }],
        });
        // Metadata first: the signing key is created on demand, and the published certificate must be the
        // one later assertions verify with.
        certs[a.instance] = (await metadataCert(s, a.instance)).pem;
      }
      await publish(s, {
        name: 'sig-unsigned',
        transforms: [{ input: 'USERNAME', output: 'SAML2' }],
        saml2: { issuer: 'https://idp.example.com/unsigned', spEntityId: 'https://sp.example.com/sig', signAssertion: false, attributeMap: ATTRIBUTE_MAP },
      });
      await publish(s, {
        name: 'oidc-only',
        transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }],
        oidc: { audience: ['client-a'] },
      });
    });
    after(async () => {
      await s?.destroy();
    });

    const login = { type: 'USERNAME', username: 'zoe', password: PASSWORD };

    for (const a of ALGORITHMS) {
      test(`${a.label}: GraphQL and REST assertions verify with the metadata certificate; SignedInfo as XML-DSig`, async () => {
        const gql = (await translate(s, a.instance, login, { type: 'SAML2' })).token;
        const rest = await restTranslate(s, a.instance, {
          input_token_state: { token_type: 'USERNAME', username: 'zoe', password: PASSWORD },
          output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' },
        });
        for (const xml of [gql, rest]) {
          const assertion = assertionOf(judge(xml, certs[a.instance]!));
          const sig = children(assertion)[1]!;
          assert.equal(sig.localName, 'Signature');
          assert.equal(el(sig, NS.ds, 'SignatureMethod').getAttribute('Algorithm'), a.uri);
          assert.equal(el(sig, NS.ds, 'DigestMethod').getAttribute('Algorithm'), a.digest);
          assert.equal(el(sig, NS.ds, 'CanonicalizationMethod').getAttribute('Algorithm'), 'http://www.w3.org/2001/10/xml-exc-c14n#');
          assert.equal(el(sig, NS.ds, 'Reference').getAttribute('URI'), `#${assertion.getAttribute('ID')}`);
          assert.deepEqual(
            els(sig, NS.ds, 'Transform').map((t) => t.getAttribute('Algorithm')),
            ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
          );
          assert.deepEqual(attributeValues(assertion), EXPECTED);
        }
      });
    }

    test('the judge says no: another instance’s certificate and a changed byte fail xmlsec1', async () => {
      const xml = (await translate(s, 'sig-es256', login, { type: 'SAML2' })).token;
      assert.throws(() => xmlsecVerify(xml, certs['sig-default']!), ToolError);
      const changed = xml.replace('zoe@example.com', 'eve@example.com');
      assert.notEqual(changed, xml);
      assert.throws(() => xmlsecVerify(changed, certs['sig-es256']!), ToolError);
    });

    test('metadata: an IdP EntityDescriptor, entityID = issuer, the active key certificate for the algorithm', async () => {
      const keys = await s.gql('{ keys { kid algorithm status certificate } }', {}, s.adminToken);
      assert.equal(keys.errors, undefined);
      for (const a of ALGORITHMS) {
        const m = await fetchMetadata(s, a.instance);
        assert.equal(m.status, 200);
        assert.match(m.type ?? '', /xml/);
        const root = parseXml(m.body).documentElement as unknown as Element;
        assert.equal(root.namespaceURI, NS.md);
        assert.equal(root.localName, 'EntityDescriptor');
        assert.equal(root.getAttribute('entityID'), a.instance === 'sig-default' ? AMP_ISSUER : `https://idp.example.com/${a.instance}`);
        const idpDescriptor = el(root, NS.md, 'IDPSSODescriptor');
        assert.match(idpDescriptor.getAttribute('protocolSupportEnumeration') ?? '', /urn:oasis:names:tc:SAML:2\.0:protocol/);
        const kd = el(idpDescriptor, NS.md, 'KeyDescriptor');
        assert.equal(kd.getAttribute('use'), 'signing');
        const der = text(el(kd, NS.ds, 'X509Certificate')).replace(/\s+/g, '');
        const active = (keys.data.keys as Array<{ algorithm: string; status: string; certificate: string }>).filter((k) => k.algorithm === a.key && k.status === 'ACTIVE');
        assert.equal(active.length, 1, `one active ${a.key} key`);
        assert.equal(der, base64FromPem(active[0]!.certificate));
        assert.equal(base64FromPem(certs[a.instance]!), der);
      }
      // Every algorithm has its own certificate: an RSA certificate cannot verify an ECDSA signature and vice versa.
      assert.notEqual(certs['sig-default'], certs['sig-es256']);
    });

    test('metadata: 404 for an instance without saml2 and for an unknown instance', async () => {
      for (const name of ['oidc-only', 'no-such-instance']) {
        const m = await fetchMetadata(s, name);
        assert.equal(m.status, 404, name);
        assert.doesNotMatch(m.body, /EntityDescriptor/);
      }
    });

    test('the Issuer with & round-trips in the assertion and in the metadata entityID', async () => {
      const xml = (await translate(s, 'sig-default', login, { type: 'SAML2' })).token;
      const a = assertionOf(judge(xml, certs['sig-default']!));
      assert.equal(text(el(a, NS.saml, 'Issuer')), AMP_ISSUER);
      assert.equal((await metadataCert(s, 'sig-default')).entityId, AMP_ISSUER);
    });

    test('markup, quotes and non-ASCII in attributes and in an OIDC subject round-trip exactly through signed XML', async () => {
      for (const a of ALGORITHMS) {
        const claims = idp.claims('tessera', { sub: TRICKY, mail: '<m@example.com>', memberOf: ['&amp;', ']]>', 'a"b'] });
        const t = await translate(s, a.instance, { type: 'OPENIDCONNECT', idToken: idp.sign(claims) }, { type: 'SAML2' });
        assert.equal(t.subject, TRICKY);
        const assertion = assertionOf(judge(t.token, certs[a.instance]!));
        assert.equal(text(el(assertion, NS.saml, 'NameID')), TRICKY);
        assert.deepEqual(attributeValues(assertion), { mail: ['<m@example.com>'], groups: ['&amp;', ']]>', 'a"b'] });
        // Escaped as text: no element beyond what SAML defines.
        assert.equal(els(assertion, '', 'm@example.com').length, 0);
        assert.equal((await validate(s, a.instance, t.token, s.adminToken)).subject, TRICKY);
      }
      const rest = await restTranslate(s, 'sig-rs512', {
        input_token_state: { token_type: 'USERNAME', username: 'zoe', password: PASSWORD },
        output_token_state: { token_type: 'SAML2' },
      });
      assert.deepEqual(attributeValues(assertionOf(judge(rest, certs['sig-rs512']!))), EXPECTED);
    });

    test('signAssertion false: schema-valid, no ds:Signature, valid by its record', async () => {
      const t = await translate(s, 'sig-unsigned', login, { type: 'SAML2' });
      xmllintAssertion(t.token);
      const a = assertionOf(parseXml(t.token));
      assert.equal(els(a, NS.ds, 'Signature').length, 0);
      assert.deepEqual(attributeValues(a), EXPECTED);
      assert.equal((await validate(s, 'sig-unsigned', t.token)).valid, true);
    });

    test('key rotation: new assertions verify with the new metadata certificate; earlier ones still validate', async () => {
      const before = (await translate(s, 'sig-rs512', login, { type: 'SAML2' })).token;
      const keys = await s.gql('{ keys { kid algorithm status } }', {}, s.adminToken);
      const active = (keys.data.keys as Array<{ kid: string; algorithm: string; status: string }>).find((k) => k.algorithm === 'RS512' && k.status === 'ACTIVE')!;
      const rotated = await s.gql('mutation($k: String!) { rotateKey(kid: $k) { kid status } }', { k: active.kid }, s.adminToken);
      assert.equal(rotated.errors, undefined, JSON.stringify(rotated.errors));
      const fresh = (await metadataCert(s, 'sig-rs512')).pem;
      assert.notEqual(fresh, certs['sig-rs512'], 'the metadata publishes the new signing certificate');
      const after = (await translate(s, 'sig-rs512', login, { type: 'SAML2' })).token;
      judge(after, fresh);
      assert.throws(() => xmlsecVerify(after, certs['sig-rs512']!), ToolError);
      // The rotated-out key still verifies (PUBLISHED): earlier assertions stay valid until they expire.
      judge(before, certs['sig-rs512']!);
      assert.equal((await validate(s, 'sig-rs512', before)).valid, true);
      assert.equal((await validate(s, 'sig-rs512', after)).valid, true);
    });

    test('publish refuses rsa-sha1 and unknown signature algorithms', async () => {
      for (const alg of [SIG.rsaSha1, 'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256', 'RS256']) {
        const r = await s.gql(
          'mutation($i: InstanceInput!) { publishInstance(input: $i) { id } }',
          { i: { name: 'sig-bad', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { issuer: 'https://i', spEntityId: 'https://sp', signatureAlgorithm: alg } } },
          s.adminToken,
        );
        assert.equal(r.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', alg);
      }
    });
  });
}

/**
 * SAML2 as input, end to end on SQLite and PostgreSQL: assertions from partner IdPs made by tools Tessera does
 * not share code with — pysaml2 (bare assertions, samlp:Responses signed twice, EncryptedAssertions with
 * AES-256-CBC) and xmlsec1 alone (an ECDSA P-256 partner signing a template, an AES-256-GCM EncryptedAssertion)
 * — with OpenSSL-made keys, the encryption certificate read from the instance's published IdP metadata, and
 * the partner trusted through its pysaml2-written metadata or its certificate. Each translation runs over
 * GraphQL translateToken and REST /rest-sts/<instance>?_action=translate, and what comes out is judged
 * independently: PyJWT for SAML2 → OPENIDCONNECT and SAML2 → ACCESS_TOKEN, xmlsec1 and xmllint (OASIS schema)
 * for SAML2 → SAML2 re-issued for another SP. Bad trust configurations are BAD_USER_INPUT naming the field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NEWKEY, OpensslWorkspace } from '../support/openssl.js';
import { pyjwtVerify } from '../support/engine.js';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { assertionOf, attributeValues, el, els, judge, metadataCert, NS, parseXml, pemFromBase64, text } from '../support/saml-api.js';
import {
  PartnerIdp,
  Pysaml2Batch,
  URI,
  xmlsecEncryptedAssertion,
  xmlsecSignedAssertion,
  XMLNS,
} from '../support/saml-partner.js';

const SP_AUDIENCE = 'https://sts.tessera.example/saml-in';
const OTHER_SP = 'https://sp2.example.org/saml';
const RP = 'rp.example.org';
const API = 'https://api.example.org';
const EXTRA_RECIPIENT = 'https://gateway.example.org/saml/acs';
const TESSERA_IDP = 'https://tessera.example/idp';
const NAME = 'saml-in';

const TRANSLATE = `mutation($n: String!, $in: TokenInput!, $out: TokenOutput!) {
  translateToken(instance: $n, input: $in, output: $out) { token type tokenId subject issuedAt expiresAt } }`;
const PUBLISH = `mutation($i: InstanceInput!) { publishInstance(input: $i) { name saml2Trust { issuer certificates audience recipients signatureAlgorithms } } }`;

const gqlIn = (xml: string) => ({ type: 'SAML2', samlAssertion: xml });
const restIn = (xml: string) => ({ token_type: 'SAML2', saml2_token: xml });

function header(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8'));
}

/** The instance's certificate for partners to encrypt to: its IdP metadata's KeyDescriptor use="encryption". */
async function encryptionCertificate(s: TestServer, instance: string): Promise<string> {
  const res = await fetch(`${s.url}/sts/${instance}/saml-metadata.xml`);
  assert.equal(res.status, 200);
  const md = parseXml(await res.text());
  const enc = els(md, NS.md, 'KeyDescriptor').filter((k) => k.getAttribute('use') === 'encryption');
  assert.equal(enc.length, 1, 'one KeyDescriptor use="encryption"');
  return pemFromBase64(text(el(enc[0]!, NS.ds, 'X509Certificate')));
}

for (const db of DB_KINDS) {
  describe(`SAML2 input from partner IdPs, on ${db}`, () => {
    let s: TestServer;
    let ws: OpensslWorkspace;
    let idp: PartnerIdp;
    let ecIdp: PartnerIdp;
    let encCertPem: string;
    let restUrl: string;
    let docs: Pysaml2Batch;
    let metadataXml: string;
    let spMdPath: string;

    const jwks = () => `${s.url}/sts/${NAME}/jwks.json`;
    const issuer = () => `${s.url}/sts/${NAME}`;

    async function gql(xml: string, out: Record<string, unknown>) {
      const r = await s.gql(TRANSLATE, { n: NAME, in: gqlIn(xml), out });
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      return r.data.translateToken as { token: string; type: string; tokenId: string; subject: string; issuedAt: string; expiresAt: string };
    }
    async function rest(xml: string, out: Record<string, unknown>): Promise<string> {
      const r = await s.rest(NAME, 'translate', { input_token_state: restIn(xml), output_token_state: out });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.issued_token as string;
    }

    before(async () => {
      ws = new OpensslWorkspace();
      s = await startServer({ db });
      restUrl = `${s.url}/rest-sts/${NAME}`;
      idp = new PartnerIdp(ws, 'https://idp.partner.example/saml2', { audience: SP_AUDIENCE, recipient: restUrl });
      ecIdp = new PartnerIdp(ws, 'https://ec-idp.partner.example', { audience: SP_AUDIENCE, newkey: NEWKEY.p256 });
      // The partner as the instance learns it: the EntityDescriptor pysaml2 writes for it.
      metadataXml = (await new Pysaml2Batch().metadata('md', idp.entityId, idp.cert.certPath, 'https://idp.partner.example/sso').run()).get('md');
      const r = await s.gql(
        PUBLISH,
        {
          i: {
            name: NAME,
            transforms: [
              { input: 'SAML2', output: 'OPENIDCONNECT' },
              { input: 'SAML2', output: 'SAML2' },
              { input: 'SAML2', output: 'ACCESS_TOKEN' },
            ],
            oidc: { audience: [RP], claimMap: { email: 'mail', groups: 'groups' } },
            accessToken: { audience: [API], claimMap: { email: 'mail' } },
            saml2: { issuer: TESSERA_IDP, spEntityId: OTHER_SP, spAcsUrl: `${OTHER_SP}/acs`, attributeMap: { mail: 'mail', groups: 'groups' } },
            saml2Trust: [
              { issuer: idp.entityId, metadataXml, audience: [SP_AUDIENCE], recipients: [EXTRA_RECIPIENT] },
              { issuer: ecIdp.entityId, certificates: [ecIdp.cert.pem], audience: [SP_AUDIENCE] },
            ],
          },
        },
        s.adminToken,
      );
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      // The metadata's signing certificate is what the instance now trusts (metadataXml itself is not stored).
      const trusted = r.data.publishInstance.saml2Trust;
      assert.equal(trusted[0].certificates.length, 1);
      assert.equal(trusted[0].certificates[0].replace(/\s+/g, ''), idp.cert.pem.replace(/\s+/g, ''));
      assert.deepEqual(trusted[0].recipients, [EXTRA_RECIPIENT]);
      // The instance's published IdP metadata: pysaml2 reads the encryption certificate from it itself; the
      // xmlsec1 cases take it from the same document.
      encCertPem = await encryptionCertificate(s, NAME);
      const mdPath = join(ws.dir, `tessera-${db}-metadata.xml`);
      writeFileSync(mdPath, await (await fetch(`${s.url}/sts/${NAME}/saml-metadata.xml`)).text());
      const toInstance = (data_alg: string) => ({ metadata: mdPath, entity_id: TESSERA_IDP, data_alg });
      // The SP metadata a partner IdP is configured with: pysaml2 finds the key to encrypt to in it.
      spMdPath = join(ws.dir, `tessera-${db}-sp-metadata.xml`);
      writeFileSync(spMdPath, await (await fetch(`${s.url}/sts/${NAME}/saml-sp-metadata.xml`)).text());
      // Every pysaml2 document the tests below present, made by one process.
      docs = new Pysaml2Batch()
        .add('bare', idp.spec())
        .add('response', idp.spec({ name_id: 'bob@partner.example', response: { sign: true, destination: restUrl } }))
        .add('saml-1', idp.spec({ attributes: [{ name: 'mail', values: ['alice@partner.example'] }, { name: 'groups', values: ['R&D', '<admins>'] }] }))
        .add('saml-2', idp.spec({ name_id: 'carol@partner.example', response: {} }))
        .add('at-1', idp.spec())
        .add('at-2', idp.spec({ name_id: 'dave@partner.example' }))
        .add('enc-response', idp.spec({ name_id: 'erin@partner.example', encrypt: toInstance(URI.aes256Cbc), response: {} }))
        .add('enc-bare', idp.spec({ name_id: 'frank@partner.example', encrypt: toInstance(URI.aes128Cbc) }))
        .add('for-gcm-1', idp.spec({ name_id: 'grace@partner.example' }))
        .add('for-gcm-2', idp.spec({ name_id: 'heidi@partner.example' }))
        .add('for-rotation', idp.spec({ name_id: 'rita@partner.example' }))
        .add('response-signed', idp.spec({ name_id: 'rosa@partner.example', response: { sign_only: true, destination: restUrl } }))
        .add('response-signed-enc', idp.spec({ name_id: 'ruth@partner.example', encrypt: toInstance(URI.aes256Cbc), response: { sign_only: true } }))
        .add('response-signed-elsewhere', idp.spec({ name_id: 'ross@partner.example', response: { sign_only: true, destination: 'https://elsewhere.example/acs' } }))
        .add('response-signed-tamper', idp.spec({ name_id: 'rudy@partner.example', response: { sign_only: true } }))
        .add('response-unsigned', idp.spec({ name_id: 'rex@partner.example', sign: null, response: {} }))
        .add('for-rotation-2', idp.spec({ name_id: 'rob@partner.example' }))
        .add('sha512', idp.spec({ sign: idp.signer({ sign_alg: URI.rsaSha512, digest_alg: URI.sha512 }) }))
        .add('enc-to-sp', idp.spec({ name_id: 'spencer@partner.example', encrypt: { metadata: spMdPath, entity_id: SP_AUDIENCE, data_alg: URI.aes256Cbc }, response: { destination: restUrl } }))
        .validateMetadata('tessera-sp-md-schema', spMdPath);
      for (const [i, recipient] of [`${s.url}/sts/${NAME}/token`, `${s.url}/token`, restUrl, EXTRA_RECIPIENT, null].entries()) {
        docs.add(`recipient-${i}`, idp.spec({ recipient }));
      }
      docs.metadata('md', idp.entityId, idp.cert.certPath, 'https://idp.partner.example/sso').validateMetadata('tessera-md-schema', mdPath);
      await docs.run();
    });
    after(async () => {
      await s?.destroy();
      ws?.cleanup();
    });

    test('SAML2 → OPENIDCONNECT: a pysaml2 assertion over GraphQL, a twice-signed pysaml2 Response over REST; PyJWT verifies both ID tokens', async () => {
      const [bare, response] = [docs.get('bare'), docs.get('response')];
      assert.match(response!, /<ns0:Response /, 'pysaml2 wrote the Response');
      const t = await gql(bare!, { type: 'OPENIDCONNECT' });
      assert.equal(t.type, 'OPENIDCONNECT');
      assert.equal(t.subject, 'alice@partner.example');
      const claims = await pyjwtVerify(jwks(), t.token, RP, issuer());
      assert.equal(claims.sub, 'alice@partner.example');
      assert.equal(claims.email, 'alice@partner.example');
      assert.deepEqual(claims.groups, ['staff', 'partners']);
      // OIDC output: auth_time is the partner's AuthnInstant (30 s before issue in the spec), not the translate time.
      assert.ok(claims.auth_time <= Math.floor(Date.now() / 1000) - 25, `auth_time ${claims.auth_time}`);
      const viaRest = await rest(response!, { token_type: 'OPENIDCONNECT', allow_access: true });
      const restClaims = await pyjwtVerify(jwks(), viaRest, RP, issuer());
      assert.equal(restClaims.sub, 'bob@partner.example');
    });

    test('SAML2 → SAML2 for another SP, over GraphQL and REST: xmllint and xmlsec1 judge the re-issued assertion', async () => {
      const [one, two] = [docs.get('saml-1'), docs.get('saml-2')];
      const { pem: tesseraCert } = await metadataCert(s, NAME);
      const t = await gql(one!, { type: 'SAML2' });
      assert.equal(t.type, 'SAML2');
      const a = assertionOf(judge(t.token, tesseraCert));
      assert.equal(text(el(a, NS.saml, 'Issuer')), TESSERA_IDP, 'issued by the instance, not the partner');
      assert.equal(text(el(a, NS.saml, 'NameID')), 'alice@partner.example');
      assert.equal(text(el(a, NS.saml, 'Audience')), OTHER_SP);
      assert.equal(el(a, NS.saml, 'SubjectConfirmationData').getAttribute('Recipient'), `${OTHER_SP}/acs`);
      assert.deepEqual(attributeValues(a), { mail: ['alice@partner.example'], groups: ['R&D', '<admins>'] });
      // The partner's authentication class is stated again, and its ID is not reused.
      assert.equal(text(el(a, NS.saml, 'AuthnContextClassRef')), URI.passwordProtectedTransport);
      assert.equal(a.getAttribute('ID'), t.tokenId);
      assert.notEqual(t.tokenId, docs.specs.get('saml-1')!.id);
      const viaRest = await rest(two!, { token_type: 'SAML2' });
      const b = assertionOf(judge(viaRest, tesseraCert));
      assert.equal(text(el(b, NS.saml, 'NameID')), 'carol@partner.example');
    });

    test('SAML2 → ACCESS_TOKEN over GraphQL and REST: a JWT with typ at+jwt that PyJWT verifies against the JWKS', async () => {
      const [one, two] = [docs.get('at-1'), docs.get('at-2')];
      const t = await gql(one!, { type: 'ACCESS_TOKEN' });
      assert.equal(t.type, 'ACCESS_TOKEN');
      assert.equal(header(t.token).typ, 'at+jwt');
      const claims = await pyjwtVerify(jwks(), t.token, API, issuer());
      assert.equal(claims.sub, 'alice@partner.example');
      assert.equal(claims.email, 'alice@partner.example');
      assert.equal(typeof claims.jti, 'string');
      assert.equal(claims.exp - claims.iat, 600, 'accessToken.lifetimeSeconds, not the assertion\'s validity');
      const viaRest = await rest(two!, { token_type: 'ACCESS_TOKEN', audience: [API] });
      assert.equal(header(viaRest).typ, 'at+jwt');
      assert.equal((await pyjwtVerify(jwks(), viaRest, API, issuer())).sub, 'dave@partner.example');
    });

    test('EncryptedAssertion made by pysaml2 (AES-256-CBC in a Response, AES-128-CBC bare) to the encryption key pysaml2 reads from the instance metadata', async () => {
      const [inResponse, bare] = [docs.get('enc-response'), docs.get('enc-bare')];
      assert.match(inResponse!, /EncryptedAssertion>\s*<ns0:EncryptedData/);
      assert.doesNotMatch(inResponse!, /erin@partner/, 'the NameID is not readable in transit');
      const t = await gql(inResponse!, { type: 'OPENIDCONNECT' });
      assert.equal((await pyjwtVerify(jwks(), t.token, RP, issuer())).sub, 'erin@partner.example');
      const viaRest = await rest(bare!, { token_type: 'ACCESS_TOKEN' });
      assert.equal((await pyjwtVerify(jwks(), viaRest, API, issuer())).sub, 'frank@partner.example');
    });

    test('EncryptedAssertion made by xmlsec1 (AES-256-GCM) around a pysaml2 assertion → SAML2 for another SP', async () => {
      const encrypted = xmlsecEncryptedAssertion(docs.get('for-gcm-1'), encCertPem, URI.aes256Gcm);
      assert.match(encrypted, /aes256-gcm/);
      const t = await gql(encrypted, { type: 'SAML2' });
      const a = assertionOf(judge(t.token, (await metadataCert(s, NAME)).pem));
      assert.equal(text(el(a, NS.saml, 'NameID')), 'grace@partner.example');
      // A second one over REST.
      const viaRest = await rest(xmlsecEncryptedAssertion(docs.get('for-gcm-2'), encCertPem), { token_type: 'OPENIDCONNECT', allow_access: true });
      assert.equal((await pyjwtVerify(jwks(), viaRest, RP, issuer())).sub, 'heidi@partner.example');
    });

    test('an ECDSA P-256 partner trusted by certificate: a template signed by xmlsec1 with ecdsa-sha256', async () => {
      const make = (nameId: string) =>
        xmlsecSignedAssertion({ issuer: ecIdp.entityId, nameId, audience: SP_AUDIENCE, keyPath: ecIdp.cert.keyPath, certPath: ecIdp.cert.certPath, signAlg: URI.ecdsaSha256 });
      const t = await gql(make('ivan@partner.example'), { type: 'OPENIDCONNECT' });
      assert.equal((await pyjwtVerify(jwks(), t.token, RP, issuer())).sub, 'ivan@partner.example');
      const viaRest = await rest(make('judy@partner.example'), { token_type: 'SAML2' });
      assert.equal(text(el(parseXml(viaRest), NS.saml, 'NameID')), 'judy@partner.example');
    });

    test('rsa-sha512 over SHA-512 is accepted; so is every Recipient API.md §7 names (token endpoints, REST URL, saml2Trust[].recipients)', async () => {
      for (const name of ['sha512', 'recipient-0', 'recipient-1', 'recipient-2', 'recipient-3', 'recipient-4']) {
        const t = await gql(docs.get(name), { type: 'OPENIDCONNECT' });
        assert.equal(t.subject, 'alice@partner.example', name);
      }
    });

    test('the instance metadata: use="encryption" with the accepted algorithms, valid by pysaml2\'s metadata schema check', async () => {
      assert.equal(docs.get('tessera-md-schema'), 'valid');
      const md = parseXml(await (await fetch(`${s.url}/sts/${NAME}/saml-metadata.xml`)).text());
      const enc = els(md, NS.md, 'KeyDescriptor').find((k) => k.getAttribute('use') === 'encryption')!;
      assert.deepEqual(
        els(enc, NS.md, 'EncryptionMethod').map((m) => m.getAttribute('Algorithm')),
        [URI.aes256Gcm, URI.aes128Cbc, URI.aes256Cbc, 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p'],
      );
    });

    test('an EncryptedID (SAML core 2.2.4) made by xmlsec1 for the instance: the NameID is read after the signature is checked', async () => {
      const signed = (certPem: string) =>
        xmlsecSignedAssertion({ issuer: ecIdp.entityId, nameId: 'hidden@partner.example', audience: SP_AUDIENCE, keyPath: ecIdp.cert.keyPath, certPath: ecIdp.cert.certPath, signAlg: URI.ecdsaSha256, encryptNameId: { certPem } });
      const xml = signed(encCertPem);
      assert.match(xml, /<saml:EncryptedID><xenc:EncryptedData/);
      assert.doesNotMatch(xml, /hidden@partner\.example/, 'the NameID is not in clear');
      const t = await gql(xml, { type: 'OPENIDCONNECT' });
      assert.equal(t.subject, 'hidden@partner.example');
      assert.equal((await pyjwtVerify(jwks(), t.token, RP, issuer())).sub, 'hidden@partner.example');
      // Encrypted to another key: refused, saying why.
      const other = ws.selfSigned({ cn: 'someone else', newkey: NEWKEY.rsa2048 });
      const r = await s.gql(TRANSLATE, { n: NAME, in: gqlIn(signed(other.pem)), out: { type: 'OPENIDCONNECT' } });
      assert.equal(r.errors?.[0]?.extensions?.code, 'INVALID_TOKEN');
      assert.match(r.errors![0]!.message, /EncryptedID cannot be read/);
    });

    test('the SP metadata partners configure: the audience as entityID, the REST door and extra recipients as consumer services, the encryption key; pysaml2 reads it and encrypts to it', async () => {
      const res = await fetch(`${s.url}/sts/${NAME}/saml-sp-metadata.xml`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/samlmetadata\+xml/);
      const md = parseXml(await res.text());
      assert.equal(md.documentElement.localName, 'EntityDescriptor', 'both partners address one audience: one SP');
      assert.equal(md.documentElement.getAttribute('entityID'), SP_AUDIENCE);
      assert.ok(md.documentElement.getAttribute('validUntil'));
      const sp = els(md, NS.md, 'SPSSODescriptor')[0]!;
      assert.equal(sp.getAttribute('WantAssertionsSigned'), 'true');
      assert.deepEqual(
        els(sp, NS.md, 'AssertionConsumerService').map((a) => [a.getAttribute('Binding'), a.getAttribute('Location')]),
        [
          ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', restUrl],
          ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', EXTRA_RECIPIENT],
        ],
      );
      const enc = els(sp, NS.md, 'KeyDescriptor').find((k) => k.getAttribute('use') === 'encryption')!;
      assert.equal(els(enc, NS.ds, 'X509Certificate')[0]!.textContent!.replace(/\s+/g, ''), encCertPem.replace(/-----[^-]+-----|\s+/g, ''));
      assert.equal(docs.get('tessera-sp-md-schema'), 'valid');
      const t = await gql(docs.get('enc-to-sp')!, { type: 'OPENIDCONNECT' });
      assert.equal((await pyjwtVerify(jwks(), t.token, RP, issuer())).sub, 'spencer@partner.example');
    });

    test('the instance metadata publishes the encryption certificate only while it trusts partners', async () => {
      const name = `${NAME}-out-only`;
      const r = await s.gql(PUBLISH, { i: { name, transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { issuer: 'https://tessera.example/other', spEntityId: OTHER_SP } } }, s.adminToken);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      const md = await (await fetch(`${s.url}/sts/${name}/saml-metadata.xml`)).text();
      assert.doesNotMatch(md, /use="encryption"/);
      const sp = await fetch(`${s.url}/sts/${name}/saml-sp-metadata.xml`);
      assert.equal(sp.status, 404);
      assert.equal(((await sp.json()) as { detail: { code: string } }).detail.code, 'NOT_FOUND');
      assert.match(await (await fetch(`${s.url}/sts/${NAME}/saml-metadata.xml`)).text(), /use="encryption"/);
    });

    test('a Response signed as a whole (the assertion unsigned, as Keycloak signs by default), plain and with an EncryptedAssertion', async () => {
      const plain = docs.get('response-signed')!;
      const assertionEl = els(parseXml(plain), NS.saml, 'Assertion')[0]!;
      assert.equal(els(assertionEl, NS.ds, 'Signature').length, 0, 'the assertion carries no signature of its own');
      assert.equal(els(parseXml(plain), NS.ds, 'Signature').length, 1, 'the Response does');
      const t = await gql(plain, { type: 'OPENIDCONNECT' });
      assert.equal((await pyjwtVerify(jwks(), t.token, RP, issuer())).sub, 'rosa@partner.example');
      const enc = await rest(docs.get('response-signed-enc')!, { token_type: 'ACCESS_TOKEN' });
      assert.equal((await pyjwtVerify(jwks(), enc, API, issuer())).sub, 'ruth@partner.example');
      const refuse = async (xml: string, pattern: RegExp) => {
        const r = await s.gql(TRANSLATE, { n: NAME, in: gqlIn(xml), out: { type: 'OPENIDCONNECT' } });
        assert.equal(r.errors?.[0]?.extensions?.code, 'INVALID_TOKEN', JSON.stringify(r.errors));
        assert.match(r.errors![0]!.message, pattern);
      };
      await refuse(docs.get('response-signed-elsewhere')!, /Destination/);
      await refuse(docs.get('response-signed-tamper')!.replace('rudy@partner.example', 'admin@partner.example'), /Response signature does not verify/);
      await refuse(docs.get('response-unsigned')!, /not signed/);
      // Signed once, accepted once.
      await refuse(plain, /already used/);
    });

    test('after a key rotation, assertions encrypted to the previous certificate still decrypt; after retirement they do not', async () => {
      const encrypted = xmlsecEncryptedAssertion(docs.get('for-rotation'), encCertPem, URI.aes256Gcm);
      const keys = (await s.gql('{ keys { kid algorithm status certificate } }', {}, s.adminToken)).data.keys as Array<{ kid: string; algorithm: string; status: string; certificate: string }>;
      const old = keys.find((k) => k.status === 'ACTIVE' && k.certificate.replace(/\s+/g, '') === encCertPem.replace(/\s+/g, ''));
      assert.ok(old, 'the encryption certificate is an active key');
      const rotated = await s.gql('mutation($k:String!){ rotateKey(kid:$k){ kid } }', { k: old.kid }, s.adminToken);
      assert.equal(rotated.errors, undefined, JSON.stringify(rotated.errors));
      assert.notEqual(await encryptionCertificate(s, NAME), encCertPem, 'the metadata now names the new key');
      const t = await gql(encrypted, { type: 'OPENIDCONNECT' });
      assert.equal(t.subject, 'rita@partner.example');
      const retired = await s.gql('mutation($k:String!){ retireKey(kid:$k){ status } }', { k: old.kid }, s.adminToken);
      assert.equal(retired.errors, undefined, JSON.stringify(retired.errors));
      const again = xmlsecEncryptedAssertion(docs.get('for-rotation-2'), encCertPem, URI.aes256Gcm);
      const r = await s.gql(TRANSLATE, { n: NAME, in: gqlIn(again), out: { type: 'OPENIDCONNECT' } });
      assert.equal(r.errors?.[0]?.extensions?.code, 'INVALID_TOKEN');
      assert.match(r.errors![0]!.message, /EncryptedAssertion cannot be read/);
      encCertPem = await encryptionCertificate(s, NAME);
    });

    describe('saml2Trust configuration mistakes are BAD_USER_INPUT naming the field', () => {
      const base = (trust: unknown) => ({
        name: 'bad-trust',
        transforms: [{ input: 'SAML2', output: 'OPENIDCONNECT' }],
        oidc: { audience: [RP] },
        ...(trust === undefined ? {} : { saml2Trust: trust }),
      });
      const cases: Array<{ what: string; trust: () => Promise<unknown>; field: string; message: RegExp }> = [
        { what: 'no saml2Trust for a SAML2 input', trust: async () => undefined, field: 'input.saml2Trust', message: /trusted identity provider/ },
        { what: 'no certificates and no metadata', trust: async () => [{ issuer: idp.entityId, audience: [SP_AUDIENCE] }], field: 'input.saml2Trust[0]', message: /signing certificates/ },
        { what: 'a certificate that is not PEM', trust: async () => [{ issuer: idp.entityId, certificates: ['not a certificate'], audience: [SP_AUDIENCE] }], field: 'input.saml2Trust[0].certificates[0]', message: /PEM/ },
        {
          what: 'an RSA-1024 certificate',
          trust: async () => [{ issuer: idp.entityId, certificates: [ws.selfSigned({ newkey: NEWKEY.rsa1024 }).pem], audience: [SP_AUDIENCE] }],
          field: 'input.saml2Trust[0].certificates[0]',
          message: /2048/,
        },
        { what: 'no audience', trust: async () => [{ issuer: idp.entityId, certificates: [idp.cert.pem], audience: [] }], field: 'input.saml2Trust[0].audience', message: /./ },
        {
          what: 'a recipient that is not an absolute URI',
          trust: async () => [{ issuer: idp.entityId, certificates: [idp.cert.pem], audience: [SP_AUDIENCE], recipients: ['/saml/acs'] }],
          field: 'input.saml2Trust[0].recipients[0]',
          message: /absolute URI/,
        },
        {
          what: 'rsa-sha1 pinned',
          trust: async () => [{ issuer: idp.entityId, certificates: [idp.cert.pem], audience: [SP_AUDIENCE], signatureAlgorithms: [URI.rsaSha1] }],
          field: 'input.saml2Trust[0].signatureAlgorithms[0]',
          message: /SHA-1 is refused/,
        },
        {
          what: 'the same issuer twice',
          trust: async () => [
            { issuer: idp.entityId, certificates: [idp.cert.pem], audience: [SP_AUDIENCE] },
            { issuer: idp.entityId, certificates: [idp.cert.pem], audience: [SP_AUDIENCE] },
          ],
          field: 'input.saml2Trust[1].issuer',
          message: /already listed/,
        },
        {
          what: 'metadata naming another entityID',
          trust: async () => [{ issuer: 'https://someone-else.example', metadataXml: docs.get('md'), audience: [SP_AUDIENCE] }],
          field: 'input.saml2Trust[0].metadataXml',
          message: /names entityID/,
        },
        {
          what: 'service provider metadata where an IdP\'s is expected',
          trust: async () => [
            {
              issuer: 'https://sp.example',
              metadataXml: `<md:EntityDescriptor xmlns:md="${XMLNS.md}" entityID="https://sp.example"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>`,
              audience: [SP_AUDIENCE],
            },
          ],
          field: 'input.saml2Trust[0].metadataXml',
          message: /service provider/,
        },
        {
          what: 'metadata with a DOCTYPE',
          trust: async () => [
            {
              issuer: idp.entityId,
              metadataXml: `<!DOCTYPE md [<!ENTITY x "y">]>` + (docs.get('md')),
              audience: [SP_AUDIENCE],
            },
          ],
          field: 'input.saml2Trust[0].metadataXml',
          message: /DTD/,
        },
        { what: 'metadata that is not XML', trust: async () => [{ issuer: idp.entityId, metadataXml: '{"not": "xml"}', audience: [SP_AUDIENCE] }], field: 'input.saml2Trust[0].metadataXml', message: /./ },
      ];
      for (const c of cases) {
        test(c.what, async () => {
          const r = await s.gql(PUBLISH, { i: base(await c.trust()) }, s.adminToken);
          assert.equal(r.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(r.errors ?? r.data));
          assert.equal(r.errors?.[0]?.extensions?.field, c.field, JSON.stringify(r.errors));
          assert.match(r.errors![0]!.message, c.message);
        });
      }
      test('nothing of the above was published', async () => {
        const r = await s.gql(`query { instance(name: "bad-trust") { name } }`, {}, s.adminToken);
        assert.equal(r.data.instance, null);
      });
    });
  });
}

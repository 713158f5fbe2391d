/**
 * SAML2 encryption end to end (SAML core 6, API.md §3): every encryption mode (encryptAssertion, encryptNameId,
 * encryptAttributes, both parts) with every data encryption algorithm (aes256-gcm by default, aes128-cbc,
 * aes256-cbc), decrypted by xmlsec1 with the SP's private key. An EncryptedAssertion must decrypt to an assertion
 * that is schema-valid and verifies with the certificate from the metadata; an assertion with encrypted parts
 * must verify as issued, and each part must decrypt to a schema-valid NameID or Attribute. Values with markup,
 * quotes and non-ASCII text must come back exactly. The full matrix runs on SQLite and on PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { makeSelfSigned, type TestCert } from '../support/pki.js';
import { ToolError, xmllintAssertion, xmlsecDecrypt } from '../support/saml.js';
import {
  CM,
  ENC,
  NS,
  SIG,
  TRICKY,
  assertionOf,
  attributeValues,
  children,
  createUser,
  decryptAssertion,
  decryptPart,
  el,
  els,
  encryptedDataFragments,
  judge,
  metadataCert,
  parseXml,
  publish,
  text,
  translate,
  validate,
} from '../support/saml-api.js';

const PASSWORD = 'zoe-password-1';
const ZOE = { mail: 'zoe@example.com', displayName: TRICKY, memberOf: ['R&D', '<admins>', 'plain', `"q" 'q'`] };
const ATTRIBUTE_MAP = { mail: 'mail', displayName: 'displayName', groups: 'memberOf' };
const EXPECTED_ATTRIBUTES = { mail: [ZOE.mail], displayName: [TRICKY], groups: ZOE.memberOf };

type Mode = 'encryptAssertion' | 'encryptNameId' | 'encryptAttributes' | 'encryptNameId+encryptAttributes';
const MODES: Mode[] = ['encryptAssertion', 'encryptNameId', 'encryptAttributes', 'encryptNameId+encryptAttributes'];
const DATA_ALGS: Array<{ label: string; short: string; uri: string; configured?: string }> = [
  { label: 'aes256-gcm (default)', short: 'gcm256', uri: ENC.aes256Gcm },
  { label: 'aes128-cbc', short: 'cbc128', uri: ENC.aes128Cbc, configured: ENC.aes128Cbc },
  { label: 'aes256-cbc', short: 'cbc256', uri: ENC.aes256Cbc, configured: ENC.aes256Cbc },
];
const MODE_SHORT: Record<Mode, string> = {
  encryptAssertion: 'assertion',
  encryptNameId: 'nameid',
  encryptAttributes: 'attributes',
  'encryptNameId+encryptAttributes': 'nameid-attributes',
};

/** The xenc:EncryptedData structure of API.md §3: Type Element, the data algorithm, KeyInfo holding the EncryptedKey. */
function checkEncryptedData(container: Element, dataAlg: string): void {
  const data = children(container);
  assert.equal(data.length, 1, `${container.localName} holds one EncryptedData`);
  const ed = data[0]!;
  assert.equal(ed.namespaceURI, NS.xenc);
  assert.equal(ed.localName, 'EncryptedData');
  assert.equal(ed.getAttribute('Type'), 'http://www.w3.org/2001/04/xmlenc#Element');
  const method = children(ed).find((c) => c.localName === 'EncryptionMethod')!;
  assert.equal(method.getAttribute('Algorithm'), dataAlg);
  const keyInfo = children(ed).find((c) => c.namespaceURI === NS.ds && c.localName === 'KeyInfo');
  assert.ok(keyInfo, 'EncryptedData/ds:KeyInfo');
  const ek = el(keyInfo, NS.xenc, 'EncryptedKey');
  assert.equal(children(ek).find((c) => c.localName === 'EncryptionMethod')!.getAttribute('Algorithm'), ENC.rsaOaepMgf1p);
}

for (const db of DB_KINDS) {
  describe(`SAML2 encryption on ${db}`, () => {
    let s: TestServer;
    let sp: TestCert;
    let other: TestCert;
    let idpCert: string;
    let ecCert: string;

    const name = (mode: Mode, alg: { short: string }): string => `enc-${MODE_SHORT[mode]}-${alg.short}`;

    before(async () => {
      s = await startServer({ db });
      [sp, other] = await Promise.all([makeSelfSigned({ cn: 'sp.example.com' }), makeSelfSigned({ cn: 'someone-else.example.com' })]);
      await createUser(s, 'zoe', PASSWORD, ZOE);
      for (const mode of MODES) {
        for (const alg of DATA_ALGS) {
          await publish(s, {
            name: name(mode, alg),
            transforms: [{ input: 'USERNAME', output: 'SAML2' }],
            saml2: {
              issuer: 'https://idp.example.com/enc',
              spEntityId: 'https://sp.example.com/enc',
              attributeMap: ATTRIBUTE_MAP,
              spEncryptionCertificate: sp.certPem,
              ...(alg.configured ? { dataEncryptionAlgorithm: alg.configured } : {}),
              ...(mode === 'encryptAssertion' ? { encryptAssertion: true } : {}),
              ...(mode.includes('encryptNameId') ? { encryptNameId: true } : {}),
              ...(mode.includes('encryptAttributes') ? { encryptAttributes: true } : {}),
            },
          });
        }
      }
      await publish(s, {
        name: 'enc-ecdsa-hok',
        transforms: [{ input: 'USERNAME', output: 'SAML2' }],
        saml2: {
          issuer: 'https://idp.example.com/enc-ec',
          spEntityId: 'https://sp.example.com/enc',
          attributeMap: ATTRIBUTE_MAP,
          signatureAlgorithm: SIG.ecdsaSha256,
          encryptAssertion: true,
          dataEncryptionAlgorithm: ENC.aes256Cbc,
          spEncryptionCertificate: sp.certPem,
        },
      });
      idpCert = (await metadataCert(s, name('encryptAssertion', DATA_ALGS[0]!))).pem;
      ecCert = (await metadataCert(s, 'enc-ecdsa-hok')).pem;
    });
    after(async () => {
      await s?.destroy();
    });

    const login = { type: 'USERNAME', username: 'zoe', password: PASSWORD };

    for (const mode of MODES) {
      for (const alg of DATA_ALGS) {
        test(`${mode} with ${alg.label}: xmlsec1 decrypts with the SP key and the content round-trips`, async () => {
          const instance = name(mode, alg);
          const t = await translate(s, instance, login, { type: 'SAML2' });
          const root = parseXml(t.token).documentElement as unknown as Element;
          let assertionXml: string;
          if (mode === 'encryptAssertion') {
            assert.equal(root.namespaceURI, NS.saml);
            assert.equal(root.localName, 'EncryptedAssertion');
            xmllintAssertion(t.token);
            checkEncryptedData(root, alg.uri);
            assert.doesNotMatch(t.token, /zoe@example\.com|<saml:(?:Assertion|NameID|Attribute)\b/, 'nothing readable outside the ciphertext');
            assertionXml = decryptAssertion(t.token, sp.privateKeyPem);
          } else {
            assertionXml = t.token;
          }
          // Either the decrypted assertion (signed before it was encrypted) or the issued one (signed over its
          // encrypted parts): schema-valid and verified with the metadata certificate.
          const a = assertionOf(judge(assertionXml, idpCert));
          assert.equal(a.getAttribute('ID'), t.tokenId);
          const subject = el(a, NS.saml, 'Subject');

          if (mode.includes('encryptNameId')) {
            assert.equal(els(subject, NS.saml, 'NameID').length, 0, 'no plain NameID next to the EncryptedID');
            const encryptedId = el(subject, NS.saml, 'EncryptedID');
            checkEncryptedData(encryptedId, alg.uri);
            const frags = encryptedDataFragments(serializeChildren(t.token, 'EncryptedID'));
            assert.equal(frags.length, 1);
            const nameId = decryptPart(frags[0]!, sp.privateKeyPem);
            assert.equal(nameId.namespaceURI, NS.saml);
            assert.equal(nameId.localName, 'NameID');
            assert.equal(text(nameId), 'zoe');
            xmllintAssertion(xmlsecDecrypt(frags[0]!, sp.privateKeyPem));
          } else {
            assert.equal(text(el(subject, NS.saml, 'NameID')), 'zoe');
            assert.equal(els(a, NS.saml, 'EncryptedID').length, 0);
          }

          const statement = el(a, NS.saml, 'AttributeStatement');
          if (mode.includes('encryptAttributes')) {
            assert.equal(els(statement, NS.saml, 'Attribute').length, 0, 'no plain Attribute next to the EncryptedAttributes');
            const encrypted = els(statement, NS.saml, 'EncryptedAttribute');
            assert.equal(encrypted.length, Object.keys(EXPECTED_ATTRIBUTES).length, 'one EncryptedAttribute per attribute');
            for (const e of encrypted) checkEncryptedData(e, alg.uri);
            const frags = encryptedDataFragments(serializeChildren(t.token, 'EncryptedAttribute'));
            assert.equal(frags.length, encrypted.length);
            const got: Record<string, string[]> = {};
            for (const f of frags) {
              const plain = xmlsecDecrypt(f, sp.privateKeyPem);
              xmllintAssertion(plain);
              const attr = parseXml(plain).documentElement as unknown as Element;
              assert.equal(attr.localName, 'Attribute');
              Object.assign(got, attributeValues(attr));
            }
            assert.deepEqual(got, EXPECTED_ATTRIBUTES);
          } else {
            assert.equal(els(statement, NS.saml, 'EncryptedAttribute').length, 0);
            assert.deepEqual(attributeValues(statement), EXPECTED_ATTRIBUTES);
          }

          // Whatever is encrypted, the token validates (by signature and record, or by record alone).
          const v = await validate(s, instance, t.token, s.adminToken);
          assert.equal(v.valid, true, JSON.stringify(v));
          assert.equal(Date.parse(v.expiresAt!), Date.parse(t.expiresAt));
        });
      }
    }

    test('encryptAssertion with ecdsa-sha256 and HOLDER_OF_KEY: decrypts, verifies with the EC metadata certificate', async () => {
      const holder = await makeSelfSigned({ keyAlg: 'EC', cn: 'holder' });
      const t = await translate(s, 'enc-ecdsa-hok', login, { type: 'SAML2', subjectConfirmation: 'HOLDER_OF_KEY', proofCertificate: holder.certPem });
      const root = parseXml(t.token).documentElement as unknown as Element;
      checkEncryptedData(root, ENC.aes256Cbc);
      const inner = decryptAssertion(t.token, sp.privateKeyPem);
      const a = assertionOf(judge(inner, ecCert));
      assert.equal(el(a, NS.ds, 'SignatureMethod').getAttribute('Algorithm'), SIG.ecdsaSha256);
      assert.equal(el(a, NS.saml, 'SubjectConfirmation').getAttribute('Method'), CM.HOLDER_OF_KEY);
      assert.equal(text(el(el(a, NS.saml, 'SubjectConfirmationData'), NS.ds, 'X509Certificate')), holder.certDerB64);
      assert.deepEqual(attributeValues(a), EXPECTED_ATTRIBUTES);
      // The RSA certificate of another instance does not verify it: the judge can say no.
      assert.throws(() => judge(inner, idpCert), ToolError);
    });

    test('validateToken gives an admin the subject of an assertion whose NameID is encrypted (from the record)', async () => {
      for (const mode of ['encryptAssertion', 'encryptNameId', 'encryptNameId+encryptAttributes'] as const) {
        const instance = name(mode, DATA_ALGS[0]!);
        const t = await translate(s, instance, login, { type: 'SAML2' });
        const v = await validate(s, instance, t.token, s.adminToken);
        assert.equal(v.valid, true);
        assert.equal(v.subject, 'zoe', `${mode}: the issued-token record knows the subject even where the token hides it`);
      }
    });

    test('only the SP key decrypts: another RSA key fails in xmlsec1', async () => {
      const t = await translate(s, name('encryptAssertion', DATA_ALGS[1]!), login, { type: 'SAML2' });
      assert.throws(() => xmlsecDecrypt(t.token, other.privateKeyPem), ToolError);
      const frags = encryptedDataFragments((await translate(s, name('encryptNameId', DATA_ALGS[0]!), login, { type: 'SAML2' })).token);
      assert.equal(frags.length, 1);
      assert.throws(() => xmlsecDecrypt(frags[0]!, other.privateKeyPem), ToolError);
    });

    test('publish refuses an encrypt flag without spEncryptionCertificate, and unknown algorithms', async () => {
      const base = { name: 'enc-bad', transforms: [{ input: 'USERNAME', output: 'SAML2' }] };
      const saml2 = { issuer: 'https://idp.example.com/bad', spEntityId: 'https://sp.example.com/bad' };
      for (const extra of [
        { encryptAssertion: true },
        { encryptNameId: true, spEncryptionCertificate: 'not a certificate' },
        { encryptAttributes: true, spEncryptionCertificate: sp.certPem, dataEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc' },
        { encryptAssertion: true, spEncryptionCertificate: sp.certPem, keyTransportAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-1_5' },
      ]) {
        const r = await s.gql('mutation($i: InstanceInput!) { publishInstance(input: $i) { id } }', { i: { ...base, saml2: { ...saml2, ...extra } } }, s.adminToken);
        assert.equal(r.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(extra));
      }
    });
  });
}

/** The standalone EncryptedData fragments inside the given SAML wrapper elements of an issued assertion. */
function serializeChildren(xml: string, wrapper: 'EncryptedID' | 'EncryptedAttribute'): string {
  const re = new RegExp(`<saml:${wrapper}\\b[^>]*>[\\s\\S]*?</saml:${wrapper}>`, 'g');
  return (xml.match(re) ?? []).join('');
}

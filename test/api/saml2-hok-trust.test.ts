/**
 * saml2.holderOfKeyTrust: an instance may restrict HOLDER_OF_KEY confirmation certificates to a trust list —
 * a listed certificate (pinned) or one a listed certificate issued. Certificates made by OpenSSL, through
 * GraphQL and the PingAM REST door, on SQLite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createUser, publish, translate, translateRaw } from '../support/saml-api.js';
import { NEWKEY, OpensslWorkspace, type OpensslCert } from '../support/openssl.js';
import { uniqueName } from '../support/engine.js';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';

const der = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
const PASSWORD = 'hok-trust-password';

for (const db of DB_KINDS) {
  describe(`SAML2 holder-of-key trust list (${db})`, () => {
    let s: TestServer;
    let ws: OpensslWorkspace;
    let ca: OpensslCert;
    let issuedByCa: OpensslCert;
    let pinned: OpensslCert;
    let stranger: OpensslCert;
    const restricted = uniqueName('hok-trust');
    const open = uniqueName('hok-open');
    const input = { type: 'USERNAME', username: 'hilda', password: PASSWORD };
    const hok = (c: OpensslCert) => ({ type: 'SAML2', subjectConfirmation: 'HOLDER_OF_KEY', proofCertificate: c.pem });

    before(async () => {
      ws = new OpensslWorkspace();
      ca = ws.selfSigned({ cn: 'Holder CA', newkey: NEWKEY.rsa2048, extra: ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'] });
      issuedByCa = ws.issue(ca, { cn: 'holder issued by the CA' });
      // What `openssl req -x509 -newkey` makes: CA:TRUE, self-signed.
      pinned = ws.selfSigned({ cn: 'pinned holder', newkey: NEWKEY.p256 });
      stranger = ws.selfSigned({ cn: 'stranger', newkey: NEWKEY.rsa2048 });
      s = await startServer({ db });
      await createUser(s, 'hilda', PASSWORD);
      const saml2 = { issuer: 'https://sts.example/hok', spEntityId: 'https://sp.example/hok' };
      await publish(s, { name: restricted, transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { ...saml2, holderOfKeyTrust: [ca.pem, pinned.pem] } });
      await publish(s, { name: open, transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2 });
    });
    after(async () => {
      await s?.destroy();
      ws?.cleanup();
    });

    test('the list is kept and shown', async () => {
      const r = await s.gql('query($n: String!) { instance(name: $n) { saml2 { holderOfKeyTrust } } }', { n: restricted }, s.adminToken);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      assert.deepEqual(r.data.instance.saml2.holderOfKeyTrust.map(der), [der(ca.pem), der(pinned.pem)]);
      const o = await s.gql('query($n: String!) { instance(name: $n) { saml2 { holderOfKeyTrust } } }', { n: open }, s.adminToken);
      assert.equal(o.data.instance.saml2.holderOfKeyTrust, null);
    });

    test('a certificate the listed CA issued, and a pinned one, confirm the subject', async () => {
      for (const c of [issuedByCa, pinned]) {
        const t = await translate(s, restricted, input, hok(c));
        const xml = Buffer.from(t.token, 'base64').toString('utf8').includes('<') ? Buffer.from(t.token, 'base64').toString('utf8') : t.token;
        assert.match(xml, /SubjectConfirmation Method="urn:oasis:names:tc:SAML:2\.0:cm:holder-of-key"/);
        assert.ok(xml.replace(/\s/g, '').includes(der(c.pem)), 'the confirmation names the holder\'s certificate');
      }
    });

    test('any other certificate is refused at output.proofCertificate; without a list it is accepted', async () => {
      const r = await translateRaw(s, restricted, input, hok(stranger));
      assert.equal(r.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(r.errors?.[0]?.extensions?.field, 'output.proofCertificate');
      assert.match(r.errors![0]!.message, /neither listed nor issued by a certificate this instance trusts/);
      // The CA itself is listed, so it is accepted as pinned; a certificate issued by the stranger is not.
      assert.equal((await translateRaw(s, restricted, input, hok(ws.issue(stranger, { cn: 'issued by the stranger' })))).errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      await translate(s, open, input, hok(stranger));
    });

    test('the PingAM REST door applies the same list', async () => {
      const body = (c: OpensslCert) => ({
        input_token_state: { token_type: 'USERNAME', username: 'hilda', password: PASSWORD },
        output_token_state: { token_type: 'SAML2', subject_confirmation: 'HOLDER_OF_KEY', proof_token_state: { base64EncodedCertificate: der(c.pem) } },
      });
      assert.equal((await s.rest(restricted, 'translate', body(issuedByCa))).status, 200);
      const refused = await s.rest(restricted, 'translate', body(stranger));
      assert.equal(refused.status, 400);
      assert.equal(refused.body.detail.code, 'BAD_USER_INPUT');
    });

    test('publish refuses a list entry that is not one PEM certificate, at its index', async () => {
      const r = await s.gql(
        'mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }',
        { i: { name: uniqueName('hok-bad'), transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { issuer: 'https://sts.example/x', spEntityId: 'https://sp.example/x', holderOfKeyTrust: [pinned.pem, 'not a certificate'] } } },
        s.adminToken,
      );
      assert.equal(r.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(r.errors?.[0]?.extensions?.field, 'input.saml2.holderOfKeyTrust[1]');
    });
  });
}

/**
 * The life of an issued SAML2 assertion through the public API, on SQLite and PostgreSQL: validateToken and
 * cancelToken over GraphQL and REST (valid, CANCELLED, EXPIRED, BAD_SIGNATURE, MALFORMED, UNKNOWN), an
 * EncryptedAssertion judged by its record, expiry and cancellation, forged and tampered copies, and hostile
 * translate requests (holder-of-key certificates that confirm no one, sender-vouches without a sender).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, codeOf, startServer, type TestServer } from '../support/server.js';
import { makeCa, makeSelfSigned, type TestCert } from '../support/pki.js';
import { xmlsecVerify } from '../support/saml.js';
import {
  CANCEL,
  ISSUED,
  NS,
  assertNoInternals,
  bearer,
  createUser,
  el,
  metadataCert,
  parseXml,
  publish,
  restTranslate,
  time,
  translate,
  translateRaw,
  validate,
} from '../support/saml-api.js';
import { TestClock } from '../support/clock.js';

const PASSWORD = 'alice-password-1';
const SAML = { issuer: 'https://idp.example.com/life', spEntityId: 'https://sp.example.com/life', attributeMap: { mail: 'mail' } };
const LOGIN = { type: 'USERNAME', username: 'alice', password: PASSWORD };
const REST_LOGIN = { token_type: 'USERNAME', username: 'alice', password: PASSWORD };

/** The server's clock: tests move it instead of sleeping. */
const clock = new TestClock();

for (const db of DB_KINDS) {
  describe(`SAML2 validate, cancel and hostile requests on ${db}`, () => {
    let s: TestServer;
    let sp: TestCert;
    let idpCert: string;

    before(async () => {
      s = await startServer({ db, clock });
      sp = await makeSelfSigned({ cn: 'sp.example.com' });
      await createUser(s, 'alice', PASSWORD, { mail: 'alice@example.com' });
      const transforms = [{ input: 'USERNAME', output: 'SAML2' }];
      await publish(s, { name: 'life', transforms, saml2: SAML });
      await publish(s, { name: 'life-other', transforms, saml2: SAML });
      await publish(s, { name: 'life-short', transforms, saml2: { ...SAML, lifetimeSeconds: 1 } });
      const enc = { ...SAML, encryptAssertion: true, spEncryptionCertificate: sp.certPem };
      await publish(s, { name: 'life-enc', transforms, saml2: enc });
      await publish(s, { name: 'life-enc-short', transforms, saml2: { ...enc, lifetimeSeconds: 1 } });
      await publish(s, { name: 'life-nopersist', transforms, persistIssuedTokens: false, saml2: SAML });
      idpCert = (await metadataCert(s, 'life')).pem;
    });
    after(async () => {
      await s?.destroy();
    });

    const cancel = (instance: string, token: string) => s.gql(CANCEL, { n: instance, t: token });
    const restValidate = (instance: string, token: string) => s.rest(instance, 'validate', { validated_token_state: { token_type: 'SAML2', saml2_token: token } });
    const restCancel = (instance: string, token: string) => s.rest(instance, 'cancel', { cancelled_token_state: { token_type: 'SAML2', saml2_token: token } });

    test('GraphQL: a fresh assertion validates; subject for admins only; cancel → CANCELLED; cancel again is true', async () => {
      const t = await translate(s, 'life', LOGIN, { type: 'SAML2' });
      const admin = await validate(s, 'life', t.token, s.adminToken);
      assert.deepEqual({ ...admin, expiresAt: Date.parse(admin.expiresAt!) }, { valid: true, reason: null, subject: 'alice', expiresAt: Date.parse(t.expiresAt) });
      const anon = await validate(s, 'life', t.token);
      assert.equal(anon.valid, true);
      assert.equal(anon.subject, null, 'the subject is for admin callers only');

      const c = await cancel('life', t.token);
      assert.equal(c.errors, undefined, JSON.stringify(c.errors));
      assert.equal(c.data.cancelToken, true);
      const v = await validate(s, 'life', t.token, s.adminToken);
      assert.equal(v.valid, false);
      assert.equal(v.reason, 'CANCELLED');
      assert.equal((await cancel('life', t.token)).data.cancelToken, true, 'already cancelled is still true');
      assert.deepEqual((await restValidate('life', t.token)).body, { token_valid: false });

      const rec = await s.gql(ISSUED, { n: 'life' }, s.adminToken);
      const mine = (rec.data.issuedTokens as Array<{ tokenId: string; cancelled: boolean }>).find((r) => r.tokenId === t.tokenId);
      assert.equal(mine?.cancelled, true);
    });

    test('REST: validate → token_valid true; cancel → PingAM result; then invalid everywhere', async () => {
      const token = await restTranslate(s, 'life', { input_token_state: REST_LOGIN, output_token_state: { token_type: 'SAML2' } });
      const v = await restValidate('life', token);
      assert.equal(v.status, 200);
      assert.deepEqual(v.body, { token_valid: true });
      const c = await restCancel('life', token);
      assert.equal(c.status, 200, JSON.stringify(c.body));
      assert.deepEqual(c.body, { result: 'SAML2 token cancelled successfully.' });
      assert.deepEqual((await restValidate('life', token)).body, { token_valid: false });
      assert.equal((await validate(s, 'life', token)).reason, 'CANCELLED');
    });

    test('EncryptedAssertion: valid by its record; cancelled → CANCELLED; GraphQL and REST', async () => {
      const t = await translate(s, 'life-enc', LOGIN, { type: 'SAML2' });
      assert.match(t.token, /^<saml:EncryptedAssertion\b/);
      const v = await validate(s, 'life-enc', t.token, s.adminToken);
      assert.equal(v.valid, true, JSON.stringify(v));
      assert.equal(v.subject, 'alice');
      assert.equal(Date.parse(v.expiresAt!), Date.parse(t.expiresAt));
      assert.deepEqual((await restValidate('life-enc', t.token)).body, { token_valid: true });
      const c = await restCancel('life-enc', t.token);
      assert.equal(c.status, 200, JSON.stringify(c.body));
      const after = await validate(s, 'life-enc', t.token);
      assert.deepEqual([after.valid, after.reason], [false, 'CANCELLED']);
      // An EncryptedAssertion nobody issued is not vouched for by anything.
      const forged = t.token.replace(/<xenc:CipherValue>[A-Za-z0-9+/=]{8}/g, '<xenc:CipherValue>AAAAAAAA');
      assert.notEqual(forged, t.token);
      const f = await validate(s, 'life-enc', forged);
      assert.equal(f.valid, false);
      assert.equal(f.reason, 'UNKNOWN');
    });

    test('lifetimeSeconds 1: signed and encrypted assertions become EXPIRED; an expired one can still be cancelled', async () => {
      const plain = await translate(s, 'life-short', LOGIN, { type: 'SAML2' });
      const enc = await translate(s, 'life-enc-short', LOGIN, { type: 'SAML2' });
      const restToken = await restTranslate(s, 'life-short', { input_token_state: REST_LOGIN, output_token_state: { token_type: 'SAML2' } });
      for (const t of [plain, enc]) assert.equal(Date.parse(t.expiresAt) - Date.parse(t.issuedAt), 1000);
      const restExpiry = time(el(parseXml(restToken), NS.saml, 'Conditions'), 'NotOnOrAfter');
      const until = Math.max(Date.parse(plain.expiresAt), Date.parse(enc.expiresAt), restExpiry) + 150;
      await clock.during(Math.max(0, until - Date.now()), async () => {
        for (const [instance, token] of [['life-short', plain.token], ['life-enc-short', enc.token], ['life-short', restToken]] as const) {
          const v = await validate(s, instance, token);
          assert.deepEqual([v.valid, v.reason], [false, 'EXPIRED'], instance);
          assert.deepEqual((await restValidate(instance, token)).body, { token_valid: false });
        }
        const c = await cancel('life-short', plain.token);
        assert.equal(c.data?.cancelToken, true, JSON.stringify(c.errors));
        // Checked in order signature, record, cancellation, expiry: a cancelled token reads CANCELLED.
        const cv = await validate(s, 'life-short', plain.token);
        assert.deepEqual([cv.valid, cv.reason], [false, 'CANCELLED']);
      });
    });

    test('a tampered assertion validates false with BAD_SIGNATURE and cannot be cancelled (INVALID_TOKEN / 401)', async () => {
      const t = await translate(s, 'life', LOGIN, { type: 'SAML2' });
      const tampered = t.token.replace('alice@example.com', 'mallory@example.com');
      assert.notEqual(tampered, t.token);
      assert.throws(() => xmlsecVerify(tampered, idpCert));
      const v = await validate(s, 'life', tampered);
      assert.deepEqual([v.valid, v.reason], [false, 'BAD_SIGNATURE']);
      assert.deepEqual((await restValidate('life', tampered)).body, { token_valid: false });
      assert.equal(codeOf(await cancel('life', tampered)), 'INVALID_TOKEN');
      const rc = await restCancel('life', tampered);
      assert.equal(rc.status, 401);
      assert.equal(rc.body.detail.code, 'INVALID_TOKEN');
      // A stretched expiry is tampering too.
      const later = t.token.replace(/NotOnOrAfter="(\d{4})/g, (_m, y: string) => `NotOnOrAfter="${Number(y) + 1}`);
      assert.notEqual(later, t.token);
      assert.equal((await validate(s, 'life', later)).reason, 'BAD_SIGNATURE');
      assert.equal((await validate(s, 'life', t.token)).valid, true, 'the real one is untouched');
    });

    test('cancel with an unsigned copy reusing a real assertion ID → INVALID_TOKEN, and the real one still validates', async () => {
      const t = await translate(s, 'life', LOGIN, { type: 'SAML2' });
      const unsigned = t.token.replace(/<ds:Signature\b[\s\S]*<\/ds:Signature>/, '');
      assert.notEqual(unsigned, t.token);
      assert.ok(unsigned.includes(`ID="${t.tokenId}"`));
      const c = await cancel('life', unsigned);
      assert.equal(codeOf(c), 'INVALID_TOKEN');
      assert.equal(c.data?.cancelToken ?? null, null);
      assertNoInternals(c.errors![0]!.message);
      const rc = await restCancel('life', unsigned);
      assert.equal(rc.status, 401);
      assert.equal(rc.body.detail.code, 'INVALID_TOKEN');
      const v = await validate(s, 'life', unsigned);
      assert.deepEqual([v.valid, v.reason], [false, 'BAD_SIGNATURE']);
      assert.equal((await validate(s, 'life', t.token)).valid, true);
      assert.deepEqual((await restValidate('life', t.token)).body, { token_valid: true });
    });

    test('records belong to the instance: another instance, or a republished name, knows nothing of the token', async () => {
      const t = await translate(s, 'life', LOGIN, { type: 'SAML2' });
      const other = await validate(s, 'life-other', t.token);
      assert.deepEqual([other.valid, other.reason], [false, 'UNKNOWN']);
      await publish(s, { name: 'life-again', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: SAML });
      const again = await translate(s, 'life-again', LOGIN, { type: 'SAML2' });
      assert.equal((await validate(s, 'life-again', again.token)).valid, true);
      const del = await s.gql('mutation { deleteInstance(name: "life-again") }', {}, s.adminToken);
      assert.equal(del.data?.deleteInstance, true, JSON.stringify(del.errors));
      await publish(s, { name: 'life-again', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: SAML });
      const v = await validate(s, 'life-again', again.token);
      assert.deepEqual([v.valid, v.reason], [false, 'UNKNOWN']);
    });

    test('malformed tokens, a wrong type, an instance that keeps no records', async () => {
      for (const junk of ['not xml at all', '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>']) {
        const v = await validate(s, 'life', junk);
        assert.equal(v.valid, false);
        assert.ok(['MALFORMED', 'BAD_SIGNATURE'].includes(v.reason!), `${junk}: ${v.reason}`);
        assert.equal(codeOf(await cancel('life', junk)), 'INVALID_TOKEN', junk);
      }
      assert.equal((await validate(s, 'life', 'not xml at all')).reason, 'MALFORMED');
      const t = await translate(s, 'life', LOGIN, { type: 'SAML2' });
      const wrongType = await s.gql('mutation($t: String!) { validateToken(instance: "life", type: USERNAME, token: $t) { valid } }', { t: t.token });
      assert.equal(codeOf(wrongType), 'BAD_USER_INPUT');
      const np = await translate(s, 'life-nopersist', LOGIN, { type: 'SAML2' });
      const r = await s.gql('mutation($t: String!) { validateToken(instance: "life-nopersist", type: SAML2, token: $t) { valid } }', { t: np.token });
      assert.equal(codeOf(r), 'TOKEN_PERSISTENCE_DISABLED');
      const rr = await restValidate('life-nopersist', np.token);
      assert.equal(rr.status, 409);
      const unknown = await restValidate('no-such-instance', t.token);
      assert.equal(unknown.status, 404);
    });

    test('HOLDER_OF_KEY without a certificate, with garbage, expired, not yet valid, or signed with SHA-1 → BAD_USER_INPUT / 400', async () => {
      const day = 86400_000;
      const [expired, future, ca, sha1] = await Promise.all([
        makeSelfSigned({ keyAlg: 'EC', cn: 'expired', notBefore: new Date(Date.now() - 3 * day), notAfter: new Date(Date.now() - day) }),
        makeSelfSigned({ keyAlg: 'EC', cn: 'future', notBefore: new Date(Date.now() + day), notAfter: new Date(Date.now() + 3 * day) }),
        makeCa('Holder CA'),
        makeSelfSigned({ keyAlg: 'EC', cn: 'sha1', signingAlgorithm: { name: 'ECDSA', hash: 'SHA-1' } as Algorithm }),
      ]);
      const before = await s.gql(ISSUED, { n: 'life' }, s.adminToken);
      const cases: Array<[string, string | undefined]> = [
        ['missing', undefined],
        ['garbage text', 'this is not a certificate'],
        ['garbage base64', Buffer.from('definitely not DER').toString('base64')],
        ['truncated PEM', ca.certPem.slice(0, 200)],
        ['expired', expired.certPem],
        ['not yet valid', future.certPem],
        // A CA certificate is accepted (its key is what is confirmed); a SHA-1 signature is not.
        ['signed with SHA-1', sha1.certPem],
      ];
      for (const [label, cert] of cases) {
        const output: Record<string, unknown> = { type: 'SAML2', subjectConfirmation: 'HOLDER_OF_KEY' };
        if (cert !== undefined) output.proofCertificate = cert;
        const r = await translateRaw(s, 'life', LOGIN, output);
        assert.equal(codeOf(r), 'BAD_USER_INPUT', label);
        assert.equal(r.data?.translateToken ?? null, null, label);
        assertNoInternals(r.errors![0]!.message);

        const out: Record<string, unknown> = { token_type: 'SAML2', subject_confirmation: 'HOLDER_OF_KEY' };
        if (cert !== undefined) out.proof_token_state = { base64EncodedCertificate: cert.replace(/-----[A-Z ]+-----|\s+/g, '') };
        const rest = await s.rest('life', 'translate', { input_token_state: REST_LOGIN, output_token_state: out });
        assert.equal(rest.status, 400, `${label}: ${JSON.stringify(rest.body)}`);
        assert.equal(rest.body.detail.code, 'BAD_USER_INPUT');
        assert.equal(rest.body.issued_token, undefined);
      }
      const bare = await s.rest('life', 'translate', {
        input_token_state: REST_LOGIN,
        output_token_state: { token_type: 'SAML2', subject_confirmation: 'HOLDER_OF_KEY', proof_token_state: expired.certDerB64 },
      });
      assert.equal(bare.status, 400);
      const afterRecs = await s.gql(ISSUED, { n: 'life' }, s.adminToken);
      assert.equal(afterRecs.data.issuedTokens.length, before.data.issuedTokens.length, 'no token was issued');
    });

    test('SENDER_VOUCHES anonymously or with a bad session → UNAUTHENTICATED (REST 401); no token', async () => {
      for (const token of [null, 'tsn_not-a-session']) {
        const r = await translateRaw(s, 'life', LOGIN, { type: 'SAML2', subjectConfirmation: 'SENDER_VOUCHES' }, token);
        assert.equal(codeOf(r), 'UNAUTHENTICATED');
        assert.equal(r.data?.translateToken ?? null, null);
        const rest = await s.rest(
          'life',
          'translate',
          { input_token_state: REST_LOGIN, output_token_state: { token_type: 'SAML2', subject_confirmation: 'SENDER_VOUCHES' } },
          token ? bearer(token) : {},
        );
        assert.equal(rest.status, 401, JSON.stringify(rest.body));
        assert.equal(rest.body.detail.code, 'UNAUTHENTICATED');
        assert.equal(rest.body.issued_token, undefined);
      }
      // The same request with a session works, and records that sender.
      const alice = await s.login('alice', PASSWORD);
      const t = await translate(s, 'life', LOGIN, { type: 'SAML2', subjectConfirmation: 'SENDER_VOUCHES' }, alice);
      const recs = await s.gql(ISSUED, { n: 'life' }, s.adminToken);
      assert.equal((recs.data.issuedTokens as Array<{ tokenId: string; sender: string }>).find((r) => r.tokenId === t.tokenId)?.sender, 'alice');
    });
  });
}

/**
 * State that must outlive a process: cancellations and used X.509 proofs survive a restart on the same
 * database; on PostgreSQL, two servers sharing one database see each other's instances and cancellations.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, freshDatabase, startServer, type TestServer } from '../support/server.js';
import { makeCa, makeLeaf, makeProof, type TestCa, type TestCert } from '../support/pki.js';
import { cancel, createUser, errorCode, mustTranslate, oidcInstance, ok, poll, publish, translate, uniqueName, validate } from '../support/engine.js';

const PASSWORD = 'restart-password-1';
// Nodes of one deployment share the public URL (and so the default issuer), whatever port each listens on.
const env = { TESSERA_PUBLIC_URL: 'https://sts.example.test' };

for (const db of DB_KINDS) {
  describe(`engine state across restarts (${db})`, () => {
    const database = freshDatabase(db);
    let first: TestServer | undefined;
    let second: TestServer | undefined;
    let ca: TestCa;
    let leaf: TestCert;
    const inst = uniqueName('restart');

    before(async () => {
      ca = await makeCa('Restart CA');
      leaf = await makeLeaf(ca, { cn: 'rita' });
    });
    after(async () => {
      await first?.stop();
      await second?.stop();
      await database.cleanup();
    });

    test('a cancellation and a used proof survive a restart on the same database', async () => {
      first = await startServer({ db, databaseUrl: database.url, env });
      await createUser(first, 'rita', PASSWORD);
      await publish(first, oidcInstance(inst, [{ input: 'USERNAME' }, { input: 'X509' }], { x509Trust: { caCertificates: [ca.certPem] } }));
      const cancelled = await mustTranslate(first, inst, { type: 'USERNAME', username: 'rita', password: PASSWORD });
      const kept = await mustTranslate(first, inst, { type: 'USERNAME', username: 'rita', password: PASSWORD });
      assert.equal(ok(await cancel(first, inst, cancelled.token)).cancelToken, true);
      const proof = await makeProof(leaf.privateKey, { aud: inst });
      await mustTranslate(first, inst, { type: 'X509', certificate: leaf.certPem, proof });
      await first.stop();
      first = undefined;

      second = await startServer({ db, databaseUrl: database.url, env });
      const v = ok(await validate(second, inst, cancelled.token)).validateToken;
      assert.equal(v.valid, false);
      assert.equal(v.reason, 'CANCELLED');
      assert.deepEqual(
        (await second.rest(inst, 'validate', { validated_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: cancelled.token } })).body,
        { token_valid: false },
      );
      assert.equal(ok(await validate(second, inst, kept.token)).validateToken.valid, true, 'the other token is still valid (same keys)');
      const replay = await translate(second, inst, { type: 'X509', certificate: leaf.certPem, proof }, { type: 'OPENIDCONNECT' });
      assert.equal(errorCode(replay), 'INVALID_TOKEN', 'the proof used before the restart is refused');
      const rest = await second.rest(inst, 'translate', {
        input_token_state: { token_type: 'X509', x509_cert: leaf.certDerB64, proof },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(rest.status, 401);
      // A new proof is fine.
      await mustTranslate(second, inst, { type: 'X509', certificate: leaf.certPem, proof: await makeProof(leaf.privateKey, { aud: inst }) });
    });

    if (db === 'postgresql') {
      test('two servers on one PostgreSQL database: publish on A, translate on B within a second; cancel on A, invalid on B', async () => {
        const a = second ?? (await startServer({ db, databaseUrl: database.url, env }));
        second = a;
        const b = await startServer({ db, databaseUrl: a.databaseUrl, env });
        try {
          const name = uniqueName('shared');
          await createUser(a, 'shared-user', PASSWORD);
          const input = { type: 'USERNAME', username: 'shared-user', password: PASSWORD };
          // B has looked the name up (and found nothing) before it is published.
          assert.equal(errorCode(await translate(b, name, input, { type: 'OPENIDCONNECT' })), 'NOT_FOUND');
          await publish(a, oidcInstance(name, [{ input: 'USERNAME' }], {}, { signatureAlgorithm: 'ES256' }));
          const started = Date.now();
          const r = await poll(async () => {
            const t = await translate(b, name, input, { type: 'OPENIDCONNECT' });
            return t.data?.translateToken ? t : undefined;
          }, 1000);
          assert.ok(r?.data?.translateToken, `B did not see the instance within 1 s (${Date.now() - started} ms)`);
          const token = r.data.translateToken.token;
          assert.equal(ok(await validate(a, name, token)).validateToken.valid, true, 'A validates what B issued');
          assert.equal(ok(await validate(b, name, token)).validateToken.valid, true);

          assert.equal(ok(await cancel(a, name, token)).cancelToken, true);
          const v = ok(await validate(b, name, token)).validateToken;
          assert.equal(v.valid, false);
          assert.equal(v.reason, 'CANCELLED');
          const rv = await b.rest(name, 'validate', { validated_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: token } });
          assert.deepEqual(rv.body, { token_valid: false });

          // A proof used on one server is refused on the other.
          const proofInst = uniqueName('shared-x509');
          await publish(a, oidcInstance(proofInst, [{ input: 'X509' }], { x509Trust: { caCertificates: [ca.certPem] } }));
          const proof = await makeProof(leaf.privateKey, { aud: proofInst });
          await mustTranslate(a, proofInst, { type: 'X509', certificate: leaf.certPem, proof });
          const replay = await poll(async () => {
            const t = await translate(b, proofInst, { type: 'X509', certificate: leaf.certPem, proof }, { type: 'OPENIDCONNECT' });
            return errorCode(t) === 'NOT_FOUND' ? undefined : t;
          }, 1000);
          assert.equal(errorCode(replay!), 'INVALID_TOKEN');
        } finally {
          await b.stop();
        }
      });
    }
  });
}

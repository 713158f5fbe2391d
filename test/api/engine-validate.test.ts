/**
 * validateToken / cancelToken (API.md §3 "Semantics that tests rely on") over GraphQL and REST
 * (`validated_token_state` / `cancelled_token_state`), issued-token records and their ownership, and interim
 * sessions ended by a transform.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import {
  GQL,
  cancel,
  createUser,
  deleteInstance,
  errorCode,
  mustTranslate,
  oidcInstance,
  ok,
  publish,
  tamperPayload,
  translate,
  uniqueName,
  validate,
} from '../support/engine.js';
import { TestClock } from '../support/clock.js';

const PASSWORD = 'validate-password-1';

/** The server's clock: tests move it instead of sleeping. */
const clock = new TestClock();

for (const db of DB_KINDS) {
  describe(`engine validate and cancel (${db})`, () => {
    let s: TestServer;
    const inst = uniqueName('val');
    const shortInst = uniqueName('short');
    const noPersist = uniqueName('nopersist');
    const interim = uniqueName('interim');
    const user = { type: 'USERNAME', username: 'vera', password: PASSWORD };
    const issue = async (name = inst) => (await mustTranslate(s, name, user)).token;
    const restValidate = (name: string, token: string) =>
      s.rest(name, 'validate', { validated_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: token } });
    const restCancel = (name: string, token: string) =>
      s.rest(name, 'cancel', { cancelled_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: token } });

    before(async () => {
      s = await startServer({ db, clock });
      await createUser(s, 'vera', PASSWORD, { attributes: { mail: 'vera@example.com' } });
      await publish(s, oidcInstance(inst, [{ input: 'USERNAME' }]));
      await publish(s, oidcInstance(shortInst, [{ input: 'USERNAME' }], {}, { lifetimeSeconds: 1 }));
      await publish(s, oidcInstance(noPersist, [{ input: 'USERNAME' }], { persistIssuedTokens: false }));
      await publish(s, oidcInstance(interim, [{ input: 'SESSION', invalidateInterimSession: true }]));
    });
    after(async () => {
      await s?.destroy();
    });

    test('a token just issued is valid over GraphQL and REST', async () => {
      const token = await issue();
      const v = ok(await validate(s, inst, token)).validateToken;
      assert.equal(v.valid, true);
      assert.equal(v.reason, null);
      assert.ok(v.expiresAt && new Date(v.expiresAt).getTime() > Date.now());
      const r = await restValidate(inst, token);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { token_valid: true });
    });

    test('the subject is returned to admin callers only', async () => {
      const token = await issue();
      assert.equal(ok(await validate(s, inst, token, { as: s.adminToken })).validateToken.subject, 'vera');
      assert.equal(ok(await validate(s, inst, token)).validateToken.subject, null);
      const own = await s.login('vera', PASSWORD);
      const v = ok(await validate(s, inst, token, { as: own })).validateToken;
      assert.equal(v.valid, true);
      assert.equal(v.subject, null, 'a non-admin caller does not get the subject');
    });

    test('a tampered token is BAD_SIGNATURE, and cannot be cancelled (INVALID_TOKEN)', async () => {
      const token = await issue();
      const forged = tamperPayload(token, (p) => {
        p.sub = 'admin';
      });
      const v = ok(await validate(s, inst, forged)).validateToken;
      assert.equal(v.valid, false);
      assert.equal(v.reason, 'BAD_SIGNATURE');
      assert.deepEqual((await restValidate(inst, forged)).body, { token_valid: false });
      // A flipped signature byte too.
      const sigFlip = token.slice(0, -4) + (token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA');
      assert.equal(ok(await validate(s, inst, sigFlip)).validateToken.reason, 'BAD_SIGNATURE');
      assert.equal(ok(await validate(s, inst, 'not-a-jwt')).validateToken.reason, 'MALFORMED');

      const c = await cancel(s, inst, forged);
      assert.equal(errorCode(c), 'INVALID_TOKEN');
      const rc = await restCancel(inst, forged);
      assert.equal(rc.status, 401);
      assert.equal(rc.body.detail.code, 'INVALID_TOKEN');
      // The genuine token was not cancelled by the forged one.
      assert.equal(ok(await validate(s, inst, token)).validateToken.valid, true);
    });

    test('an expired token is EXPIRED (lifetimeSeconds 1)', async () => {
      const token = await issue(shortInst);
      await clock.during(2100, async () => {
        const v = ok(await validate(s, shortInst, token)).validateToken;
        assert.equal(v.valid, false);
        assert.equal(v.reason, 'EXPIRED');
        assert.deepEqual((await restValidate(shortInst, token)).body, { token_valid: false });
        // cancel skips the expiry check: an expired token of ours can still be cancelled.
        assert.equal(ok(await cancel(s, shortInst, token)).cancelToken, true);
      });
    });

    test('cancel: CANCELLED afterwards, twice is true both times, over GraphQL and REST', async () => {
      const token = await issue();
      assert.equal(ok(await cancel(s, inst, token)).cancelToken, true);
      assert.equal(ok(await cancel(s, inst, token)).cancelToken, true, 'cancelling again is still true');
      const v = ok(await validate(s, inst, token)).validateToken;
      assert.equal(v.valid, false);
      assert.equal(v.reason, 'CANCELLED');
      assert.deepEqual((await restValidate(inst, token)).body, { token_valid: false });

      const token2 = await issue();
      const r1 = await restCancel(inst, token2);
      assert.equal(r1.status, 200, JSON.stringify(r1.body));
      assert.deepEqual(r1.body, { result: 'OPENIDCONNECT token cancelled successfully.' });
      const r2 = await restCancel(inst, token2);
      assert.equal(r2.status, 200);
      assert.deepEqual((await restValidate(inst, token2)).body, { token_valid: false });
      assert.equal(ok(await validate(s, inst, token2)).validateToken.reason, 'CANCELLED');
    });

    test('validate and cancel on an instance that does not persist tokens: TOKEN_PERSISTENCE_DISABLED (409)', async () => {
      const token = await issue(noPersist);
      assert.equal(errorCode(await validate(s, noPersist, token)), 'TOKEN_PERSISTENCE_DISABLED');
      assert.equal(errorCode(await cancel(s, noPersist, token)), 'TOKEN_PERSISTENCE_DISABLED');
      const r = await restValidate(noPersist, token);
      assert.equal(r.status, 409);
      assert.equal(r.body.code, 409);
      assert.equal(r.body.detail.code, 'TOKEN_PERSISTENCE_DISABLED');
      const rc = await restCancel(noPersist, token);
      assert.equal(rc.status, 409);
      const listed = ok(await s.gql(GQL.issuedTokens, { n: noPersist }, s.adminToken)).issuedTokens;
      assert.deepEqual(listed, [], 'nothing recorded');
    });

    test('validate takes SAML2, OPENIDCONNECT or CUSTOM only', async () => {
      const token = await issue();
      for (const type of ['USERNAME', 'X509', 'SESSION']) {
        assert.equal(errorCode(await validate(s, inst, token, { type })), 'BAD_USER_INPUT', type);
      }
      const r = await s.rest(inst, 'validate', { validated_token_state: { token_type: 'USERNAME', username: 'x' } });
      assert.equal(r.status, 400);
    });

    test('a token from another instance is not valid here', async () => {
      const token = await issue();
      const other = uniqueName('other');
      await publish(s, oidcInstance(other, [{ input: 'USERNAME' }]));
      const v = ok(await validate(s, other, token)).validateToken;
      assert.equal(v.valid, false);
      assert.ok(['BAD_SIGNATURE', 'UNKNOWN'].includes(v.reason as string), String(v.reason));
      assert.notEqual(errorCode(await cancel(s, other, token)), undefined, 'cannot be cancelled through another instance');
      assert.equal(ok(await validate(s, inst, token)).validateToken.valid, true);
    });

    test('records belong to the instance id: a deleted and republished name does not inherit them', async () => {
      const name = uniqueName('reborn');
      const first = await publish(s, oidcInstance(name, [{ input: 'USERNAME' }]));
      const token = await issue(name);
      assert.equal(ok(await validate(s, name, token)).validateToken.valid, true);
      await deleteInstance(s, name);
      assert.equal(errorCode(await validate(s, name, token)), 'NOT_FOUND');
      const second = await publish(s, oidcInstance(name, [{ input: 'USERNAME' }]));
      assert.notEqual(second.id, first.id);
      const v = ok(await validate(s, name, token)).validateToken;
      assert.equal(v.valid, false);
      assert.ok(['UNKNOWN', 'BAD_SIGNATURE'].includes(v.reason as string), `reason ${v.reason}`);
      assert.deepEqual((await restValidate(name, token)).body, { token_valid: false });
      // Nor can the new instance cancel the old record.
      const c = await cancel(s, name, token);
      assert.ok(c.errors, 'cancel refuses a token the new instance has no record of');
      // Tokens of the new instance work as usual.
      assert.equal(ok(await validate(s, name, await issue(name))).validateToken.valid, true);
    });

    test('issuedTokens lists the records, newest first, paginated with first/after', async () => {
      const name = uniqueName('list');
      await publish(s, oidcInstance(name, [{ input: 'USERNAME' }]));
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await mustTranslate(s, name, user)).tokenId);
      const cancelledToken = await mustTranslate(s, name, user);
      ids.push(cancelledToken.tokenId);
      assert.equal(ok(await cancel(s, name, cancelledToken.token)).cancelToken, true);

      const page1 = ok(await s.gql(GQL.issuedTokens, { n: name, first: 4 }, s.adminToken)).issuedTokens;
      assert.equal(page1.length, 4);
      const page2 = ok(await s.gql(GQL.issuedTokens, { n: name, first: 4, after: page1[3].cursor }, s.adminToken)).issuedTokens;
      assert.equal(page2.length, 2);
      const all = [...page1, ...page2];
      assert.deepEqual(new Set(all.map((r: { tokenId: string }) => r.tokenId)), new Set(ids), 'every record once');
      assert.equal(new Set(all.map((r: { tokenId: string }) => r.tokenId)).size, 6);
      for (let i = 1; i < all.length; i++) assert.ok(new Date(all[i - 1].issuedAt) >= new Date(all[i].issuedAt), 'newest first');
      for (const r of all) {
        assert.equal(r.instance, name);
        assert.equal(r.subject, 'vera');
        assert.equal(r.type, 'OPENIDCONNECT');
        assert.equal(r.cancelled, r.tokenId === cancelledToken.tokenId);
      }
      const bySubject = ok(await s.gql(GQL.issuedTokens, { n: name, s: 'nobody' }, s.adminToken)).issuedTokens;
      assert.deepEqual(bySubject, []);
      // Admin only, and a bad cursor is bad input.
      assert.equal(errorCode(await s.gql(GQL.issuedTokens, { n: name }, null)), 'UNAUTHENTICATED');
      assert.equal(errorCode(await s.gql(GQL.issuedTokens, { n: name }, await s.login('vera', PASSWORD))), 'FORBIDDEN');
      assert.equal(errorCode(await s.gql(GQL.issuedTokens, { n: name, after: 'garbage!' }, s.adminToken)), 'BAD_USER_INPUT');
    });

    test('an interim session ended by the transform cannot be used again', async () => {
      const session = await s.login('vera', PASSWORD);
      const t = await mustTranslate(s, interim, { type: 'SESSION', sessionToken: session });
      assert.equal(t.subject, 'vera');
      const again = await translate(s, interim, { type: 'SESSION', sessionToken: session }, { type: 'OPENIDCONNECT' });
      assert.equal(errorCode(again), 'INVALID_TOKEN');
      assert.equal(again.data?.translateToken ?? null, null);
      // Nor as a bearer session anywhere else.
      assert.equal(errorCode(await s.gql(GQL.me, {}, session)), 'UNAUTHENTICATED');
      const r = await s.rest(interim, 'translate', {
        input_token_state: { token_type: 'OPENAM', session_id: session },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(r.status, 401);
      // The token it produced stays valid.
      assert.equal(ok(await validate(s, interim, t.token)).validateToken.valid, true);
    });

    test('an interim session spent by concurrent requests yields one token only', async () => {
      const session = await s.login('vera', PASSWORD);
      const results = await Promise.all(
        Array.from({ length: 8 }, () => translate(s, interim, { type: 'SESSION', sessionToken: session }, { type: 'OPENIDCONNECT' })),
      );
      const issued = results.filter((r) => r.data?.translateToken);
      assert.equal(issued.length, 1, `codes: ${results.map((r) => errorCode(r) ?? 'OK').join(',')}`);
      for (const r of results) if (!r.data?.translateToken) assert.equal(errorCode(r), 'INVALID_TOKEN');
    });

    test('a session kept by a transform without invalidateInterimSession stays usable', async () => {
      const session = await s.login('vera', PASSWORD);
      const keep = uniqueName('keep');
      await publish(s, oidcInstance(keep, [{ input: 'SESSION' }]));
      await mustTranslate(s, keep, { type: 'SESSION', sessionToken: session });
      await mustTranslate(s, keep, { type: 'SESSION', sessionToken: session });
      assert.equal(ok(await s.gql(GQL.me, {}, session)).me.username, 'vera');
    });
  });
}

/**
 * Audit of the token engine: every translate, validate and cancel, succeeded or refused, over GraphQL and
 * REST, leaves one auditEvents entry with its action, instance, types, subject (when known), outcome and
 * client address; and no audit event ever holds a token, a proof or a password.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, ADMIN_PASSWORD, startServer, type TestServer } from '../support/server.js';
import { makeCa, makeLeaf, makeProof, type TestCa, type TestCert } from '../support/pki.js';
import { makeIssuer, type TestIssuer } from '../support/oidc.js';
import {
  GQL,
  auditEvents,
  cancel,
  createUser,
  errorCode,
  mustTranslate,
  oidcInstance,
  ok,
  publish,
  restUsernameBody,
  tamperPayload,
  translate,
  uniqueName,
  validate,
  type AuditEvent,
} from '../support/engine.js';

const PASSWORD = 'audit-secret-password-1';
const WRONG_PASSWORD = 'audit-wrong-guess-77';

for (const db of DB_KINDS) {
  describe(`engine audit (${db})`, () => {
    let s: TestServer;
    let ca: TestCa;
    let leaf: TestCert;
    let idp: TestIssuer;
    const inst = uniqueName('audit');
    const quiet = uniqueName('audit-np');
    /** Every secret the tests handle; none may appear in any audit event. */
    const secrets = new Set<string>([PASSWORD, WRONG_PASSWORD, ADMIN_PASSWORD]);
    const keep = (...values: string[]) => values.forEach((v) => secrets.add(v));

    before(async () => {
      [s, ca] = await Promise.all([startServer({ db }), makeCa('Audit CA')]);
      leaf = await makeLeaf(ca, { cn: 'xavier' });
      idp = makeIssuer({ alg: 'ES256' });
      await createUser(s, 'auditor', PASSWORD, { attributes: { mail: 'auditor@example.com' } });
      await publish(
        s,
        oidcInstance(inst, [{ input: 'USERNAME' }, { input: 'OPENIDCONNECT' }, { input: 'X509' }, { input: 'SESSION' }], {
          oidcTrust: [{ issuer: idp.issuer, audience: ['tessera'], jwks: idp.jwks }],
          x509Trust: { caCertificates: [ca.certPem] },
        }),
      );
      await publish(s, oidcInstance(quiet, [{ input: 'USERNAME' }], { persistIssuedTokens: false }));
      await snapshot(inst);
      await snapshot(quiet);
    });
    after(async () => {
      await s?.destroy();
    });

    /** What each instance's audit held at the last look (event JSON → count). */
    const seen = new Map<string, Map<string, number>>();
    async function snapshot(instance: string): Promise<AuditEvent[]> {
      const all = await auditEvents(s, instance);
      const prev = new Map(seen.get(instance) ?? []);
      const next = new Map<string, number>();
      const added: AuditEvent[] = [];
      for (const e of all) {
        const k = JSON.stringify(e);
        next.set(k, (next.get(k) ?? 0) + 1);
        const left = prev.get(k) ?? 0;
        if (left > 0) prev.set(k, left - 1);
        else added.push(e);
      }
      seen.set(instance, next);
      return added;
    }
    /** The one event the last call added to `instance`'s audit (independent of timestamps and their ties). */
    async function last(instance = inst): Promise<AuditEvent> {
      const added = await snapshot(instance);
      assert.equal(added.length, 1, `exactly one new audit event: ${JSON.stringify(added)}`);
      return added[0];
    }

    function expectEvent(e: AuditEvent, want: Partial<AuditEvent>): void {
      for (const [k, v] of Object.entries(want)) assert.deepEqual(e[k as keyof AuditEvent], v, `${k} of ${JSON.stringify(e)}`);
      assert.match(e.clientAddress ?? '', /^(::ffff:)?127\.0\.0\.1$/, 'the client address');
      assert.ok(!Number.isNaN(Date.parse(e.at)));
    }

    test('translate, succeeded and refused, for every input type and both doors', async () => {
      const t = await mustTranslate(s, inst, { type: 'USERNAME', username: 'auditor', password: PASSWORD });
      keep(t.token);
      expectEvent(await last(), { action: 'translate', instance: inst, inputType: 'USERNAME', outputType: 'OPENIDCONNECT', subject: 'auditor', outcome: 'OK' });

      const wrong = await s.rest(inst, 'translate', restUsernameBody('auditor', WRONG_PASSWORD));
      assert.equal(wrong.status, 401);
      expectEvent(await last(), { action: 'translate', instance: inst, inputType: 'USERNAME', outputType: 'OPENIDCONNECT', outcome: 'INVALID_TOKEN' });

      const rest = await s.rest(inst, 'translate', restUsernameBody('auditor', PASSWORD, 'nonce-1'));
      assert.equal(rest.status, 200);
      keep(rest.body.issued_token);
      expectEvent(await last(), { action: 'translate', inputType: 'USERNAME', subject: 'auditor', outcome: 'OK' });

      const idToken = idp.sign(idp.claims('tessera', { sub: 'federated-fay' }));
      keep(idToken);
      keep((await mustTranslate(s, inst, { type: 'OPENIDCONNECT', idToken })).token);
      expectEvent(await last(), { action: 'translate', inputType: 'OPENIDCONNECT', outputType: 'OPENIDCONNECT', subject: 'federated-fay', outcome: 'OK' });

      const forged = tamperPayload(idToken, (p) => (p.sub = 'admin'));
      keep(forged);
      assert.equal(errorCode(await translate(s, inst, { type: 'OPENIDCONNECT', idToken: forged }, { type: 'OPENIDCONNECT' })), 'INVALID_TOKEN');
      expectEvent(await last(), { action: 'translate', inputType: 'OPENIDCONNECT', outcome: 'INVALID_TOKEN', subject: null });

      const proof = await makeProof(leaf.privateKey, { aud: inst });
      keep(proof);
      keep((await mustTranslate(s, inst, { type: 'X509', certificate: leaf.certPem, proof })).token);
      expectEvent(await last(), { action: 'translate', inputType: 'X509', subject: 'xavier', outcome: 'OK' });
      assert.equal(errorCode(await translate(s, inst, { type: 'X509', certificate: leaf.certPem, proof }, { type: 'OPENIDCONNECT' })), 'INVALID_TOKEN');
      expectEvent(await last(), { action: 'translate', inputType: 'X509', outcome: 'INVALID_TOKEN' });

      const session = await s.login('auditor', PASSWORD);
      keep(session);
      const r = await s.rest(inst, 'translate', {
        input_token_state: { token_type: 'OPENAM', session_id: session },
        output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true },
      });
      assert.equal(r.status, 200);
      keep(r.body.issued_token);
      expectEvent(await last(), { action: 'translate', inputType: 'SESSION', outputType: 'OPENIDCONNECT', subject: 'auditor', outcome: 'OK' });

      assert.equal(errorCode(await translate(s, inst, { type: 'USERNAME', username: 'auditor', password: PASSWORD }, { type: 'SAML2' })), 'UNSUPPORTED_TRANSFORM');
      expectEvent(await last(), { action: 'translate', inputType: 'USERNAME', outputType: 'SAML2', outcome: 'UNSUPPORTED_TRANSFORM' });

      const missing = uniqueName('missing');
      assert.equal(errorCode(await translate(s, missing, { type: 'USERNAME', username: 'auditor', password: PASSWORD }, { type: 'OPENIDCONNECT' })), 'NOT_FOUND');
      expectEvent(await last(missing), { action: 'translate', instance: missing, outcome: 'NOT_FOUND' });
    });

    test('validate and cancel, succeeded and refused, over GraphQL and REST', async () => {
      const t = await mustTranslate(s, inst, { type: 'USERNAME', username: 'auditor', password: PASSWORD });
      keep(t.token);
      expectEvent(await last(), { action: 'translate', subject: 'auditor', outcome: 'OK' });
      assert.equal(ok(await validate(s, inst, t.token)).validateToken.valid, true);
      expectEvent(await last(), { action: 'validate', instance: inst, outputType: 'OPENIDCONNECT', subject: 'auditor', outcome: 'OK' });

      const forged = tamperPayload(t.token, (p) => (p.exp += 3600));
      keep(forged);
      const rv = await s.rest(inst, 'validate', { validated_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: forged } });
      assert.deepEqual(rv.body, { token_valid: false });
      const ev = await last();
      expectEvent(ev, { action: 'validate', outcome: 'OK' });
      assert.equal((ev.detail as { valid?: boolean }).valid, false, 'the event says the token was not valid');

      assert.equal(errorCode(await validate(s, inst, t.token, { type: 'X509' })), 'BAD_USER_INPUT');
      expectEvent(await last(), { action: 'validate', outcome: 'BAD_USER_INPUT' });

      assert.equal(errorCode(await validate(s, quiet, t.token)), 'TOKEN_PERSISTENCE_DISABLED');
      expectEvent(await last(quiet), { action: 'validate', instance: quiet, outcome: 'TOKEN_PERSISTENCE_DISABLED' });

      assert.equal(ok(await cancel(s, inst, t.token)).cancelToken, true);
      expectEvent(await last(), { action: 'cancel', instance: inst, outputType: 'OPENIDCONNECT', subject: 'auditor', outcome: 'OK' });

      const rc = await s.rest(inst, 'cancel', { cancelled_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: forged } });
      assert.equal(rc.status, 401);
      expectEvent(await last(), { action: 'cancel', outcome: 'INVALID_TOKEN' });

      const v = ok(await validate(s, inst, t.token)).validateToken;
      assert.equal(v.reason, 'CANCELLED');
      const ce = await last();
      expectEvent(ce, { action: 'validate', outcome: 'OK' });
      assert.equal((ce.detail as { reason?: string }).reason, 'CANCELLED');
    });

    test('one event per call: a burst of operations leaves exactly as many events', async () => {
      const name = uniqueName('audit-count');
      await publish(s, oidcInstance(name, [{ input: 'USERNAME' }]));
      const tokens: string[] = [];
      for (let i = 0; i < 3; i++) tokens.push((await mustTranslate(s, name, { type: 'USERNAME', username: 'auditor', password: PASSWORD })).token);
      keep(...tokens);
      await validate(s, name, tokens[0]);
      await cancel(s, name, tokens[1]);
      await translate(s, name, { type: 'SESSION', sessionToken: 'tsn_nope' }, { type: 'OPENIDCONNECT' });
      const events = (await auditEvents(s, name)).filter((e) => ['translate', 'validate', 'cancel'].includes(e.action));
      assert.deepEqual(
        events.map((e) => `${e.action}:${e.outcome}`).sort(),
        ['cancel:OK', 'translate:OK', 'translate:OK', 'translate:OK', 'translate:UNSUPPORTED_TRANSFORM', 'validate:OK'],
      );
      for (let i = 1; i < events.length; i++) assert.ok(Date.parse(events[i - 1].at) >= Date.parse(events[i].at), 'newest first');
    });

    test('no audit event holds a token, a proof, a session or a password', async () => {
      const all = await auditEvents(s, undefined, 1000);
      assert.ok(all.length >= 20, `expected many events, got ${all.length}`);
      const text = JSON.stringify(all);
      for (const secret of secrets) {
        assert.ok(secret.length >= 8);
        assert.ok(!text.includes(secret), `an audit event contains a secret (${secret.slice(0, 12)}…)`);
        // Nor any of a token's parts (a signature, or a header+payload prefix).
        const parts = secret.split('.');
        if (parts.length === 3) {
          assert.ok(!text.includes(parts[2]), 'a token signature is in the audit');
          assert.ok(!text.includes(`${parts[0]}.${parts[1]}`), 'a token body is in the audit');
        }
      }
      // Translations and logins are there, and login events carry no password either.
      assert.ok(all.some((e) => e.action === 'login'));
      assert.ok(all.some((e) => e.action === 'translate' && e.outcome === 'OK'));
      // Audit is admin only.
      assert.equal(errorCode(await s.gql(GQL.auditEvents, { n: inst }, null)), 'UNAUTHENTICATED');
      assert.equal(errorCode(await s.gql(GQL.auditEvents, { n: inst }, await s.login('auditor', PASSWORD))), 'FORBIDDEN');
    });
  });
}

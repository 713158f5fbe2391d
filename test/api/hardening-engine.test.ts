/**
 * Hardening of the engine and the doors (issue items 8–11), end to end on SQLite and PostgreSQL:
 * - a provider that issues the same string twice: both issuances answer, validate and cancel find the token;
 * - one bad row in a group-commit batch fails its own caller only;
 * - what an instance issues can be validated and cancelled, however large;
 * - one outcome per request in the audit trail when the record cannot be written;
 * - REST and metadata bodies whose `code` is the HTTP status, with `Allow`; a repeated `_action` is refused.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { TokenKind } from '../../src/engine/kind.js';
import type { IssuedToken, ProviderContext, VerifiedSubject } from '../../src/engine/types.js';
import { WriteBatcher } from '../../src/persistence/write-batcher.js';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { auditEvents, createUser, ok, publish, uniqueName } from '../support/engine.js';

const PASSWORD = 'hardening-pass-1';

/** Issues `ticket-<subject>` every time: the same string for the same subject. */
const TICKET: TokenKind = {
  name: 'TICKET',
  builtIn: false,
  description: 'A deterministic ticket (test kind).',
  provider: {
    fields: [{ key: 'raw', rule: 'json' }],
    async issue(subject: VerifiedSubject, _out, ctx: ProviderContext): Promise<IssuedToken> {
      return { token: `ticket-${subject.name}`, type: 'TICKET', tokenId: randomUUID(), subject: subject.name, issuedAt: ctx.now, expiresAt: new Date(ctx.now.getTime() + 60_000) };
    },
  },
};

/** Issues a token whose record cannot be stored (no subject): the database refuses the row. */
const BROKEN: TokenKind = {
  name: 'BROKEN',
  builtIn: false,
  description: 'A provider whose records cannot be written (test kind).',
  provider: {
    fields: [{ key: 'raw', rule: 'json' }],
    async issue(_subject: VerifiedSubject, _out, ctx: ProviderContext): Promise<IssuedToken> {
      return { token: `broken-${randomUUID()}`, type: 'BROKEN', tokenId: randomUUID(), subject: null as unknown as string, issuedAt: ctx.now, expiresAt: new Date(ctx.now.getTime() + 60_000) };
    },
  },
};

const TRANSLATE = 'mutation($i:String!,$in:TokenInput!,$out:TokenOutput!){ translateToken(instance:$i, input:$in, output:$out){ token tokenId type customType } }';

for (const db of DB_KINDS) {
  describe(`engine hardening (${db})`, () => {
    let s: TestServer;
    let inst: string;
    let saml: string;
    const user = { type: 'USERNAME', username: 'hardy', password: PASSWORD };

    before(async () => {
      s = await startServer({ db, kinds: [TICKET, BROKEN] });
      inst = uniqueName('hard');
      saml = uniqueName('bigsaml');
      await createUser(s, 'hardy', PASSWORD, {});
      await createUser(s, 'wide', PASSWORD, { attributes: { memberOf: Array.from({ length: 30 }, (_, i) => `group-${i}-${'x'.repeat(3990)}`) } });
      await publish(s, {
        name: inst,
        transforms: [
          { input: 'USERNAME', output: 'CUSTOM', customOutput: 'TICKET' },
          { input: 'USERNAME', output: 'CUSTOM', customOutput: 'BROKEN' },
        ],
      });
      await publish(s, {
        name: saml,
        transforms: [{ input: 'USERNAME', output: 'SAML2' }],
        saml2: { issuer: 'https://idp.example/big', spEntityId: 'https://sp.example/big', attributeMap: { memberOf: 'memberOf' }, lifetimeSeconds: 300 },
      });
    });
    after(async () => {
      await s?.destroy();
    });

    test('the same token issued twice: both answer; validate and cancel find it; cancel ends every issuance', async () => {
      const out = { type: 'CUSTOM', customType: 'TICKET' };
      const [a, b] = await Promise.all([s.gql(TRANSLATE, { i: inst, in: user, out }), s.gql(TRANSLATE, { i: inst, in: user, out })]);
      const ta = ok(a).translateToken;
      const tb = ok(b).translateToken;
      assert.equal(ta.token, 'ticket-hardy');
      assert.equal(tb.token, ta.token);
      assert.notEqual(ta.tokenId, tb.tokenId, 'each issuance has its record');
      const records = ok(await s.gql('query($i:String){ issuedTokens(instance:$i){ tokenId cancelled } }', { i: inst }, s.adminToken)).issuedTokens as Array<{ tokenId: string }>;
      assert.deepEqual(records.map((r) => r.tokenId).sort(), [ta.tokenId, tb.tokenId].sort());
      const v = ok(await s.gql('mutation($i:String!,$t:String!){ validateToken(instance:$i, type: CUSTOM, token:$t){ valid } }', { i: inst, t: ta.token })).validateToken;
      assert.equal(v.valid, true);
      const c = ok(await s.gql('mutation($i:String!,$t:String!){ cancelToken(instance:$i, type: CUSTOM, token:$t) }', { i: inst, t: ta.token })).cancelToken;
      assert.equal(c, true);
      const after = ok(await s.gql('query($i:String){ issuedTokens(instance:$i){ cancelled } }', { i: inst }, s.adminToken)).issuedTokens as Array<{ cancelled: boolean }>;
      assert.ok(after.every((r) => r.cancelled), 'every issuance of the string is cancelled');
      const v2 = ok(await s.gql('mutation($i:String!,$t:String!){ validateToken(instance:$i, type: CUSTOM, token:$t){ valid reason } }', { i: inst, t: ta.token })).validateToken;
      assert.deepEqual(v2, { valid: false, reason: 'CANCELLED' });
      // Issued again after the cancel: a new record, which speaks for the token.
      ok(await s.gql(TRANSLATE, { i: inst, in: user, out }));
      const v3 = ok(await s.gql('mutation($i:String!,$t:String!){ validateToken(instance:$i, type: CUSTOM, token:$t){ valid } }', { i: inst, t: ta.token })).validateToken;
      assert.equal(v3.valid, true);
    });

    test('one bad row in a batch fails its own caller only', async () => {
      const batcher = new WriteBatcher(s.tessera.services.db);
      const existing = randomUUID();
      const row = (id: string) => ({ id, at: new Date(), action: 'batch-test', outcome: 'OK' });
      await batcher.submit([['audit_events', row(existing)]]);
      const ids = Array.from({ length: 40 }, () => randomUUID());
      const units = ids.map((id, i) => batcher.submit([['audit_events', row(i === 17 ? existing : id)]]));
      const results = await Promise.allSettled(units);
      assert.deepEqual(results.map((r, i) => (i === 17 ? r.status === 'rejected' : r.status === 'fulfilled')), results.map(() => true));
      const stored = await s.tessera.services.db.knex()('audit_events').whereIn('id', ids).count<{ n: number }[]>({ n: '*' });
      assert.equal(Number(stored[0]!.n), 39);
    });

    test('one outcome per request: a record that cannot be written leaves one INTERNAL event and no OK', async () => {
      const before = (await auditEvents(s, inst)).length;
      const r = await s.gql(TRANSLATE, { i: inst, in: user, out: { type: 'CUSTOM', customType: 'BROKEN' } });
      assert.equal(r.errors?.[0]?.extensions?.code, 'INTERNAL');
      assert.equal(r.data?.translateToken ?? null, null, 'no token without its record');
      const events = await auditEvents(s, inst);
      const mine = events.slice(0, events.length - before).filter((e) => e.outputType === 'BROKEN');
      assert.deepEqual(mine.map((e) => e.outcome), ['INTERNAL']);
    });

    test('an assertion over 64 KiB is issued, validated and cancelled at both doors', async () => {
      const t = ok(await s.gql(TRANSLATE, { i: saml, in: { type: 'USERNAME', username: 'wide', password: PASSWORD }, out: { type: 'SAML2' } })).translateToken;
      assert.ok(Buffer.byteLength(t.token) > 64 * 1024, `${Buffer.byteLength(t.token)} bytes`);
      const g = ok(await s.gql('mutation($i:String!,$t:String!){ validateToken(instance:$i, type: SAML2, token:$t){ valid reason } }', { i: saml, t: t.token })).validateToken;
      assert.deepEqual(g, { valid: true, reason: null });
      const r = await s.rest(saml, 'validate', { validated_token_state: { token_type: 'SAML2', saml2_token: t.token } });
      assert.deepEqual([r.status, r.body], [200, { token_valid: true }]);
      const c = await s.rest(saml, 'cancel', { cancelled_token_state: { token_type: 'SAML2', saml2_token: t.token } });
      assert.equal(c.status, 200, JSON.stringify(c.body));
      const g2 = ok(await s.gql('mutation($i:String!,$t:String!){ validateToken(instance:$i, type: SAML2, token:$t){ valid reason } }', { i: saml, t: t.token })).validateToken;
      assert.deepEqual(g2, { valid: false, reason: 'CANCELLED' });
    });

    test('REST and metadata answers: 405 with Allow and a body whose code is the status; one _action', async () => {
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        const res = await fetch(`${s.url}/rest-sts/${inst}?_action=translate`, { method });
        assert.equal(res.status, 405, method);
        assert.equal(res.headers.get('allow'), 'POST', method);
        const body = (await res.json()) as { code: number; reason: string };
        assert.equal(body.code, 405, method);
        assert.equal(body.reason, 'Method Not Allowed');
      }
      for (const what of ['jwks.json', '.well-known/openid-configuration', 'saml-metadata.xml']) {
        const res = await fetch(`${s.url}/sts/${saml}/${what}`, { method: 'POST' });
        assert.equal(res.status, 405, what);
        assert.match(res.headers.get('allow') ?? '', /GET/, what);
        assert.equal(((await res.json()) as { code: number }).code, 405, what);
      }
      const twice = await fetch(`${s.url}/rest-sts/${inst}?_action=translate&_action=cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input_token_state: { token_type: 'USERNAME', username: 'hardy', password: PASSWORD }, output_token_state: { token_type: 'TICKET' } }),
      });
      assert.equal(twice.status, 400);
      const body = (await twice.json()) as { code: number; detail: { code: string; field: string } };
      assert.equal(body.code, 400);
      assert.deepEqual(body.detail, { code: 'BAD_USER_INPUT', field: '_action' });
      const records = ok(await s.gql('query($i:String){ issuedTokens(instance:$i, subject: "hardy"){ tokenId } }', { i: inst }, s.adminToken)).issuedTokens as unknown[];
      const count = records.length;
      assert.equal(ok(await s.gql('query($i:String){ issuedTokens(instance:$i, subject: "hardy"){ tokenId } }', { i: inst }, s.adminToken)).issuedTokens.length, count, 'nothing was issued');
    });
  });
}

/**
 * Custom token types end to end, through GraphQL and the PingAM-compatible REST door, on SQLite and PostgreSQL,
 * with the LEGACY_TICKET example plugin loaded from a plugin folder: LEGACY_TICKET → SAML2 (xmlsec1 + xmllint),
 * → OPENIDCONNECT (PyJWT), USERNAME → LEGACY_TICKET, LEGACY_TICKET → LEGACY_TICKET, customTokenTypes, publish
 * checks, forged and expired tickets, and validateToken / cancelToken by record.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { DB_KINDS, codeOf, startServer, type TestServer } from '../support/server.js';
import {
  LEGACY_SECRET,
  assertNoInternals,
  makePluginDir,
  mintTicket,
  nowSeconds,
  pyjwtVerify,
  ticketPayload,
  verifyAssertion,
  type PluginDir,
} from '../support/plugins-api.js';

// The example reads its secret from the environment on every call; the server runs in this process.
process.env.LEGACY_TICKET_SECRET = LEGACY_SECRET;

const INSTANCE = 'legacy-bridge';
const SP = 'https://sp.example.com';
const OIDC_AUDIENCE = 'legacy-client';
const ALICE = { username: 'alice', password: 'alice-password-1', attributes: { mail: 'alice@corp.example', memberOf: ['staff', 'dev'] } };

const TRANSLATE = `mutation($i: String!, $in: TokenInput!, $out: TokenOutput!) {
  translateToken(instance: $i, input: $in, output: $out) { token type tokenId subject issuedAt expiresAt } }`;
const VALIDATE = `mutation($i: String!, $t: TokenType!, $tok: String!) {
  validateToken(instance: $i, type: $t, token: $tok) { valid reason subject expiresAt } }`;
const CANCEL = `mutation($i: String!, $t: TokenType!, $tok: String!) { cancelToken(instance: $i, type: $t, token: $tok) }`;
const PUBLISH = `mutation($in: InstanceInput!) { publishInstance(input: $in) { name transforms { input output customInput customOutput } } }`;

const LEGACY_IN = (ticket: string) => ({ type: 'CUSTOM', customType: 'LEGACY_TICKET', customToken: { ticket } });
const LEGACY_OUT = { type: 'CUSTOM', customType: 'LEGACY_TICKET' };

function goodTicket(sub = 'carol', attrs: Record<string, unknown> = { mail: 'carol@legacy.example', memberOf: ['staff', 'ops'] }): string {
  return mintTicket({ sub, attrs, exp: nowSeconds() + 300 });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

for (const db of DB_KINDS) {
  describe(`custom token types end to end on ${db}`, () => {
    let s: TestServer;
    let plugins: PluginDir;

    const translate = async (input: unknown, output: unknown, instance = INSTANCE) => s.gql(TRANSLATE, { i: instance, in: input, out: output });

    before(async () => {
      plugins = makePluginDir({ examples: ['legacy-ticket.mjs'] });
      s = await startServer({ db, env: { TESSERA_PLUGIN_DIR: plugins.dir } });
      const u = await s.gql('mutation($u: UserInput!) { createUser(input: $u) { username } }', { u: ALICE }, s.adminToken);
      assert.equal(u.errors, undefined, JSON.stringify(u.errors));
      const p = await s.gql(
        PUBLISH,
        {
          in: {
            name: INSTANCE,
            transforms: [
              { input: 'CUSTOM', customInput: 'LEGACY_TICKET', output: 'SAML2' },
              { input: 'CUSTOM', customInput: 'LEGACY_TICKET', output: 'OPENIDCONNECT' },
              { input: 'USERNAME', output: 'CUSTOM', customOutput: 'LEGACY_TICKET' },
              { input: 'CUSTOM', customInput: 'LEGACY_TICKET', output: 'CUSTOM', customOutput: 'LEGACY_TICKET' },
            ],
            saml2: { issuer: 'https://sts.example.com', spEntityId: SP, spAcsUrl: `${SP}/saml/acs`, attributeMap: { mail: 'mail', groups: 'memberOf' } },
            oidc: { audience: [OIDC_AUDIENCE], claimMap: { email: 'mail', groups: 'memberOf' } },
          },
        },
        s.adminToken,
      );
      assert.equal(p.errors, undefined, JSON.stringify(p.errors));
      assert.deepEqual(p.data.publishInstance.transforms[0], { input: 'CUSTOM', output: 'SAML2', customInput: 'LEGACY_TICKET', customOutput: null });
    });
    after(async () => {
      await s?.destroy();
      plugins?.cleanup();
    });

    test('customTokenTypes lists LEGACY_TICKET with its validator and provider (admin only)', async () => {
      const r = await s.gql('{ customTokenTypes { tokenType hasValidator hasProvider } }', {}, s.adminToken);
      assert.equal(r.errors, undefined);
      assert.deepEqual(r.data.customTokenTypes, [{ tokenType: 'LEGACY_TICKET', hasValidator: true, hasProvider: true }]);
      assert.equal(codeOf(await s.gql('{ customTokenTypes { tokenType } }')), 'UNAUTHENTICATED');
      const alice = await s.login(ALICE.username, ALICE.password);
      assert.equal(codeOf(await s.gql('{ customTokenTypes { tokenType } }', {}, alice)), 'FORBIDDEN');
    });

    test('publishing a transform that names an unknown custom type is BAD_USER_INPUT', async () => {
      const base = { saml2: { issuer: 'https://sts.example.com', spEntityId: SP } };
      const cases = [
        { name: 'unknown-in', transforms: [{ input: 'CUSTOM', customInput: 'NO_SUCH_TYPE', output: 'SAML2' }], ...base },
        { name: 'unknown-out', transforms: [{ input: 'USERNAME', output: 'CUSTOM', customOutput: 'NO_SUCH_TYPE' }] },
        { name: 'missing-in', transforms: [{ input: 'CUSTOM', output: 'SAML2' }], ...base },
        { name: 'lowercase-in', transforms: [{ input: 'CUSTOM', customInput: 'legacy_ticket', output: 'SAML2' }], ...base },
      ];
      for (const input of cases) {
        const r = await s.gql(PUBLISH, { in: input }, s.adminToken);
        assert.equal(codeOf(r), 'BAD_USER_INPUT', `${input.name}: ${JSON.stringify(r.errors)}`);
        assert.equal(r.data, null);
      }
      const list = await s.gql('{ instances { name } }', {}, s.adminToken);
      assert.deepEqual(list.data.instances.map((i: { name: string }) => i.name), [INSTANCE]);
      // Updating an existing instance is checked the same way.
      const u = await s.gql(
        'mutation($n: String!, $in: InstanceInput!) { updateInstance(name: $n, input: $in) { name } }',
        { n: INSTANCE, in: { name: INSTANCE, transforms: [{ input: 'CUSTOM', customInput: 'NO_SUCH_TYPE', output: 'SAML2' }], ...base } },
        s.adminToken,
      );
      assert.equal(codeOf(u), 'BAD_USER_INPUT');
    });

    test('LEGACY_TICKET → SAML2 over GraphQL: a signed, schema-valid assertion for the ticket subject', async () => {
      const ticket = goodTicket();
      const r = await translate(LEGACY_IN(ticket), { type: 'SAML2' });
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      const t = r.data.translateToken;
      assert.equal(t.type, 'SAML2');
      assert.equal(t.subject, 'carol');
      const a = await verifyAssertion(t.token, s.url, INSTANCE);
      assert.equal(a.issuer, 'https://sts.example.com');
      assert.equal(a.nameId, 'carol');
      assert.deepEqual(a.audiences, [SP]);
      assert.deepEqual(a.attributes, { mail: ['carol@legacy.example'], groups: ['staff', 'ops'] });
      assert.match(t.token, new RegExp(`ID="${t.tokenId}"`));
    });

    test('LEGACY_TICKET → SAML2 over REST, as a PingAM client sends it', async () => {
      const ticket = goodTicket('dave', { mail: 'dave@legacy.example' });
      const r = await s.rest(INSTANCE, 'translate', {
        input_token_state: { token_type: 'LEGACY_TICKET', ticket },
        output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body), ['issued_token']);
      const a = await verifyAssertion(r.body.issued_token, s.url, INSTANCE);
      assert.equal(a.nameId, 'dave');
      assert.deepEqual(a.attributes, { mail: ['dave@legacy.example'] });
    });

    test('LEGACY_TICKET → OPENIDCONNECT over GraphQL and REST: PyJWT verifies against jwks.json', async () => {
      const issuer = `${s.url}/sts/${INSTANCE}`;
      const jwks = `${s.url}/sts/${INSTANCE}/jwks.json`;
      const g = await translate(LEGACY_IN(goodTicket()), { type: 'OPENIDCONNECT', nonce: 'n-123' });
      assert.equal(g.errors, undefined, JSON.stringify(g.errors));
      assert.equal(g.data.translateToken.type, 'OPENIDCONNECT');
      const claims = await pyjwtVerify(jwks, g.data.translateToken.token, OIDC_AUDIENCE, issuer);
      assert.equal(claims.sub, 'carol');
      assert.equal(claims.email, 'carol@legacy.example');
      assert.deepEqual(claims.groups, ['staff', 'ops']);
      assert.equal(claims.nonce, 'n-123');
      assert.equal(claims.jti, g.data.translateToken.tokenId);

      const r = await s.rest(INSTANCE, 'translate', {
        input_token_state: { token_type: 'LEGACY_TICKET', ticket: goodTicket('erin', {}) },
        output_token_state: { token_type: 'OPENIDCONNECT', nonce: 'n-456', allow_access: true },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const rc = await pyjwtVerify(jwks, r.body.issued_token, OIDC_AUDIENCE, issuer);
      assert.equal(rc.sub, 'erin');
      assert.equal(rc.nonce, 'n-456');
      assert.equal(rc.email, undefined);
    });

    test('USERNAME → LEGACY_TICKET over GraphQL and REST: the ticket validates with the example’s own validator', async () => {
      const g = await translate({ type: 'USERNAME', username: ALICE.username, password: ALICE.password }, LEGACY_OUT);
      assert.equal(g.errors, undefined, JSON.stringify(g.errors));
      const t = g.data.translateToken;
      assert.equal(t.type, 'CUSTOM');
      assert.equal(t.subject, 'alice');
      assert.match(t.tokenId, UUID);
      const lifetime = (Date.parse(t.expiresAt) - Date.parse(t.issuedAt)) / 1000;
      // The example sets expiresAt to its ticket's exp (whole seconds, issue time + 600 s).
      assert.ok(lifetime > 599 && lifetime <= 600, `lifetime ${lifetime}`);
      const payload = ticketPayload(t.token);
      assert.equal(payload.sub, 'alice');
      assert.deepEqual(payload.attrs, ALICE.attributes);
      assert.equal(payload.exp * 1000, Date.parse(t.expiresAt));
      // Signed with the shared secret, as the legacy system expects.
      const [part, sig] = t.token.split('.');
      assert.equal(sig, createHmac('sha256', LEGACY_SECRET).update(part).digest('base64url'));

      // Fed back as input, the issued ticket is accepted by the same module's validator.
      const back = await translate(LEGACY_IN(t.token), { type: 'SAML2' });
      assert.equal(back.errors, undefined, JSON.stringify(back.errors));
      const a = await verifyAssertion(back.data.translateToken.token, s.url, INSTANCE);
      assert.equal(a.nameId, 'alice');
      assert.deepEqual(a.attributes, { mail: ['alice@corp.example'], groups: ['staff', 'dev'] });

      const r = await s.rest(INSTANCE, 'translate', {
        input_token_state: { token_type: 'USERNAME', username: ALICE.username, password: ALICE.password },
        output_token_state: { token_type: 'LEGACY_TICKET' },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body), ['issued_token']);
      assert.equal(ticketPayload(r.body.issued_token).sub, 'alice');
      const back2 = await s.rest(INSTANCE, 'translate', {
        input_token_state: { token_type: 'LEGACY_TICKET', ticket: r.body.issued_token },
        output_token_state: { token_type: 'SAML2' },
      });
      assert.equal(back2.status, 200, JSON.stringify(back2.body));
      assert.equal((await verifyAssertion(back2.body.issued_token, s.url, INSTANCE)).nameId, 'alice');
    });

    test('LEGACY_TICKET → LEGACY_TICKET over GraphQL and REST: a fresh ticket for the same subject', async () => {
      const ticket = goodTicket('frank', { mail: 'frank@legacy.example', junk: { nested: 1 } });
      const g = await translate(LEGACY_IN(ticket), LEGACY_OUT);
      assert.equal(g.errors, undefined, JSON.stringify(g.errors));
      const out = g.data.translateToken;
      assert.notEqual(out.token, ticket);
      assert.equal(out.subject, 'frank');
      // Non-string attributes in a ticket are dropped by the example's validator.
      assert.deepEqual(ticketPayload(out.token).attrs, { mail: 'frank@legacy.example' });

      // A bare string is accepted as customToken too (examples/plugins/README.md).
      const bare = await translate({ type: 'CUSTOM', customType: 'LEGACY_TICKET', customToken: out.token }, LEGACY_OUT);
      assert.equal(bare.errors, undefined, JSON.stringify(bare.errors));
      assert.equal(bare.data.translateToken.subject, 'frank');

      const r = await s.rest(INSTANCE, 'translate', {
        input_token_state: { token_type: 'LEGACY_TICKET', ticket: out.token },
        output_token_state: { token_type: 'LEGACY_TICKET' },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(ticketPayload(r.body.issued_token).sub, 'frank');
      const check = await translate(LEGACY_IN(r.body.issued_token), { type: 'SAML2' });
      assert.equal(check.data?.translateToken.subject, 'frank');
    });

    test('a forged, expired or malformed ticket is INVALID_TOKEN with the validator’s sanitized message', async () => {
      const forged = mintTicket({ sub: 'mallory', attrs: {}, exp: nowSeconds() + 300 }, 'not-the-shared-secret-but-32-bytes-long!!');
      const tampered = (() => {
        const [, sig] = goodTicket().split('.');
        const part = Buffer.from(JSON.stringify({ sub: 'admin', attrs: {}, exp: nowSeconds() + 300 })).toString('base64url');
        return `${part}.${sig}`;
      })();
      const expired = mintTicket({ sub: 'carol', attrs: {}, exp: nowSeconds() - 5 });
      const cases: Array<[unknown, string]> = [
        [{ ticket: forged }, 'ticket signature is invalid'],
        [{ ticket: tampered }, 'ticket signature is invalid'],
        [{ ticket: expired }, 'ticket has expired'],
        [{ ticket: 'no-dot-here' }, 'ticket is malformed'],
        [{ ticket: 42 }, 'expected {"ticket": "<legacy ticket>"} or a ticket string'],
        [{ nothing: true }, 'expected {"ticket": "<legacy ticket>"} or a ticket string'],
      ];
      for (const [customToken, message] of cases) {
        const g = await translate({ type: 'CUSTOM', customType: 'LEGACY_TICKET', customToken }, { type: 'SAML2' });
        assert.equal(codeOf(g), 'INVALID_TOKEN', JSON.stringify(g));
        assert.equal(g.errors![0]!.message, message);
        assert.equal(g.data, null);
        const r = await s.rest(INSTANCE, 'translate', {
          input_token_state: { token_type: 'LEGACY_TICKET', ...(customToken as object) },
          output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' },
        });
        assert.equal(r.status, 401);
        assert.deepEqual(r.body, { code: 401, reason: 'Unauthorized', message, detail: { code: 'INVALID_TOKEN' } });
        assertNoInternals(JSON.stringify(r.body) + JSON.stringify(g.errors), [forged, tampered]);
      }
      // The audit trail records the refusals without the tickets.
      const audit = await s.gql(`{ auditEvents(instance: "${INSTANCE}", first: 3) { action outcome inputType outputType detail } }`, {}, s.adminToken);
      assert.deepEqual(
        audit.data.auditEvents.map((e: { action: string; outcome: string; inputType: string }) => [e.action, e.outcome, e.inputType]),
        [['translate', 'INVALID_TOKEN', 'LEGACY_TICKET'], ['translate', 'INVALID_TOKEN', 'LEGACY_TICKET'], ['translate', 'INVALID_TOKEN', 'LEGACY_TICKET']],
      );
      assert.ok(!JSON.stringify(audit.data).includes(forged.split('.')[1]!));
    });

    test('custom transforms the instance does not offer are UNSUPPORTED_TRANSFORM', async () => {
      const g = await translate({ type: 'CUSTOM', customType: 'OTHER_TICKET', customToken: { ticket: 'x' } }, { type: 'SAML2' });
      assert.equal(codeOf(g), 'UNSUPPORTED_TRANSFORM');
      const r = await s.rest(INSTANCE, 'translate', {
        input_token_state: { token_type: 'OTHER_TICKET', ticket: 'x' },
        output_token_state: { token_type: 'SAML2' },
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.detail.code, 'UNSUPPORTED_TRANSFORM');
      const missing = await translate({ type: 'CUSTOM', customToken: { ticket: 'x' } }, { type: 'SAML2' });
      assert.equal(codeOf(missing), 'BAD_USER_INPUT');
      const noOutType = await translate(LEGACY_IN(goodTicket()), { type: 'CUSTOM' });
      assert.equal(codeOf(noOutType), 'BAD_USER_INPUT');
    });

    test('validateToken and cancelToken with type CUSTOM decide by the issued-token record', async () => {
      const issue = async () => {
        const r = await translate({ type: 'USERNAME', username: ALICE.username, password: ALICE.password }, LEGACY_OUT);
        assert.equal(r.errors, undefined, JSON.stringify(r.errors));
        return r.data.translateToken as { token: string; tokenId: string; expiresAt: string };
      };
      const t = await issue();
      const rec = await s.gql(`{ issuedTokens(instance: "${INSTANCE}", subject: "alice", first: 1) { tokenId type subject cancelled expiresAt } }`, {}, s.adminToken);
      assert.deepEqual(rec.data.issuedTokens[0], { tokenId: t.tokenId, type: 'LEGACY_TICKET', subject: 'alice', cancelled: false, expiresAt: t.expiresAt });

      // valid: admins see the subject, anonymous callers do not.
      const v = await s.gql(VALIDATE, { i: INSTANCE, t: 'CUSTOM', tok: t.token }, s.adminToken);
      assert.deepEqual(v.data.validateToken, { valid: true, reason: null, subject: 'alice', expiresAt: t.expiresAt });
      const anon = await s.gql(VALIDATE, { i: INSTANCE, t: 'CUSTOM', tok: t.token });
      assert.deepEqual(anon.data.validateToken, { valid: true, reason: null, subject: null, expiresAt: t.expiresAt });
      const rv = await s.rest(INSTANCE, 'validate', { validated_token_state: { token_type: 'LEGACY_TICKET', token: t.token } });
      assert.deepEqual([rv.status, rv.body], [200, { token_valid: true }]);

      // unknown: a correctly signed ticket Tessera never issued, and a string that is no ticket at all.
      const neverIssued = goodTicket('alice', {});
      const u = await s.gql(VALIDATE, { i: INSTANCE, t: 'CUSTOM', tok: neverIssued }, s.adminToken);
      assert.equal(u.data.validateToken.valid, false);
      assert.equal(u.data.validateToken.reason, 'UNKNOWN');
      const junk = await s.gql(VALIDATE, { i: INSTANCE, t: 'CUSTOM', tok: 'not a ticket' });
      assert.deepEqual([junk.data.validateToken.valid, junk.data.validateToken.reason], [false, 'UNKNOWN']);
      const ru = await s.rest(INSTANCE, 'validate', { validated_token_state: { token_type: 'LEGACY_TICKET', token: neverIssued } });
      assert.deepEqual([ru.status, ru.body], [200, { token_valid: false }]);
      const cu = await s.gql(CANCEL, { i: INSTANCE, t: 'CUSTOM', tok: neverIssued });
      assert.equal(codeOf(cu), 'NOT_FOUND');
      const rcu = await s.rest(INSTANCE, 'cancel', { cancelled_token_state: { token_type: 'LEGACY_TICKET', token: neverIssued } });
      assert.equal(rcu.status, 404);
      assert.equal(rcu.body.detail.code, 'NOT_FOUND');

      // A SAML assertion or OIDC token of this instance is not a CUSTOM token.
      const saml = await translate(LEGACY_IN(goodTicket()), { type: 'SAML2' });
      const asCustom = await s.gql(VALIDATE, { i: INSTANCE, t: 'CUSTOM', tok: saml.data.translateToken.token });
      assert.deepEqual([asCustom.data.validateToken.valid, asCustom.data.validateToken.reason], [false, 'UNKNOWN']);

      // cancelled, over GraphQL; cancelling again is still true.
      assert.equal((await s.gql(CANCEL, { i: INSTANCE, t: 'CUSTOM', tok: t.token })).data.cancelToken, true);
      const vc = await s.gql(VALIDATE, { i: INSTANCE, t: 'CUSTOM', tok: t.token }, s.adminToken);
      assert.deepEqual(vc.data.validateToken, { valid: false, reason: 'CANCELLED', subject: 'alice', expiresAt: t.expiresAt });
      assert.equal((await s.gql(CANCEL, { i: INSTANCE, t: 'CUSTOM', tok: t.token })).data.cancelToken, true);
      const rec2 = await s.gql(`{ issuedTokens(instance: "${INSTANCE}", subject: "alice", first: 5) { tokenId cancelled } }`, {}, s.adminToken);
      assert.equal(rec2.data.issuedTokens.find((x: { tokenId: string }) => x.tokenId === t.tokenId).cancelled, true);

      // cancelled, over REST.
      const t2 = await issue();
      const rc = await s.rest(INSTANCE, 'cancel', { cancelled_token_state: { token_type: 'LEGACY_TICKET', token: t2.token } });
      assert.deepEqual([rc.status, rc.body], [200, { result: 'LEGACY_TICKET token cancelled successfully.' }]);
      const rvc = await s.rest(INSTANCE, 'validate', { validated_token_state: { token_type: 'LEGACY_TICKET', token: t2.token } });
      assert.deepEqual([rvc.status, rvc.body], [200, { token_valid: false }]);
      const gvc = await s.gql(VALIDATE, { i: INSTANCE, t: 'CUSTOM', tok: t2.token });
      assert.equal(gvc.data.validateToken.reason, 'CANCELLED');

      // Another token's record is not found by a different string.
      const t3 = await issue();
      const v3 = await s.gql(VALIDATE, { i: INSTANCE, t: 'CUSTOM', tok: t3.token + 'x' });
      assert.equal(v3.data.validateToken.reason, 'UNKNOWN');
      assert.equal((await s.gql(VALIDATE, { i: INSTANCE, t: 'CUSTOM', tok: t3.token })).data.validateToken.valid, true);
    });

    test('the custom type named over REST must be the recorded one', async () => {
      const r = await translate({ type: 'USERNAME', username: ALICE.username, password: ALICE.password }, LEGACY_OUT);
      const token = r.data.translateToken.token as string;
      // A type this server does not issue is refused as PingAM refuses an unknown token type.
      const other = await s.rest(INSTANCE, 'validate', { validated_token_state: { token_type: 'OTHER_TICKET', token } });
      assert.deepEqual([other.status, other.body.detail?.code], [400, 'BAD_USER_INPUT']);
      const cancelOther = await s.rest(INSTANCE, 'cancel', { cancelled_token_state: { token_type: 'OTHER_TICKET', token } });
      assert.deepEqual([cancelOther.status, cancelOther.body.detail?.code], [400, 'BAD_USER_INPUT']);
      // A built-in type is another kind's record: not this token.
      const asSaml = await s.rest(INSTANCE, 'validate', { validated_token_state: { token_type: 'SAML2', saml2_token: token } });
      assert.deepEqual([asSaml.status, asSaml.body], [200, { token_valid: false }]);
      const still = await s.rest(INSTANCE, 'validate', { validated_token_state: { token_type: 'LEGACY_TICKET', token } });
      assert.deepEqual(still.body, { token_valid: true });
    });
  });
}

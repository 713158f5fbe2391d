/**
 * docs/plugins.md §5 (worked example: legacy tickets) followed literally, on SQLite and PostgreSQL: its shell
 * blocks are run with /bin/sh (only the paths and the base URL substituted), its GraphQL blocks are sent as
 * written, and the answers they show are compared with what Tessera answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ADMIN_PASSWORD, DB_KINDS, codeOf, startServer, type TestServer } from '../support/server.js';
import {
  LEGACY_SECRET,
  markdownCodeBlocks,
  markdownSection,
  mintTicket,
  nowSeconds,
  runShell,
  ticketPayload,
  verifyAssertion,
} from '../support/plugins-api.js';
import { repoRoot } from '../support/saml.js';

process.env.LEGACY_TICKET_SECRET = LEGACY_SECRET;

const DOC = join(repoRoot(), 'docs', 'plugins.md');
const SECTION = markdownSection(DOC, '## 5. Worked example');
const BLOCKS = markdownCodeBlocks(SECTION);
const DOC_URL = 'http://127.0.0.1:4000';
const DOC_PLUGIN_DIR = '/etc/tessera/plugins';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/** The one block of the section in `lang` that contains every one of `needles`. */
function block(lang: string, ...needles: string[]): string {
  const found = BLOCKS.filter((b) => b.lang === lang && needles.every((n) => b.code.includes(n)));
  assert.equal(found.length, 1, `exactly one ${lang} block with ${needles.join(' + ')} in docs/plugins.md §5`);
  return found[0]!.code;
}

/** The answers a shell block shows as `# …` comments after its commands, in order. */
function shownAnswers(code: string): string[] {
  return code
    .split('\n')
    .filter((l) => l.startsWith('# '))
    .map((l) => l.slice(2).trim());
}

for (const db of DB_KINDS) {
  describe(`docs/plugins.md worked example, followed literally, on ${db}`, () => {
    let s: TestServer;
    let work: string;
    let session: string;
    let ticket: string;
    let bobTicket: string;

    const shellEnv = (extra: Record<string, string> = {}) => ({
      PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      LEGACY_TICKET_SECRET: LEGACY_SECRET,
      TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...extra,
    });
    const sh = (code: string, extra: Record<string, string> = {}) =>
      runShell(code.replaceAll(DOC_URL, s.url).replaceAll(DOC_PLUGIN_DIR, join(work, 'plugins')), { env: shellEnv(extra) });

    before(async () => {
      work = mkdtempSync(join(tmpdir(), 'tessera-doc-'));
      // Step 1 as written, minus the placeholder secret and `npm start` (the server starts in this process).
      const install = block('sh', 'install -d -m 0755', 'subject-email-nameid.mjs', 'npm start');
      const script = install
        .split('\n')
        .filter((l) => !l.startsWith('npm start') && !l.startsWith('export LEGACY_TICKET_SECRET='))
        .join('\n');
      const pluginDir = await runShell(`${script.replaceAll(DOC_PLUGIN_DIR, join(work, 'plugins'))}\nprintf '%s' "$TESSERA_PLUGIN_DIR"`, { env: shellEnv() });
      assert.equal(pluginDir, join(work, 'plugins'));
      assert.equal(statSync(pluginDir).mode & 0o777, 0o755);
      assert.equal(statSync(join(pluginDir, 'legacy-ticket.mjs')).mode & 0o777, 0o644);
      s = await startServer({ db, env: { TESSERA_PLUGIN_DIR: pluginDir } });
    });
    after(async () => {
      await s?.destroy();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    test('step 2: log in with curl, then publish the instance with the mutation as written', async () => {
      const login = block('sh', 'SESSION=$(curl');
      session = await sh(`${login}\nprintf '%s' "$SESSION"`);
      assert.match(session, /^tsn_/);
      const r = await s.gql(block('graphql', 'publishInstance('), {}, session);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      assert.deepEqual(r.data.publishInstance, { name: 'legacy-bridge', endpoints: { rest: `${s.url}/rest-sts/legacy-bridge` } });
    });

    test('step 3: the ticket minted by the shell recipe', async () => {
      ticket = await sh(`${block('sh', 'TICKET=$(node -e')}\nprintf '%s' "$TICKET"`);
      const p = ticketPayload(ticket);
      assert.deepEqual([p.sub, p.attrs], ['alice', { mail: 'alice@example.com', memberOf: ['staff'] }]);
      assert.equal(ticket, mintTicket({ sub: 'alice', attrs: p.attrs, exp: p.exp }));
    });

    const checkAssertion = async (xml: string) => {
      const a = await verifyAssertion(xml, s.url, 'legacy-bridge');
      assert.equal(a.issuer, 'https://sts.example.com');
      assert.equal(a.nameId, 'alice@example.com');
      assert.equal(a.nameIdFormat, EMAIL_FORMAT);
      assert.deepEqual(a.attributes, { mail: ['alice@example.com'], groups: ['staff'] });
      assert.deepEqual(a.audiences, ['https://sp.example.com']);
    };

    test('step 4a: the GraphQL mutation as written, with the ticket as variable', async () => {
      const r = await s.gql(block('graphql', 'translateToken(', '$ticket', 'output: { type: SAML2 }'), { ticket });
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      const t = r.data.translateToken;
      assert.deepEqual([t.type, t.subject], ['SAML2', 'alice']);
      await checkAssertion(t.token);
      // "a bare string is accepted too" and "customToken may also be passed whole, as a JSON variable"
      const whole = await s.gql(
        'mutation ($token: JSON!) { translateToken(instance: "legacy-bridge", input: {type: CUSTOM, customType: "LEGACY_TICKET", customToken: $token}, output: {type: SAML2}) { token subject } }',
        { token: { ticket } },
      );
      assert.equal(whole.data?.translateToken.subject, 'alice', JSON.stringify(whole.errors));
      const bare = await s.gql(
        'mutation ($token: JSON!) { translateToken(instance: "legacy-bridge", input: {type: CUSTOM, customType: "LEGACY_TICKET", customToken: $token}, output: {type: SAML2}) { token subject } }',
        { token: ticket },
      );
      assert.equal(bare.data?.translateToken.subject, 'alice', JSON.stringify(bare.errors));
      await checkAssertion(bare.data.translateToken.token);
    });

    test('step 4a: the curl command as written', async () => {
      const out = JSON.parse(await sh(block('sh', 'curl -s http://127.0.0.1:4000/graphql', 'translateToken'), { TICKET: ticket }));
      assert.equal(out.errors, undefined, JSON.stringify(out.errors));
      assert.equal(out.data.translateToken.subject, 'alice');
      await checkAssertion(out.data.translateToken.token);
    });

    test('step 4b: the REST curl command as written, and its answer', async () => {
      const code = block('sh', '_action=translate', 'token_type: "LEGACY_TICKET"');
      const out = JSON.parse(await sh(code, { TICKET: ticket }));
      const [shown] = shownAnswers(code);
      assert.equal(shown, '{"issued_token":"<saml:Assertion …>"}');
      assert.deepEqual(Object.keys(out), ['issued_token']);
      assert.match(out.issued_token, /^<saml:Assertion /);
      await checkAssertion(out.issued_token);
    });

    test('a forged or expired ticket: the REST answer the doc shows', async () => {
      const m = /over REST\s*`(\{[^`]*\})`\s*\(or `"([^"]+)"`\)/.exec(SECTION);
      assert.ok(m, 'the forged-ticket answer is shown in §5');
      const forged = mintTicket({ sub: 'alice', attrs: {}, exp: nowSeconds() + 300 }, 'a-different-secret-of-at-least-32-bytes');
      const body = (t: string) => ({ input_token_state: { token_type: 'LEGACY_TICKET', ticket: t }, output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' } });
      const r = await s.rest('legacy-bridge', 'translate', body(forged));
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, JSON.parse(m[1]!));
      const expired = await s.rest('legacy-bridge', 'translate', body(mintTicket({ sub: 'alice', attrs: {}, exp: nowSeconds() - 1 })));
      assert.deepEqual(expired.body, { ...JSON.parse(m[1]!), message: m[2] });
      const g = await s.gql(block('graphql', 'translateToken(', '$ticket', 'output: { type: SAML2 }'), { ticket: forged });
      assert.equal(codeOf(g), 'INVALID_TOKEN');
      assert.equal(g.errors![0]!.message, 'ticket signature is invalid');
    });

    test('step 5: updateInstance, createUser and translate to a ticket as written; 600 s lifetime', async () => {
      const u = await s.gql(block('graphql', 'updateInstance('), {}, session);
      assert.equal(u.errors, undefined, JSON.stringify(u.errors));
      assert.deepEqual(u.data.updateInstance.transforms, [
        { input: 'CUSTOM', output: 'SAML2', customInput: 'LEGACY_TICKET', customOutput: null },
        { input: 'USERNAME', output: 'CUSTOM', customInput: null, customOutput: 'LEGACY_TICKET' },
      ]);
      const c = await s.gql(block('graphql', 'createUser('), {}, session);
      assert.equal(c.errors, undefined, JSON.stringify(c.errors));
      const r = await s.gql(block('graphql', 'translateToken(', 'type: USERNAME'));
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      const t = r.data.translateToken;
      assert.deepEqual([t.type, t.subject], ['CUSTOM', 'bob']);
      const lifetime = Date.parse(t.expiresAt) - Date.parse(t.issuedAt);
      assert.ok(lifetime > 599_000 && lifetime <= 600_000, `lifetime ${lifetime} ms`);
      assert.deepEqual(ticketPayload(t.token).attrs, { mail: 'bob@example.com', memberOf: ['staff'] });
      // "can be translated back as in step 4"
      const back = await s.gql(block('graphql', 'translateToken(', '$ticket', 'output: { type: SAML2 }'), { ticket: t.token });
      assert.equal(back.errors, undefined, JSON.stringify(back.errors));
      const a = await verifyAssertion(back.data.translateToken.token, s.url, 'legacy-bridge');
      assert.deepEqual([a.nameId, a.nameIdFormat], ['bob@example.com', EMAIL_FORMAT]);
    });

    test('step 5: the REST curl command for USERNAME → LEGACY_TICKET as written', async () => {
      const code = block('sh', '_action=translate', '"token_type": "USERNAME"');
      const out = JSON.parse(await sh(code));
      assert.deepEqual(Object.keys(out), ['issued_token']);
      const [shown] = shownAnswers(code);
      const prefix = /^\{"issued_token":"([^"…]+)…/.exec(shown!)![1]!;
      assert.ok(out.issued_token.startsWith(prefix), `${out.issued_token} starts with ${prefix}`);
      assert.equal(ticketPayload(out.issued_token).sub, 'bob');
      bobTicket = out.issued_token;
    });

    test('step 5: validateToken as written; validate, cancel, validate over REST with exactly the answers shown', async () => {
      const v = await s.gql(block('graphql', 'validateToken('), { ticket: bobTicket }, session);
      assert.equal(v.errors, undefined, JSON.stringify(v.errors));
      assert.equal(v.data.validateToken.valid, true);
      assert.equal(v.data.validateToken.reason, null);
      assert.equal(v.data.validateToken.subject, 'bob');
      const anon = await s.gql(block('graphql', 'validateToken('), { ticket: bobTicket });
      assert.equal(anon.data.validateToken.subject, null);

      const code = block('sh', '_action=validate', '_action=cancel');
      const out = await sh(code, { TICKET: bobTicket });
      assert.equal(out, shownAnswers(code).join(''));
      const after = await s.gql(block('graphql', 'validateToken('), { ticket: bobTicket }, session);
      assert.equal(after.data.validateToken.reason, 'CANCELLED');
      // "A cancelled ticket is CANCELLED to validateToken only": the module's validator still accepts it.
      const back = await s.gql(block('graphql', 'translateToken(', '$ticket', 'output: { type: SAML2 }'), { ticket: bobTicket });
      assert.equal(back.data?.translateToken.subject, 'bob', JSON.stringify(back.errors));
    });

    test('step 1: without LEGACY_TICKET_SECRET, ticket requests fail as the doc says and the rest keeps serving', async () => {
      const saved = process.env.LEGACY_TICKET_SECRET;
      delete process.env.LEGACY_TICKET_SECRET;
      try {
        const r = await s.gql(block('graphql', 'translateToken(', '$ticket', 'output: { type: SAML2 }'), { ticket });
        assert.equal(codeOf(r), 'INVALID_TOKEN');
        assert.equal(r.errors![0]!.message, 'legacy ticket signing is not configured');
        const issue = await s.gql(block('graphql', 'translateToken(', 'type: USERNAME'));
        assert.equal(codeOf(issue), 'INTERNAL');
        assert.equal((await s.gql('{ me { username } }', {}, session)).data.me.username, 'admin');
      } finally {
        process.env.LEGACY_TICKET_SECRET = saved;
      }
      const ok = await s.gql(block('graphql', 'translateToken(', '$ticket', 'output: { type: SAML2 }'), { ticket });
      assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
    });
  });
}

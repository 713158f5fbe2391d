/**
 * SAML statement plugins through the public API (API.md §6), on SQLite and PostgreSQL. The five example plugins
 * (examples/plugins/*.mjs, copied into a 0755 folder as 0644 files) are loaded with TESSERA_PLUGIN_DIR, listed by
 * samlPlugins, selected per instance, and their effect is read from issued assertions that xmllint and xmlsec1
 * accept. Hostile plugins in a second folder (one throws, one rejects, one hangs past TESSERA_PLUGIN_TIMEOUT_MS,
 * ones that return wrong types, one that returns markup, conditions that try to widen a bearer assertion) fail
 * the request with a typed, generic error and no token, or are neutralised, and the server keeps serving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DB_KINDS, codeOf, startServer, type TestServer } from '../support/server.js';
import { makeSelfSigned, type TestCert } from '../support/pki.js';
import { makeIssuer, type TestIssuer } from '../support/oidc.js';
import { repoRoot } from '../support/saml.js';
import {
  AUDIT,
  ISSUED,
  NAMEID,
  NS,
  assertGenericInternal,
  assertNoInternals,
  assertionOf,
  attributeValues,
  children,
  createUser,
  el,
  els,
  judge,
  metadataCert,
  publish,
  restTranslate,
  text,
  time,
  translate,
  translateRaw,
} from '../support/saml-api.js';

const EXAMPLES = [
  'conditions-one-time-use.mjs',
  'subject-email-nameid.mjs',
  'authn-session-index.mjs',
  'attributes-static-tenant.mjs',
  'authz-staff-admin.mjs',
];
const PASSWORD = 'plugin-password-1';
const SP = 'https://sp.example.com/plugins';
const SAML = { issuer: 'https://idp.example.com/plugins', spEntityId: SP, attributeMap: { mail: 'mail', groups: 'memberOf' } };
const USERNAME_SAML = [{ input: 'USERNAME', output: 'SAML2' }];
const GHPP = 'urn:oasis:names:tc:SAML:1.0:action:ghpp';
const TENANT = 'urn:example:tenant';

/** A plugin folder as an operator would install it: 0755, files 0644. */
function pluginFolder(files: Record<string, string | { copyFrom: string }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-plugins-'));
  chmodSync(dir, 0o755);
  for (const [name, content] of Object.entries(files)) {
    const target = join(dir, name);
    if (typeof content === 'string') writeFileSync(target, content);
    else copyFileSync(content.copyFrom, target);
    chmodSync(target, 0o644);
  }
  return dir;
}

const login = (username: string) => ({ type: 'USERNAME', username, password: PASSWORD });

async function users(s: TestServer): Promise<void> {
  await createUser(s, 'alice', PASSWORD, { mail: 'alice@example.com', memberOf: ['staff', 'dev'] });
  await createUser(s, 'carol', PASSWORD, { mail: 'carol@example.com', memberOf: 'staff' });
  await createUser(s, 'bob', PASSWORD, { mail: 'bob@example.com', memberOf: ['dev', 'staffing'] });
  await createUser(s, 'nomail', PASSWORD, { memberOf: ['guests'] });
}

/** Every element in the document, whatever its namespace, with this local name. */
function anyElementNamed(doc: Node, local: string): number {
  let n = 0;
  const walk = (x: Node): void => {
    if (x.nodeType === 1 && (x as Element).localName === local) n++;
    for (let c = x.firstChild; c; c = c.nextSibling) walk(c);
  };
  walk(doc);
  return n;
}

for (const db of DB_KINDS) {
  describe(`SAML2 example plugins on ${db}`, () => {
    let s: TestServer;
    let dir: string;
    let idp: TestIssuer;
    let cert: string;

    before(async () => {
      const examples = join(repoRoot(), 'examples', 'plugins');
      dir = pluginFolder(Object.fromEntries(EXAMPLES.map((f) => [f, { copyFrom: join(examples, f) }])));
      s = await startServer({ db, env: { TESSERA_PLUGIN_DIR: dir } });
      idp = makeIssuer({ alg: 'ES256' });
      await users(s);
      const one = (name: string, plugins: Record<string, string>, extra: Record<string, unknown> = {}) =>
        publish(s, { name, transforms: USERNAME_SAML, saml2: { ...SAML, plugins, ...extra } });
      await one('pl-authz', { authorizationDecisionStatements: 'staff-admin-authz' });
      await one('pl-conditions', { conditions: 'one-time-use-conditions' });
      await one('pl-conditions-short', { conditions: 'one-time-use-conditions' }, { lifetimeSeconds: 30 });
      await one('pl-subject', { subject: 'email-name-id' });
      await one('pl-attr', { attributeStatements: 'static-tenant-attribute' });
      await one('pl-attr-nomap', { attributeStatements: 'static-tenant-attribute' }, { attributeMap: {} });
      await one('pl-builtin', { conditions: 'default-conditions', subject: 'default-subject' });
      await publish(s, {
        name: 'pl-authn',
        transforms: [...USERNAME_SAML, { input: 'OPENIDCONNECT', output: 'SAML2' }],
        saml2: { ...SAML, plugins: { authenticationStatements: 'session-index-authn' } },
        oidcTrust: [{ issuer: idp.issuer, audience: ['tessera'], jwks: idp.jwks }],
      });
      await one('pl-all', {
        conditions: 'one-time-use-conditions',
        subject: 'email-name-id',
        authenticationStatements: 'session-index-authn',
        attributeStatements: 'static-tenant-attribute',
        authorizationDecisionStatements: 'staff-admin-authz',
      });
      cert = (await metadataCert(s, 'pl-all')).pem;
    });
    after(async () => {
      await s?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    async function issue(instance: string, user: string): Promise<Element> {
      const t = await translate(s, instance, login(user), { type: 'SAML2' });
      return assertionOf(judge(t.token, cert));
    }

    test('samlPlugins lists the five built-ins (default-…) and the five loaded examples', async () => {
      const r = await s.gql('{ samlPlugins { name statement builtIn description } }', {}, s.adminToken);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      const list = r.data.samlPlugins as Array<{ name: string; statement: string; builtIn: boolean }>;
      const builtIns = list.filter((p) => p.builtIn).map((p) => [p.statement, p.name]).sort();
      assert.deepEqual(builtIns, [
        ['attributeStatements', 'default-attribute-statements'],
        ['authenticationStatements', 'default-authentication-statements'],
        ['authorizationDecisionStatements', 'default-authorization-decision-statements'],
        ['conditions', 'default-conditions'],
        ['subject', 'default-subject'],
      ]);
      const loaded = list.filter((p) => !p.builtIn).map((p) => [p.statement, p.name]).sort();
      assert.deepEqual(loaded, [
        ['attributeStatements', 'static-tenant-attribute'],
        ['authenticationStatements', 'session-index-authn'],
        ['authorizationDecisionStatements', 'staff-admin-authz'],
        ['conditions', 'one-time-use-conditions'],
        ['subject', 'email-name-id'],
      ]);
      assert.equal(list.length, 10);
    });

    test('publish: an unknown plugin name, or a plugin of another statement kind, is BAD_USER_INPUT', async () => {
      for (const plugins of [
        { conditions: 'no-such-plugin' },
        { subject: 'staff-admin-authz' },
        { attributeStatements: 'one-time-use-conditions' },
        { authorizationDecisionStatements: 'default-conditions' },
      ]) {
        const r = await s.gql('mutation($i: InstanceInput!) { publishInstance(input: $i) { id } }', { i: { name: 'pl-bad', transforms: USERNAME_SAML, saml2: { ...SAML, plugins } } }, s.adminToken);
        assert.equal(codeOf(r), 'BAD_USER_INPUT', JSON.stringify(plugins));
        assertNoInternals(r.errors![0]!.message);
      }
      const inst = await s.gql('{ instance(name: "pl-bad") { name } }', {}, s.adminToken);
      assert.equal(inst.data.instance, null);
    });

    test('authorization decision: Permit GET on the admin area for staff members only', async () => {
      for (const user of ['alice', 'carol']) {
        const a = await issue('pl-authz', user);
        const st = el(a, NS.saml, 'AuthzDecisionStatement');
        assert.equal(st.getAttribute('Decision'), 'Permit', user);
        assert.equal(st.getAttribute('Resource'), 'https://sp.example.com/admin');
        const action = el(st, NS.saml, 'Action');
        assert.equal(action.getAttribute('Namespace'), GHPP);
        assert.equal(text(action), 'GET');
        // The statement follows the authentication and attribute statements (SAML core schema order).
        assert.equal(children(a).at(-1)?.localName, 'AuthzDecisionStatement');
      }
      for (const user of ['bob', 'nomail']) {
        const a = await issue('pl-authz', user);
        assert.equal(els(a, NS.saml, 'AuthzDecisionStatement').length, 0, `${user} is not staff`);
      }
    });

    test('conditions: OneTimeUse, and NotOnOrAfter capped at issue + 60 s (bearer confirmation follows)', async () => {
      const a = await issue('pl-conditions', 'alice');
      const issueAt = time(a, 'IssueInstant');
      const conditions = el(a, NS.saml, 'Conditions');
      assert.equal(els(conditions, NS.saml, 'OneTimeUse').length, 1);
      assert.equal(time(conditions, 'NotBefore'), issueAt);
      assert.equal(time(conditions, 'NotOnOrAfter'), issueAt + 60_000);
      assert.deepEqual(els(conditions, NS.saml, 'Audience').map(text), [SP]);
      const data = el(a, NS.saml, 'SubjectConfirmationData');
      assert.ok(time(data, 'NotOnOrAfter') <= issueAt + 60_000);
      // A shorter configured lifetime stays shorter.
      const short = await issue('pl-conditions-short', 'alice');
      assert.equal(time(el(short, NS.saml, 'Conditions'), 'NotOnOrAfter'), time(short, 'IssueInstant') + 30_000);
      assert.equal(els(short, NS.saml, 'OneTimeUse').length, 1);
    });

    test('subject: an emailAddress NameID from mail; without mail the built-in NameID', async () => {
      const a = await issue('pl-subject', 'alice');
      const nameId = el(a, NS.saml, 'NameID');
      assert.equal(text(nameId), 'alice@example.com');
      assert.equal(nameId.getAttribute('Format'), NAMEID.email);
      const t = await translate(s, 'pl-subject', login('alice'), { type: 'SAML2' });
      assert.equal(t.subject, 'alice', 'the translated subject is still the user');
      const n = el(await issue('pl-subject', 'nomail'), NS.saml, 'NameID');
      assert.equal(text(n), 'nomail');
      assert.equal(n.getAttribute('Format'), NAMEID.unspecified);
    });

    test('authentication statements: a SessionIndex derived from instance, subject and authentication time', async () => {
      const authTime = Math.floor(Date.now() / 1000) - 600;
      const indexes: string[] = [];
      for (let i = 0; i < 2; i++) {
        const idToken = idp.sign(idp.claims('tessera', { sub: 'oidc-frank', auth_time: authTime }));
        const t = await translate(s, 'pl-authn', { type: 'OPENIDCONNECT', idToken }, { type: 'SAML2' });
        const a = assertionOf(judge(t.token, cert));
        const authn = el(a, NS.saml, 'AuthnStatement');
        assert.equal(time(authn, 'AuthnInstant'), authTime * 1000);
        indexes.push(authn.getAttribute('SessionIndex') ?? '');
      }
      const expected = `_${createHash('sha256').update(`pl-authn\noidc-frank\n${new Date(authTime * 1000).toISOString()}`).digest('hex').slice(0, 32)}`;
      assert.deepEqual(indexes, [expected, expected], 'the same login gives the same SessionIndex');
      const other = el(await issue('pl-authn', 'alice'), NS.saml, 'AuthnStatement').getAttribute('SessionIndex');
      assert.match(other ?? '', /^_[0-9a-f]{32}$/);
      assert.notEqual(other, expected);
    });

    test('attribute statements: the mapped attributes plus tenant=acme (with NameFormat and FriendlyName)', async () => {
      const a = await issue('pl-attr', 'alice');
      assert.deepEqual(attributeValues(a), { mail: ['alice@example.com'], groups: ['staff', 'dev'], [TENANT]: ['acme'] });
      const tenant = els(a, NS.saml, 'Attribute').find((x) => x.getAttribute('Name') === TENANT)!;
      assert.equal(tenant.getAttribute('NameFormat'), 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri');
      assert.equal(tenant.getAttribute('FriendlyName'), 'tenant');
      // No attribute maps: the built-in gives nothing, the plugin still adds its static attribute.
      assert.deepEqual(attributeValues(await issue('pl-attr-nomap', 'alice')), { [TENANT]: ['acme'] });
    });

    test('built-ins selected by name behave as the defaults', async () => {
      const a = await issue('pl-builtin', 'alice');
      assert.equal(text(el(a, NS.saml, 'NameID')), 'alice');
      const c = el(a, NS.saml, 'Conditions');
      assert.equal(time(c, 'NotOnOrAfter'), time(a, 'IssueInstant') + 600_000);
      assert.equal(els(c, NS.saml, 'OneTimeUse').length, 0);
    });

    test('all five at once, through GraphQL and REST: every effect in one schema-valid, verified assertion', async () => {
      const rest = await restTranslate(s, 'pl-all', {
        input_token_state: { token_type: 'USERNAME', username: 'alice', password: PASSWORD },
        output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER' },
      });
      const gql = (await translate(s, 'pl-all', login('alice'), { type: 'SAML2' })).token;
      for (const xml of [gql, rest]) {
        const a = assertionOf(judge(xml, cert));
        assert.equal(els(a, NS.saml, 'OneTimeUse').length, 1);
        assert.equal(text(el(a, NS.saml, 'NameID')), 'alice@example.com');
        assert.match(el(a, NS.saml, 'AuthnStatement').getAttribute('SessionIndex') ?? '', /^_[0-9a-f]{32}$/);
        assert.deepEqual(attributeValues(a)[TENANT], ['acme']);
        assert.equal(el(a, NS.saml, 'AuthzDecisionStatement').getAttribute('Decision'), 'Permit');
      }
    });
  });

  describe(`SAML2 hostile plugins on ${db}`, () => {
    let s: TestServer;
    let dir: string;
    let holder: TestCert;
    let cert: string;

    const HOSTILE: Record<string, string> = {
      'throws.mjs': `export default { kind: 'saml2-statement', statement: 'attributeStatements', name: 'throwing-attributes',
  provide() { throw new Error('boom at /srv/secret/path.mjs:12 with password hunter2'); } };\n`,
      'rejects.mjs': `export default { kind: 'saml2-statement', statement: 'authorizationDecisionStatements', name: 'rejecting-authz',
  async provide() { await new Promise((r) => setTimeout(r, 5)); throw new TypeError('async boom /srv/secret'); } };\n`,
      'hangs.mjs': `export default { kind: 'saml2-statement', statement: 'authenticationStatements', name: 'hanging-authn',
  provide() { return new Promise(() => {}); } };\n`,
      'wrong-types.mjs': `export default [
  { kind: 'saml2-statement', statement: 'subject', name: 'wrong-types-subject',
    provide() { return { nameId: { value: 42, format: ['not', 'a', 'uri'] } }; } },
  { kind: 'saml2-statement', statement: 'conditions', name: 'wrong-types-conditions',
    provide(ctx) { return { ...ctx.defaults, notOnOrAfter: '2999-01-01T00:00:00Z' }; } },
  { kind: 'saml2-statement', statement: 'attributeStatements', name: 'wrong-types-attributes',
    provide() { return { attributes: [{ name: 'n', values: [1, 2] }] }; } },
];\n`,
      'markup.mjs': `export default { kind: 'saml2-statement', statement: 'attributeStatements', name: 'markup-attributes',
  provide() { return [{ attributes: [
    { name: 'note', values: ['<evil/>', '</saml:AttributeValue><evil>x</evil><saml:AttributeValue>', '&lt;already&gt; & "q"'] },
    { name: 'x"><evil a="1"/><saml:Attribute Name="admin', values: ['v'] },
  ] }]; } };\n`,
      'widen.mjs': `export default [
  { kind: 'saml2-statement', statement: 'conditions', name: 'widening-conditions',
    provide(ctx) { return { ...ctx.defaults, notOnOrAfter: new Date(ctx.issueInstant.getTime() + 7200 * 1000) }; } },
  { kind: 'saml2-statement', statement: 'conditions', name: 'audienceless-conditions',
    provide(ctx) { return { notBefore: ctx.defaults.notBefore, notOnOrAfter: ctx.defaults.notOnOrAfter }; } },
];\n`,
    };

    before(async () => {
      dir = pluginFolder(HOSTILE);
      s = await startServer({ db, env: { TESSERA_PLUGIN_DIR: dir, TESSERA_PLUGIN_TIMEOUT_MS: '200' } });
      holder = await makeSelfSigned({ keyAlg: 'EC', cn: 'holder' });
      await users(s);
      const one = (name: string, plugins: Record<string, string>) => publish(s, { name, transforms: USERNAME_SAML, saml2: { ...SAML, lifetimeSeconds: 600, plugins } });
      await one('h-throws', { attributeStatements: 'throwing-attributes' });
      await one('h-rejects', { authorizationDecisionStatements: 'rejecting-authz' });
      await one('h-hangs', { authenticationStatements: 'hanging-authn' });
      await one('h-wrong-subject', { subject: 'wrong-types-subject' });
      await one('h-wrong-conditions', { conditions: 'wrong-types-conditions' });
      await one('h-wrong-attributes', { attributeStatements: 'wrong-types-attributes' });
      await one('h-markup', { attributeStatements: 'markup-attributes' });
      await one('h-widen', { conditions: 'widening-conditions' });
      await one('h-no-audience', { conditions: 'audienceless-conditions' });
      await publish(s, { name: 'h-plain', transforms: USERNAME_SAML, saml2: SAML });
      cert = (await metadataCert(s, 'h-plain')).pem;
    });
    after(async () => {
      await s?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    async function recordCount(instance: string): Promise<number> {
      const r = await s.gql(ISSUED, { n: instance }, s.adminToken);
      assert.equal(r.errors, undefined);
      return r.data.issuedTokens.length as number;
    }

    /** The request fails with INTERNAL and the generic message, no token, and the server still issues. */
    async function expectFailure(instance: string, output: Record<string, unknown> = { type: 'SAML2' }): Promise<void> {
      const r = await translateRaw(s, instance, login('alice'), output);
      assert.equal(r.data?.translateToken ?? null, null, `${instance}: no token`);
      assert.equal(r.errors?.length, 1, JSON.stringify(r.errors));
      assert.equal(codeOf(r), 'INTERNAL', `${instance}: ${JSON.stringify(r.errors)}`);
      assertGenericInternal(r.errors![0]!.message);
      assert.doesNotMatch(JSON.stringify(r.errors), /hunter2|\/srv\/secret|stack|\.mjs/);

      const rest = await s.rest(instance, 'translate', {
        input_token_state: { token_type: 'USERNAME', username: 'alice', password: PASSWORD },
        output_token_state: { token_type: 'SAML2', subject_confirmation: output.subjectConfirmation ?? 'BEARER', ...(output.proofCertificate ? { proof_token_state: { base64EncodedCertificate: holder.certDerB64 } } : {}) },
      });
      assert.equal(rest.status, 500, JSON.stringify(rest.body));
      assert.equal(rest.body.detail.code, 'INTERNAL');
      assert.equal(rest.body.issued_token, undefined);
      assertGenericInternal(rest.body.message);
      assert.doesNotMatch(JSON.stringify(rest.body), /hunter2|\/srv\/secret|stack|\.mjs/);
      assert.equal(await recordCount(instance), 0, `${instance}: nothing recorded`);
    }

    async function stillServing(): Promise<void> {
      const t = await translate(s, 'h-plain', login('alice'), { type: 'SAML2' });
      judge(t.token, cert);
      const health = await fetch(`${s.url}/healthz`);
      assert.equal(health.status, 200);
    }

    test('a plugin that throws fails the request with a generic INTERNAL error; the server keeps serving', async () => {
      await expectFailure('h-throws');
      await stillServing();
      const audit = await s.gql(AUDIT, { n: 'h-throws' }, s.adminToken);
      const outcomes = (audit.data.auditEvents as Array<{ action: string; outcome: string }>).filter((e) => e.action === 'translate').map((e) => e.outcome);
      assert.ok(outcomes.length >= 2 && outcomes.every((o) => o === 'INTERNAL'), JSON.stringify(outcomes));
    });

    test('a plugin whose promise rejects fails the request the same way', async () => {
      await expectFailure('h-rejects');
      await stillServing();
    });

    test('a plugin that never settles fails after TESSERA_PLUGIN_TIMEOUT_MS (200 ms), not later', async () => {
      const t0 = Date.now();
      const r = await translateRaw(s, 'h-hangs', login('alice'), { type: 'SAML2' });
      const took = Date.now() - t0;
      assert.equal(codeOf(r), 'INTERNAL');
      assert.equal(r.data?.translateToken ?? null, null);
      assert.ok(took >= 190 && took < 1900, `took ${took} ms`);
      await expectFailure('h-hangs');
      await stillServing();
    });

    test('plugins that return wrong types fail the request; nothing half-built is issued', async () => {
      for (const instance of ['h-wrong-subject', 'h-wrong-conditions', 'h-wrong-attributes']) await expectFailure(instance);
      await stillServing();
    });

    test('markup returned by a plugin comes out as text: no extra element, the signature and schema hold', async () => {
      const t = await translate(s, 'h-markup', login('alice'), { type: 'SAML2' });
      const doc = judge(t.token, cert);
      const a = assertionOf(doc);
      assert.equal(anyElementNamed(doc, 'evil'), 0, 'no <evil> element');
      const attrs = els(a, NS.saml, 'Attribute');
      assert.equal(attrs.length, 2, 'exactly the two attributes the plugin returned');
      assert.deepEqual(attributeValues(a), {
        note: ['<evil/>', '</saml:AttributeValue><evil>x</evil><saml:AttributeValue>', '&lt;already&gt; & "q"'],
        'x"><evil a="1"/><saml:Attribute Name="admin': ['v'],
      });
      assert.equal(attrs.filter((x) => x.getAttribute('Name') === 'admin').length, 0);
    });

    test('BEARER: a conditions plugin asking for a longer NotOnOrAfter or no audience does not widen the bound', async () => {
      for (const instance of ['h-widen', 'h-no-audience']) {
        const r = await translateRaw(s, instance, login('alice'), { type: 'SAML2' });
        if (r.errors) {
          // Refused: a typed, generic error and no token.
          assert.equal(codeOf(r), 'INTERNAL', instance);
          assertGenericInternal(r.errors[0]!.message);
          assert.equal(r.data?.translateToken ?? null, null);
        } else {
          // Or issued within the bound, still naming the SP.
          const a = assertionOf(judge(r.data.translateToken.token as string, cert));
          const issueAt = time(a, 'IssueInstant');
          const c = el(a, NS.saml, 'Conditions');
          assert.ok(time(c, 'NotOnOrAfter') <= issueAt + 600_000, `${instance}: NotOnOrAfter widened`);
          assert.ok(time(el(a, NS.saml, 'SubjectConfirmationData'), 'NotOnOrAfter') <= issueAt + 600_000);
          assert.deepEqual(els(c, NS.saml, 'Audience').map(text), [SP], `${instance}: the audience is required`);
        }
        const rest = await s.rest(instance, 'translate', {
          input_token_state: { token_type: 'USERNAME', username: 'alice', password: PASSWORD },
          output_token_state: { token_type: 'SAML2' },
        });
        if (rest.status === 200) {
          const a = assertionOf(judge(rest.body.issued_token as string, cert));
          assert.ok(time(el(a, NS.saml, 'Conditions'), 'NotOnOrAfter') <= time(a, 'IssueInstant') + 600_000);
          assert.deepEqual(els(a, NS.saml, 'Audience').map(text), [SP]);
        } else {
          assert.equal(rest.status, 500);
          assert.equal(rest.body.issued_token, undefined);
        }
      }
      await stillServing();
    });

    test('HOLDER_OF_KEY: the same conditions plugins apply (the bearer bound is bearer-only)', async () => {
      const widened = await translate(s, 'h-widen', login('alice'), { type: 'SAML2', subjectConfirmation: 'HOLDER_OF_KEY', proofCertificate: holder.certPem });
      const a = assertionOf(judge(widened.token, cert));
      assert.equal(time(el(a, NS.saml, 'Conditions'), 'NotOnOrAfter'), time(a, 'IssueInstant') + 7200_000);
      assert.equal(Date.parse(widened.expiresAt), time(a, 'IssueInstant') + 7200_000, 'the record expiry follows the assertion');
      const noAud = await translate(s, 'h-no-audience', login('alice'), { type: 'SAML2', subjectConfirmation: 'HOLDER_OF_KEY', proofCertificate: holder.certPem });
      assert.equal(els(assertionOf(judge(noAud.token, cert)), NS.saml, 'AudienceRestriction').length, 0);
    });
  });
}

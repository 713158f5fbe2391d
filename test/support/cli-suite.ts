/**
 * The `tessera` command end to end, on SQLite and PostgreSQL: each command is the real process against the
 * database a running server uses, and its effect is checked through the server's public doors (GraphQL, REST,
 * JWKS). Export → import into an empty database (of the other dialect too) gives the same instances and keys,
 * and tokens issued before still validate there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { ADMIN_PASSWORD, codeOf, freshDatabase, startServer, TEST_MASTER_KEY, type DbKind, type TestServer } from './server.js';
import { tessera } from './cli.js';

const OIDC = (name: string) => ({ name, transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }], oidc: { audience: ['rp'] } });
const SAML = (name: string) => ({
  name,
  transforms: [{ input: 'USERNAME', output: 'SAML2' }],
  saml2: { issuer: 'https://idp.example', spEntityId: 'https://sp.example', spAcsUrl: 'https://sp.example/acs' },
});

/** The suite on one database; the usage checks need no database and run with the SQLite suite only. */
export function cliSuite(db: DbKind, opts: { usage: boolean }): void {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  describe(`tessera command line (${db})`, () => {
    let s: TestServer;
    let env: Record<string, string>;
    before(async () => {
      s = await startServer({ db });
      // The same environment as the server: database, master key, public URL.
      env = { TESSERA_DATABASE_URL: s.databaseUrl, TESSERA_MASTER_KEY: TEST_MASTER_KEY, TESSERA_PUBLIC_URL: s.config.publicUrl };
    });
    after(() => s.destroy());

    if (opts.usage) test('--help on every command; unknown commands and flags are errors with the usage (exit 2)', async () => {
      await Promise.all([['--help'], ['help'], ['serve', '--help'], ['admin', '--help'], ['admin', 'reset-password', '--help'], ['instances', '--help'], ['instances', 'list', '--help'], ['instances', 'apply', '-h'], ['keys', '--help'], ['keys', 'rotate', '--help'], ['export', '--help'], ['import', '--help']].map(async (args) => {
        const r = await tessera(args, env);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stdout, /^Usage: tessera/, args.join(' '));
      }));
      const cases: Array<[string[], RegExp]> = [
        [['--port', '1'], /unknown option "--port"/],
        [['frobnicate'], /unknown command "frobnicate"/],
        [['keys', 'list', '--all'], /Unknown option '--all'/],
        [['instances', 'get'], /missing argument/],
        [['instances', 'delete', 'a', 'b'], /unexpected argument "b"/],
        [['instances', 'apply'], /apply needs -f <file>/],
        [['admin', 'unlock', 'x'], /unknown admin command "unlock"/],
        [['serve', '--port=1'], /Unknown option '--port'/],
      ];
      await Promise.all(cases.map(async ([args, message]) => {
        const r = await tessera(args, env);
        assert.equal(r.code, 2, args.join(' '));
        assert.match(r.stderr, message, args.join(' '));
        assert.match(r.stderr, /Usage: tessera/, `${args.join(' ')} prints the usage`);
        assert.equal(r.stdout, '', 'nothing on standard output');
      }));
    });

    test('admin reset-password: the new password from standard input logs in, the old one and the old sessions do not', async () => {
      await s.gql('mutation($i: UserInput!) { createUser(input: $i) { username } }', { i: { username: 'Carol', password: 'carol-old-password', roles: [] } }, s.adminToken);
      const oldSession = await s.login('carol', 'carol-old-password');
      const r = await tessera(['admin', 'reset-password', 'carol'], env, 'carol-new-password\n');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /password of Carol is reset/);
      assert.doesNotMatch(r.stdout + r.stderr, /carol-new-password/, 'nothing secret is printed');
      const fresh = await s.login('Carol', 'carol-new-password');
      assert.ok(fresh);
      const old = await s.gql('mutation { login(username: "Carol", password: "carol-old-password") { token } }');
      assert.equal(codeOf(old), 'UNAUTHENTICATED');
      const me = await s.gql('{ me { username } }', {}, oldSession);
      assert.equal(codeOf(me), 'UNAUTHENTICATED', 'the sessions before the reset ended');
      const audit = await s.gql('{ auditEvents(action: "resetPassword") { actor target outcome } }', {}, s.adminToken);
      assert.equal(audit.data.auditEvents[0].target, 'Carol');
      assert.equal(audit.data.auditEvents[0].outcome, 'OK');
      assert.match(audit.data.auditEvents[0].actor, /^cli:/);

      const failures: Array<[string[], string, RegExp]> = [
        [['admin', 'reset-password', 'nobody'], 'long-enough-password\n', /NOT_FOUND/],
        [['admin', 'reset-password', 'carol'], 'short\n', /BAD_USER_INPUT: password: must be at least 8 characters/],
        [['admin', 'reset-password', 'carol'], '', /BAD_USER_INPUT/],
      ];
      for (const [args, input, message] of failures) {
        const f = await tessera(args, env, input);
        assert.equal(f.code, 1, args.join(' '));
        assert.match(f.stderr, message);
      }
      assert.ok(await s.login('carol', 'carol-new-password'), 'a refused reset changes nothing');
    });

    test('instances apply (one or a list) goes through the publish service; CONFLICT unless --replace; get, list, delete', async () => {
      const file = join(dir, `${db}-instances.json`);
      writeFileSync(file, JSON.stringify([OIDC('cli-oidc'), SAML('cli-saml')]));
      const applied = await tessera(['instances', 'apply', '-f', file], env);
      assert.equal(applied.code, 0, applied.stderr);
      assert.equal(applied.stdout, 'published cli-oidc\npublished cli-saml\n');
      const seen = await s.gql('{ instances { name saml2 { spAcsUrl } } }', {}, s.adminToken);
      assert.deepEqual(seen.data.instances.map((i: { name: string }) => i.name).filter((n: string) => n.startsWith('cli-')), ['cli-oidc', 'cli-saml']);

      const again = await tessera(['instances', 'apply', '-f', file], env);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /CONFLICT: \[0\] \(cli-oidc\): Instance cli-oidc already exists/);

      const one = join(dir, `${db}-one.json`);
      writeFileSync(one, JSON.stringify({ ...SAML('cli-saml'), saml2: { ...SAML('cli-saml').saml2, spAcsUrl: 'https://sp.example/acs2' } }));
      const replaced = await tessera(['instances', 'apply', '-f', one, '--replace'], env);
      assert.equal(replaced.code, 0, replaced.stderr);
      assert.equal(replaced.stdout, 'replaced cli-saml\n');
      const after = await s.gql('{ instance(name: "cli-saml") { saml2 { spAcsUrl } } }', {}, s.adminToken);
      assert.equal(after.data.instance.saml2.spAcsUrl, 'https://sp.example/acs2');

      // get prints an InstanceInput that apply takes back unchanged (GitOps round trip).
      const got = await tessera(['instances', 'get', 'cli-oidc'], env);
      assert.equal(got.code, 0, got.stderr);
      const input = JSON.parse(got.stdout);
      assert.equal(input.oidc.hasClientSecret, undefined);
      writeFileSync(one, got.stdout);
      const back = await tessera(['instances', 'apply', '-f', one, '--replace'], env);
      assert.equal(back.code, 0, back.stderr);

      const bad = join(dir, `${db}-bad.json`);
      writeFileSync(bad, JSON.stringify({ name: 'cli-bad', transforms: [{ input: 'USERNAME', output: 'SAML2' }] }));
      const refused = await tessera(['instances', 'apply', '-f', bad], env);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /BAD_USER_INPUT: input\.saml2: is required/);
      writeFileSync(bad, '{ not json');
      assert.match((await tessera(['instances', 'apply', '-f', bad], env)).stderr, /BAD_USER_INPUT: .*is not JSON/);

      const listed = await tessera(['instances', 'list'], env);
      assert.match(listed.stdout, /^NAME +TRANSFORMS/);
      assert.match(listed.stdout, /\ncli-oidc +USERNAME→OPENIDCONNECT/);
      const json = JSON.parse((await tessera(['instances', 'list', '--json'], env)).stdout);
      assert.ok(json.some((i: { name: string }) => i.name === 'cli-saml'));

      assert.equal((await tessera(['instances', 'delete', 'cli-saml'], env)).code, 0);
      assert.equal((await s.gql('{ instance(name: "cli-saml") { name } }', {}, s.adminToken)).data.instance, null);
      const missing = await tessera(['instances', 'delete', 'cli-saml'], env);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /NOT_FOUND/);
    });

    test('keys generate, rotate and retire, seen by the server', async () => {
      const gen = await tessera(['keys', 'generate', 'ES256'], env);
      assert.equal(gen.code, 0, gen.stderr);
      const kid = gen.stdout.split(/\s+/)[0]!;
      const keys = async () => (await s.gql('{ keys { kid status } }', {}, s.adminToken)).data.keys as Array<{ kid: string; status: string }>;
      assert.equal((await keys()).find((k) => k.kid === kid)?.status, 'ACTIVE');
      const rot = await tessera(['keys', 'rotate', '--', kid], env);
      assert.equal(rot.code, 0, rot.stderr);
      const fresh = rot.stdout.split(/\s+/)[0]!;
      assert.notEqual(fresh, kid);
      assert.equal((await keys()).find((k) => k.kid === kid)?.status, 'PUBLISHED');
      assert.equal((await tessera(['keys', 'retire', '--', kid], env)).code, 0);
      assert.equal((await keys()).find((k) => k.kid === kid)?.status, 'RETIRED');
      const listed = JSON.parse((await tessera(['keys', 'list', '--json'], env)).stdout) as Array<Record<string, unknown>>;
      assert.deepEqual(listed.map((k) => k.kid).sort(), (await keys()).map((k) => k.kid).sort());
      assert.ok(listed.every((k) => !('privateKey' in k) && !('sealedPrivateKey' in k)), 'no private material');
      const bad = await tessera(['keys', 'generate', 'HS999'], env);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /BAD_USER_INPUT/);
    });

    const other: DbKind = db === 'sqlite' ? 'postgresql' : 'sqlite';
    for (const target of [db, other]) {
      test(`export → import into an empty ${target} database: same instances and keys; tokens issued before still validate`, async () => {
        await s.gql('mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }', { i: OIDC(`exp-${target}`) }, s.adminToken);
        await s.gql('mutation($i: UserInput!) { createUser(input: $i) { username } }', { i: { username: `dave-${target}`, password: 'dave-password-1', attributes: { mail: 'd@example.com' } } }, s.adminToken).catch(() => {});
        const issued = await s.rest(`exp-${target}`, 'translate', {
          input_token_state: { token_type: 'USERNAME', username: 'admin', password: ADMIN_PASSWORD },
          output_token_state: { token_type: 'OPENIDCONNECT', nonce: 'n', allow_access: true },
        });
        assert.equal(issued.status, 200, JSON.stringify(issued.body));
        const idToken = issued.body.issued_token as string;
        const created = await s.gql(
          'mutation($i: OAuthClientInput!) { createOAuthClient(input: $i) { clientSecret } }',
          { i: { clientId: `backup-client-${target}`, authMethod: 'client_secret_basic', instances: [`exp-${target}`], scopes: ['orders.read'], roles: ['gateway'] } },
          s.adminToken,
        );
        assert.equal(created.errors, undefined, JSON.stringify(created.errors));
        const clientSecret = created.data.createOAuthClient.clientSecret as string;
        /** The token endpoint's answer to this client: 401 invalid_client when its secret is not taken. */
        const tokenEndpoint = async (server: TestServer, secret: string) => {
          const r = await fetch(`${server.url}/sts/exp-${target}/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`backup-client-${target}:${secret}`).toString('base64')}` },
            body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: idToken, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }),
          });
          return [r.status, ((await r.json()) as { error: string }).error];
        };
        const authenticated = await tokenEndpoint(s, clientSecret);
        assert.notDeepEqual(authenticated, [401, 'invalid_client'], 'the client authenticates before the export');

        const file = join(dir, `${db}-to-${target}.json`);
        const exp = await tessera(['export', '--output', file], env);
        assert.equal(exp.code, 0, exp.stderr);
        assert.equal(statSync(file).mode & 0o777, 0o600);
        const doc = JSON.parse(readFileSync(file, 'utf8'));
        assert.ok(doc.users.every((u: Record<string, unknown>) => !('password' in u) && !('passwordHash' in u)), 'no passwords');
        assert.ok(doc.keys.every((k: { sealedPrivateKey: string }) => !k.sealedPrivateKey.includes('PRIVATE KEY')), 'private keys stay sealed');
        const exportedClient = doc.oauthClients.find((c: { clientId: string }) => c.clientId === `backup-client-${target}`);
        assert.match(exportedClient.secretHash, /^[0-9a-f]{64}$/);
        assert.ok(!JSON.stringify(doc).includes(clientSecret), 'no client secret, only its hash');
        const stdout = await tessera(['export'], env);
        assert.equal(JSON.parse(stdout.stdout).instances.length, doc.instances.length, 'standard output holds the same export');

        const fresh = freshDatabase(target);
        const targetEnv = { ...env, TESSERA_DATABASE_URL: fresh.url };
        let t: TestServer | undefined;
        try {
          const imp = await tessera(['import', file], targetEnv);
          assert.equal(imp.code, 0, imp.stderr);
          assert.match(imp.stdout, /imported instances: .*exp-/);
          assert.match(imp.stdout, new RegExp(`imported OAuth clients: .*backup-client-${target}`));
          assert.match(imp.stdout, /tessera admin reset-password/);
          const twice = await tessera(['import', file], targetEnv);
          assert.equal(twice.code, 1);
          assert.match(twice.stderr, /CONFLICT/);

          // Passwords did not travel: the admin sets them on the new database before it first serves.
          assert.equal((await tessera(['admin', 'reset-password', 'admin'], targetEnv, `${ADMIN_PASSWORD}\n`)).code, 0);
          // The restored service keeps its public URL, on which default issuers depend.
          t = await startServer({ db: target, databaseUrl: fresh.url, env: { TESSERA_PUBLIC_URL: s.config.publicUrl } });
          const pick = (r: { data?: any }) => r.data;
          const q = '{ instances { id name transforms { input output } oidc { issuer audience } } keys { kid algorithm status publicJwk certificate } users { username roles attributes } }';
          const before = pick(await s.gql(q, {}, s.adminToken));
          const now = pick(await t.gql(q, {}, t.adminToken));
          assert.deepEqual(now.instances, before.instances, 'same instances, ids included');
          const sortKeys = (ks: Array<{ kid: string }>) => [...ks].sort((a, b) => a.kid.localeCompare(b.kid));
          assert.deepEqual(sortKeys(now.keys), sortKeys(before.keys), 'same keys');
          assert.deepEqual(
            now.users.map((u: { username: string }) => u.username).sort(),
            before.users.map((u: { username: string }) => u.username).sort(),
          );

          const clients = '{ oauthClients { clientId authMethod instances scopes roles hasSecret createdAt } }';
          assert.deepEqual(pick(await t.gql(clients, {}, t.adminToken)), pick(await s.gql(clients, {}, s.adminToken)), 'same OAuth clients');
          assert.deepEqual(await tokenEndpoint(t, clientSecret), authenticated, 'the restored client authenticates with its old secret');
          assert.deepEqual(await tokenEndpoint(t, 'tcs_not-the-secret'), [401, 'invalid_client']);
          const valid = await t.rest(`exp-${target}`, 'validate', { validated_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: idToken } });
          assert.deepEqual(valid.body, { token_valid: true }, 'the record came along: validate still says valid');
          const jwks = await (await fetch(`${t.url}/sts/exp-${target}/jwks.json`)).json();
          const { payload } = await jwtVerify(idToken, createLocalJWKSet(jwks as never), { audience: 'rp' });
          assert.equal(payload.sub, 'admin', 'the new server publishes the key that signed it');
          const user = await t.gql('mutation { login(username: "dave-' + target + '", password: "dave-password-1") { token } }');
          assert.equal(codeOf(user), 'UNAUTHENTICATED', 'an imported user has no password until reset');
          assert.equal((await tessera(['admin', 'reset-password', `dave-${target}`], targetEnv, 'dave-password-2\n')).code, 0);
          assert.ok(await t.login(`dave-${target}`, 'dave-password-2'));
        } finally {
          await t?.stop();
          await fresh.cleanup();
        }
      });
    }

    test('import refuses a file that is not an export, and an export sealed under another master key', async () => {
      const file = join(dir, `${db}-master.json`);
      assert.equal((await tessera(['export', '-o', file], env)).code, 0);
      const fresh = freshDatabase(db);
      const other = freshDatabase(db);
      try {
        const wrongKey = await tessera(['import', file], { ...env, TESSERA_DATABASE_URL: other.url, TESSERA_MASTER_KEY: 'c'.repeat(64) });
        assert.equal(wrongKey.code, 1);
        assert.match(wrongKey.stderr, /does not open with TESSERA_MASTER_KEY: the export was made under another master key/);
        assert.equal((await tessera(['keys', 'list', '--json'], { ...env, TESSERA_DATABASE_URL: other.url, TESSERA_MASTER_KEY: 'c'.repeat(64) })).stdout.trim(), '[]', 'nothing was written');
        const junk = join(dir, `${db}-junk.json`);
        for (const [content, message] of [
          ['{"instances": []}', /BAD_USER_INPUT: format: must be "tessera-export"/],
          ['[1]', /BAD_USER_INPUT: import: must be a JSON object/],
          ['{"format": "tessera-export", "version": 9}', /BAD_USER_INPUT: version: version 9/],
          ['{"format": "tessera-export", "version": 1, "instances": [{"id": "x", "config": {}}]}', /BAD_USER_INPUT: instances\[0\]\.id/],
        ] as const) {
          writeFileSync(junk, content);
          const r = await tessera(['import', junk], { ...env, TESSERA_DATABASE_URL: fresh.url });
          assert.equal(r.code, 1, content);
          assert.match(r.stderr, message, content);
        }
        const missing = await tessera(['import', join(dir, 'nope.json')], { ...env, TESSERA_DATABASE_URL: fresh.url });
        assert.match(missing.stderr, /BAD_USER_INPUT: .*nope\.json: cannot be read: ENOENT/);
      } finally {
        await fresh.cleanup();
        await other.cleanup();
      }
    });
  });
}

/**
 * One-time use of a partner assertion's ID (API.md §8) beyond one process: remembered in the database
 * (used_proofs) across a restart on an SQLite file, and across two server processes — this test process and a
 * `node dist/src/main.js` started beside it — sharing one PostgreSQL database, including both receiving the
 * same assertion at once. The assertions are pysaml2's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { OpensslWorkspace } from '../support/openssl.js';
import { ADMIN_PASSWORD, TEST_MASTER_KEY, freePort, freshDatabase, startServer, type TestServer } from '../support/server.js';
import { repoRoot } from '../support/saml.js';
import { PartnerIdp, Pysaml2Batch } from '../support/saml-partner.js';

const AUD = 'https://sts.tessera.example/saml-in';
const RECIPIENT = 'https://sts.tessera.example/saml-in/acs';
const NAME = 'replay-in';
const TRANSLATE = `mutation($n: String!, $in: TokenInput!, $out: TokenOutput!) { translateToken(instance: $n, input: $in, output: $out) { subject } }`;

let ws: OpensslWorkspace;
let idp: PartnerIdp;
let docs: Pysaml2Batch;

before(async () => {
  ws = new OpensslWorkspace();
  idp = new PartnerIdp(ws, 'https://idp.partner.example/saml2', { audience: AUD, recipient: RECIPIENT });
  docs = new Pysaml2Batch();
  for (const n of ['restart-a', 'restart-b', 'pg-a', 'pg-b', 'pg-race']) docs.add(n, idp.spec({ name_id: `${n}@partner.example` }));
  await docs.run();
});
after(() => ws?.cleanup());

function instance() {
  return {
    name: NAME,
    transforms: [{ input: 'SAML2', output: 'OPENIDCONNECT' }],
    oidc: { audience: ['rp'] },
    saml2Trust: [{ issuer: idp.entityId, certificates: [idp.cert.pem], audience: [AUD], recipients: [RECIPIENT] }],
  };
}

async function publish(s: TestServer): Promise<void> {
  const r = await s.gql(`mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }`, { i: instance() }, s.adminToken);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
}

/** translateToken over GraphQL at any base URL; the subject, or the error code and message. */
async function translateAt(url: string, xml: string): Promise<{ subject?: string; code?: string; message?: string }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: TRANSLATE, variables: { n: NAME, in: { type: 'SAML2', samlAssertion: xml }, out: { type: 'OPENIDCONNECT' } } }),
  });
  const body = (await res.json()) as { data?: { translateToken?: { subject: string } }; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  if (body.data?.translateToken) return { subject: body.data.translateToken.subject };
  return { code: body.errors?.[0]?.extensions?.code, message: body.errors?.[0]?.message };
}

/** The same over REST. */
async function restAt(url: string, xml: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/rest-sts/${NAME}?_action=translate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input_token_state: { token_type: 'SAML2', saml2_token: xml }, output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true } }),
  });
  return { status: res.status, body: await res.json() };
}

function assertReplayed(r: { code?: string; message?: string }, where: string): void {
  assert.equal(r.code, 'INVALID_TOKEN', `${where}: ${JSON.stringify(r)}`);
  assert.match(r.message ?? '', /already used/);
}

describe('a used assertion ID survives a restart (SQLite file)', () => {
  const db = freshDatabase('sqlite');
  after(() => db.cleanup());

  test('used before the restart, refused after it; a fresh assertion still passes', async () => {
    const first = await startServer({ db: 'sqlite', databaseUrl: db.url });
    try {
      await publish(first);
      assert.equal((await translateAt(first.url, docs.get('restart-a'))).subject, 'restart-a@partner.example');
    } finally {
      await first.stop();
    }
    const second = await startServer({ db: 'sqlite', databaseUrl: db.url });
    try {
      assertReplayed(await translateAt(second.url, docs.get('restart-a')), 'after the restart');
      const r = await restAt(second.url, docs.get('restart-a'));
      assert.deepEqual([r.status, r.body.detail?.code], [401, 'INVALID_TOKEN'], JSON.stringify(r.body));
      assert.equal((await translateAt(second.url, docs.get('restart-b'))).subject, 'restart-b@partner.example');
    } finally {
      await second.stop();
    }
  });
});

describe('two server processes sharing one PostgreSQL database', () => {
  const db = freshDatabase('postgresql');
  let here: TestServer;
  let child: ChildProcess | undefined;
  let there = '';
  const output: string[] = [];

  before(async () => {
    here = await startServer({ db: 'postgresql', databaseUrl: db.url });
    await publish(here);
    const port = await freePort();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('TESSERA_') && !k.startsWith('NODE_TEST') && k !== 'PORT' && k !== 'HOST') env[k] = v;
    child = spawn(process.execPath, [join(repoRoot(), 'dist', 'src', 'main.js')], {
      cwd: repoRoot(),
      env: { ...env, PORT: String(port), HOST: '127.0.0.1', TESSERA_DATABASE_URL: db.url, TESSERA_MASTER_KEY: TEST_MASTER_KEY, TESSERA_ADMIN_PASSWORD: ADMIN_PASSWORD, TESSERA_DEMO: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    there = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the second process did not start:\n${output.join('')}`)), 30_000);
      const onData = (chunk: Buffer) => {
        output.push(chunk.toString('utf8'));
        const m = /Tessera is serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join(''));
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', (c: Buffer) => output.push(c.toString('utf8')));
      child!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the second process exited (${code}):\n${output.join('')}`));
      });
    });
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await here?.stop();
    await db.cleanup();
  });

  test('used in one process, refused in the other, both ways and at both doors', async () => {
    assert.notEqual(there, here.url);
    assert.equal((await translateAt(here.url, docs.get('pg-a'))).subject, 'pg-a@partner.example');
    assertReplayed(await translateAt(there, docs.get('pg-a')), 'the other process');
    const r = await restAt(there, docs.get('pg-b'));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assertReplayed(await translateAt(here.url, docs.get('pg-b')), 'this process');
    const again = await restAt(here.url, docs.get('pg-b'));
    assert.deepEqual([again.status, again.body.detail?.code], [401, 'INVALID_TOKEN']);
  });

  test('the same assertion at both processes at once: exactly one translation', async () => {
    const xml = docs.get('pg-race');
    const answers = await Promise.all([here.url, there, here.url, there, here.url, there].map((u) => translateAt(u, xml)));
    const won = answers.filter((a) => a.subject === 'pg-race@partner.example');
    assert.equal(won.length, 1, JSON.stringify(answers));
    for (const a of answers.filter((x) => x.subject === undefined)) assertReplayed(a, 'a concurrent request');
  });
});

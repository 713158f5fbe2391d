/**
 * GraphQL cost, not just depth: documents that used to keep the event loop busy for seconds (fragments each
 * spreading the next twice) are refused in milliseconds while /healthz keeps answering; every limit answers
 * BAD_USER_INPUT with its number; the limits come from the configuration.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getIntrospectionQuery } from 'graphql';
import { codeOf, startServer, type TestServer } from '../support/server.js';

/** `levels` fragments, each spreading the next twice: 2^levels paths through a few hundred bytes. */
function fragmentChain(levels: number, opts: { type?: string; leaf?: string; root?: string; pad?: string } = {}): string {
  const type = opts.type ?? 'Query';
  const name = (i: number) => `F${opts.pad ?? ''}${i}`;
  let doc = `${opts.root ?? `query { ...${name(0)} }`}\n`;
  for (let i = 0; i < levels; i++) doc += `fragment ${name(i)} on ${type} { ...${name(i + 1)} ...${name(i + 1)} }\n`;
  return doc + `fragment ${name(levels)} on ${type} { ${opts.leaf ?? '__typename'} }\n`;
}

/** CPU time (user + system, all threads) and wall time of `fn`, in milliseconds. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; cpuMs: number; wallMs: number }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = await fn();
  const wallMs = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { value, cpuMs: (used.user + used.system) / 1000, wallMs };
}

/**
 * Server time of one request: CPU time of the process from the server's 'request' event to the response's
 * 'finish' (the client awaits meanwhile), so other processes on a busy machine do not count.
 */
async function serverTime<T>(s: TestServer, fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  let ms = NaN;
  const onRequest = (_req: unknown, res: { once(e: 'finish', f: () => void): void }): void => {
    const cpu = process.cpuUsage();
    res.once('finish', () => {
      const used = process.cpuUsage(cpu);
      ms = (used.user + used.system) / 1000;
    });
  };
  s.tessera.http.server.once('request', onRequest);
  const value = await fn();
  return { value, ms };
}

/** Sends `doc` `times` times; each must be refused with BAD_USER_INPUT within 1 s. Returns the median server time. */
async function medianRefusal(s: TestServer, doc: string, times = 5): Promise<{ median: number; all: number[]; message: string }> {
  const all: number[] = [];
  let message = '';
  for (let i = 0; i < times; i++) {
    const r = await serverTime(s, () => s.gql(doc));
    assert.equal(codeOf(r.value), 'BAD_USER_INPUT', JSON.stringify(r.value.errors));
    assert.equal(r.value.data, undefined);
    // One slow answer is already a failure: a blocked loop would make the next attempts as slow.
    assert.ok(r.ms < 1000, `refusing took ${r.ms.toFixed(0)} ms of server time`);
    message = r.value.errors![0].message;
    all.push(r.ms);
  }
  const sorted = [...all].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], all, message };
}

describe('GraphQL limits (SQLite)', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ db: 'sqlite' });
    // Warm the server up, so the first measured request pays for no lazy initialisation.
    for (let i = 0; i < 3; i++) await s.gql(fragmentChain(2));
  });
  after(async () => {
    await s?.destroy();
  });

  test('the 23-fragment 1.4 KB document from the issue, then a 30-level chain: refused in well under 50 ms of server time, /healthz answering meanwhile', async () => {
    // The issue's document: 23 fragments each spreading the next twice, about 1.4 KB (old main: 10 s).
    const issueDoc = fragmentChain(23, { pad: 'ragment' });
    assert.ok(issueDoc.length >= 1300 && issueDoc.length <= 1500, `${issueDoc.length} bytes`);
    const issue = await medianRefusal(s, issueDoc);
    assert.ok(issue.median < 50, `23 levels: ${issue.all.map((m) => m.toFixed(1)).join(', ')} ms of server time`);

    const chain30 = fragmentChain(30, { type: 'User', leaf: 'username', root: 'query { me { ...F0 } }' });
    const deep = await medianRefusal(s, chain30);
    assert.match(deep.message, /too costly/);
    assert.ok(deep.median < 50, `30 levels: ${deep.all.map((m) => m.toFixed(1)).join(', ')} ms of server time`);

    // /healthz answers while the chain is being refused.
    const [attack, health] = await Promise.all([
      timed(() => s.gql(chain30)),
      timed(async () => (await fetch(`${s.url}/healthz`)).status),
    ]);
    assert.equal(codeOf(attack.value), 'BAD_USER_INPUT');
    assert.equal(health.value, 200);
    assert.ok(health.wallMs < 1000, `/healthz took ${health.wallMs.toFixed(0)} ms`);
  });

  test('the chain is refused however it is sent: anonymous, as admin, as a mutation, twice in one document', async () => {
    const variants = [
      [fragmentChain(30), null],
      [fragmentChain(30), s.adminToken],
      [fragmentChain(30, { type: 'Mutation', root: 'mutation { ...F0 }' }), null],
      [fragmentChain(30, { root: 'query One { ...F0 }' }) + fragmentChain(30, { pad: 'b', root: 'query Other { ...Fb0 }' }), null],
    ] as const;
    for (const [doc, token] of variants) {
      const r = await serverTime(s, () => s.gql(doc, undefined, token));
      assert.equal(codeOf(r.value), 'BAD_USER_INPUT', doc.slice(0, 40));
      assert.ok(r.ms < 1000, `${r.ms.toFixed(1)} ms`);
    }
  });

  const limits: Array<[string, () => string, RegExp]> = [
    ['depth 16', () => `{ __schema { types { fields { type { ${'ofType { '.repeat(11)}name${' }'.repeat(11)} } } } } }`, /nested 16 levels deep; the limit is 15/],
    ['16 aliases', () => `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: __typename`).join(' ')} }`, /16 aliases; the limit is 15/],
    ['an alias spelled __typename counts too', () => `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: __typename`).join(' ')} __typename: me { id } }`, /aliases; the limit is 15/],
    ['21 directives', () => `{ ${Array.from({ length: 21 }, () => '__typename @include(if: true)').join(' ')} }`, /21 directives; the limit is 20/],
    ['2001 tokens', () => `{ ${'__typename '.repeat(1999)}}`, /2000 tokens/],
    ['a cost over 50,000', () => `{ a: auditEvents(first: 1000) { at action actor instance subject target outcome inputType outputType clientAddress detail } b: auditEvents(first: 1000) { at action actor instance subject target outcome inputType outputType clientAddress detail } c: auditEvents(first: 1000) { at action actor instance subject target outcome inputType outputType clientAddress detail } }`, /too costly \(55500\); the limit is 50000/],
  ];
  for (const [name, doc, message] of limits) {
    test(`${name} is BAD_USER_INPUT, before anything runs`, async () => {
      const r = await s.gql(doc(), undefined, s.adminToken);
      assert.equal(codeOf(r), 'BAD_USER_INPUT', JSON.stringify(r.errors));
      assert.match(r.errors![0].message, message);
      assert.equal(r.data, undefined);
    });
  }

  test('what real clients send passes: GraphiQL introspection, 15 levels, 15 aliases, 20 directives, a full audit page', async () => {
    const ok = [
      getIntrospectionQuery({ descriptions: true, schemaDescription: true, inputValueDeprecation: true, specifiedByUrl: true, directiveIsRepeatable: true }),
      `{ __schema { types { fields { type { ${'ofType { '.repeat(10)}name${' }'.repeat(10)} } } } } }`,
      `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
      `{ ${Array.from({ length: 20 }, () => '__typename @include(if: true)').join(' ')} }`,
      '{ auditEvents(first: 1000) { at action actor instance subject target outcome inputType outputType clientAddress detail } }',
    ];
    for (const doc of ok) {
      const r = await s.gql(doc, undefined, s.adminToken);
      assert.equal(r.errors, undefined, `${doc.slice(0, 60)}: ${JSON.stringify(r.errors)}`);
    }
  });
});

describe('GraphQL limits come from the configuration', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({
      db: 'sqlite',
      env: { TESSERA_GRAPHQL_MAX_ALIASES: '2', TESSERA_GRAPHQL_MAX_DIRECTIVES: '1', TESSERA_GRAPHQL_MAX_TOKENS: '500', TESSERA_GRAPHQL_MAX_DEPTH: '16', TESSERA_GRAPHQL_MAX_COST: '20000' },
    });
  });
  after(async () => {
    await s?.destroy();
  });

  test('TESSERA_GRAPHQL_* set the numbers', async () => {
    const cases: Array<[string, RegExp | null]> = [
      ['{ a: __typename b: __typename }', null],
      ['{ a: __typename b: __typename c: __typename }', /3 aliases; the limit is 2/],
      ['{ __typename @include(if: true) }', null],
      ['{ a: __typename @include(if: true) __typename @skip(if: false) }', /2 directives; the limit is 1/],
      [`{ ${'__typename '.repeat(498)}}`, null],
      [`{ ${'__typename '.repeat(499)}}`, /500 tokens/],
      [`{ __schema { types { fields { type { ${'ofType { '.repeat(11)}name${' }'.repeat(11)} } } } } }`, null],
      ['{ a: auditEvents(first: 1000) { at action actor instance subject target outcome inputType outputType clientAddress detail } }', null],
      ['{ auditEvents(first: 1000) { at action actor instance subject target outcome inputType outputType clientAddress detail at action } }', /too costly \(21500\)/],
    ];
    for (const [doc, refused] of cases) {
      const r = await s.gql(doc, undefined, s.adminToken);
      if (refused) {
        assert.equal(codeOf(r), 'BAD_USER_INPUT', doc.slice(0, 50));
        assert.match(r.errors![0].message, refused);
      } else {
        assert.equal(r.errors, undefined, `${doc.slice(0, 50)}: ${JSON.stringify(r.errors)}`);
      }
    }
  });
});

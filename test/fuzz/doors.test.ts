/**
 * Property-based fuzzing of both doors of a real server (SQLite): random and mutated JSON bodies, GraphQL
 * documents and variables, JWTs, certificates and XML. Every property asserts: no 5xx and no INTERNAL, an
 * answer within a second, no token for an input that is invalid by construction, and a healthy server
 * afterwards (/healthz and a known-good translation). Bounded per property by time and runs; the seed is
 * printed and replayable (support.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { startServer, type TestServer } from '../support/server.js';
import { createUser, publish } from '../support/engine.js';
import { makeIssuer, unsignedToken, type TestIssuer } from '../support/oidc.js';
import { makeCa, makeLeaf, makeProof, type TestCa, type TestCert } from '../support/pki.js';
import {
  applyByteEdits,
  applyEdits,
  byteEdits,
  fuzzParameters,
  hostileJson,
  hostileString,
  judgeAnswer,
  judgeRefused,
  mutatedShape,
  replayHint,
  send,
  textEdits,
  type Exchange,
} from './support.js';

const OIDC = 'fz-oidc';
const SAML = 'fz-saml';
const USER = 'fuzz-user';
const PASSWORD = `fuzz-${'p'.repeat(24)}-password`;

let s: TestServer;
let idp: TestIssuer;
let ca: TestCa;
let leaf: TestCert;
let session: string;
let issuedAssertion: string;

function rest(instance: string, action: string, body: unknown, raw = false): Promise<Exchange> {
  // A URL carries UTF-8: a lone surrogate in the fuzzed action goes as U+FFFD.
  const query = encodeURIComponent(Buffer.from(action, 'utf8').toString('utf8'));
  return send(`REST ${instance} ${action.slice(0, 20)}`, `${s.url}/rest-sts/${instance}?_action=${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ? (body as string) : JSON.stringify(body),
  });
}

function gql(query: string, variables?: unknown, token?: string | null): Promise<Exchange> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return send('GraphQL', `${s.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
}

const TRANSLATE = 'mutation($n: String!, $i: TokenInput!, $o: TokenOutput!) { translateToken(instance: $n, input: $i, output: $o) { token subject } }';
const VALIDATE = 'mutation($n: String!, $t: TokenType!, $k: String!) { validateToken(instance: $n, type: $t, token: $k) { valid reason } }';
const CANCEL = 'mutation($n: String!, $t: TokenType!, $k: String!) { cancelToken(instance: $n, type: $t, token: $k) }';

/** After every property: the server still answers /healthz and still translates a valid session. */
async function assertHealthy(): Promise<void> {
  const h = await send('healthz', `${s.url}/healthz`, {});
  assert.equal(h.status, 200, h.text);
  const ok = await gql(TRANSLATE, { n: OIDC, i: { type: 'SESSION', sessionToken: session }, o: { type: 'OPENIDCONNECT' } });
  assert.equal(ok.json?.errors, undefined, ok.text.slice(0, 300));
  assert.ok(ok.json?.data?.translateToken?.token, 'the known-good translation still works');
}

async function check(name: string, arb: fc.Arbitrary<unknown>, predicate: (value: any) => Promise<void>, diagnostic: (m: string) => void): Promise<void> {
  diagnostic(replayHint(name));
  let cases = 0;
  const started = performance.now();
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (v) => {
        cases += 1;
        await predicate(v);
      }),
      fuzzParameters(name),
    );
    diagnostic(`${name}: ${cases} cases in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    // fast-check keeps the failed assertion as the cause; show it with the counterexample and the seed.
    const cause = (e as { cause?: unknown }).cause;
    throw new Error(`${replayHint(name)}\n${cause instanceof Error ? cause.message : ''}\n${(e as Error).message}`.slice(0, 6000));
  }
  await assertHealthy();
}

before(async () => {
  s = await startServer({ db: 'sqlite' });
  idp = makeIssuer({ alg: 'ES256' });
  ca = await makeCa('Fuzz CA');
  leaf = await makeLeaf(ca, { cn: 'fuzz-leaf' });
  const trust = {
    oidcTrust: [{ issuer: idp.issuer, audience: ['tessera'], jwks: idp.jwks }],
    x509Trust: { caCertificates: [ca.certPem] },
  };
  await publish(s, {
    name: OIDC,
    transforms: ['USERNAME', 'OPENIDCONNECT', 'X509', 'SESSION'].map((input) => ({ input, output: 'OPENIDCONNECT' })),
    oidc: { audience: ['rp'] },
    ...trust,
  });
  await publish(s, {
    name: SAML,
    transforms: ['OPENIDCONNECT', 'X509', 'SESSION'].map((input) => ({ input, output: 'SAML2' })),
    saml2: { issuer: 'https://idp.fuzz.example', spEntityId: 'https://sp.fuzz.example', attributeMap: { mail: 'mail' } },
    ...trust,
  });
  await createUser(s, USER, PASSWORD, { attributes: { mail: 'fuzz@example.com' } });
  session = await s.login(USER, PASSWORD);
  const t = await gql(TRANSLATE, { n: SAML, i: { type: 'SESSION', sessionToken: session }, o: { type: 'SAML2' } });
  issuedAssertion = t.json.data.translateToken.token;
  assert.match(issuedAssertion, /<saml:Assertion/);
});

after(async () => {
  await s?.destroy();
});

// ---------------------------------------------------------------------------------------------------------
// Arbitraries built on the live fixtures (functions: the fixtures exist once `before` has run)
// ---------------------------------------------------------------------------------------------------------

const TOKEN_TYPES = ['USERNAME', 'OPENIDCONNECT', 'X509', 'SESSION', 'OPENAM', 'SAML2', 'CUSTOM', 'ACCESS_TOKEN'];

/** REST input states whose credentials are wrong by construction (the password is never the real one). */
function restInputState(): fc.Arbitrary<unknown> {
  return fc.oneof(
    hostileJson,
    mutatedShape({ token_type: 'USERNAME', username: USER, password: 'wrong-password' }, { token_type: fc.constantFrom(...TOKEN_TYPES), username: hostileString, password: hostileString.filter((p) => p !== PASSWORD) }),
    mutatedShape({ token_type: 'OPENIDCONNECT', oidc_id_token: 'x' }, { oidc_id_token: hostileString, token_type: fc.oneof(fc.constantFrom(...TOKEN_TYPES), hostileString) }),
    mutatedShape({ token_type: 'X509', x509_cert: leaf.certPem }, { x509_cert: fc.oneof(hostileString, fc.array(hostileString, { maxLength: 7 }), hostileJson), proof: hostileString }),
    mutatedShape({ token_type: 'SESSION', session_id: 'tsn_x' }, { session_id: hostileString.filter((v) => v !== session), token_type: fc.constantFrom('SESSION', 'OPENAM') }),
  );
}

function restOutputState(): fc.Arbitrary<unknown> {
  return fc.oneof(
    hostileJson,
    mutatedShape({ token_type: 'OPENIDCONNECT', allow_access: true }, { nonce: hostileJson, allow_access: hostileJson, token_type: fc.oneof(fc.constantFrom(...TOKEN_TYPES), hostileString) }),
    mutatedShape({ token_type: 'SAML2' }, { subject_confirmation: fc.oneof(fc.constantFrom('BEARER', 'HOLDER_OF_KEY', 'SENDER_VOUCHES'), hostileString), proof_token_state: hostileJson, envelope: hostileJson }),
  );
}

function restBody(): fc.Arbitrary<{ action: string; body: unknown; raw: boolean }> {
  return fc.oneof(
    fc.record({ action: fc.constantFrom('translate'), body: fc.record({ input_token_state: restInputState(), output_token_state: restOutputState() }, { requiredKeys: [] }), raw: fc.constant(false) }),
    fc.record({
      action: fc.constantFrom('validate', 'cancel'),
      body: fc.oneof(
        fc.record({ validated_token_state: mutatedShape({ token_type: 'SAML2', saml2_token: '<x/>' }, { token_type: fc.constantFrom(...TOKEN_TYPES), saml2_token: hostileString, oidc_id_token: hostileString }) }),
        fc.record({ cancelled_token_state: mutatedShape({ token_type: 'OPENIDCONNECT', oidc_id_token: 'x' }, { token_type: fc.constantFrom(...TOKEN_TYPES), saml2_token: hostileString, oidc_id_token: hostileString }) }),
        hostileJson,
      ),
      raw: fc.constant(false),
    }),
    fc.record({ action: fc.oneof(fc.constantFrom('translate', 'validate', 'cancel'), hostileString), body: hostileJson, raw: fc.constant(false) }),
    fc.record({ action: fc.constantFrom('translate', 'validate'), body: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('{', '[]', 'null', '{"input_token_state":', '\u0000', '{"a":1}{"b":2}')), raw: fc.constant(true) }),
    // Deeply nested JSON where an object or a string is expected: nothing may recurse through it.
    fc.record({
      action: fc.constantFrom('translate', 'validate', 'cancel'),
      body: fc.tuple(fc.integer({ min: 50, max: 50_000 }), fc.constantFrom('input_token_state', 'output_token_state', 'validated_token_state', 'cancelled_token_state'), fc.boolean()).map(([depth, key, objects]) => {
        const nested = objects ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth);
        return `{"${key}": ${nested}, "output_token_state": {"token_type": "OPENIDCONNECT", "allow_access": true}}`;
      }),
      raw: fc.constant(true),
    }),
  );
}

/** GraphQL TokenInput with wrong credentials by construction. */
function gqlTokenInput(): fc.Arbitrary<unknown> {
  return fc.oneof(
    hostileJson,
    mutatedShape({ type: 'USERNAME', username: USER, password: 'wrong' }, { username: hostileString, password: hostileString.filter((p) => p !== PASSWORD), type: fc.constantFrom(...TOKEN_TYPES) }),
    mutatedShape({ type: 'OPENIDCONNECT', idToken: 'x' }, { idToken: hostileString }),
    mutatedShape({ type: 'X509', certificate: leaf.certPem }, { certificate: hostileString, proof: hostileString }),
    mutatedShape({ type: 'SESSION', sessionToken: 'tsn_x' }, { sessionToken: hostileString.filter((v) => v !== session) }),
    mutatedShape({ type: 'CUSTOM', customType: 'NOPE' }, { customType: hostileString, customToken: hostileJson }),
  );
}

function gqlTokenOutput(): fc.Arbitrary<unknown> {
  return fc.oneof(
    hostileJson,
    mutatedShape({ type: 'OPENIDCONNECT' }, { nonce: hostileString, type: fc.constantFrom(...TOKEN_TYPES) }),
    mutatedShape({ type: 'SAML2' }, { subjectConfirmation: fc.constantFrom('BEARER', 'HOLDER_OF_KEY', 'SENDER_VOUCHES', 'NONE'), proofCertificate: hostileString }),
  );
}

const SEED_DOCUMENTS = [
  TRANSLATE,
  VALIDATE,
  CANCEL,
  '{ me { id username roles attributes } }',
  '{ instances { name transforms { input output } saml2 { issuer } oidc { audience } } }',
  '{ issuedTokens(first: 5) { tokenId subject } auditEvents(first: 5) { action outcome } }',
  'mutation { login(username: "fuzz-user", password: "wrong") { token } }',
  'query Q($n: String!) { instance(name: $n) { name endpoints { rest jwks } } }',
  'query { __schema { types { name fields { name type { name ofType { name } } } } } }',
  'query { ...F } fragment F on Query { me { ...G } } fragment G on User { id username }',
  'mutation($i: UserInput!) { createUser(input: $i) { id } }',
  'mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }',
];

/** Mutated documents, random ones, and seed documents with random variables. */
function gqlRequest(): fc.Arbitrary<{ query: string; variables: unknown; admin: boolean }> {
  return fc.record({
    query: fc.oneof(
      fc.tuple(fc.constantFrom(...SEED_DOCUMENTS), textEdits).map(([d, e]) => applyEdits(d, e)),
      fc.constantFrom(...SEED_DOCUMENTS),
      fc.string({ maxLength: 200 }),
      fc.array(fc.constantFrom('{', '}', '(', ')', '...', 'on', 'query', 'mutation', 'fragment', 'F', 'me', 'id', '$n', ':', 'String!', '@include(if: true)', 'a:', '"x"', '__typename', 'translateToken'), { maxLength: 60 }).map((t) => t.join(' ')),
    ),
    variables: fc.oneof(
      hostileJson,
      fc.record({ n: hostileJson, i: hostileJson, o: hostileJson, t: hostileJson, k: hostileJson }, { requiredKeys: [] }),
      // Deeply nested JSON variables (JSON scalars accept any depth).
      fc.integer({ min: 30, max: 2000 }).map((depth) => {
        let v: unknown = 'x';
        for (let d = 0; d < depth; d++) v = d % 2 ? [v] : { a: v };
        return { i: { type: 'CUSTOM', customType: 'X', customToken: v, username: 'u', attributes: v }, o: { type: 'OPENIDCONNECT' }, n: OIDC };
      }),
    ),
    admin: fc.boolean(),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------

describe('fuzzing the REST door', () => {
  test('random and mutated JSON bodies: no 5xx, no token, under 1 s', async (t) => {
    await check('rest bodies', restBody(), async ({ action, body, raw }) => {
      for (const instance of [OIDC, SAML]) judgeRefused(await rest(instance, action, body, raw), { instance, action, body });
    }, (m) => t.diagnostic(m));
  });
});

describe('fuzzing the GraphQL door', () => {
  test('random and mutated documents and variables, anonymous and admin: no 5xx or INTERNAL, no token, under 1 s', async (t) => {
    await check('graphql documents', gqlRequest(), async ({ query, variables, admin }) => {
      judgeRefused(await gql(query, variables, admin ? s.adminToken : null), { query, variables, admin });
    }, (m) => t.diagnostic(m));
  });

  test('translateToken with random inputs and outputs: no INTERNAL, no token', async (t) => {
    const arb = fc.record({ n: fc.oneof(fc.constantFrom(OIDC, SAML), hostileString), i: gqlTokenInput(), o: gqlTokenOutput() });
    await check('graphql translate', arb, async (vars) => {
      judgeRefused(await gql(TRANSLATE, vars), vars);
    }, (m) => t.diagnostic(m));
  });
});

describe('fuzzing tokens at both doors', () => {
  type JwtCase = { kind: 'forged' | 'signed'; token: string };

  function jwts(): fc.Arbitrary<JwtCase> {
    const claimsArb = fc.dictionary(fc.constantFrom('iss', 'sub', 'aud', 'iat', 'exp', 'nbf', 'auth_time', 'azp', 'nonce', 'acr', 'amr', 'mail', '__proto__'), hostileJson, { maxKeys: 4 });
    const headerArb = fc.dictionary(fc.constantFrom('alg', 'kid', 'typ', 'crit', 'b64', 'jku', 'jwk', 'x5c', 'cty'), hostileJson, { maxKeys: 2 });
    return fc.oneof(
      // Signed by the trusted issuer with odd claims: may be refused or accepted, never a 5xx.
      claimsArb.map((over) => ({ kind: 'signed' as const, token: idp.sign({ ...idp.claims('tessera'), ...over }) })),
      // Forged: the header or payload changed after signing, unsigned, another key, or text edits.
      fc.tuple(claimsArb, headerArb).map(([over, hdr]) => {
        const good = idp.sign(idp.claims('tessera'));
        const [h, p, sig] = good.split('.');
        const header = { ...JSON.parse(Buffer.from(h, 'base64url').toString()), ...hdr };
        const payload = { ...JSON.parse(Buffer.from(p, 'base64url').toString()), ...over, jti: `forged-${Math.random()}` };
        return { kind: 'forged' as const, token: `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}` };
      }),
      claimsArb.map((over) => ({ kind: 'forged' as const, token: unsignedToken({ ...idp.claims('tessera'), ...over }) })),
      claimsArb.map((over) => ({ kind: 'forged' as const, token: makeIssuer({ alg: 'ES256', issuer: idp.issuer, kid: idp.kid }).sign({ ...idp.claims('tessera'), ...over }) })),
      textEdits.map((e) => {
        const good = idp.sign(idp.claims('tessera'));
        const token = applyEdits(good, e);
        // An edit that changed nothing leaves a validly signed token.
        return { kind: token === good ? ('signed' as const) : ('forged' as const), token };
      }),
    );
  }

  test('JWTs (ID token input): forged ones issue nothing; signed ones with odd claims never 5xx, and what they issue has a numeric auth_time', async (t) => {
    await check('jwt', jwts(), async ({ kind, token }: JwtCase) => {
      for (const [instance, o, restOut] of [
        [OIDC, { type: 'OPENIDCONNECT' }, { token_type: 'OPENIDCONNECT', allow_access: true }],
        [SAML, { type: 'SAML2' }, { token_type: 'SAML2' }],
      ] as const) {
        const g = await gql(TRANSLATE, { n: instance, i: { type: 'OPENIDCONNECT', idToken: token }, o });
        const r = await rest(instance, 'translate', { input_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: token }, output_token_state: restOut });
        if (kind === 'forged') {
          judgeRefused(g, { token });
          judgeRefused(r, { token });
        } else {
          judgeAnswer(g, { token });
          judgeAnswer(r, { token });
          const issued = g.json?.data?.translateToken?.token as string | undefined;
          if (issued && instance === OIDC) {
            const claims = JSON.parse(Buffer.from(issued.split('.')[1], 'base64url').toString());
            assert.ok(Number.isFinite(claims.auth_time), `auth_time ${JSON.stringify(claims.auth_time)} for ${token}`);
          }
        }
      }
    }, (m) => t.diagnostic(m));
  });

  test('certificates (X509 input): mutated and random DER with a real proof issue nothing unless the CA still signs the result', async (t) => {
    const der = Buffer.from(leaf.certDerB64, 'base64');
    const caCert = new X509Certificate(Buffer.from(ca.certDerB64, 'base64'));
    const arb = fc.record({
      bytes: fc.oneof(byteEdits.map((e) => applyByteEdits(der, e)), fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.from(u))),
      pem: fc.boolean(),
      // Appended after the certificate (a chain). Not the real leaf: a bundle whose first block is it would be valid.
      extra: fc.option(fc.constantFrom(ca.certPem, 'garbage', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----'), { nil: undefined }),
    });
    await check('certificates', arb, async ({ bytes, pem, extra }: { bytes: Buffer; pem: boolean; extra?: string }) => {
      const b64 = bytes.toString('base64');
      const text = pem ? `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n` : b64;
      const cert = extra ? text + extra : text;
      let stillSigned = false;
      try {
        stillSigned = new X509Certificate(bytes).verify(caCert.publicKey);
      } catch {
        stillSigned = false;
      }
      const proof = await makeProof(leaf.privateKey, { aud: OIDC });
      const g = await gql(TRANSLATE, { n: OIDC, i: { type: 'X509', certificate: cert, proof }, o: { type: 'OPENIDCONNECT' } });
      const restProof = await makeProof(leaf.privateKey, { aud: OIDC });
      const r = await rest(OIDC, 'translate', { input_token_state: { token_type: 'X509', x509_cert: cert, proof: restProof }, output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true } });
      const judge = stillSigned ? judgeAnswer : judgeRefused;
      judge(g, { cert });
      judge(r, { cert });
    }, (m) => t.diagnostic(m));
  });

  test('holder-of-key certificates: a valid session with mutated and random proof certificates never 5xx', async (t) => {
    const der = Buffer.from(leaf.certDerB64, 'base64');
    const arb = fc.oneof(
      byteEdits.map((e) => applyByteEdits(der, e).toString('base64')),
      hostileString,
      textEdits.map((e) => applyEdits(leaf.certPem, e)),
    );
    await check('holder-of-key', arb, async (proofCertificate: string) => {
      judgeAnswer(await gql(TRANSLATE, { n: SAML, i: { type: 'SESSION', sessionToken: session }, o: { type: 'SAML2', subjectConfirmation: 'HOLDER_OF_KEY', proofCertificate } }), { proofCertificate });
      judgeAnswer(
        await rest(SAML, 'translate', { input_token_state: { token_type: 'SESSION', session_id: session }, output_token_state: { token_type: 'SAML2', subject_confirmation: 'HOLDER_OF_KEY', proof_token_state: { base64EncodedCertificate: proofCertificate } } }),
        { proofCertificate },
      );
    }, (m) => t.diagnostic(m));
  });

  test('XML (SAML validate and cancel): a mutated assertion never validates, never 5xx, and the real one stays valid', async (t) => {
    const arb = fc.oneof(
      textEdits.map((e) => applyEdits(issuedAssertion, e)),
      fc.constantFrom(
        `<!DOCTYPE a [<!ENTITY x "y">]>${issuedAssertion}`,
        `<w>${issuedAssertion}${issuedAssertion}</w>`,
        issuedAssertion.replace('fuzz-user', 'admin'),
        issuedAssertion.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, ''),
        issuedAssertion.replace('<saml:Subject>', `<saml:Subject><saml:Advice>${issuedAssertion}</saml:Advice>`),
        '<'.repeat(5000),
        `${'<a>'.repeat(200)}${'</a>'.repeat(200)}`,
      ),
      hostileString,
    ).filter((x) => x !== issuedAssertion);
    await check('xml', arb, async (xml: string) => {
      judgeRefused(await gql(VALIDATE, { n: SAML, t: 'SAML2', k: xml }), { xml });
      judgeRefused(await gql(CANCEL, { n: SAML, t: 'SAML2', k: xml }), { xml });
      judgeRefused(await rest(SAML, 'validate', { validated_token_state: { token_type: 'SAML2', saml2_token: xml } }), { xml });
      const c = await rest(SAML, 'cancel', { cancelled_token_state: { token_type: 'SAML2', saml2_token: xml } });
      judgeAnswer(c, { xml });
      assert.equal(c.json?.result, undefined, `cancelled: ${c.text.slice(0, 200)}`);
    }, (m) => t.diagnostic(m));
    const still = await gql(VALIDATE, { n: SAML, t: 'SAML2', k: issuedAssertion });
    assert.equal(still.json.data.validateToken.valid, true, still.text);
  });
});

describe('fuzzing admin input', () => {
  test('publishInstance and createUser with random and mutated inputs, as admin: no 5xx or INTERNAL, under 1 s', async (t) => {
    const instanceInput = fc.oneof(
      hostileJson,
      mutatedShape(
        { name: 'fz-pub', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { issuer: 'i', spEntityId: 's' } },
        {
          name: fc.oneof(hostileString, fc.constantFrom('fz-pub', 'a', 'x'.repeat(63))),
          transforms: fc.oneof(hostileJson, fc.array(fc.record({ input: fc.constantFrom(...TOKEN_TYPES), output: fc.constantFrom(...TOKEN_TYPES), customInput: hostileString }, { requiredKeys: ['input', 'output'] }), { maxLength: 3 })),
          saml2: fc.oneof(hostileJson, mutatedShape({ issuer: 'i', spEntityId: 's' }, { issuer: hostileString, spEntityId: hostileString, lifetimeSeconds: hostileJson, signatureAlgorithm: hostileString, attributeMap: hostileJson, spEncryptionCertificate: hostileString, encryptAssertion: hostileJson })),
          oidc: fc.oneof(hostileJson, mutatedShape({ audience: ['a'] }, { audience: hostileJson, claimMap: hostileJson, signatureAlgorithm: hostileString, clientSecret: hostileString })),
          oidcTrust: hostileJson,
          x509Trust: fc.oneof(hostileJson, mutatedShape({ caCertificates: [ca.certPem] }, { caCertificates: fc.array(hostileString, { maxLength: 3 }), offloadHeader: hostileString, trustedProxies: hostileJson })),
          callerRoles: hostileJson,
        },
      ),
    );
    const userInput = fc.oneof(hostileJson, mutatedShape({ username: 'fz-new', password: 'a-fine-password' }, { username: hostileString, password: hostileString, roles: hostileJson, attributes: hostileJson }));
    const arb = fc.oneof(
      instanceInput.map((i) => ({ query: 'mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }', variables: { i } })),
      instanceInput.map((i) => ({ query: 'mutation($i: InstanceInput!) { updateInstance(name: "fz-pub", input: $i) { name } }', variables: { i } })),
      userInput.map((i) => ({ query: 'mutation($i: UserInput!) { createUser(input: $i) { id } }', variables: { i } })),
    );
    await check('admin input', arb, async ({ query, variables }: { query: string; variables: unknown }) => {
      judgeAnswer(await gql(query, variables, s.adminToken), { query, variables });
    }, (m) => t.diagnostic(m));
  });
});

describe('fuzzing persistence through the admin door', () => {
  // issuedTokens(after:) decodes the cursor (persistence/stores.ts decodeCursor) into a Date and an id: a forged
  // cursor holding [1e300, "x"] (an invalid Date) or [0, "a\u0000b"] (a NUL id) must be BAD_USER_INPUT
  // ("after: is not a cursor from a previous page"), as for any other cursor that is not one, never INTERNAL.
  test(
    'issuedTokens(after:) with forged cursors: no INTERNAL',
    async (t) => {
      const cursor = fc
        .tuple(fc.oneof(fc.double(), fc.integer(), fc.constantFrom(1e300, -1e300, 8.64e15 + 1, -8.64e15 - 1)), fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('a\u0000b', '\u0000')))
        .map((c) => Buffer.from(JSON.stringify(c)).toString('base64url'));
      await check('cursors', cursor, async (after: string) => {
        judgeAnswer(await gql('query($a: String) { issuedTokens(after: $a) { tokenId } }', { a: after }, s.adminToken), { after, decoded: Buffer.from(after, 'base64url').toString() });
      }, (m) => t.diagnostic(m));
    },
  );
});

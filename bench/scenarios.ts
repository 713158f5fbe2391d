/**
 * What the benchmark publishes and sends: an RS256 external issuer with a pool of pre-signed ID tokens, a
 * local user with a reusable session, four instances, and per scenario and door the request bodies and the
 * check that a response really carries a token.
 */
import { generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { certificateToPem, generateCertificateKeyPair, issueCertificate } from '../src/keys/key-material.js';

export type Door = 'graphql' | 'rest';
export const DOORS: Door[] = ['graphql', 'rest'];
type TokenKind = 'jwt' | 'saml-signed' | 'saml-encrypted' | 'valid';

export interface ScenarioTarget {
  /** Minimum translations/s as a fraction of the bound (best concurrency). */
  ratio: number;
  /** The bound: the one-core raw RSA sign rate, or the all-cores scrypt rate (USERNAME rows). */
  bound: 'rsa' | 'scrypt';
  /** Maximum p99 at the highest concurrency, in ms, when the issue sets one. */
  p99Ms?: number;
  /** Minimum ratio to a peer measured in the same run (same concurrency as Tessera's best). */
  peer?: { id: string; ratio: number };
}

export interface Scenario {
  id: string;
  title: string;
  /** Loopback addresses the load generator's connections come from (default: 127.0.0.1 only). */
  localAddresses?: string[];
  /** Request bodies, sent in rotation; one entry when every request is the same. */
  bodies(door: Door): string[];
  path(door: Door): string;
  /** True when a 2xx body carries a token of the expected kind. */
  check(door: Door, body: string): boolean;
}

/**
 * The targets (2 vCPU, the load generator on the same machine, median of 3 runs, persistence on, default log
 * level), by "<scenario>/<door>": throughput as a fraction of a bound measured in the same run, at the best
 * concurrency; p99 at the highest concurrency; no errors anywhere.
 */
export const TARGETS: Record<string, ScenarioTarget> = {
  'oidc-oidc/graphql': { ratio: 1.0, bound: 'rsa', p99Ms: 15, peer: { id: 'peer-oidc-provider-exchange', ratio: 1.5 } },
  'oidc-oidc/rest': { ratio: 1.2, bound: 'rsa', p99Ms: 15 },
  'oidc-saml/graphql': { ratio: 0.8, bound: 'rsa', p99Ms: 20 },
  'oidc-saml-enc/graphql': { ratio: 0.6, bound: 'rsa', p99Ms: 20 },
  'session-oidc/graphql': { ratio: 1.5, bound: 'rsa' },
  'username-many/graphql': { ratio: 0.8, bound: 'scrypt' },
};

const BENCH_USER = 'bench-user';
const BENCH_PASSWORD = 'bench-password-' + randomBytes(6).toString('hex');
const AUDIENCE = 'tessera-bench';
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const b64u = (v: object | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url');

interface Issuer {
  issuer: string;
  kid: string;
  privateKey: KeyObject;
  jwks: { keys: Array<Record<string, unknown>> };
}

function makeIssuer(): Issuer {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'bench-' + randomBytes(4).toString('hex');
  return {
    issuer: `https://idp-${randomBytes(3).toString('hex')}.bench.example`,
    kid,
    privateKey,
    jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] },
  };
}

/** Distinct RS256 ID tokens (sub, jti), valid for `lifetimeSeconds`. */
function signIdTokens(iss: Issuer, count: number, lifetimeSeconds: number): string[] {
  const now = Math.floor(Date.now() / 1000);
  const header = b64u({ alg: 'RS256', typ: 'JWT', kid: iss.kid });
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const payload = b64u({
      iss: iss.issuer,
      sub: `user-${i}`,
      aud: AUDIENCE,
      iat: now - 5,
      exp: now + lifetimeSeconds,
      auth_time: now - 30,
      jti: randomUUID(),
      email: `user-${i}@bench.example`,
      name: `Bench User ${i}`,
      groups: ['staff', 'bench'],
    });
    const input = `${header}.${payload}`;
    out.push(`${input}.${b64u(sign('sha256', Buffer.from(input), iss.privateKey))}`);
  }
  return out;
}

async function spEncryptionCertificate(): Promise<string> {
  const keys = await generateCertificateKeyPair('RSA');
  const now = Date.now();
  const cert = await issueCertificate({
    subject: [{ CN: ['sp.bench.example'] }],
    keys,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 86_400_000),
    keyUsage: 1 | 4 | 8, // digitalSignature | keyEncipherment | dataEncipherment (KeyUsageFlags bits)
  });
  return certificateToPem(Buffer.from(cert.rawData));
}

export class Api {
  constructor(readonly url: string) {}

  async gql<T = any>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${this.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: T; errors?: unknown[] };
    if (body.errors) throw new Error(`GraphQL error: ${JSON.stringify(body.errors).slice(0, 500)}`);
    return body.data as T;
  }

  async login(username: string, password: string): Promise<string> {
    const d = await this.gql<{ login: { token: string } }>('mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }', { u: username, p: password });
    return d.login.token;
  }
}

const VALID = /"(valid|token_valid)":true/;

function tokenOf(door: Door, body: string): string | undefined {
  try {
    const parsed = JSON.parse(body);
    const t = door === 'graphql' ? parsed?.data?.translateToken?.token : parsed?.issued_token;
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}

function checker(kind: TokenKind): (door: Door, body: string) => boolean {
  return (door, body) => {
    if (kind === 'valid') return VALID.test(body);
    const t = tokenOf(door, body);
    if (!t) return false;
    switch (kind) {
      case 'jwt':
        return JWT_SHAPE.test(t);
      case 'saml-signed':
        return t.includes('Assertion') && t.includes('SignatureValue>');
      case 'saml-encrypted':
        return t.includes('EncryptedAssertion') && t.includes('CipherValue>');
    }
  };
}

const VALIDATE = 'mutation($n:String!,$t:String!){ validateToken(instance:$n,token:$t,type:OPENIDCONNECT){ valid reason } }';
const TRANSLATE = 'mutation($n:String!,$i:TokenInput!,$o:TokenOutput!){ translateToken(instance:$n,input:$i,output:$o){ token tokenId } }';

function gqlBody(instance: string, input: Record<string, unknown>, output: Record<string, unknown>): string {
  return JSON.stringify({ query: TRANSLATE, variables: { n: instance, i: input, o: output } });
}

function restBody(input: Record<string, unknown>, output: Record<string, unknown>): string {
  return JSON.stringify({ input_token_state: input, output_token_state: output });
}

const INSTANCES = {
  oidcRs: 'bench-oidc-rs256',
  oidcEs: 'bench-session-es256',
  saml: 'bench-saml-signed',
  samlEnc: 'bench-saml-encrypted',
} as const;

export interface Prepared {
  scenarios: Scenario[];
  /** The external issuer the OIDC rows' ID tokens come from, and those tokens (the peers get the same). */
  trust: { issuer: string; audience: string; jwks: { keys: Array<Record<string, unknown>> } };
  idTokens: string[];
  /** The OIDC → OIDC instance (the preload's records belong to it). */
  oidcInstance: { id: string; name: string };
}

const MANY_USERS_PREFIX = 'bench-many-';

/**
 * Publishes everything the scenarios need and returns them. `poolSize` ID tokens are signed up front;
 * `users` users are seeded straight into the database for the many-users USERNAME row.
 */
export async function prepareScenarios(
  api: Api,
  adminPassword: string,
  opts: { poolSize: number; tokenLifetimeSeconds: number; databaseUrl: string; users: number; validatePool: number },
): Promise<Prepared> {
  const admin = await api.login('admin', adminPassword);
  const iss = makeIssuer();
  const trust = [{ issuer: iss.issuer, audience: [AUDIENCE], jwks: iss.jwks }];
  const peerTrust = { issuer: iss.issuer, audience: AUDIENCE, jwks: iss.jwks };
  const claimMap = { email: 'email', name: 'name', groups: 'groups' };
  const saml2 = {
    issuer: 'https://sts.bench.example/saml',
    spEntityId: 'https://sp.bench.example',
    spAcsUrl: 'https://sp.bench.example/acs',
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
    attributeMap: { mail: 'email', cn: 'name', memberOf: 'groups' },
  };
  const publish = (i: Record<string, unknown>) =>
    api.gql<{ publishInstance: { id: string } }>('mutation($i:InstanceInput!){ publishInstance(input:$i){ id } }', { i }, admin).then((d) => d.publishInstance.id);

  await api.gql('mutation($i:UserInput!){ createUser(input:$i){ id } }', {
    i: { username: BENCH_USER, password: BENCH_PASSWORD, roles: ['user'], attributes: { email: 'bench@bench.example', name: 'Bench User', groups: ['staff', 'bench'] } },
  }, admin);
  const oidcRsId = await publish({
    name: INSTANCES.oidcRs,
    persistIssuedTokens: true,
    transforms: [{ input: 'OPENIDCONNECT', output: 'OPENIDCONNECT' }, { input: 'USERNAME', output: 'OPENIDCONNECT' }],
    // Six hours, so that the tokens issued for the validate rows are still valid after a long --preload.
    oidc: { audience: ['bench-rp'], signatureAlgorithm: 'RS256', claimMap, lifetimeSeconds: 6 * 3600 },
    oidcTrust: trust,
  });
  await publish({
    name: INSTANCES.oidcEs,
    persistIssuedTokens: true,
    transforms: [{ input: 'SESSION', output: 'OPENIDCONNECT', invalidateInterimSession: false }],
    oidc: { audience: ['bench-rp'], signatureAlgorithm: 'ES256', claimMap },
  });
  await publish({
    name: INSTANCES.saml,
    persistIssuedTokens: true,
    transforms: [{ input: 'OPENIDCONNECT', output: 'SAML2' }],
    saml2: { ...saml2, signAssertion: true },
    oidcTrust: trust,
  });
  await publish({
    name: INSTANCES.samlEnc,
    persistIssuedTokens: true,
    transforms: [{ input: 'OPENIDCONNECT', output: 'SAML2' }],
    saml2: { ...saml2, signAssertion: true, encryptAssertion: true, spEncryptionCertificate: await spEncryptionCertificate() },
    oidcTrust: trust,
  });
  const session = await api.login(BENCH_USER, BENCH_PASSWORD);
  const idTokens = signIdTokens(iss, opts.poolSize, opts.tokenLifetimeSeconds);
  const { seedUsers } = await import('./seed.js');
  const manyUsers = opts.users > 0 ? await seedUsers(opts.databaseUrl, MANY_USERS_PREFIX, opts.users, BENCH_PASSWORD) : [];
  // Tokens for the validate rows: issued by the OIDC → OIDC instance, so each has its record.
  const issued: string[] = [];
  for (let i = 0; i < opts.validatePool; i += 16) {
    const batch = idTokens.slice(i, Math.min(i + 16, opts.validatePool));
    const got = await Promise.all(
      batch.map((t) =>
        api
          .gql<{ translateToken: { token: string } }>(TRANSLATE, { n: INSTANCES.oidcRs, i: { type: 'OPENIDCONNECT', idToken: t }, o: { type: 'OPENIDCONNECT', nonce: 'bench-nonce' } })
          .then((d) => d.translateToken.token),
      ),
    );
    issued.push(...got);
  }

  const oidcIn = (door: Door) => (t: string) => (door === 'graphql' ? { type: 'OPENIDCONNECT', idToken: t } : { token_type: 'OPENIDCONNECT', oidc_id_token: t });
  const oidcOut = (door: Door) => (door === 'graphql' ? { type: 'OPENIDCONNECT', nonce: 'bench-nonce' } : { token_type: 'OPENIDCONNECT', nonce: 'bench-nonce', allow_access: true });
  const samlOut = (door: Door) => (door === 'graphql' ? { type: 'SAML2', subjectConfirmation: 'BEARER' } : { token_type: 'SAML2', subject_confirmation: 'BEARER' });
  const bodiesFor = (instance: string, door: Door, inputs: Array<Record<string, unknown>>, output: Record<string, unknown>) =>
    inputs.map((i) => (door === 'graphql' ? gqlBody(instance, i, output) : restBody(i, output)));
  const pathFor = (instance: string) => (door: Door) => (door === 'graphql' ? '/graphql' : `/rest-sts/${instance}?_action=translate`);

  const validateBodies = (door: Door) =>
    issued.map((t) =>
      door === 'graphql'
        ? JSON.stringify({ query: VALIDATE, variables: { n: INSTANCES.oidcRs, t } })
        : JSON.stringify({ validated_token_state: { token_type: 'OPENIDCONNECT', oidc_id_token: t } }),
    );
  const usernameIn = (door: Door, username: string) =>
    door === 'graphql' ? { type: 'USERNAME', username, password: BENCH_PASSWORD } : { token_type: 'USERNAME', username, password: BENCH_PASSWORD };
  // 127.0.0.2 … 127.0.0.201: each connection of the many-users row comes from its own address.
  const addresses = Array.from({ length: 200 }, (_, i) => `127.0.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`);

  const all: Scenario[] = [
    {
      id: 'oidc-oidc',
      title: 'OIDC → OIDC (RS256 in, RS256 out)',
      bodies: (door) => bodiesFor(INSTANCES.oidcRs, door, idTokens.map(oidcIn(door)), oidcOut(door)),
      path: pathFor(INSTANCES.oidcRs),
      check: checker('jwt'),
    },
    {
      id: 'session-oidc',
      title: 'SESSION → OIDC (ES256 out)',
      bodies: (door) =>
        bodiesFor(INSTANCES.oidcEs, door, [door === 'graphql' ? { type: 'SESSION', sessionToken: session } : { token_type: 'SESSION', session_id: session }], oidcOut(door)),
      path: pathFor(INSTANCES.oidcEs),
      check: checker('jwt'),
    },
    {
      id: 'oidc-saml',
      title: 'OIDC → SAML2 bearer, signed',
      bodies: (door) => bodiesFor(INSTANCES.saml, door, idTokens.map(oidcIn(door)), samlOut(door)),
      path: pathFor(INSTANCES.saml),
      check: checker('saml-signed'),
    },
    {
      id: 'oidc-saml-enc',
      title: 'OIDC → SAML2 bearer, signed + encrypted',
      bodies: (door) => bodiesFor(INSTANCES.samlEnc, door, idTokens.map(oidcIn(door)), samlOut(door)),
      path: pathFor(INSTANCES.samlEnc),
      check: checker('saml-encrypted'),
    },
    {
      id: 'username-oidc',
      title: 'USERNAME → OIDC (RS256 out)',
      bodies: (door) =>
        bodiesFor(
          INSTANCES.oidcRs,
          door,
          [door === 'graphql' ? { type: 'USERNAME', username: BENCH_USER, password: BENCH_PASSWORD } : { token_type: 'USERNAME', username: BENCH_USER, password: BENCH_PASSWORD }],
          oidcOut(door),
        ),
      path: pathFor(INSTANCES.oidcRs),
      check: checker('jwt'),
    },
    {
      id: 'username-many',
      title: `USERNAME → OIDC, ${manyUsers.length} distinct users from many addresses (RS256 out)`,
      localAddresses: addresses,
      bodies: (door) => manyUsers.map((u) => (door === 'graphql' ? gqlBody(INSTANCES.oidcRs, usernameIn(door, u), oidcOut(door)) : restBody(usernameIn(door, u), oidcOut(door)))),
      path: pathFor(INSTANCES.oidcRs),
      check: checker('jwt'),
    },
    {
      id: 'validate-oidc',
      title: `validate an issued OIDC token (${issued.length} in rotation)`,
      bodies: validateBodies,
      path: (door) => (door === 'graphql' ? '/graphql' : `/rest-sts/${INSTANCES.oidcRs}?_action=validate`),
      check: checker('valid'),
    },
  ];
  const scenarios = all.filter((s) => s.id !== 'username-many' || manyUsers.length > 0);
  return { scenarios, trust: peerTrust, idTokens, oidcInstance: { id: oidcRsId, name: INSTANCES.oidcRs } };
}

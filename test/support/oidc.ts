/**
 * Test helpers for OIDC: a stand-in identity provider that signs ID tokens, a local JWKS server, and a key
 * provider over generated keys. Nothing here talks to anything but 127.0.0.1.
 */
import { createHmac, generateKeyPairSync, randomBytes, sign, constants, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyProvider, SigningKey } from '../../src/engine/types.js';

export type TestIssuerAlg = 'RS256' | 'RS512' | 'PS256' | 'ES256' | 'EdDSA' | 'HS256';

export function b64u(value: string | Buffer | object): string {
  if (Buffer.isBuffer(value)) return value.toString('base64url');
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
}

export function generateSigningKeyPair(alg: Exclude<TestIssuerAlg, 'HS256'>): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (alg) {
    case 'RS256':
    case 'RS512':
    case 'PS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
  }
}

/** Raw signature bytes for `alg` (what a JWS carries), independent of the code under test. */
export function rawSignature(alg: TestIssuerAlg, signingInput: string, key: KeyObject | Buffer): Buffer {
  const data = Buffer.from(signingInput, 'ascii');
  if (alg === 'HS256') return createHmac('sha256', key as Buffer).update(data).digest();
  const k = key as KeyObject;
  switch (alg) {
    case 'RS256':
      return sign('sha256', data, k);
    case 'RS512':
      return sign('sha512', data, k);
    case 'PS256':
      return sign('sha256', data, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'ES256':
      return sign('sha256', data, { key: k, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, data, k);
  }
}

/** A compact JWS from an arbitrary header and payload, signed by `signFn` over the signing input. */
export function compactJws(header: object, payload: object | string, signFn: (signingInput: string) => Buffer): string {
  const signingInput = `${b64u(header)}.${b64u(payload)}`;
  return `${signingInput}.${b64u(signFn(signingInput))}`;
}

/** An unsecured JWT (RFC 7519 §6): header alg none, empty signature. */
export function unsignedToken(payload: object, header: object = { alg: 'none', typ: 'JWT' }): string {
  return `${b64u(header)}.${b64u(payload)}.`;
}

export interface TestIssuer {
  issuer: string;
  alg: TestIssuerAlg;
  kid: string;
  /** Public JWK Set (RFC 7517 §5); empty for HS256. */
  jwks: { keys: Array<Record<string, unknown>> };
  /** The HS256 shared secret (utf-8 text), or undefined. */
  secret?: string;
  privateKey?: KeyObject;
  publicKey?: KeyObject;
  /**
   * Signs `claims` as given. Header: { alg, typ: 'JWT', kid } merged with `headerOverrides`; an override set to
   * undefined removes the parameter. The signature always uses this issuer's real key and algorithm, so an
   * overridden `alg` gives a token whose header lies.
   */
  sign(claims: object, headerOverrides?: Record<string, unknown>): string;
  /** Typical ID token claims for `audience`, issued at `now` (default: the current time), plus `extra`. */
  claims(audience: string | string[], extra?: Record<string, unknown>, now?: Date): Record<string, unknown>;
}

export function makeIssuer(opts: { alg: TestIssuerAlg; issuer?: string; kid?: string; secret?: string }): TestIssuer {
  const alg = opts.alg;
  const issuer = opts.issuer ?? `https://idp-${alg.toLowerCase()}-${randomBytes(3).toString('hex')}.example.test`;
  const kid = opts.kid ?? `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`;
  let signingKey: KeyObject | Buffer;
  let jwks: TestIssuer['jwks'] = { keys: [] };
  let secret: string | undefined;
  let privateKey: KeyObject | undefined;
  let publicKey: KeyObject | undefined;
  if (alg === 'HS256') {
    secret = opts.secret ?? randomBytes(32).toString('hex');
    signingKey = Buffer.from(secret, 'utf8');
  } else {
    ({ privateKey, publicKey } = generateSigningKeyPair(alg));
    signingKey = privateKey;
    jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }] };
  }
  return {
    issuer,
    alg,
    kid,
    jwks,
    secret,
    privateKey,
    publicKey,
    sign(claims, headerOverrides = {}) {
      const header: Record<string, unknown> = { alg, typ: 'JWT', ...(alg === 'HS256' ? {} : { kid }) };
      for (const [k, v] of Object.entries(headerOverrides)) {
        if (v === undefined) delete header[k];
        else header[k] = v;
      }
      return compactJws(header, claims, (input) => rawSignature(alg, input, signingKey));
    },
    claims(audience, extra = {}, now = new Date()) {
      const iat = Math.floor(now.getTime() / 1000);
      return { iss: issuer, sub: 'alice', aud: audience, iat, exp: iat + 300, auth_time: iat - 30, ...extra };
    },
  };
}

export interface JwksServer {
  /** http://127.0.0.1:<port>/jwks.json */
  url: string;
  /** Base URL http://127.0.0.1:<port> */
  origin: string;
  /** Requests served so far. */
  hits(): number;
  /** Replace the JWK Set served at /jwks.json. */
  setJwks(jwks: object): void;
  /** Take over the answer entirely (status, headers, body, delays). */
  setHandler(handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined): void;
  close(): Promise<void>;
}

/** A JWKS endpoint on 127.0.0.1 with an ephemeral port. */
export async function startJwksServer(initial: object = { keys: [] }): Promise<JwksServer> {
  let jwks: object = initial;
  let count = 0;
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    count++;
    if (handler) return handler(req, res);
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.stringify(jwks);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/jwks.json`,
    origin,
    hits: () => count,
    setJwks(next) {
      jwks = next;
    },
    setHandler(next) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A KeyProvider over generated keys, one per algorithm (plus any extra keys added later with `add`). */
export interface FakeKeyProvider extends KeyProvider {
  keys: SigningKey[];
  add(algorithm: Exclude<TestIssuerAlg, 'HS256'>, kid?: string): SigningKey;
}

export function fakeKeyProvider(algorithms: Array<Exclude<TestIssuerAlg, 'HS256'>>): FakeKeyProvider {
  const keys: SigningKey[] = [];
  const add = (algorithm: Exclude<TestIssuerAlg, 'HS256'>, kid?: string): SigningKey => {
    const { privateKey, publicKey } = generateSigningKeyPair(algorithm);
    const key: SigningKey = {
      kid: kid ?? `${algorithm.toLowerCase()}-${randomBytes(4).toString('hex')}`,
      algorithm,
      privateKey,
      publicKey,
      certificatePem: '',
      certificateDer: '',
    };
    keys.push(key);
    return key;
  };
  for (const alg of algorithms) add(alg);
  return {
    keys,
    add,
    async signingKey(algorithm, kid) {
      const key = kid ? keys.find((k) => k.kid === kid && k.algorithm === algorithm) : keys.find((k) => k.algorithm === algorithm);
      if (!key) throw new Error(`no ${algorithm} key${kid ? ` ${kid}` : ''}`);
      return key;
    },
    async verificationKeys() {
      return keys.map((k) => ({
        kid: k.kid,
        algorithm: k.algorithm,
        publicKey: k.publicKey,
        jwk: { ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, alg: k.algorithm, use: 'sig' },
      }));
    },
  };
}

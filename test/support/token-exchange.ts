/**
 * Support for the RFC 8693 suites: registering OAuth clients through the admin GraphQL API and calling the token
 * endpoint with plain form posts. The grant and token-type URIs are written out from RFC 8693 §2.1 and §3 here,
 * not imported from src/, so a wrong constant there cannot make the tests agree with it.
 */
import { createPrivateKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { TestServer } from './server.js';
import { ok } from './engine.js';

export const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const TT = {
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  saml2: 'urn:ietf:params:oauth:token-type:saml2',
  session: 'urn:tessera:token-type:session',
} as const;
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export const CLIENT_FIELDS = 'clientId authMethod jwks instances scopes roles hasSecret createdAt updatedAt';

export interface RegisteredClient {
  clientId: string;
  clientSecret?: string;
}

export async function createClient(s: TestServer, input: Record<string, unknown>): Promise<RegisteredClient> {
  const r = await s.gql(`mutation($i: OAuthClientInput!) { createOAuthClient(input: $i) { client { ${CLIENT_FIELDS} } clientSecret } }`, { i: input }, s.adminToken);
  const d = ok(r, 'createOAuthClient').createOAuthClient;
  return { clientId: d.client.clientId, clientSecret: d.clientSecret ?? undefined };
}

export interface TokenAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** A form post to the token endpoint; `params` values that are lists are sent repeated. */
export async function tokenRequest(
  url: string,
  params: Record<string, string | string[] | undefined>,
  opts: { basic?: { id: string; secret: string }; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<TokenAnswer> {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) form.append(k, one);
  }
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...opts.headers };
  if (opts.basic) {
    const enc = (x: string) => encodeURIComponent(x).replace(/%20/g, '+');
    headers.authorization = `Basic ${Buffer.from(`${enc(opts.basic.id)}:${enc(opts.basic.secret)}`).toString('base64')}`;
  }
  const res = await fetch(url, { method: 'POST', headers, body: opts.rawBody ?? form.toString() });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body };
}

/** A client's signing key for private_key_jwt, with its public JWK Set. */
export function clientKey(alg: 'ES256' | 'RS256' | 'EdDSA' = 'ES256'): { alg: string; kid: string; privateKey: KeyObject; jwks: { keys: Array<Record<string, unknown>> } } {
  const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `k-${randomUUID().slice(0, 8)}`;
  return { alg, kid, privateKey: pair.privateKey, jwks: { keys: [{ ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }] } };
}

/** An RFC 7523 client assertion signed with node:crypto (not with the code under test). */
export function clientAssertion(key: { alg: string; kid: string; privateKey: KeyObject }, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const h = { alg: key.alg, typ: 'JWT', kid: key.kid, ...header };
  const input = `${Buffer.from(JSON.stringify(h)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const k = typeof key.privateKey === 'string' ? createPrivateKey(key.privateKey) : key.privateKey;
  const sig =
    key.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: k, dsaEncoding: 'ieee-p1363' })
      : key.alg === 'EdDSA'
        ? sign(null, Buffer.from(input), k)
        : sign('sha256', Buffer.from(input), k);
  return `${input}.${sig.toString('base64url')}`;
}

export function assertionClaims(clientId: string, aud: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: clientId, sub: clientId, aud, iat: now, exp: now + 120, jti: randomUUID(), ...extra };
}

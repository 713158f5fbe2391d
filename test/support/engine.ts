/**
 * Shared fixtures for the token engine's end-to-end tests (test/api/engine-*.test.ts): GraphQL documents,
 * publishing instances and creating users as admin, translating, decoding and independently verifying
 * ID tokens. Everything goes through the public HTTP API of a server from test/support/server.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { TestServer } from './server.js';

export const GQL = {
  publish: `mutation($i: InstanceInput!) { publishInstance(input: $i) { id name persistIssuedTokens oidc { issuer audience signatureAlgorithm }
    endpoints { rest jwks openidConfiguration } } }`,
  deleteInstance: `mutation($n: String!) { deleteInstance(name: $n) }`,
  createUser: `mutation($i: UserInput!) { createUser(input: $i) { id username roles attributes } }`,
  login: `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token expiresAt } }`,
  logout: `mutation { logout }`,
  me: `query { me { username } }`,
  translate: `mutation($n: String!, $in: TokenInput!, $out: TokenOutput!) {
    translateToken(instance: $n, input: $in, output: $out) { token type tokenId subject issuedAt expiresAt } }`,
  validate: `mutation($n: String!, $t: TokenType!, $tok: String!) {
    validateToken(instance: $n, type: $t, token: $tok) { valid reason subject expiresAt } }`,
  cancel: `mutation($n: String!, $t: TokenType!, $tok: String!) { cancelToken(instance: $n, type: $t, token: $tok) }`,
  issuedTokens: `query($n: String, $s: String, $first: Int, $after: String) {
    issuedTokens(instance: $n, subject: $s, first: $first, after: $after) { tokenId instance subject type issuedAt expiresAt cancelled cursor } }`,
  auditEvents: `query($n: String, $first: Int) {
    auditEvents(instance: $n, first: $first) { at action actor instance subject target inputType outputType outcome clientAddress detail } }`,
};

export interface Translated {
  token: string;
  type: string;
  tokenId: string;
  subject: string;
  issuedAt: string;
  expiresAt: string;
}

export interface AuditEvent {
  at: string;
  action: string;
  actor: string | null;
  instance: string | null;
  subject: string | null;
  target: string | null;
  inputType: string | null;
  outputType: string | null;
  outcome: string;
  clientAddress: string | null;
  detail: unknown;
}

export type GqlResult<T = any> = Awaited<ReturnType<TestServer['gql']>> & { data?: T };

/** A unique instance name (URL element rules: lower case, digits, dashes). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Repeats `fn` until it returns a truthy value or `timeoutMs` passes; returns the last value. */
export async function poll<T>(fn: () => Promise<T>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  let v = await fn();
  while (!v && Date.now() < end) {
    await sleep(intervalMs);
    v = await fn();
  }
  return v;
}

export function errorCode(r: { errors?: Array<{ extensions?: Record<string, unknown> }> }): unknown {
  return r.errors?.[0]?.extensions?.code;
}

/** Asserts a GraphQL answer without errors and returns its data. */
export function ok(r: { errors?: unknown; data?: any }, what = 'request'): any {
  assert.equal(r.errors, undefined, `${what} failed: ${JSON.stringify(r.errors)}`);
  assert.ok(r.data, `${what}: no data`);
  return r.data;
}

/** Publishes an instance as admin; returns the published instance (id, endpoints, effective oidc issuer). */
export async function publish(s: TestServer, input: Record<string, unknown>): Promise<{ id: string; name: string; oidc?: { issuer: string }; endpoints: { rest: string; jwks: string; openidConfiguration: string } }> {
  return ok(await s.gql(GQL.publish, { i: input }, s.adminToken), `publish ${String(input.name)}`).publishInstance;
}

export async function deleteInstance(s: TestServer, name: string): Promise<void> {
  assert.equal(ok(await s.gql(GQL.deleteInstance, { n: name }, s.adminToken), `delete ${name}`).deleteInstance, true);
}

export async function createUser(
  s: TestServer,
  username: string,
  password: string,
  opts: { roles?: string[]; attributes?: Record<string, string | string[]> } = {},
): Promise<void> {
  ok(await s.gql(GQL.createUser, { i: { username, password, roles: opts.roles ?? [], attributes: opts.attributes ?? {} } }, s.adminToken), `createUser ${username}`);
}

export function translate(s: TestServer, instance: string, input: Record<string, unknown>, output: Record<string, unknown>, token?: string | null): Promise<GqlResult<{ translateToken: Translated }>> {
  return s.gql(GQL.translate, { n: instance, in: input, out: output }, token);
}

/** translateToken that must succeed. */
export async function mustTranslate(s: TestServer, instance: string, input: Record<string, unknown>, output: Record<string, unknown> = { type: 'OPENIDCONNECT' }, token?: string | null): Promise<Translated> {
  return ok(await translate(s, instance, input, output, token), `translate on ${instance}`).translateToken;
}

export async function validate(s: TestServer, instance: string, token: string, opts: { type?: string; as?: string | null } = {}): Promise<GqlResult<{ validateToken: { valid: boolean; reason: string | null; subject: string | null; expiresAt: string | null } }>> {
  return s.gql(GQL.validate, { n: instance, t: opts.type ?? 'OPENIDCONNECT', tok: token }, opts.as === undefined ? null : opts.as);
}

export async function cancel(s: TestServer, instance: string, token: string, opts: { type?: string; as?: string | null } = {}): Promise<GqlResult<{ cancelToken: boolean }>> {
  return s.gql(GQL.cancel, { n: instance, t: opts.type ?? 'OPENIDCONNECT', tok: token }, opts.as === undefined ? null : opts.as);
}

export async function auditEvents(s: TestServer, instance?: string, first = 1000): Promise<AuditEvent[]> {
  return ok(await s.gql(GQL.auditEvents, { n: instance ?? null, first }, s.adminToken), 'auditEvents').auditEvents;
}

/** Header and payload of a compact JWS, without verification. */
export function decodeJwt(token: string): { header: Record<string, any>; payload: Record<string, any> } {
  const parts = token.split('.');
  assert.equal(parts.length, 3, 'a compact JWS has three parts');
  return {
    header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
  };
}

/** The same token with its payload replaced (the signature no longer matches). */
export function tamperPayload(token: string, change: (payload: Record<string, any>) => void): string {
  const [h, p, sig] = token.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  change(payload);
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`;
}

const here = dirname(fileURLToPath(import.meta.url));
/** test/support/pyjwt_verify.py, whether running from the sources or from dist/. */
export const PYJWT_SCRIPT = [join(here, 'pyjwt_verify.py'), join(here, '..', '..', '..', 'test', 'support', 'pyjwt_verify.py')].find((p) => existsSync(p)) ?? join(here, 'pyjwt_verify.py');

/**
 * Verifies `token` with PyJWT, keys from the JWK Set at `jwksUrl` only (or an HS256 `secret`).
 * Resolves to the verified claims; rejects with PyJWT's reason.
 */
export function pyjwtVerify(jwksUrl: string, token: string, audience: string, issuer: string, secret?: string): Promise<Record<string, any>> {
  const args = secret === undefined ? [PYJWT_SCRIPT, jwksUrl, token, audience, issuer] : [PYJWT_SCRIPT, '--secret', secret, '-', token, audience, issuer];
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', args, { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`PyJWT refused the token: ${stderr.trim() || err.message}`));
      else resolve(JSON.parse(stdout) as Record<string, any>);
    });
  });
}

/** An OIDC-output instance input with sensible defaults. */
export function oidcInstance(name: string, transforms: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}, oidc: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    transforms: transforms.map((t) => ({ output: 'OPENIDCONNECT', ...t })),
    oidc: { audience: ['rp-client'], ...oidc },
    ...extra,
  };
}

/** PingAM's REST body for USERNAME → OPENIDCONNECT. */
export function restUsernameBody(username: string, password: string, nonce?: string): Record<string, unknown> {
  return {
    input_token_state: { token_type: 'USERNAME', username, password },
    output_token_state: { token_type: 'OPENIDCONNECT', ...(nonce ? { nonce } : {}), allow_access: true },
  };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

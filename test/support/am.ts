/**
 * Support for the PingAM compatibility suites (test/api/am-*.test.ts): HTTP calls the way AM clients make them —
 * zero-page login with X-OpenAM-* headers, the session in iPlanetDirectoryPro (header or cookie), the publish
 * service's JSON — against a real server, and the documented publish sample.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './saml.js';
import type { TestServer } from './server.js';

export const AM_COOKIE = 'iPlanetDirectoryPro';

export interface AmAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** One request; a body object is sent as JSON. */
export async function amFetch(s: TestServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<AmAnswer> {
  const h: Record<string, string> = { ...headers };
  if (body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
  const res = await fetch(`${s.url}${path}`, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** AM's zero-page login at `path` (default /json/authenticate), answer as is. */
export function amAuthenticate(s: TestServer, username: string, password: string, path = '/json/authenticate'): Promise<AmAnswer> {
  return amFetch(s, 'POST', path, {}, { 'X-OpenAM-Username': username, 'X-OpenAM-Password': password, 'Accept-API-Version': 'resource=2.0, protocol=1.0' });
}

/** AM's zero-page login that must succeed; the tokenId. */
export async function amLogin(s: TestServer, username: string, password: string, path?: string): Promise<string> {
  const r = await amAuthenticate(s, username, password, path);
  assert.equal(r.status, 200, `login of ${username}: ${JSON.stringify(r.body)}`);
  assert.equal(typeof r.body.tokenId, 'string');
  return r.body.tokenId as string;
}

export function amHeader(token: string): Record<string, string> {
  return { [AM_COOKIE]: token };
}

export function amCookie(token: string): Record<string, string> {
  return { cookie: `amlbcookie=01; ${AM_COOKIE}=${token}` };
}

/** PingAM's error body (API.md §2) with this status and detail code. */
export function assertAmError(r: AmAnswer, status: number, code: string, field?: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.code, status);
  assert.equal(typeof r.body.reason, 'string');
  assert.equal(typeof r.body.message, 'string');
  assert.equal(r.body.detail?.code, code, JSON.stringify(r.body));
  if (field !== undefined) assert.equal(r.body.detail?.field, field, JSON.stringify(r.body));
}

/** The publish example of PingAM's documentation (test/fixtures/am/publish-sample.json), as sent. */
export function publishSample(): { invocation_context: string; instance_state: Record<string, any> } {
  return JSON.parse(readFileSync(join(repoRoot(), 'test', 'fixtures', 'am', 'publish-sample.json'), 'utf8'));
}

/** The instance_state a publish-service read returns for `id` (AM sends it as JSON text under the id). */
export function readState(r: AmAnswer, id: string): Record<string, any> {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body._id, id);
  assert.equal(typeof r.body[id], 'string', 'AM carries the instance as JSON text');
  return JSON.parse(r.body[id]);
}

/** A REST STS call at any path (realm paths included). */
export function restAt(s: TestServer, path: string, action: string, body: unknown, headers: Record<string, string> = {}): Promise<AmAnswer> {
  return amFetch(s, 'POST', `${path}?_action=${action}`, body, headers);
}

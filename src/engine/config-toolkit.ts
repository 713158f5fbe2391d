/**
 * The generic toolkit every configuration section parses with (engine/kind.ts ConfigSection.parse): shape and
 * size checks that throw BadUserInputError naming the field (`input.saml2.spEntityId`). Sections are fed both
 * GraphQL input objects and plain JSON, so nothing about the shape they receive is trusted.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { BadUserInputError } from './errors.js';
import type { Obj } from './types.js';

export const DEFAULT_LIFETIME_SECONDS = 600;
export const MAX_LIFETIME_SECONDS = 86400;
/** HS256 needs a key at least as long as the hash output (RFC 7518 3.2). */
export const MIN_SECRET_BYTES = 32;

// Caps that keep hostile input small before anything parses it.
export const MAX_STRING = 2048;
export const MAX_PEM = 64 * 1024;
export const MAX_SECRET_BYTES = 1024;
export const MAX_LIST = 64;
export const MAX_MAP_ENTRIES = 256;
export const MAX_TRUST_ENTRIES = 32;

export function fail(field: string, message: string): never {
  throw new BadUserInputError(message, field);
}

/** Quotes user-supplied text in a message without letting it grow the message or carry control characters. */
export function quote(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  return JSON.stringify(clean.length > 64 ? clean.slice(0, 64) + '…' : clean);
}

/** A user-chosen key as part of a field path: capped, control characters removed. */
export function keyPath(key: string): string {
  // eslint-disable-next-line no-control-regex
  return key.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').slice(0, 64);
}

export function isObject(v: unknown): v is Obj {
  // GraphQL layers may hand class instances, so only arrays and null are excluded, not other prototypes.
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function absent(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

export function object(v: unknown, field: string): Obj {
  if (!isObject(v)) fail(field, 'must be an object.');
  return v;
}

/** Unknown keys are refused so a misspelt option (`signAssertions`) fails loudly instead of doing nothing. */
export function onlyKeys(o: Obj, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(o)) {
    if (o[key] === undefined) continue;
    if (!allowed.includes(key)) fail(`${field}.${keyPath(key)}`, `unknown field ${quote(key)}; allowed: ${allowed.join(', ')}.`);
  }
}

/** Own property only: a JSON key like `constructor` must not resolve to Object.prototype. */
export function get(o: Obj, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

export interface StringRules {
  max?: number;
  allowEmpty?: boolean;
}

export function string(v: unknown, field: string, rules: StringRules = {}): string {
  if (typeof v !== 'string') fail(field, 'must be a string.');
  if (!rules.allowEmpty && v.trim() === '') fail(field, 'must not be empty.');
  const max = rules.max ?? MAX_STRING;
  if (v.length > max) fail(field, `must be at most ${max} characters.`);
  return v;
}

export function optionalString(o: Obj, key: string, field: string, rules?: StringRules): string | undefined {
  const v = get(o, key);
  return absent(v) ? undefined : string(v, field, rules);
}

export function requiredString(o: Obj, key: string, field: string, rules?: StringRules): string {
  const v = get(o, key);
  if (absent(v)) fail(field, 'is required.');
  return string(v, field, rules);
}

export function optionalBoolean(o: Obj, key: string, field: string, dflt: boolean): boolean {
  const v = get(o, key);
  if (absent(v)) return dflt;
  if (typeof v !== 'boolean') fail(field, 'must be true or false.');
  return v;
}

export function lifetime(o: Obj, key: string, field: string): number {
  const v = get(o, key);
  if (absent(v)) return DEFAULT_LIFETIME_SECONDS;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_LIFETIME_SECONDS) {
    fail(field, `must be an integer number of seconds from 1 to ${MAX_LIFETIME_SECONDS}.`);
  }
  return v;
}

export function stringList(v: unknown, field: string, max = MAX_LIST): string[] {
  if (!Array.isArray(v)) fail(field, 'must be a list of strings.');
  if (v.length === 0) fail(field, 'must hold at least one value.');
  if (v.length > max) fail(field, `must hold at most ${max} values.`);
  return v.map((item, i) => string(item, `${field}[${i}]`));
}

/** A JSON object of string → string, copied into a fresh object (an own `__proto__` key stays data). */
export function stringMap(v: unknown, field: string, checkKey?: (key: string, field: string) => void): Record<string, string> {
  if (absent(v)) return {};
  if (!isObject(v)) fail(field, 'must be a JSON object of strings.');
  const entries = Object.entries(v);
  if (entries.length > MAX_MAP_ENTRIES) fail(field, `must hold at most ${MAX_MAP_ENTRIES} entries.`);
  const out: Array<[string, string]> = [];
  for (const [key, value] of entries) {
    if (key.trim() === '') fail(field, 'keys must not be empty.');
    if (key.length > MAX_STRING) fail(field, `keys must be at most ${MAX_STRING} characters.`);
    const entryField = `${field}.${keyPath(key)}`;
    checkKey?.(key, entryField);
    out.push([key, string(value, entryField)]);
  }
  return Object.fromEntries(out);
}

export function secret(v: unknown, field: string): string {
  if (typeof v !== 'string') fail(field, 'must be a string.');
  const bytes = Buffer.byteLength(v, 'utf8');
  if (bytes < MIN_SECRET_BYTES) fail(field, `must be at least ${MIN_SECRET_BYTES} bytes (UTF-8) for HMAC-SHA-256.`);
  if (bytes > MAX_SECRET_BYTES) fail(field, `must be at most ${MAX_SECRET_BYTES} bytes.`);
  return v;
}

export function httpUrl(v: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    fail(field, 'must be an absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(field, 'must be an http or https URL.');
  if (url.username !== '' || url.password !== '') fail(field, 'must not carry credentials.');
  return url;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Parses one PEM certificate and returns it re-encoded, so stray text around the block is not stored. */
export function certificate(v: unknown, field: string): { pem: string; cert: X509Certificate } {
  const pem = string(v, field, { max: MAX_PEM });
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length !== 1) fail(field, 'must hold exactly one PEM certificate (-----BEGIN CERTIFICATE-----).');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(blocks[0]!);
  } catch {
    fail(field, 'is not a parseable X.509 certificate.');
  }
  return { pem: cert.toString(), cert };
}

/**
 * Fuzzing support: the seed and the bounds (runs and time) every property shares, hostile values, mutations
 * of valid tokens, and the judge that every response must satisfy — no 5xx and no INTERNAL, an answer within
 * a second, and no token for an input that is invalid by construction.
 *
 * Replay: the suite prints its seed; `TESSERA_FUZZ_SEED=<seed> npm test -- fuzz` runs the same cases again.
 * `TESSERA_FUZZ_TIME_MS` (per property, default 9000) and `TESSERA_FUZZ_RUNS` (per property, default 1000)
 * bound the work; whichever ends first ends the property.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import fc from 'fast-check';

function envInt(name: string, def: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got ${raw}`);
  return n;
}

export const FUZZ_SEED = envInt('TESSERA_FUZZ_SEED', randomInt(0, 2 ** 31 - 1));
export const FUZZ_TIME_MS = envInt('TESSERA_FUZZ_TIME_MS', 9000);
export const FUZZ_RUNS = envInt('TESSERA_FUZZ_RUNS', 1000);
/** The slowest answer accepted from the server. */
export const MAX_RESPONSE_MS = 1000;

/** A seed per property, so one property replays alike whatever ran before it. */
function propertySeed(name: string): number {
  let h = FUZZ_SEED | 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
}

export function fuzzParameters(name: string): fc.Parameters<unknown> {
  return {
    seed: propertySeed(name),
    numRuns: FUZZ_RUNS,
    interruptAfterTimeLimit: FUZZ_TIME_MS,
    markInterruptAsFailure: false,
    endOnFailure: true,
  };
}

export function replayHint(name: string): string {
  return `fuzz seed ${FUZZ_SEED} (property "${name}" seed ${propertySeed(name)}); replay with TESSERA_FUZZ_SEED=${FUZZ_SEED} npm test -- fuzz`;
}

// ---------------------------------------------------------------------------------------------------------
// Hostile values
// ---------------------------------------------------------------------------------------------------------

const SPECIAL_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u001b[31m',
  '\u0085',
  '\ud800',
  '\udfff\ud800',
  '\u2028',
  '\ufeff',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'admin',
  'ADMIN',
  'tsn_',
  '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
  '-----BEGIN PRIVATE KEY-----',
  '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
  '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/>',
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.',
  "' or 1=1 --",
  '%00',
  '../../etc/passwd',
  '😀'.repeat(10),
  'é'.normalize('NFD'),
  '9'.repeat(400),
  '1e400',
  '-1e15',
];

/** Strings a careless client or an attacker sends: printable, any code unit, control characters, huge. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('\u0000', '\t', '\n', '\u001f', '\u007f', '\u0085', 'a', '<', '&', '"'), maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 90_000 }).map((n) => 'A'.repeat(n)) },
);

/** Any JSON value, hostile strings included, nested a few levels. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    fc.double(),
    fc.integer(),
    fc.constantFrom(-1e15, 1e300, Number.MAX_SAFE_INTEGER, -0, 0, 1, 253402300800),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 5 }),
  ),
})).value.map((v) => JSON.parse(JSON.stringify(v ?? null)) as unknown);

/** Either a hostile JSON value or one of `shapes` with some fields replaced by hostile ones. */
export function mutatedShape(shape: Record<string, unknown>, fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    Object.fromEntries(Object.keys(fields).map((k) => [k, fc.option(fields[k], { nil: undefined })])),
    { requiredKeys: [] },
  ).map((over) => {
    const out: Record<string, unknown> = { ...shape };
    for (const [k, v] of Object.entries(over)) if (v !== undefined) out[k] = v;
    return out;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Mutations of valid tokens
// ---------------------------------------------------------------------------------------------------------

export type Edit = { kind: 'replace' | 'insert' | 'delete'; at: number; text: string; length: number };

export const textEdits: fc.Arbitrary<Edit[]> = fc.array(
  fc.record({
    kind: fc.constantFrom('replace', 'insert', 'delete') as fc.Arbitrary<Edit['kind']>,
    at: fc.nat(),
    text: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('<', '>', '"', "'", '&', '&amp;', '=', '/', ' ', '\u0000', 'A', '0', '.', '-', '<!--x-->', '<x/>', 'xmlns="urn:x"')),
    length: fc.integer({ min: 1, max: 8 }),
  }),
  { minLength: 1, maxLength: 4 },
);

/** Applies character edits to a text (positions wrap around its length). */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  let s = text;
  for (const e of edits) {
    const at = s.length === 0 ? 0 : e.at % (s.length + 1);
    if (e.kind === 'insert') s = s.slice(0, at) + e.text + s.slice(at);
    else if (e.kind === 'delete') s = s.slice(0, at) + s.slice(at + e.length);
    else s = s.slice(0, at) + e.text + s.slice(at + e.text.length);
  }
  return s;
}

export type ByteEdit = { kind: 'flip' | 'set' | 'truncate' | 'append' | 'splice'; at: number; value: number; bytes: Uint8Array };

export const byteEdits: fc.Arbitrary<ByteEdit[]> = fc.array(
  fc.record({
    kind: fc.constantFrom('flip', 'set', 'truncate', 'append', 'splice') as fc.Arbitrary<ByteEdit['kind']>,
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
    bytes: fc.uint8Array({ maxLength: 16 }),
  }),
  { minLength: 1, maxLength: 3 },
);

export function applyByteEdits(der: Buffer, edits: readonly ByteEdit[]): Buffer {
  let b = Buffer.from(der);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % b.length;
    if (e.kind === 'flip' && b.length > 0) b[at] ^= 1 << (e.value % 8);
    else if (e.kind === 'set' && b.length > 0) b[at] = e.value;
    else if (e.kind === 'truncate') b = b.subarray(0, at);
    else if (e.kind === 'append') b = Buffer.concat([b, Buffer.from(e.bytes)]);
    else if (e.kind === 'splice') b = Buffer.concat([b.subarray(0, at), Buffer.from(e.bytes), b.subarray(at)]);
  }
  return b;
}

// ---------------------------------------------------------------------------------------------------------
// Talking to the server, and judging what it says
// ---------------------------------------------------------------------------------------------------------

export interface Exchange {
  what: string;
  status: number;
  ms: number;
  text: string;
  json: any;
}

export async function send(what: string, url: string, init: RequestInit): Promise<Exchange> {
  const t = performance.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const ms = performance.now() - t;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { what, status: res.status, ms, text, json };
}

function describe(x: Exchange, input: unknown): string {
  let shown: string;
  try {
    shown = JSON.stringify(input);
  } catch {
    shown = String(input);
  }
  return `${x.what} → ${x.status} in ${x.ms.toFixed(0)} ms: ${x.text.slice(0, 300)}\n  input: ${shown.slice(0, 600)}`;
}

/** Every answer: not a server error, and in time. */
export function judgeAnswer(x: Exchange, input: unknown): void {
  assert.ok(x.status < 500, `server error: ${describe(x, input)}`);
  assert.ok(x.ms < MAX_RESPONSE_MS, `slow answer: ${describe(x, input)}`);
  const errors = (x.json as { errors?: Array<{ extensions?: { code?: unknown } }> } | undefined)?.errors;
  if (Array.isArray(errors)) {
    for (const e of errors) assert.notEqual(e?.extensions?.code, 'INTERNAL', `INTERNAL: ${describe(x, input)}`);
  }
  if (x.json && typeof x.json === 'object' && !Array.isArray(x.json)) {
    assert.notEqual((x.json as { detail?: { code?: unknown } }).detail?.code, 'INTERNAL', `INTERNAL: ${describe(x, input)}`);
  }
}

/** An answer to an input that is invalid by construction: no token, nothing validated. */
export function judgeRefused(x: Exchange, input: unknown): void {
  judgeAnswer(x, input);
  const j = x.json as Record<string, any> | undefined;
  assert.equal(j?.issued_token, undefined, `a token was issued: ${describe(x, input)}`);
  assert.notEqual(j?.token_valid, true, `validated: ${describe(x, input)}`);
  const data = j?.data as Record<string, any> | undefined | null;
  if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) {
      if (k.startsWith('translate') || (v && typeof v === 'object' && 'token' in v)) assert.ok(!v || !v.token, `a token was issued: ${describe(x, input)}`);
      if (v && typeof v === 'object' && 'valid' in v) assert.notEqual(v.valid, true, `validated: ${describe(x, input)}`);
      if (k === 'login') assert.ok(!v, `a session was issued: ${describe(x, input)}`);
      if (k.startsWith('cancel')) assert.notEqual(v, true, `cancelled: ${describe(x, input)}`);
    }
  }
}

/**
 * The engine's one pass over an envelope's fields (DESIGN.md §1): names, sizes, shapes and defaults are checked
 * here, once, for every door, before any kind code runs. Error field names follow the door the request came
 * through (`input.idToken` over GraphQL, `input_token_state.oidc_id_token` over REST, `subject_token` at the
 * token endpoint), so a client sees its own names.
 */
import { BadUserInputError } from './errors.js';
import type { FieldSpec } from './kind.js';
import type { Door, Obj, TokenEnvelope } from './types.js';

/** API.md §2: a token field over 64 KiB is BAD_USER_INPUT. */
export const MAX_TOKEN_BYTES = 64 * 1024;
export const MAX_TEXT_CHARS = 2048;
const DEFAULT_LIST_MAX = 8;

/** `actor`: the RFC 8693 actor token, read by an input kind's fields. */
export type Side = 'input' | 'output' | 'actor';

/** How a field is called at a door. */
export function fieldLabel(spec: FieldSpec, side: Side, door: Door): string {
  if (door === 'oauth') return side === 'actor' ? 'actor_token' : (spec.oauth ?? (side === 'input' ? 'subject_token' : spec.key));
  if (door === 'rest') return `${side}_token_state.${spec.rest ?? spec.key}`;
  return `${side}.${spec.graphql?.name ?? spec.key}`;
}

function utf8TooLong(s: string): boolean {
  // Cheap test first: more than N UTF-16 units is more than N UTF-8 bytes.
  return s.length > MAX_TOKEN_BYTES || Buffer.byteLength(s, 'utf8') > MAX_TOKEN_BYTES;
}

const TOO_LARGE = `is larger than 64 KiB (${MAX_TOKEN_BYTES} bytes of UTF-8).`;

function checkString(v: unknown, spec: FieldSpec, label: string, token: boolean): string {
  if (typeof v !== 'string') throw new BadUserInputError('must be a string.', label);
  if (v === '' && !spec.allowEmpty) throw new BadUserInputError('must not be empty.', label);
  if (token ? utf8TooLong(v) : v.length > MAX_TEXT_CHARS) {
    throw new BadUserInputError(token ? TOO_LARGE : `must be at most ${MAX_TEXT_CHARS} characters.`, label);
  }
  return v;
}

function jsonSize(v: unknown): number {
  try {
    return JSON.stringify(v ?? null)?.length ?? 0;
  } catch {
    return Infinity;
  }
}

function checkValue(v: unknown, spec: FieldSpec, label: string): unknown {
  const rule = spec.rule;
  switch (rule) {
    case 'token':
      return checkString(v, spec, label, true);
    case 'text':
      return checkString(v, spec, label, false);
    case 'boolean':
      if (typeof v !== 'boolean') throw new BadUserInputError('must be true or false.', label);
      return v;
    case 'json':
      if (jsonSize(v) > MAX_TOKEN_BYTES) throw new BadUserInputError(TOO_LARGE, label);
      return v;
    case 'tokenList':
    case 'textList': {
      const max = spec.max ?? DEFAULT_LIST_MAX;
      if (!Array.isArray(v) || v.length === 0 || v.length > max) {
        throw new BadUserInputError(`must be a list of at least 1 and at most ${max} ${rule === 'tokenList' ? 'tokens' : 'values'}.`, label);
      }
      return v.map((item, i) => checkString(item, spec, `${label}[${i}]`, rule === 'tokenList'));
    }
    default: {
      if (typeof v !== 'string' || !rule.oneOf.includes(v)) {
        throw new BadUserInputError(`must be one of ${rule.oneOf.join(', ')}.`, label);
      }
      return v;
    }
  }
}

/**
 * Checks `raw` against the field table and returns a fresh envelope holding only the declared fields (own
 * properties only: a `constructor` or `__proto__` key never resolves to a prototype), with defaults applied.
 */
export function checkFields(type: string, raw: Obj, fields: readonly FieldSpec[], side: Side, door: Door): TokenEnvelope {
  const out: TokenEnvelope = { type };
  for (const spec of fields) {
    const label = fieldLabel(spec, side, door);
    const v = Object.prototype.hasOwnProperty.call(raw, spec.key) ? raw[spec.key] : undefined;
    if (v === undefined || v === null) {
      if (spec.required) throw new BadUserInputError('is required.', label);
      if (spec.default !== undefined) out[spec.key] = structuredClone(spec.default);
      continue;
    }
    out[spec.key] = checkValue(v, spec, label);
  }
  return out;
}

/** The generic wire adapter: each field from the member the door names it by. */
export function readWireFields(state: Obj, fields: readonly FieldSpec[], door: 'graphql' | 'rest'): Obj {
  const out: Obj = {};
  for (const spec of fields) {
    const name = door === 'rest' ? spec.rest : spec.graphql?.name;
    if (name === undefined) continue;
    if (Object.prototype.hasOwnProperty.call(state, name)) out[spec.key] = state[name];
  }
  return out;
}

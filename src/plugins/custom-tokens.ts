/**
 * Adapters that turn custom token plugins (API.md §6) into token kinds (engine/kind.ts), so custom types
 * register through the same registry, and reach the engine through the same path, as built-in ones. Everything
 * a plugin returns is checked here: the engine never sees an unchecked plugin value.
 */
import { randomUUID } from 'node:crypto';
import { InternalError, InvalidTokenError, sanitizeMessage } from '../engine/errors.js';
import { PluginFailureError, pluginErrorText } from './plugin-failure.js';

export { PluginFailureError, pluginErrorText, type PluginFailureReason } from './plugin-failure.js';
import type { FieldSpec, KindProvider, KindValidator, TokenKind } from '../engine/kind.js';
import type { Attributes, IssuedToken, Obj, ProviderContext, TokenEnvelope, ValidatorContext, VerifiedSubject } from '../engine/types.js';
import { callWithTimeout } from './timeout.js';
import type { TokenProviderPlugin, TokenValidatorPlugin } from './types.js';

export const MAX_SUBJECT_LENGTH = 256;
/** Same cap as any token field (API.md §2). */
export const MAX_CUSTOM_TOKEN_BYTES = 64 * 1024;
/** API.md §6: a provider that sets no expiry gets issue time + 600 s. */
export const DEFAULT_CUSTOM_TOKEN_LIFETIME_SECONDS = 600;
const MAX_ATTRIBUTES = 256;
const MAX_ATTRIBUTE_VALUES = 1024;

// C0/C1 controls and line separators: a subject or attribute ends up in logs, audit rows and XML.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Runs a result check; a getter or proxy in the plugin's result that throws is a malformed result too. */
function guarded<T>(check: () => T | string): T | string {
  try {
    return check();
  } catch (err) {
    return `reading the result failed: ${pluginErrorText(err)}`;
  }
}

/** Returns a fresh copy (own data properties only) or a description of what is wrong. */
function checkAttributes(v: unknown): Attributes | string {
  if (v === undefined) return {};
  if (!isObject(v)) return 'attributes must be an object';
  const entries = Object.entries(v);
  if (entries.length > MAX_ATTRIBUTES) return `more than ${MAX_ATTRIBUTES} attributes`;
  const out: Array<[string, string | string[]]> = [];
  for (const [k, val] of entries) {
    if (k === '' || CONTROL_CHARS.test(k)) return 'an attribute name is empty or holds control characters';
    if (typeof val === 'string') out.push([k, val]);
    else if (Array.isArray(val) && val.length <= MAX_ATTRIBUTE_VALUES && val.every((x) => typeof x === 'string')) {
      out.push([k, [...(val as string[])]]);
    } else return `attribute "${sanitizeMessage(k, 64)}" must be a string or an array of strings`;
  }
  // Object.fromEntries defines own properties, so a "__proto__" key cannot reach the prototype.
  return Object.fromEntries(out);
}

/**
 * Wraps a custom token validator. Outcomes:
 * - the plugin throws or rejects: INVALID_TOKEN with the plugin's message, sanitized (API.md §6: throw to reject);
 * - its promise stays unsettled past `timeoutMs`: INVALID_TOKEN "… validator did not answer in time" — the token
 *   could not be validated, and fail-closed as a rejected token is what API.md already does for an OIDC issuer
 *   that cannot be reached; a 500 would also invite blind retries of a request that will not get better;
 * - it returns something other than { subject, attributes? }: PluginFailureError (INTERNAL), because a plugin that
 *   wants to reject must throw, so a malformed result is a defect for the operator, not a verdict on the token.
 */
/** REST: the validator gets `input_token_state` without `token_type`; `raw` keeps the whole state. */
function withoutTokenType(state: Obj): Obj {
  // Object rest copies with CreateDataProperty, so an own "__proto__" key stays plain data.
  const { token_type: _ignored, ...rest } = state;
  return rest;
}

/** Envelope of a custom input: the token as the plugin receives it, and the request's raw input. */
const INPUT_FIELDS: readonly FieldSpec[] = [
  { key: 'token', rule: 'json', oauth: 'subject_token' },
  { key: 'raw', rule: 'json' },
];
/** Envelope of a custom output: the request's raw output state. */
const OUTPUT_FIELDS: readonly FieldSpec[] = [{ key: 'raw', rule: 'json' }];

export function customValidatorAdapter(plugin: TokenValidatorPlugin, timeoutMs: number): KindValidator {
  const tokenType = plugin.tokenType;
  const who = `Custom token validator ${tokenType}`;
  return {
    fields: INPUT_FIELDS,
    ...(plugin.amClassNames ? { amClassNames: plugin.amClassNames } : {}),
    fromRest: (state) => ({ token: withoutTokenType(state), raw: state }),
    async validate(input: TokenEnvelope, ctx: ValidatorContext): Promise<VerifiedSubject> {
      if (input.type !== tokenType) {
        // The engine routes by type; reaching here with another type is a wiring bug, not a client error.
        throw new InternalError(`${who} received a ${input.type} input`);
      }
      const pluginCtx = {
        instance: { name: ctx.instance.config.name },
        rawInput: input.raw,
        clientAddress: ctx.request.clientAddress,
        now: new Date(ctx.now.getTime()),
      };
      let timedOut: InvalidTokenError | undefined;
      let result: unknown;
      try {
        result = await callWithTimeout(
          () => plugin.validate(input.token, pluginCtx),
          timeoutMs,
          () => (timedOut = new InvalidTokenError(`The ${tokenType} validator did not answer in time.`)),
        );
      } catch (err) {
        if (err === timedOut) throw err;
        const text = pluginErrorText(err);
        throw new InvalidTokenError(text === '' ? `The ${tokenType} token was rejected.` : text, err);
      }
      const checked = guarded(() => checkValidatorResult(result));
      if (typeof checked === 'string') throw new PluginFailureError(who, 'malformed-result', checked);
      return {
        name: checked.subject,
        attributes: checked.attributes,
        inputType: tokenType,
        // How the plugin's token was authenticated is the plugin's business: nothing is asserted.
        authn: { instant: new Date(ctx.now.getTime()) },
      };
    },
  };
}

function checkSubject(v: unknown): string | { error: string } {
  if (typeof v !== 'string' || v.length === 0) return { error: 'subject must be a non-empty string' };
  if (v.length > MAX_SUBJECT_LENGTH) return { error: `subject is longer than ${MAX_SUBJECT_LENGTH} characters` };
  if (CONTROL_CHARS.test(v)) return { error: 'subject holds control characters' };
  return v;
}

function checkValidatorResult(v: unknown): { subject: string; attributes: Attributes } | string {
  if (!isObject(v)) return `expected { subject, attributes? }, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`;
  const subject = checkSubject(v.subject);
  if (typeof subject !== 'string') return subject.error;
  const attributes = checkAttributes(v.attributes);
  if (typeof attributes === 'string') return attributes;
  return { subject, attributes };
}

/**
 * Wraps a custom token provider. Any failure (throw, timeout, malformed result) is a PluginFailureError
 * (INTERNAL, no token): the subject was already verified, so what failed is server-side code, and a provider's
 * error text may hold internal detail (hosts, keys, stack traces) that must not reach the client.
 */
export function customProviderAdapter(plugin: TokenProviderPlugin, timeoutMs: number): KindProvider {
  const tokenType = plugin.tokenType;
  const who = `Custom token provider ${tokenType}`;
  return {
    fields: OUTPUT_FIELDS,
    ...(plugin.amClassNames ? { amClassNames: plugin.amClassNames } : {}),
    fromRest: (state) => ({ raw: withoutTokenType(state) }),
    restTokenField: 'token',
    oauthTokenType: 'N_A',
    async issue(subject: VerifiedSubject, output: TokenEnvelope, ctx: ProviderContext): Promise<IssuedToken> {
      if (output.type !== tokenType) throw new InternalError(`${who} asked for a ${output.type} output`);
      const now = new Date(ctx.now.getTime());
      const pluginSubject = {
        name: subject.name,
        // A copy: the plugin must not be able to change what the engine audits or records.
        attributes: Object.fromEntries(
          Object.entries(subject.attributes).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]),
        ) as Attributes,
        inputType: subject.inputType,
      };
      const pluginCtx = { instance: { name: ctx.instance.config.name }, rawOutput: output.raw, now: new Date(now.getTime()) };
      let result: unknown;
      try {
        result = await callWithTimeout(
          () => plugin.issue(pluginSubject, pluginCtx),
          timeoutMs,
          () => new PluginFailureError(who, 'timeout', `no answer within ${timeoutMs} ms`),
        );
      } catch (err) {
        if (err instanceof PluginFailureError) throw err;
        throw new PluginFailureError(who, 'threw', pluginErrorText(err), err);
      }
      const checked = guarded(() => checkProviderResult(result, now));
      if (typeof checked === 'string') throw new PluginFailureError(who, 'malformed-result', checked);
      return {
        token: checked.token,
        type: tokenType,
        tokenId: randomUUID(),
        subject: subject.name,
        issuedAt: now,
        expiresAt: checked.expiresAt,
      };
    },
    // No verifyIssued: a custom token is opaque to Tessera, so validate/cancel decide by its issued-token record.
  };
}

function checkProviderResult(v: unknown, now: Date): { token: string; expiresAt: Date } | string {
  if (!isObject(v)) return `expected { token, expiresAt? }, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`;
  if (typeof v.token !== 'string' || v.token.length === 0) return 'token must be a non-empty string';
  if (Buffer.byteLength(v.token, 'utf8') > MAX_CUSTOM_TOKEN_BYTES) return `token is larger than ${MAX_CUSTOM_TOKEN_BYTES} bytes`;
  let expiresAt: Date;
  if (v.expiresAt === undefined) {
    expiresAt = new Date(now.getTime() + DEFAULT_CUSTOM_TOKEN_LIFETIME_SECONDS * 1000);
  } else {
    if (!(v.expiresAt instanceof Date) || Number.isNaN(v.expiresAt.getTime())) return 'expiresAt must be a valid Date';
    if (v.expiresAt.getTime() <= now.getTime()) return 'expiresAt must be after the issue time';
    expiresAt = new Date(v.expiresAt.getTime());
  }
  return { token: v.token, expiresAt };
}

/**
 * One token kind per custom token type: a validator and a provider for one type are a pair (API.md §6), so they
 * become one kind, reached as CUSTOM with `customType` over GraphQL and by its name over REST.
 */
export function customTokenKinds(
  loaded: { validators: readonly TokenValidatorPlugin[]; providers: readonly TokenProviderPlugin[] },
  timeoutMs: number,
): TokenKind[] {
  const types = [...new Set([...loaded.validators.map((v) => v.tokenType), ...loaded.providers.map((p) => p.tokenType)])].sort();
  return types.map((tokenType) => {
    const v = loaded.validators.find((x) => x.tokenType === tokenType);
    const p = loaded.providers.find((x) => x.tokenType === tokenType);
    const description = v?.description ?? p?.description ?? `The custom token type ${tokenType}.`;
    return {
      name: tokenType,
      builtIn: false,
      description: sanitizeMessage(description),
      graphqlEnum: false,
      tokenTypeUri: `urn:tessera:token-type:${tokenType}`,
      ...(v ? { validator: customValidatorAdapter(v, timeoutMs) } : {}),
      ...(p ? { provider: customProviderAdapter(p, timeoutMs) } : {}),
    };
  });
}

/**
 * The PingAM-compatible REST STS door (API.md §4, AM-STS-NOTES §3): `POST /rest-sts/<instance>?_action=…`.
 *
 * It translates PingAM's JSON into engine calls by looking the `token_type` up in the registry and reading the
 * kind's fields by their REST names (or the kind's own REST adapter for PingAM's nested shapes), and engine
 * results or errors back into PingAM's JSON. Names, sizes and defaults are the engine's to check; no crypto and
 * no business rule lives here. It is free of any HTTP framework: the server parses the body (or reports why it
 * could not) and writes what this returns.
 *
 * Choices where PingAM or the contract leave room (also in the README):
 * - A body too large is 413 and a wrong content type 415 (clearer to generic HTTP clients than 400), both with
 *   detail code BAD_USER_INPUT; malformed JSON is 400.
 * - validate/cancel of a custom token type read the token from a `token` field.
 * - Every answer carries `Cache-Control: no-store`: it holds a token or concerns one (RFC 6749 §5.1 practice).
 */
import { BadUserInputError, InvalidTokenError, NotFoundError, sanitizeMessage } from '../engine/errors.js';
import { MAX_ISSUED_TOKEN_BYTES } from '../engine/engine.js';
import { readWireFields } from '../engine/fields.js';
import { INSTANCE_NAME_PATTERN } from '../engine/instance-config.js';
import type { TokenKind } from '../engine/kind.js';
import type { TokenRegistry } from '../engine/registry.js';
import { CUSTOM, CUSTOM_TOKEN_TYPE_PATTERN, RESERVED_TOKEN_NAMES, type Obj, type RequestContext, type TokenEngine, type TokenEnvelope } from '../engine/types.js';
import { amErrorBody, NO_STORE, restError, type HttpAnswer } from './errors.js';

export type RestStsAction = 'translate' | 'validate' | 'cancel';
export type RawBodyError = 'TOO_LARGE' | 'BAD_JSON' | 'BAD_CONTENT_TYPE';

export interface RestStsRequest {
  instanceName: string;
  /** The `_action` query parameter, null when missing; every value when it was repeated. */
  action: string | null | string[];
  /** The parsed JSON body, undefined when there is none. */
  body: unknown;
  /** Set by the HTTP layer when it could not produce a body. */
  rawBodyError?: RawBodyError;
  request: RequestContext;
  engine: TokenEngine;
  registry: TokenRegistry;
}

export type RestStsResponse = HttpAnswer;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own properties only: `{"constructor": …}` must not reach Object.prototype, nor a missing key inherit one. */
function get(o: Obj, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function show(v: unknown): string {
  return JSON.stringify(sanitizeMessage(v, 64));
}

function stateObject(body: Obj, key: string): Obj {
  const v = get(body, key);
  if (v === undefined || v === null) throw new BadUserInputError(`The request body must contain ${key}.`, key);
  if (!isObject(v)) throw new BadUserInputError(`${key} must be a JSON object.`, key);
  return v;
}

function tokenType(state: Obj, stateName: string): string {
  const field = `${stateName}.token_type`;
  const v = get(state, 'token_type');
  if (v === undefined || v === null) throw new BadUserInputError(`${stateName} must contain token_type.`, field);
  if (typeof v !== 'string' || v === '') throw new BadUserInputError('token_type must be a non-empty string.', field);
  if (v.length > 64) throw new BadUserInputError('token_type is too long.', field);
  return v;
}

/**
 * The kind a REST `token_type` names (its name or an alias). A name no kind has is refused here when it could
 * never be one (lower case, CUSTOM); a well-formed unknown name goes to the engine, which says nothing
 * supports it.
 */
function kindFor(registry: TokenRegistry, type: string, side: 'input' | 'output'): { name: string; kind?: TokenKind } {
  const kind = registry.lookup(type);
  if (kind) return { name: kind.name, kind };
  if (!CUSTOM_TOKEN_TYPE_PATTERN.test(type) || type === CUSTOM || RESERVED_TOKEN_NAMES.includes(type)) {
    const names = side === 'input' ? [...registry.inputNames(), 'OPENAM'] : registry.outputNames();
    throw new BadUserInputError(
      `Unsupported ${side} token type ${show(type)}: use ${names.join(', ')} or a custom token type name.`,
      `${side}_token_state.token_type`,
    );
  }
  return { name: type };
}

function inputEnvelope(registry: TokenRegistry, state: Obj, request: RequestContext, stateName = 'input_token_state'): TokenEnvelope {
  const { name, kind } = kindFor(registry, tokenType(state, stateName), 'input');
  const v = kind?.validator;
  if (!v) return { type: name };
  return { ...(v.fromRest ? v.fromRest(state, { request }) : readWireFields(state, v.fields, 'rest')), type: name };
}

function outputEnvelope(registry: TokenRegistry, state: Obj, request: RequestContext, inputType: string): TokenEnvelope {
  const { name, kind } = kindFor(registry, tokenType(state, 'output_token_state'), 'output');
  const p = kind?.provider;
  if (!p) return { type: name };
  return { ...(p.fromRest ? p.fromRest(state, { request, inputType }) : readWireFields(state, p.fields, 'rest')), type: name };
}

/** validate and cancel: `{token_type, <the kind's token field>}` (saml2_token, oidc_id_token, token). */
function issuedTokenState(registry: TokenRegistry, state: Obj, stateName: string): { type: string; token: string } {
  const type = tokenType(state, stateName);
  const kind = registry.lookup(type);
  const field = kind?.provider?.restTokenField;
  if (!kind || !field) {
    const issued = registry.outputNames().filter((n) => registry.isEnumerated(n));
    throw new BadUserInputError(
      `Tokens of type ${show(type)} are not issued by an STS instance; validate and cancel take ${issued.join(', ')} or a custom token type.`,
      `${stateName}.token_type`,
    );
  }
  const label = `${stateName}.${field}`;
  const v = get(state, field);
  if (v === undefined || v === null) throw new BadUserInputError(`${field} is required.`, label);
  if (typeof v !== 'string') throw new BadUserInputError('must be a string.', label);
  if (v === '') throw new BadUserInputError('must not be empty.', label);
  // Whatever an instance issues, validate and cancel accept (engine.MAX_ISSUED_TOKEN_BYTES).
  if (v.length > MAX_ISSUED_TOKEN_BYTES || Buffer.byteLength(v, 'utf8') > MAX_ISSUED_TOKEN_BYTES) {
    throw new BadUserInputError(`is larger than ${MAX_ISSUED_TOKEN_BYTES / 1024} KiB (${MAX_ISSUED_TOKEN_BYTES} bytes of UTF-8).`, label);
  }
  return { type: kind.name, token: v };
}

// ---------------------------------------------------------------------------------------------------------------

/** The answer when the HTTP layer could not produce a body (also the AM publish door's). */
export function rawBodyResponse(kind: RawBodyError, message?: string): RestStsResponse {
  switch (kind) {
    case 'TOO_LARGE':
      return { status: 413, headers: { ...NO_STORE }, body: amErrorBody(413, 'Payload Too Large', 'The request body is too large.', 'BAD_USER_INPUT') };
    case 'BAD_CONTENT_TYPE':
      return {
        status: 415,
        headers: { ...NO_STORE },
        body: amErrorBody(415, 'Unsupported Media Type', message ?? 'The request body must be JSON (Content-Type: application/json).', 'BAD_USER_INPUT'),
      };
    case 'BAD_JSON':
    default:
      return { status: 400, headers: { ...NO_STORE }, body: amErrorBody(400, 'Bad Request', 'The request body is not valid JSON.', 'BAD_USER_INPUT') };
  }
}

function ok(body: unknown): RestStsResponse {
  return { status: 200, headers: { ...NO_STORE }, body };
}

async function dispatch(args: RestStsRequest): Promise<RestStsResponse> {
  const { instanceName, engine, registry, request } = args;
  if (Array.isArray(args.action)) {
    // "The first one wins" would let a proxy and Tessera disagree about what a request does.
    throw new BadUserInputError('The _action query parameter must be given once.', '_action');
  }
  const action = args.action;
  if (action !== 'translate' && action !== 'validate' && action !== 'cancel') {
    throw new BadUserInputError(
      action === null || action === ''
        ? 'The _action query parameter is required: translate, validate or cancel.'
        : `Unknown _action ${show(action)}: use translate, validate or cancel.`,
      '_action',
    );
  }
  if (args.rawBodyError) return rawBodyResponse(args.rawBodyError);
  // No instance can have such a name; answer as for any unknown instance without troubling the engine.
  if (!INSTANCE_NAME_PATTERN.test(instanceName)) throw new NotFoundError(`No STS instance named ${show(instanceName)}.`);
  const body = args.body;
  if (!isObject(body)) throw new BadUserInputError('The request body must be a JSON object.');

  switch (action) {
    case 'translate': {
      const inputState = stateObject(body, 'input_token_state');
      const outputState = stateObject(body, 'output_token_state');
      const input = inputEnvelope(registry, inputState, request);
      const output = outputEnvelope(registry, outputState, request, input.type);
      // RFC 8693 delegation at this door too: `actor_token_state`, shaped like input_token_state.
      const actorState = get(body, 'actor_token_state');
      const actor = actorState === undefined || actorState === null ? undefined : inputEnvelope(registry, stateObject(body, 'actor_token_state'), request, 'actor_token_state');
      const issued = await engine.translate(instanceName, input, output, request, actor ? { actor } : {});
      return ok({ issued_token: issued.token });
    }
    case 'validate': {
      const t = issuedTokenState(registry, stateObject(body, 'validated_token_state'), 'validated_token_state');
      const result = await engine.validate(instanceName, t.type, t.token, request);
      return ok({ token_valid: result.valid === true });
    }
    case 'cancel': {
      const t = issuedTokenState(registry, stateObject(body, 'cancelled_token_state'), 'cancelled_token_state');
      const cancelled = await engine.cancel(instanceName, t.type, t.token, request);
      // The engine promises true or INVALID_TOKEN; a false is treated as "not cancelled", never as success.
      if (!cancelled) throw new InvalidTokenError('The token could not be cancelled.');
      return ok({ result: `${t.type} token cancelled successfully.` });
    }
  }
}

/** Handles one REST STS call. Never throws: every outcome is a status and a PingAM-shaped JSON body. */
export async function handleRestSts(args: RestStsRequest): Promise<RestStsResponse> {
  try {
    return await dispatch(args);
  } catch (err) {
    return restError(err);
  }
}

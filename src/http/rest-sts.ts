/**
 * The PingAM-compatible REST STS door (API.md §4, AM-STS-NOTES §3): `POST /rest-sts/<instance>?_action=…`.
 *
 * It only translates PingAM's JSON into engine calls and engine results (or errors) back into PingAM's JSON;
 * no crypto and no business rule lives here. It is free of any HTTP framework: the server parses the body
 * (or reports why it could not) and writes what this returns.
 *
 * Choices where PingAM or the contract leave room (also in the README):
 * - SAML2 output without `subject_confirmation` means BEARER, as over GraphQL; an invalid value is 400 as in AM.
 * - HOLDER_OF_KEY without `proof_token_state` is allowed for X509 input only (the proven input certificate is
 *   the confirmation key); otherwise it is AM's 400. `proof_token_state` is ignored for other confirmations.
 * - X509 input: `x509_cert` in the body wins over an offloaded certificate; the offloaded one is used only
 *   when the body carries none.
 * - validate/cancel of a custom token type read the token from a `token` field.
 * - A body too large is 413 and a wrong content type 415 (clearer to generic HTTP clients than 400), both with
 *   detail code BAD_USER_INPUT; malformed JSON is 400.
 * - `allow_access` accepts `true` and the string `"true"`, since AM's instance JSON carries booleans as strings.
 * - Every answer carries `Cache-Control: no-store`: it holds a token or concerns one (RFC 6749 5.1 practice).
 */
import {
  ERROR_TABLE,
  INTERNAL_MESSAGE,
  TesseraError,
  BadUserInputError,
  InvalidTokenError,
  NotFoundError,
  sanitizeMessage,
  type ErrorCode,
} from '../engine/errors.js';
import {
  CUSTOM_TOKEN_TYPE_PATTERN,
  RESERVED_TOKEN_NAMES,
  type RequestContext,
  type SubjectConfirmationMethod,
  type TokenEngine,
  type TokenInput,
  type TokenOutputRequest,
} from '../engine/types.js';
import { INSTANCE_NAME_PATTERN } from '../engine/instance-config.js';

export type RestStsAction = 'translate' | 'validate' | 'cancel';
export type RawBodyError = 'TOO_LARGE' | 'BAD_JSON' | 'BAD_CONTENT_TYPE';

export interface RestStsRequest {
  instanceName: string;
  /** The `_action` query parameter, null when missing. */
  action: string | null;
  /** The parsed JSON body, undefined when there is none. */
  body: unknown;
  /** Set by the HTTP layer when it could not produce a body. */
  rawBodyError?: RawBodyError;
  request: RequestContext;
  /** Set by the HTTP layer when a proxy in `x509Trust.trustedProxies` sent `x509Trust.offloadHeader`. */
  offload?: { certificates: string[] };
  engine: TokenEngine;
}

export interface RestStsResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** The unmasked cause of a 500, for the HTTP layer to log; never sent to the client. */
  internalError?: unknown;
}

/** API.md §2: a token field over 64 KiB is BAD_USER_INPUT. */
export const MAX_TOKEN_FIELD_BYTES = 64 * 1024;
const MAX_SHORT_FIELD = 2048;
const MAX_CHAIN = 5; // leaf + up to 4 chain certificates

const OIDC_ALLOW_ACCESS_MESSAGE =
  "The OpenIdConnectTokenCreation state must indicate access to the caller's identity with a field of allow_access:true.";
const HOK_PROOF_MESSAGE = 'If HOLDER_OF_KEY is specified, proofTokenState must also be set.';
const SUBJECT_CONFIRMATIONS: readonly SubjectConfirmationMethod[] = ['BEARER', 'SENDER_VOUCHES', 'HOLDER_OF_KEY'];

type Obj = Record<string, unknown>;

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

function isCustomTypeName(t: string): boolean {
  return CUSTOM_TOKEN_TYPE_PATTERN.test(t) && !RESERVED_TOKEN_NAMES.includes(t);
}

/** A token-carrying string: required, non-empty, at most 64 KiB of UTF-8. */
function tokenString(state: Obj, key: string, field: string, opts: { allowEmpty?: boolean } = {}): string {
  const v = get(state, key);
  if (v === undefined || v === null) throw new BadUserInputError(`${key} is required.`, field);
  return checkTokenString(v, field, opts);
}

function checkTokenString(v: unknown, field: string, opts: { allowEmpty?: boolean } = {}): string {
  if (typeof v !== 'string') throw new BadUserInputError('must be a string.', field);
  if (!opts.allowEmpty && v === '') throw new BadUserInputError('must not be empty.', field);
  // Cheap test first: a string of more than N UTF-16 units has more than N UTF-8 bytes.
  if (v.length > MAX_TOKEN_FIELD_BYTES || Buffer.byteLength(v, 'utf8') > MAX_TOKEN_FIELD_BYTES) {
    throw new BadUserInputError(`must be at most ${MAX_TOKEN_FIELD_BYTES} bytes.`, field);
  }
  return v;
}

function withoutTokenType(state: Obj): Obj {
  // Object rest copies with CreateDataProperty, so an own "__proto__" key stays plain data.
  const { token_type: _ignored, ...rest } = state;
  return rest;
}

// ---------------------------------------------------------------------------------------------------------------

function translateInput(state: Obj, offload: RestStsRequest['offload'], outputType: string): TokenInput {
  const s = 'input_token_state';
  const type = tokenType(state, s);
  switch (type) {
    case 'USERNAME':
      return {
        type: 'USERNAME',
        username: tokenString(state, 'username', `${s}.username`),
        // An empty password is a wrong password (INVALID_TOKEN from the validator), not malformed input.
        password: tokenString(state, 'password', `${s}.password`, { allowEmpty: true }),
      };
    case 'OPENIDCONNECT':
      return { type: 'OPENIDCONNECT', idToken: tokenString(state, 'oidc_id_token', `${s}.oidc_id_token`) };
    case 'OPENAM': // PingAM's name for an AM session; Tessera's sessions play that part
    case 'SESSION':
      return { type: 'SESSION', sessionToken: tokenString(state, 'session_id', `${s}.session_id`) };
    case 'X509':
      return x509Input(state, offload);
    case 'SAML2':
      throw new TesseraError(
        'UNSUPPORTED_TRANSFORM',
        `SAML2 is never a translate input; the transformation from SAML2 to ${sanitizeMessage(outputType, 64)} is not supported.`,
      );
    default:
      if (!isCustomTypeName(type)) {
        throw new BadUserInputError(
          `Unsupported input token type ${show(type)}: use USERNAME, OPENIDCONNECT, X509, OPENAM, SESSION or a custom token type name.`,
          `${s}.token_type`,
        );
      }
      return { type: 'CUSTOM', customType: type, customToken: withoutTokenType(state), rawInput: state };
  }
}

function x509Input(state: Obj, offload: RestStsRequest['offload']): TokenInput {
  const s = 'input_token_state';
  const cert = get(state, 'x509_cert');
  const proofValue = get(state, 'proof');
  const proof = proofValue === undefined || proofValue === null ? undefined : checkTokenString(proofValue, `${s}.proof`);
  if (cert !== undefined && cert !== null) {
    const list = Array.isArray(cert) ? cert : [cert];
    if (list.length === 0 || list.length > MAX_CHAIN) {
      throw new BadUserInputError(`x509_cert must hold 1 to ${MAX_CHAIN} certificates, leaf first.`, `${s}.x509_cert`);
    }
    const certificates = list.map((c, i) => checkTokenString(c, Array.isArray(cert) ? `${s}.x509_cert[${i}]` : `${s}.x509_cert`));
    return proof === undefined ? { type: 'X509', certificates } : { type: 'X509', certificates, proof };
  }
  if (offload && offload.certificates.length > 0) {
    // TLS between the client and the trusted proxy already proved possession of the key.
    const certificates = offload.certificates.slice(0, MAX_CHAIN).map((c, i) => checkTokenString(c, `offload.certificates[${i}]`));
    return { type: 'X509', certificates, fromTrustedOffloader: true };
  }
  throw new BadUserInputError(
    'No X509 certificate was presented: send x509_cert (PEM or base64 DER, leaf first) with a proof, ' +
      'or present the certificate via two-way TLS through a trusted TLS offload proxy.',
    `${s}.x509_cert`,
  );
}

function translateOutput(state: Obj, inputType: string): TokenOutputRequest {
  const s = 'output_token_state';
  const type = tokenType(state, s);
  switch (type) {
    case 'SAML2':
      return saml2Output(state, inputType);
    case 'OPENIDCONNECT': {
      const allow = get(state, 'allow_access');
      // AM: a missing allow_access counts as false.
      if (allow !== true && allow !== 'true') throw new BadUserInputError(OIDC_ALLOW_ACCESS_MESSAGE, `${s}.allow_access`);
      const nonce = get(state, 'nonce');
      if (nonce === undefined || nonce === null || nonce === '') return { type: 'OPENIDCONNECT' };
      if (typeof nonce !== 'string') throw new BadUserInputError('nonce must be a string.', `${s}.nonce`);
      if (nonce.length > MAX_SHORT_FIELD) throw new BadUserInputError(`nonce must be at most ${MAX_SHORT_FIELD} characters.`, `${s}.nonce`);
      return { type: 'OPENIDCONNECT', nonce };
    }
    case 'USERNAME':
    case 'OPENAM':
    case 'SESSION':
    case 'X509':
      throw new TesseraError(
        'UNSUPPORTED_TRANSFORM',
        `${type} is never a translate output; the transformation from ${sanitizeMessage(inputType, 64)} to ${type} is not supported.`,
      );
    default:
      if (!isCustomTypeName(type)) {
        throw new BadUserInputError(
          `Unsupported output token type ${show(type)}: use SAML2, OPENIDCONNECT or a custom token type name.`,
          `${s}.token_type`,
        );
      }
      return { type: 'CUSTOM', customType: type, rawOutput: withoutTokenType(state) };
  }
}

function saml2Output(state: Obj, inputType: string): TokenOutputRequest {
  const s = 'output_token_state';
  const sc = get(state, 'subject_confirmation');
  let subjectConfirmation: SubjectConfirmationMethod = 'BEARER';
  if (sc !== undefined && sc !== null) {
    if (typeof sc !== 'string' || !(SUBJECT_CONFIRMATIONS as readonly string[]).includes(sc)) {
      throw new BadUserInputError(
        `Invalid subject_confirmation ${show(sc)}: use BEARER, SENDER_VOUCHES or HOLDER_OF_KEY.`,
        `${s}.subject_confirmation`,
      );
    }
    subjectConfirmation = sc as SubjectConfirmationMethod;
  }
  if (subjectConfirmation !== 'HOLDER_OF_KEY') return { type: 'SAML2', subjectConfirmation };

  const proof = get(state, 'proof_token_state');
  if (proof === undefined || proof === null) {
    // X509 input: the certificate whose key the caller just proved is the natural confirmation key.
    if (inputType === 'X509') return { type: 'SAML2', subjectConfirmation };
    throw new BadUserInputError(HOK_PROOF_MESSAGE, `${s}.proof_token_state`);
  }
  const field = `${s}.proof_token_state`;
  if (!isObject(proof)) {
    // The common mistake (AM-STS-NOTES §10.1): the certificate sent as a bare string.
    throw new BadUserInputError(
      'proof_token_state must be an object {"base64EncodedCertificate": "<base64 DER X.509 certificate>"}, not a bare value.',
      field,
    );
  }
  const cert = get(proof, 'base64EncodedCertificate');
  if (cert === undefined || cert === null) {
    throw new BadUserInputError(
      'proof_token_state must contain base64EncodedCertificate (the base64 DER X.509 certificate of the key holder).',
      `${field}.base64EncodedCertificate`,
    );
  }
  return { type: 'SAML2', subjectConfirmation, proofCertificate: checkTokenString(cert, `${field}.base64EncodedCertificate`) };
}

/** validate and cancel: `{token_type, saml2_token | oidc_id_token | token}`. */
function issuedTokenState(state: Obj, stateName: string): { type: string; token: string; customType?: string; label: string } {
  const type = tokenType(state, stateName);
  if (type === 'SAML2') return { type, label: type, token: tokenString(state, 'saml2_token', `${stateName}.saml2_token`) };
  if (type === 'OPENIDCONNECT') return { type, label: type, token: tokenString(state, 'oidc_id_token', `${stateName}.oidc_id_token`) };
  if (isCustomTypeName(type)) {
    return { type: 'CUSTOM', customType: type, label: type, token: tokenString(state, 'token', `${stateName}.token`) };
  }
  throw new BadUserInputError(
    `Tokens of type ${show(type)} are not issued by an STS instance; validate and cancel take SAML2, OPENIDCONNECT or a custom token type.`,
    `${stateName}.token_type`,
  );
}

// ---------------------------------------------------------------------------------------------------------------

const BASE_HEADERS = { 'Cache-Control': 'no-store' } as const;

function errorBody(status: number, reason: string, message: string, code: ErrorCode, field?: string): unknown {
  return { code: status, reason, message, detail: field ? { code, field } : { code } };
}

/** PingAM's CREST error body for any thrown value; anything not a public TesseraError is masked as INTERNAL. */
export function restError(err: unknown): RestStsResponse {
  if (err instanceof TesseraError && err.code !== 'INTERNAL') {
    const { status, reason } = ERROR_TABLE[err.code];
    const headers: Record<string, string> = { ...BASE_HEADERS };
    if (err.code === 'RATE_LIMITED') {
      // RFC 9110 10.2.3: delay-seconds, a non-negative integer; round up so a client never retries early.
      const after = typeof err.retryAfter === 'number' && Number.isFinite(err.retryAfter) ? Math.max(1, Math.ceil(err.retryAfter)) : 1;
      headers['Retry-After'] = String(after);
    }
    return { status, headers, body: errorBody(status, reason, err.message, err.code, err.field) };
  }
  const { status, reason } = ERROR_TABLE.INTERNAL;
  return { status, headers: { ...BASE_HEADERS }, body: errorBody(status, reason, INTERNAL_MESSAGE, 'INTERNAL'), internalError: err };
}

function rawBodyResponse(kind: RawBodyError): RestStsResponse {
  const { reason: badRequest } = ERROR_TABLE.BAD_USER_INPUT;
  switch (kind) {
    case 'TOO_LARGE':
      return { status: 413, headers: { ...BASE_HEADERS }, body: errorBody(413, 'Payload Too Large', 'The request body is too large.', 'BAD_USER_INPUT') };
    case 'BAD_CONTENT_TYPE':
      return {
        status: 415,
        headers: { ...BASE_HEADERS },
        body: errorBody(415, 'Unsupported Media Type', 'The request body must be JSON (Content-Type: application/json).', 'BAD_USER_INPUT'),
      };
    case 'BAD_JSON':
    default:
      return { status: 400, headers: { ...BASE_HEADERS }, body: errorBody(400, badRequest, 'The request body is not valid JSON.', 'BAD_USER_INPUT') };
  }
}

function ok(body: unknown): RestStsResponse {
  return { status: 200, headers: { ...BASE_HEADERS }, body };
}

async function dispatch(args: RestStsRequest): Promise<RestStsResponse> {
  const { action, instanceName, engine, request } = args;
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
      const inType = tokenType(inputState, 'input_token_state');
      const outType = tokenType(outputState, 'output_token_state');
      const input = translateInput(inputState, args.offload, outType);
      const output = translateOutput(outputState, inType === 'OPENAM' ? 'SESSION' : inType);
      const issued = await engine.translate(instanceName, input, output, request);
      return ok({ issued_token: issued.token });
    }
    case 'validate': {
      const t = issuedTokenState(stateObject(body, 'validated_token_state'), 'validated_token_state');
      const result = await engine.validate(instanceName, t.type, t.token, request, t.customType);
      return ok({ token_valid: result.valid === true });
    }
    case 'cancel': {
      const t = issuedTokenState(stateObject(body, 'cancelled_token_state'), 'cancelled_token_state');
      const cancelled = await engine.cancel(instanceName, t.type, t.token, request, t.customType);
      // The engine promises true or INVALID_TOKEN; a false is treated as "not cancelled", never as success.
      if (!cancelled) throw new InvalidTokenError('The token could not be cancelled.');
      return ok({ result: `${t.label} token cancelled successfully.` });
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

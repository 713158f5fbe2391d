/**
 * The RFC 8693 token endpoint (API.md §7) as a mapping onto the one engine: form parameters → client
 * authentication → the instance → token types → the kinds' envelopes → Engine.translate → the §2.2.1 answer.
 * Every refusal is a TesseraError, shown as RFC 6749 §5.2 JSON by oauthError (http/errors.ts) from the one
 * error table. Nothing here verifies a token: the kinds' validators do, as for every other door.
 *
 * Forms are parsed with the WHATWG URLSearchParams of the platform (application/x-www-form-urlencoded is
 * defined by that standard), after a size bound; repeats are refused here, as RFC 6749 §3.1 requires.
 */
import { BadUserInputError, ForbiddenError, InvalidTokenError, UnsupportedTransformError } from '../engine/errors.js';
import { exchangeOf, isResourceIndicator, JWT_TOKEN_TYPE, requestedAudiences, tokenEndpointOf, TOKEN_EXCHANGE_GRANT } from '../engine/exchange.js';
import type { FieldSpec, TokenKind } from '../engine/kind.js';
import type { TokenRegistry } from '../engine/registry.js';
import { CUSTOM, type Clock, type PublishedInstance, type RequestContext, type TokenEngine, type TokenEnvelope } from '../engine/types.js';
import { clientCaller, presentedCredentials, type ClientAuthenticator } from '../clients/client-auth.js';
import { NO_STORE, oauthError, type HttpAnswer } from './errors.js';

/** Parameters that may be repeated (RFC 8693 §2.1); every other one appears at most once. */
const REPEATABLE = new Set(['audience', 'resource']);
const MAX_PARAMETERS = 64;
const MAX_AUDIENCES = 16;
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface TokenEndpointDeps {
  engine: TokenEngine;
  registry: TokenRegistry;
  instances: { get(name: string): Promise<PublishedInstance | null>; all(): Promise<PublishedInstance[]> };
  clientAuth: ClientAuthenticator;
  clock: Clock;
  /** TESSERA_PUBLIC_URL without a trailing slash. */
  publicUrl: string;
}

export interface TokenRequest {
  /** From the path `/sts/<instance>/token`; absent for `POST /token`. */
  instanceName?: string;
  /** The media type, lower case, without parameters. */
  contentType: string;
  body: Buffer | 'TOO_LARGE';
  authorization?: string;
  clientAddress: string;
  headers?: Record<string, string | string[] | undefined>;
}

interface Form {
  single: Map<string, string>;
  audience: string[];
  resource: string[];
}

/** RFC 6749 §3.1: a parameter sent without a value is treated as omitted; none may be repeated. */
function parseForm(req: TokenRequest): Form {
  if (req.body === 'TOO_LARGE') throw new BadUserInputError('The request body is too large.');
  if (req.contentType !== 'application/x-www-form-urlencoded') {
    throw new BadUserInputError('The token endpoint takes application/x-www-form-urlencoded (RFC 6749 §3.2).');
  }
  const text = req.body.toString('utf8');
  if (text.includes('\uFFFD')) throw new BadUserInputError('The request body is not UTF-8.');
  const params = new URLSearchParams(text);
  const single = new Map<string, string>();
  const audience: string[] = [];
  const resource: string[] = [];
  let count = 0;
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (++count > MAX_PARAMETERS) throw new BadUserInputError(`The request has more than ${MAX_PARAMETERS} parameters.`);
    if (value === '') continue;
    if (name === 'audience') audience.push(value);
    else if (name === 'resource') resource.push(value);
    else {
      if (seen.has(name)) throw new BadUserInputError('is repeated; it may appear once (RFC 6749 §3.1).', name);
      seen.add(name);
      single.set(name, value);
    }
  }
  for (const name of REPEATABLE) {
    const list = name === 'audience' ? audience : resource;
    if (list.length > MAX_AUDIENCES) throw new BadUserInputError(`may be given at most ${MAX_AUDIENCES} times.`, name);
  }
  resource.forEach((r) => {
    // RFC 8707 §2: an absolute URI without a fragment.
    if (!isResourceIndicator(r)) throw new BadUserInputError('must be an absolute URI without a fragment (RFC 8707 §2).', 'resource', 'invalid_target');
  });
  return { single, audience, resource };
}

/** POST /token: the one instance whose tokenExchange audiences or resources hold every requested value. */
async function pickInstance(deps: TokenEndpointDeps, wanted: string[]): Promise<PublishedInstance> {
  if (wanted.length === 0) {
    throw new BadUserInputError('POST /token needs an audience or resource that names the instance; or use POST /sts/<instance>/token.', 'audience', 'invalid_target');
  }
  const fits = (await deps.instances.all()).filter((i) => {
    const ex = exchangeOf(i.config);
    const names = new Set([...(ex?.audiences ?? []), ...(ex?.resources ?? [])]);
    return ex !== undefined && wanted.every((w) => names.has(w));
  });
  if (fits.length === 0) throw new BadUserInputError('No instance issues tokens for the requested audience and resource.', 'audience', 'invalid_target');
  if (fits.length > 1) {
    throw new BadUserInputError('More than one instance issues tokens for the requested audience and resource; use POST /sts/<instance>/token.', 'audience', 'invalid_target');
  }
  return fits[0]!;
}

/** The kind an RFC 8693 token-type URI names; `jwt` is decided by the token's `typ` header. */
function kindOfTokenType(registry: TokenRegistry, uri: string, token: string, param: string): TokenKind {
  if (uri === JWT_TOKEN_TYPE) {
    const typ = jwtTyp(token);
    const kind = registry.all().find((k) => k.jwtTypes?.includes(typ));
    if (!kind) throw new InvalidTokenError(`The ${param.replace('_type', '')} is not a JWT of a kind this server reads (typ ${JSON.stringify(typ.slice(0, 32))}).`);
    return kind;
  }
  const kind = registry.byTokenTypeUri(uri);
  if (!kind) throw new BadUserInputError(`${JSON.stringify(uri.slice(0, 128))} is not a token type this server knows.`, param);
  return kind;
}

/** The `typ` header of a compact JWS, lower case ('' when absent); INVALID_TOKEN when it is not one. */
function jwtTyp(token: string): string {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot > 4096) throw new InvalidTokenError('The token is not a compact JWT.');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
  } catch {
    throw new InvalidTokenError('The token is not a compact JWT.');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new InvalidTokenError('The token is not a compact JWT.');
  const typ = (header as Record<string, unknown>).typ;
  if (typ === undefined) return '';
  if (typeof typ !== 'string') throw new InvalidTokenError('The JWT typ header is not a string.');
  return typ.toLowerCase();
}

/** The token as the kind's validator reads it: SAML arrives as base64url of the XML (RFC 8693 §3). */
function decodeToken(kind: TokenKind, token: string, param: string): string {
  if (kind.tokenEncoding !== 'base64url') return token;
  // RFC 4648 §5, padding tolerated; anything else is refused rather than decoded leniently.
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) throw new BadUserInputError('must be base64url (RFC 4648 §5) for this token type.', param);
  return Buffer.from(token, 'base64url').toString('utf8');
}

function encodeToken(kind: TokenKind, token: string): string {
  return kind.tokenEncoding === 'base64url' ? Buffer.from(token, 'utf8').toString('base64url') : token;
}

/** The validator field that carries the token itself: the one the kind names `subject_token` at this door. */
function tokenField(kind: TokenKind, param: string): FieldSpec {
  const fields = kind.validator?.fields ?? [];
  const f = fields.find((x) => x.oauth === 'subject_token');
  if (!f || fields.some((x) => x !== f && x.required)) {
    throw new BadUserInputError(`${kind.name} tokens cannot be exchanged at the token endpoint (they are more than one token string).`, param);
  }
  return f;
}

function inputEnvelope(kind: TokenKind, token: string, param: string): TokenEnvelope {
  return { type: kind.name, [tokenField(kind, param).key]: decodeToken(kind, token, param) };
}

/** Kinds this instance takes and issues, by its transforms. */
function transformsOf(registry: TokenRegistry, instance: PublishedInstance): Array<{ input: TokenKind; output: TokenKind }> {
  const out: Array<{ input: TokenKind; output: TokenKind }> = [];
  for (const t of instance.config.transforms) {
    const input = registry.kind(t.input === CUSTOM && t.customInput ? t.customInput : t.input);
    const output = registry.kind(t.output === CUSTOM && t.customOutput ? t.customOutput : t.output);
    if (input && output) out.push({ input, output });
  }
  return out;
}

/** RFC 8693 §2.1 `requested_token_type`, defaulted as API.md §7 says. */
function requestedKind(registry: TokenRegistry, instance: PublishedInstance, requested: string | undefined): { kind: TokenKind; uri: string } {
  const outputs = [...new Set(transformsOf(registry, instance).map((t) => t.output))];
  const issues = (k: TokenKind | undefined) => k !== undefined && outputs.includes(k);
  const accessToken = registry.byTokenTypeUri(ACCESS_TOKEN_TYPE);
  if (requested === undefined) {
    if (issues(accessToken)) return { kind: accessToken!, uri: ACCESS_TOKEN_TYPE };
    const withUri = outputs.filter((k) => k.tokenTypeUri);
    if (withUri.length === 1) return { kind: withUri[0]!, uri: withUri[0]!.tokenTypeUri! };
    throw new BadUserInputError(
      `is required: this instance issues ${withUri.map((k) => k.tokenTypeUri).join(', ') || 'no token type the token endpoint can name'}.`,
      'requested_token_type',
    );
  }
  if (requested === JWT_TOKEN_TYPE) {
    const jwt = outputs.find((k) => k === accessToken) ?? outputs.find((k) => k.jwtTypes?.length);
    if (!jwt) throw new BadUserInputError('names a JWT, which this instance does not issue.', 'requested_token_type');
    return { kind: jwt, uri: JWT_TOKEN_TYPE };
  }
  const kind = registry.byTokenTypeUri(requested);
  if (!kind) throw new BadUserInputError(`${JSON.stringify(requested.slice(0, 128))} is not a token type this server knows.`, 'requested_token_type');
  if (!issues(kind)) throw new BadUserInputError(`${requested} is not a token type this instance issues.`, 'requested_token_type');
  return { kind, uri: requested };
}

/** The kind of a subject or actor token, which the instance must take as input. */
function presentedKind(registry: TokenRegistry, instance: PublishedInstance, uri: string, token: string, param: string): TokenKind {
  const kind = kindOfTokenType(registry, uri, token, param);
  const inputs = transformsOf(registry, instance).map((t) => t.input);
  if (!inputs.includes(kind)) throw new BadUserInputError(`${uri} is not a token type this instance accepts.`, param);
  return kind;
}

function required(form: Form, name: string): string {
  const v = form.single.get(name);
  if (v === undefined) throw new BadUserInputError('is required.', name);
  return v;
}

/** The whole exchange; never throws (every failure is an RFC 6749 §5.2 answer). */
export async function handleTokenRequest(deps: TokenEndpointDeps, req: TokenRequest): Promise<HttpAnswer> {
  try {
    return await exchange(deps, req);
  } catch (e) {
    return oauthError(e, { basicAuth: true });
  }
}

async function exchange(deps: TokenEndpointDeps, req: TokenRequest): Promise<HttpAnswer> {
  const form = parseForm(req);
  const presented = presentedCredentials(req.authorization, form.single);

  // The instance is found before the client is authenticated (a client assertion may name its issuer as
  // audience), but a failure to find it is reported only to an authenticated client.
  let instance: PublishedInstance | null = null;
  let targetError: unknown;
  try {
    if (req.instanceName !== undefined) instance = await deps.instances.get(req.instanceName);
    else instance = await pickInstance(deps, [...form.audience, ...form.resource]);
  } catch (e) {
    targetError = e;
  }
  const endpoint = req.instanceName !== undefined ? tokenEndpointOf(deps.publicUrl, req.instanceName) : `${deps.publicUrl}/token`;
  const audiences = [endpoint, ...(instance ? [`${deps.publicUrl}/sts/${instance.config.name}`, tokenEndpointOf(deps.publicUrl, instance.config.name)] : [])];
  const client = await deps.clientAuth.authenticate(presented, { audiences, clientAddress: req.clientAddress });
  if (targetError) throw targetError;

  const grant = required(form, 'grant_type');
  if (grant !== TOKEN_EXCHANGE_GRANT) {
    throw new BadUserInputError(`${JSON.stringify(grant.slice(0, 128))} is not supported; the token endpoint offers ${TOKEN_EXCHANGE_GRANT}.`, 'grant_type', 'unsupported_grant_type');
  }
  if (!instance) throw new BadUserInputError(`Unknown instance ${req.instanceName}.`, undefined, 'invalid_target');
  const name = instance.config.name;
  if (!exchangeOf(instance.config)) throw new ForbiddenError(`Instance ${name} does not offer token exchange (it has no tokenExchange configuration).`);
  if (!client.instances.includes(name)) throw new ForbiddenError(`Client ${client.clientId} may not use instance ${name}.`);

  const subjectToken = required(form, 'subject_token');
  const subjectType = required(form, 'subject_token_type');
  const actorToken = form.single.get('actor_token');
  const actorType = form.single.get('actor_token_type');
  if (actorToken !== undefined && actorType === undefined) throw new BadUserInputError('is required with actor_token (RFC 8693 §2.1).', 'actor_token_type');
  if (actorToken === undefined && actorType !== undefined) throw new BadUserInputError('is given without actor_token.', 'actor_token_type');

  const subjectKind = presentedKind(deps.registry, instance, subjectType, subjectToken, 'subject_token_type');
  const actorKind = actorToken !== undefined ? presentedKind(deps.registry, instance, actorType!, actorToken, 'actor_token_type') : undefined;
  const { kind: outKind, uri: issuedType } = requestedKind(deps.registry, instance, form.single.get('requested_token_type'));
  if (!transformsOf(deps.registry, instance).some((t) => t.input === subjectKind && t.output === outKind)) {
    throw new UnsupportedTransformError(subjectKind.name, outKind.name);
  }

  const output: TokenEnvelope = { type: outKind.name };
  const outFields = outKind.provider?.fields ?? [];
  // RFC 8693 §3: urn:ietf:params:oauth:token-type:saml2 is the assertion itself, never a samlp:Response around it,
  // whatever the instance's envelope setting for its other doors.
  if (outFields.some((f) => f.key === 'envelope')) output.envelope = false;
  const wanted = [...form.audience, ...form.resource];
  if (wanted.length > 0) {
    if (outFields.some((f) => f.key === 'audience')) output.audience = wanted;
    // A kind that names no audience still may not be asked for one the instance does not allow.
    else requestedAudiences(instance.config, wanted, [], []);
  }
  const scope = form.single.get('scope');
  if (scope !== undefined) {
    if (!outFields.some((f) => f.key === 'scope')) throw new BadUserInputError(`${outKind.name} tokens carry no scope.`, 'scope', 'invalid_scope');
    output.scope = scope;
  }

  const request: RequestContext = { caller: clientCaller(client), clientAddress: req.clientAddress, headers: req.headers, door: 'oauth' };
  const issued = await deps.engine.translate(
    name,
    inputEnvelope(subjectKind, subjectToken, 'subject_token'),
    output,
    request,
    actorKind ? { actor: inputEnvelope(actorKind, actorToken!, 'actor_token') } : {},
  );
  const now = deps.clock.now().getTime();
  const body: Record<string, unknown> = {
    access_token: encodeToken(outKind, issued.token),
    issued_token_type: issuedType,
    token_type: outKind.provider?.oauthTokenType ?? 'N_A',
    expires_in: Math.max(0, Math.floor((issued.expiresAt.getTime() - now) / 1000)),
  };
  if (issued.scope !== undefined) body.scope = issued.scope;
  return { status: 200, headers: { ...NO_STORE, Pragma: 'no-cache' }, body };
}

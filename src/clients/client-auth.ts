/**
 * Client authentication at the token endpoint (RFC 6749 §2.3, RFC 7523 §2.2, API.md §7): exactly one method
 * per request — HTTP Basic (`client_secret_basic`), `client_id` + `client_secret` in the body
 * (`client_secret_post`) or a signed JWT assertion (`private_key_jwt`) — and it must be the method the client
 * is registered with. Any failure is `invalid_client` (401) with one message that does not say whether the
 * client exists; a malformed or ambiguous request is `invalid_request`. Failures are audited.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify, errors as joseErrors } from 'jose';
import { BadUserInputError, publicCode, UnauthenticatedError } from '../engine/errors.js';
import type { AuditSink, Caller, Clock, ReplayStore } from '../engine/types.js';
import { CLIENT_ASSERTION_ALGORITHMS } from './client-jwks.js';
import { secretMatches, type ClientAuthMethod, type ClientRecord, type ClientService } from './clients.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/**
 * How far ahead a client assertion may expire (RFC 7523 §3 leaves it to the server): an hour, which is what
 * common client libraries (Authlib) sign by default. Its jti is single use whatever the lifetime.
 */
const MAX_ASSERTION_LIFETIME_S = 3600;
const CLOCK_SKEW_S = 30;
const ASSERTION_ALGORITHMS = [...new Set(Object.values(CLIENT_ASSERTION_ALGORITHMS).flat())];

export interface PresentedCredentials {
  method: ClientAuthMethod;
  clientId: string;
  secret?: string;
  assertion?: string;
}

const FAILED = 'Client authentication failed.';

/** RFC 6749 §2.3.1: the id and secret are form-urlencoded before they are joined for Basic. */
function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new UnauthenticatedError('The Authorization header is not valid Basic credentials (RFC 6749 §2.3.1).');
  }
}

/**
 * The one authentication method a request uses. `params` holds single-valued body parameters (repeats were
 * already refused); `authorization` is the header as sent.
 */
export function presentedCredentials(authorization: string | undefined, params: ReadonlyMap<string, string>): PresentedCredentials {
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  const assertion = params.get('client_assertion');
  const assertionType = params.get('client_assertion_type');
  const methods: PresentedCredentials[] = [];
  if (authorization !== undefined) {
    const m = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(authorization);
    if (!m) {
      throw new UnauthenticatedError('The token endpoint takes client credentials as HTTP Basic (client_secret_basic), in the body (client_secret_post) or as a client assertion (private_key_jwt).');
    }
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new UnauthenticatedError('The Authorization header is not valid Basic credentials (RFC 6749 §2.3.1).');
    methods.push({ method: 'client_secret_basic', clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) });
  }
  if (bodySecret !== undefined) {
    if (bodyId === undefined) throw new BadUserInputError('is required with client_secret.', 'client_id');
    methods.push({ method: 'client_secret_post', clientId: bodyId, secret: bodySecret });
  }
  if (assertion !== undefined || assertionType !== undefined) {
    if (assertionType !== JWT_BEARER_ASSERTION) throw new BadUserInputError(`must be ${JWT_BEARER_ASSERTION} (RFC 7523 §2.2).`, 'client_assertion_type');
    if (assertion === undefined) throw new BadUserInputError('is required with client_assertion_type.', 'client_assertion');
    let sub: unknown;
    try {
      const claims = decodeJwt(assertion);
      sub = claims.sub ?? claims.iss;
    } catch {
      throw new UnauthenticatedError('The client assertion is not a JWT.');
    }
    if (typeof sub !== 'string' || sub === '') throw new UnauthenticatedError('The client assertion names no client (sub).');
    methods.push({ method: 'private_key_jwt', clientId: sub, assertion });
  }
  // RFC 6749 §2.3: a client MUST NOT use more than one authentication method in each request.
  if (methods.length > 1) throw new BadUserInputError(`uses ${methods.map((m) => m.method).join(' and ')}; use one client authentication method per request (RFC 6749 §2.3).`, 'client authentication');
  const only = methods[0];
  if (!only) throw new UnauthenticatedError('The token endpoint needs client authentication: HTTP Basic, client_id and client_secret, or a client assertion.');
  if (bodyId !== undefined && bodyId !== only.clientId) throw new BadUserInputError('differs from the authenticated client.', 'client_id');
  return only;
}

export class ClientAuthenticator {
  constructor(
    private readonly deps: { clients: ClientService; replay: ReplayStore; audit?: AuditSink; clock: Clock },
  ) {}

  /**
   * The authenticated client. `audiences`: what a client assertion's `aud` may name (the token endpoint URL
   * and the instance's issuer).
   */
  async authenticate(presented: PresentedCredentials, ctx: { audiences: readonly string[]; clientAddress: string }): Promise<ClientRecord> {
    try {
      const client = await this.deps.clients.find(presented.clientId);
      if (presented.method === 'private_key_jwt') {
        if (!client || client.authMethod !== 'private_key_jwt' || !client.jwks) throw new UnauthenticatedError(FAILED);
        await this.verifyAssertion(client, presented.assertion!, ctx.audiences);
        return client;
      }
      // Compared even for an unknown client or a client of another method, so timing tells nothing.
      const ok = secretMatches(presented.secret ?? '', client?.secretHash ?? null);
      if (!client || !ok || client.authMethod !== presented.method) throw new UnauthenticatedError(FAILED);
      return client;
    } catch (e) {
      await this.deps.audit?.record({
        action: 'clientAuthentication',
        target: presented.clientId.slice(0, 128),
        outcome: publicCode(e),
        clientAddress: ctx.clientAddress,
        detail: { method: presented.method },
      });
      throw e;
    }
  }

  private async verifyAssertion(client: ClientRecord, assertion: string, audiences: readonly string[]): Promise<void> {
    const now = this.deps.clock.now();
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks as Parameters<typeof createLocalJWKSet>[0]), {
        algorithms: ASSERTION_ALGORITHMS,
        issuer: client.clientId,
        subject: client.clientId,
        audience: [...audiences],
        requiredClaims: ['exp', 'jti'],
        currentDate: now,
        clockTolerance: CLOCK_SKEW_S,
      }));
    } catch (e) {
      if (e instanceof joseErrors.JOSEError) throw new UnauthenticatedError(`${FAILED} The client assertion does not verify (${assertionProblem(e)}).`);
      throw e;
    }
    const exp = payload.exp!;
    const nowS = Math.floor(now.getTime() / 1000);
    if (exp > nowS + MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S) {
      throw new UnauthenticatedError(`${FAILED} The client assertion expires more than ${MAX_ASSERTION_LIFETIME_S} s from now.`);
    }
    const jti = payload.jti!;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new UnauthenticatedError(`${FAILED} The client assertion's jti is not a string of 1 to 256 characters.`);
    // RFC 7523 §3 item 7: a jti is used once; remembered until the assertion expires (across processes).
    const fresh = await this.deps.replay.useOnce(`client-assertion:${client.clientId}`, jti, new Date((exp + CLOCK_SKEW_S) * 1000));
    if (!fresh) throw new UnauthenticatedError(`${FAILED} The client assertion was already used (jti).`);
  }
}

/** Which check a client assertion failed, without echoing its content. */
function assertionProblem(e: InstanceType<typeof joseErrors.JOSEError>): string {
  if (e instanceof joseErrors.JWTExpired) return 'expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `claim ${e.claim} ${e.reason === 'missing' ? 'missing' : 'not accepted'}`;
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (e instanceof joseErrors.JWKSNoMatchingKey || e instanceof joseErrors.JWKSMultipleMatchingKeys) return 'no single registered key matches';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  return 'malformed';
}

/** The caller an authenticated client is: its roles answer callerRoles, its id is the sender of sender-vouches. */
export function clientCaller(client: ClientRecord): Caller {
  return { userId: `client:${client.clientId}`, username: client.clientId, roles: [...client.roles], clientId: client.clientId, scopes: [...client.scopes] };
}

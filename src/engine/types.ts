/**
 * Contracts of the token engine. Doors (GraphQL, REST, …) translate their wire format into these types; token
 * kinds (src/tokens/<kind>/, and plugins) implement the validator and provider contracts of engine/kind.ts.
 * Nothing here imports a library.
 */
import type { KeyObject } from 'node:crypto';

/** The GraphQL `TokenType` value, transform input/output and REST `token_type` that stand for a plugin's kind. */
export const CUSTOM = 'CUSTOM';
/** Names a custom token type may not take (PingAM's OPENAM is an alias of SESSION). */
export const RESERVED_TOKEN_NAMES = ['USERNAME', 'OPENAM', 'SESSION', 'X509', 'OPENIDCONNECT', 'SAML2', 'ACCESS_TOKEN', 'CUSTOM'];
export const CUSTOM_TOKEN_TYPE_PATTERN = /^[A-Z][A-Z0-9_]{0,31}$/;

export type SubjectConfirmationMethod = 'BEARER' | 'HOLDER_OF_KEY' | 'SENDER_VOUCHES';
export type Attributes = Record<string, string | string[]>;
export type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Instance configuration: the core fields, plus one section per token-kind concern (saml2, oidc, oidcTrust,
// x509Trust, …), each parsed and checked at publish by the kind that owns it (engine/instance-config.ts).
// ---------------------------------------------------------------------------------------------
export interface TransformConfig {
  /** A kind name, or CUSTOM with `customInput` naming a plugin's kind. */
  input: string;
  /** A kind name, or CUSTOM with `customOutput` naming a plugin's kind. */
  output: string;
  invalidateInterimSession: boolean;
  customInput?: string;
  customOutput?: string;
}

export interface InstanceConfig {
  name: string;
  transforms: TransformConfig[];
  persistIssuedTokens: boolean;
  callerRoles?: string[];
  /** PingAM realm the instance answers in on the REST door (`/alpha`); absent for the root realm (engine/realm.ts). */
  realm?: string;
  /** Sections owned by token kinds, by section key; read them through the owning kind's accessor. */
  [section: string]: unknown;
}

/** A published instance as the engine sees it. `id` is internal and changes when a name is republished. */
export interface PublishedInstance {
  id: string;
  config: InstanceConfig;
  createdAt: Date;
  updatedAt: Date;
}

/** The registry names of a transform's input and output kinds. */
export function transformKinds(t: TransformConfig): { input: string; output: string } {
  return {
    input: t.input === CUSTOM && t.customInput ? t.customInput : t.input,
    output: t.output === CUSTOM && t.customOutput ? t.customOutput : t.output,
  };
}

// ---------------------------------------------------------------------------------------------
// The open envelope: a door names the kind (its registry name) and passes the kind's fields, as the kind's
// field table names them. The engine checks names, sizes and defaults once, then hands the envelope to the
// kind (engine/fields.ts).
// ---------------------------------------------------------------------------------------------
export interface TokenEnvelope {
  /** Registry name of the kind: USERNAME, OPENIDCONNECT, X509, SESSION, SAML2, ACCESS_TOKEN or a plugin's type. */
  type: string;
  [field: string]: unknown;
}

/**
 * How the subject authenticated originally. Each validator says what it knows, so providers never decide from
 * the input type: OIDC `auth_time`/`acr`/`amr` and SAML `AuthnInstant`/`AuthnContextClassRef` read this.
 */
export interface Authentication {
  /** When the subject authenticated (login, the input token's auth_time or iat, the proof's iat). */
  instant: Date;
  /** RFC 8176 method values Tessera itself observed (`pwd`, `pop`); absent when only an upstream party knows. */
  methods?: string[];
  /** SAML authn-context class of that method (saml-authn-context-2.0 §3.4), which the OIDC `acr` repeats. */
  contextClass?: string;
  /**
   * The class a SAML AuthnStatement names when `contextClass` is not known (a SAML AuthnStatement must name one;
   * an ID token states nothing): PingAM's default mapping for the input kind.
   */
  assumedContextClass?: string;
}

/** A delegation actor (RFC 8693 §4.1): who acts for the subject, with its own actor chain. */
export interface Actor {
  sub: string;
  iss?: string;
  act?: Actor;
}

/** What a validator proves about the presenter of a token. Nothing downstream reads the raw token. */
export interface VerifiedSubject {
  /** Local username (USERNAME, SESSION), `sub` (OIDC), certificate CN (X509), or what a custom validator returns. */
  name: string;
  attributes: Attributes;
  /** Registry name of the input kind. */
  inputType: string;
  authn: Authentication;
  /** X509 input: the proven leaf certificate as base64 DER (HOLDER_OF_KEY default). */
  certificateDer?: string;
  /** SESSION input: the session's internal id, ended when the transform says so. */
  sessionId?: string;
  /** The issuer that vouched for the subject (an upstream `iss`), when there is one. */
  issuer?: string;
  /** The input token's own actor chain (`act`), kept when the subject is exchanged again. */
  act?: Actor;
  /** RFC 8693 §4.4: who the subject token allows to act for it (`may_act`). */
  mayAct?: { sub?: string; iss?: string };
}

/** The authenticated caller of an operation: a session's user, or an OAuth client at the token endpoint. */
export interface Caller {
  userId: string;
  username: string;
  roles: string[];
  /** The session that authenticated the caller; absent for an OAuth client. */
  sessionId?: string;
  /** Set when the caller is an OAuth client (RFC 8693 door). */
  clientId?: string;
  /** An OAuth client's scopes: what it may request (absent for a session's user). */
  scopes?: string[];
}

export type Door = 'graphql' | 'rest' | 'oauth';

export interface RequestContext {
  caller: Caller | null;
  /** The socket's remote address (never X-Forwarded-For). */
  clientAddress: string;
  /** Request headers (lower-case names): the X.509 validator reads a TLS offloader's header from them. */
  headers?: Record<string, string | string[] | undefined>;
  /** Which door the request came through: error field names follow its wire names. */
  door: Door;
  /**
   * The realm the request's path names (`/` = root; engine/realm.ts), when the door has realm paths: the instance
   * must be in it (PingAM serves `rest-sts/<realm>/<instance>` only for that realm's instances).
   */
  realm?: string;
}

export interface IssuedToken {
  token: string;
  /** Registry name of the output kind. */
  type: string;
  tokenId: string;
  subject: string;
  issuedAt: Date;
  expiresAt: Date;
  /** The scope an access token carries (RFC 6749 §3.3), for the token endpoint's `scope` member. */
  scope?: string;
}

export type ValidationReason = 'EXPIRED' | 'CANCELLED' | 'BAD_SIGNATURE' | 'UNKNOWN' | 'MALFORMED';

export interface TokenValidationResult {
  valid: boolean;
  reason?: ValidationReason;
  subject?: string;
  expiresAt?: Date;
  tokenId?: string;
}

// ---------------------------------------------------------------------------------------------
// Services handed to the engine and to token kinds (implemented over the database; faked in unit tests).
// ---------------------------------------------------------------------------------------------
export interface SigningKey {
  kid: string;
  /** JWS algorithm the key is bound to: RS256, RS512, PS256, ES256, EdDSA. */
  algorithm: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The key's self-signed certificate, PEM. */
  certificatePem: string;
  /** The same certificate, base64 DER (for ds:X509Certificate). */
  certificateDer: string;
}

export interface VerificationKey {
  kid: string;
  algorithm: string;
  publicKey: KeyObject;
  jwk: Record<string, unknown>;
}

export interface KeyProvider {
  /**
   * The pinned key (when `kid` is given it must be ACTIVE or PUBLISHED and bound to the algorithm, else
   * BAD_USER_INPUT naming `signingKeyId`) or the active key for the algorithm, created on demand. Publishing
   * an instance runs the same call, so a pinned key that would fail a translate fails the publish instead.
   */
  signingKey(algorithm: string, kid?: string): Promise<SigningKey>;
  /** Public keys that verify tokens: ACTIVE and PUBLISHED ones (RFC 7517 JWKs with kid, alg, use). */
  verificationKeys(): Promise<VerificationKey[]>;
  /** Base64 DER certificates of rotated-out (PUBLISHED) keys of an algorithm, newest first. */
  publishedCertificates?(algorithm: string): Promise<string[]>;
}

export interface IdentityProvider {
  /**
   * Checks a password under the same throttle as `login` (one shared failure count per user and address).
   * Returns null for an unknown user or a wrong password (same timing); throws RateLimitedError when throttled.
   */
  verifyPassword(username: string, password: string, clientAddress: string): Promise<{ username: string; attributes: Attributes; authnInstant: Date } | null>;
  /** Resolves a live session token; null when unknown, ended or expired. */
  resolveSession(token: string): Promise<{ sessionId: string; username: string; attributes: Attributes; createdAt: Date } | null>;
  /** Ends a session; returns whether this call ended it (false: it had already ended or does not exist). */
  endSession(sessionId: string): Promise<boolean>;
}

export interface IssuedTokenRecord {
  tokenId: string;
  instanceId: string;
  instanceName: string;
  subject: string;
  type: string;
  tokenHash: string;
  issuedAt: Date;
  expiresAt: Date;
  cancelled: boolean;
  sender?: string;
}

export interface IssuedTokenStore {
  record(rec: Omit<IssuedTokenRecord, 'cancelled'>): Promise<void>;
  findByHash(instanceId: string, tokenHash: string): Promise<IssuedTokenRecord | null>;
  /** Marks cancelled; returns false when no record exists. */
  cancel(instanceId: string, tokenHash: string): Promise<boolean>;
}

export interface ReplayStore {
  /** Remembers (scope, id) until `expiresAt`; returns false when it was already used. */
  useOnce(scope: string, id: string, expiresAt: Date): Promise<boolean>;
}

export interface AuditEventInput {
  action: string;
  instance?: string;
  actor?: string;
  subject?: string;
  target?: string;
  inputType?: string;
  outputType?: string;
  outcome: string; // 'OK' or an error code
  clientAddress?: string;
  detail?: Record<string, unknown>;
}

export interface AuditSink {
  record(event: AuditEventInput): Promise<void>;
}

/** The one clock: app.ts hands the same instance to the engine, the services and every token kind. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

// ---------------------------------------------------------------------------------------------
// What validators and providers receive.
// ---------------------------------------------------------------------------------------------
export interface ValidatorContext {
  instance: PublishedInstance;
  request: RequestContext;
  now: Date;
}

export interface ProviderContext {
  instance: PublishedInstance;
  request: RequestContext;
  now: Date;
  /** Registry name of the transform's input kind. */
  inputType: string;
  /** RFC 8693 delegation: the verified actor, when an actor token came with the request. */
  actor?: VerifiedSubject;
}

/**
 * Result of checking a token this instance issued. `recordOnly` (an EncryptedAssertion, which only the SP can
 * read, or an opaque custom token): the engine decides by the issued-token record, its expiry and cancellation.
 */
export type VerifyIssuedResult =
  | { ok: true; recordOnly?: false; tokenId: string; subject: string; expiresAt: Date }
  | { ok: true; recordOnly: true }
  | { ok: false; reason: ValidationReason };

/** The one engine every door calls. */
export interface TokenEngine {
  translate(instanceName: string, input: TokenEnvelope, output: TokenEnvelope, req: RequestContext, opts?: TranslateOptions): Promise<IssuedToken>;
  /**
   * `type` names a kind that issues tokens (SAML2, OPENIDCONNECT, a plugin's type), or CUSTOM for any plugin
   * kind; anything else is BAD_USER_INPUT.
   */
  validate(instanceName: string, type: string, token: string, req: RequestContext): Promise<TokenValidationResult>;
  /** True when the token is cancelled now or already was; a token that does not verify is INVALID_TOKEN. */
  cancel(instanceName: string, type: string, token: string, req: RequestContext): Promise<boolean>;
}

export interface TranslateOptions {
  /** RFC 8693 `actor_token`, checked by its kind's validator like the subject token. */
  actor?: TokenEnvelope;
}

/**
 * Contracts of the token engine. Doors (GraphQL, REST) translate their wire format into these types;
 * validators and providers (built-in and custom) implement them. Nothing here imports a library.
 */
import type { KeyObject } from 'node:crypto';

export const BUILT_IN_TOKEN_TYPES = ['USERNAME', 'OPENIDCONNECT', 'X509', 'SESSION', 'SAML2', 'CUSTOM'] as const;
export type BuiltInTokenType = (typeof BUILT_IN_TOKEN_TYPES)[number];
/** Names a custom token type may not take (PingAM's OPENAM is an alias of SESSION). */
export const RESERVED_TOKEN_NAMES = ['USERNAME', 'OPENAM', 'SESSION', 'X509', 'OPENIDCONNECT', 'SAML2', 'CUSTOM'];
export const CUSTOM_TOKEN_TYPE_PATTERN = /^[A-Z][A-Z0-9_]{0,31}$/;

export type SubjectConfirmationMethod = 'BEARER' | 'HOLDER_OF_KEY' | 'SENDER_VOUCHES';
export type Attributes = Record<string, string | string[]>;

// ---------------------------------------------------------------------------------------------
// Instance configuration (validated at publish time; stored as JSON; never holds a secret in clear
// outside the process: client secrets are stored as given, but never returned by the API).
// ---------------------------------------------------------------------------------------------
export interface TransformConfig {
  input: BuiltInTokenType; // SAML2 never appears as input
  output: BuiltInTokenType;
  invalidateInterimSession: boolean;
  customInput?: string; // when input is CUSTOM
  customOutput?: string; // when output is CUSTOM
}

export interface Saml2PluginSelection {
  conditions?: string;
  subject?: string;
  authenticationStatements?: string;
  attributeStatements?: string;
  authorizationDecisionStatements?: string;
}

export interface Saml2Config {
  issuer: string;
  spEntityId: string;
  spAcsUrl?: string;
  nameIdFormat: string;
  attributeMap: Record<string, string>;
  lifetimeSeconds: number;
  signAssertion: boolean;
  signatureAlgorithm: string; // XML-DSig URI
  signingKeyId?: string;
  encryptAssertion: boolean;
  encryptNameId: boolean;
  encryptAttributes: boolean;
  dataEncryptionAlgorithm: string; // xmlenc URI
  keyTransportAlgorithm: string; // xmlenc URI
  spEncryptionCertificate?: string; // PEM
  plugins: Saml2PluginSelection;
}

export interface OidcConfig {
  issuer?: string; // default: <publicUrl>/sts/<instance>
  audience: string[];
  authorizedParty?: string;
  signatureAlgorithm: 'RS256' | 'RS512' | 'PS256' | 'ES256' | 'EdDSA' | 'HS256';
  signingKeyId?: string;
  clientSecret?: string; // HS256 only
  claimMap: Record<string, string>;
  lifetimeSeconds: number;
}

export interface OidcTrustConfig {
  issuer: string;
  audience: string[];
  authorizedParties?: string[];
  jwks?: { keys: Record<string, unknown>[] };
  jwksUri?: string;
  clientSecret?: string;
}

export interface X509TrustConfig {
  caCertificates: string[];
  offloadHeader?: string;
  trustedProxies?: string[];
}

export interface InstanceConfig {
  name: string;
  transforms: TransformConfig[];
  persistIssuedTokens: boolean;
  callerRoles?: string[];
  saml2?: Saml2Config;
  oidc?: OidcConfig;
  oidcTrust?: OidcTrustConfig[];
  x509Trust?: X509TrustConfig;
}

/** A published instance as the engine sees it. `id` is internal and changes when a name is republished. */
export interface PublishedInstance {
  id: string;
  config: InstanceConfig;
  createdAt: Date;
  updatedAt: Date;
}

// ---------------------------------------------------------------------------------------------
// Input and output token requests, normalized from GraphQL or REST.
// ---------------------------------------------------------------------------------------------
export type TokenInput =
  | { type: 'USERNAME'; username: string; password: string }
  | { type: 'OPENIDCONNECT'; idToken: string }
  | {
      type: 'X509';
      /** Leaf first, then up to 4 chain certificates; each PEM or base64 DER. */
      certificates: string[];
      /** Compact JWS proving possession of the leaf's key; absent when the certificate came from a trusted TLS offloader. */
      proof?: string;
      /** True when the certificate came from `x509Trust.offloadHeader` set by a trusted proxy (TLS already proved possession). */
      fromTrustedOffloader?: boolean;
    }
  | { type: 'SESSION'; sessionToken: string }
  | { type: 'CUSTOM'; customType: string; customToken: unknown; rawInput: unknown };

export type TokenOutputRequest =
  | { type: 'OPENIDCONNECT'; nonce?: string }
  | { type: 'SAML2'; subjectConfirmation: SubjectConfirmationMethod; proofCertificate?: string }
  | { type: 'CUSTOM'; customType: string; rawOutput?: unknown };

/** What a validator proves about the presenter of a token. Nothing downstream reads the raw token. */
export interface VerifiedSubject {
  /** Local username (USERNAME, SESSION), `sub` (OIDC), certificate CN (X509), or what a custom validator returns. */
  name: string;
  attributes: Attributes;
  /** Input token type name: USERNAME, OPENIDCONNECT, X509, SESSION or a custom type name. */
  inputType: string;
  /** The original authentication time (login, the input token's auth_time/iat, the proof's iat). */
  authnInstant: Date;
  /** X509 input: the proven leaf certificate as base64 DER (HOLDER_OF_KEY default). */
  certificateDer?: string;
  /** SESSION input: the session's internal id, ended after issuance when the transform says so. */
  sessionId?: string;
}

/** The authenticated caller of an operation (from `Authorization: Bearer <session>`). */
export interface Caller {
  userId: string;
  username: string;
  roles: string[];
  sessionId: string;
}

export interface RequestContext {
  caller: Caller | null;
  /** The socket's remote address (never X-Forwarded-For). */
  clientAddress: string;
  /** Request headers (lower-case names), for the X.509 offload header. */
  headers?: Record<string, string | string[] | undefined>;
  door: 'graphql' | 'rest';
}

export interface IssuedToken {
  token: string;
  type: BuiltInTokenType;
  customType?: string;
  tokenId: string;
  subject: string;
  issuedAt: Date;
  expiresAt: Date;
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
// Services handed to the engine (implemented over the database; faked in unit tests).
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

export interface KeyProvider {
  /** The pinned key (when `kid` is given, it must be ACTIVE or PUBLISHED and fit the algorithm) or the active key for the algorithm, created on demand. */
  signingKey(algorithm: string, kid?: string): Promise<SigningKey>;
  /** Public keys that verify tokens: ACTIVE and PUBLISHED ones (RFC 7517 JWKs with kid, alg, use). */
  verificationKeys(): Promise<Array<{ kid: string; algorithm: string; publicKey: KeyObject; jwk: Record<string, unknown> }>>;
}

export interface IdentityProvider {
  /**
   * Checks a password under the same throttle as `login` (one shared failure count per user and address).
   * Returns null for an unknown user or a wrong password (same timing); throws RateLimitedError when throttled.
   */
  verifyPassword(username: string, password: string, clientAddress: string): Promise<{ username: string; attributes: Attributes; authnInstant: Date } | null>;
  /** Resolves a live session token; null when unknown, ended or expired. */
  resolveSession(token: string): Promise<{ sessionId: string; username: string; attributes: Attributes; createdAt: Date } | null>;
  /** Ends a session; may return whether this call ended it (false: it had already ended or does not exist). */
  endSession(sessionId: string): Promise<boolean | void>;
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

export interface Clock {
  now(): Date;
}

// ---------------------------------------------------------------------------------------------
// Validators and providers: built-in and custom types register through the same registry.
// ---------------------------------------------------------------------------------------------
export interface ValidatorContext {
  instance: PublishedInstance;
  request: RequestContext;
  now: Date;
}

export interface TokenValidator {
  /** USERNAME, OPENIDCONNECT, X509, SESSION, or a custom type name. */
  readonly tokenType: string;
  readonly builtIn: boolean;
  validate(input: TokenInput, ctx: ValidatorContext): Promise<VerifiedSubject>;
}

export interface ProviderContext {
  instance: PublishedInstance;
  request: RequestContext;
  now: Date;
  /** The input type of the transform (USERNAME, … or custom type name). */
  inputType: string;
}

export interface TokenProvider {
  /** OPENIDCONNECT, SAML2, or a custom type name. */
  readonly tokenType: string;
  readonly builtIn: boolean;
  issue(subject: VerifiedSubject, output: TokenOutputRequest, ctx: ProviderContext): Promise<IssuedToken>;
  /**
   * Checks a token this instance issued: signature with this instance's keys and expiry (`checkExpiry`).
   * Returns the token id, subject and expiry, or a reason. Never throws for a bad token.
   */
  verifyIssued?(token: string, ctx: { instance: PublishedInstance; now: Date; checkExpiry: boolean }): Promise<VerifyIssuedResult>;
}

/**
 * Result of checking a token this instance issued. `recordOnly` (an EncryptedAssertion, which only the SP can
 * read): the engine decides by the issued-token record, its expiry and cancellation.
 */
export type VerifyIssuedResult =
  | { ok: true; recordOnly?: false; tokenId: string; subject: string; expiresAt: Date }
  | { ok: true; recordOnly: true }
  | { ok: false; reason: ValidationReason };

/** The one engine every door calls. */
export interface TokenEngine {
  translate(instanceName: string, input: TokenInput, output: TokenOutputRequest, req: RequestContext): Promise<IssuedToken>;
  /** `type` is SAML2, OPENIDCONNECT or CUSTOM (with customType); anything else is BAD_USER_INPUT. */
  validate(instanceName: string, type: string, token: string, req: RequestContext, customType?: string): Promise<TokenValidationResult>;
  /** True when the token is cancelled now or already was; a token that does not verify is INVALID_TOKEN. */
  cancel(instanceName: string, type: string, token: string, req: RequestContext, customType?: string): Promise<boolean>;
}

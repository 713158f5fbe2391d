/** The parts of the GraphQL schema (schema.graphql) the console reads. */

/** The built-in kinds; a token kind registered as a plugin adds its own name (read from the schema at run time). */
export type TokenType = 'USERNAME' | 'OPENIDCONNECT' | 'ACCESS_TOKEN' | 'X509' | 'SESSION' | 'SAML2' | 'CUSTOM' | (string & {});

export interface Transform {
  input: TokenType;
  output: TokenType;
  invalidateInterimSession: boolean;
  customInput: string | null;
  customOutput: string | null;
}

/** A SAML attribute: a user attribute's name, or the long form with its NameFormat and FriendlyName. */
export type AttributeMapping = string | { attribute: string; nameFormat?: string | null; friendlyName?: string | null };

export interface Saml2Config {
  issuer: string;
  spEntityId: string;
  spAcsUrl: string | null;
  nameIdFormat: string;
  attributeMap: Record<string, AttributeMapping>;
  lifetimeSeconds: number;
  signAssertion: boolean;
  signatureAlgorithm: string;
  signingKeyId: string | null;
  encryptAssertion: boolean;
  encryptNameId: boolean;
  encryptAttributes: boolean;
  dataEncryptionAlgorithm: string;
  keyTransportAlgorithm: string;
  spEncryptionCertificate: string | null;
  /** PEM certificates a HOLDER_OF_KEY certificate must be or be issued by; null: any acceptable one. */
  holderOfKeyTrust: string[] | null;
  plugins: Record<PluginKind, string | null>;
  /** Null on instances published before the envelope existed (off). */
  envelope: { enabled: boolean; signResponse: boolean } | null;
  /** Null: the defaults. */
  metadata: { sign: boolean; validitySeconds: number; cacheDurationSeconds: number } | null;
}

export interface AccessTokenConfig {
  issuer: string | null;
  audience: string[];
  lifetimeSeconds: number;
  signatureAlgorithm: string;
  signingKeyId: string | null;
  claimMap: Record<string, string>;
}

export interface TokenExchange {
  audiences: string[] | null;
  resources: string[] | null;
  scopes: string[] | null;
  delegation: { allowed: boolean; requireMayAct: boolean; maxChainDepth: number };
}

export interface Saml2Trust {
  issuer: string;
  certificates: string[];
  audience: string[];
  recipients: string[] | null;
  signatureAlgorithms: string[];
}

export interface OidcConfig {
  issuer: string;
  audience: string[];
  authorizedParty: string | null;
  signatureAlgorithm: string;
  signingKeyId: string | null;
  hasClientSecret: boolean;
  claimMap: Record<string, string>;
  lifetimeSeconds: number;
}

export interface OidcTrust {
  issuer: string;
  audience: string[];
  authorizedParties: string[] | null;
  jwks: unknown;
  jwksUri: string | null;
  hasClientSecret: boolean;
  acceptAccessTokens: boolean | null;
}

export interface X509Trust {
  caCertificates: string[];
  offloadHeader: string | null;
  trustedProxies: string[] | null;
}

export interface StsInstance {
  id: string;
  name: string;
  transforms: Transform[];
  persistIssuedTokens: boolean;
  callerRoles: string[] | null;
  /** PingAM realm; null for the root realm. */
  realm: string | null;
  saml2: Saml2Config | null;
  oidc: OidcConfig | null;
  oidcTrust: OidcTrust[] | null;
  x509Trust: X509Trust | null;
  accessToken: AccessTokenConfig | null;
  tokenExchange: TokenExchange | null;
  saml2Trust: Saml2Trust[] | null;
  /** Sections of token kinds the console has no editor for (plugins), by their InstanceInput name. */
  extra?: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  endpoints: { rest: string; jwks: string; openidConfiguration: string; samlMetadata: string; samlSpMetadata: string };
}

export interface Key {
  kid: string;
  algorithm: string;
  keySize: string;
  status: 'ACTIVE' | 'PUBLISHED' | 'RETIRED';
  certificate: string;
  createdAt: string;
}

export interface User {
  id: string;
  username: string;
  roles: string[];
  attributes: Record<string, string | string[]>;
}

export const PLUGIN_KINDS = ['conditions', 'subject', 'authenticationStatements', 'attributeStatements', 'authorizationDecisionStatements'] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

export interface SamlPlugin {
  name: string;
  statement: PluginKind;
  builtIn: boolean;
  description: string | null;
}

export interface CustomTokenType {
  tokenType: string;
  hasValidator: boolean;
  hasProvider: boolean;
}

export interface IssuedTokenRecord {
  tokenId: string;
  instance: string;
  subject: string;
  type: string;
  issuedAt: string;
  expiresAt: string;
  cancelled: boolean;
  sender: string | null;
  cursor: string;
}

export interface AuditEvent {
  at: string;
  action: string;
  actor: string | null;
  instance: string | null;
  subject: string | null;
  target: string | null;
  inputType: string | null;
  outputType: string | null;
  outcome: string;
  clientAddress: string | null;
  detail: Record<string, unknown> | null;
  cursor: string;
}

export interface TranslatedToken {
  token: string;
  type: TokenType;
  tokenId: string;
  subject: string;
  issuedAt: string;
  expiresAt: string;
}

export interface TokenValidation {
  valid: boolean;
  reason: string | null;
  subject: string | null;
  expiresAt: string | null;
}

export const INSTANCE_FIELDS = `
  id name persistIssuedTokens callerRoles realm createdAt updatedAt
  transforms { input output invalidateInterimSession customInput customOutput }
  saml2 { issuer spEntityId spAcsUrl nameIdFormat attributeMap lifetimeSeconds signAssertion signatureAlgorithm signingKeyId
          encryptAssertion encryptNameId encryptAttributes dataEncryptionAlgorithm keyTransportAlgorithm spEncryptionCertificate holderOfKeyTrust
          plugins { conditions subject authenticationStatements attributeStatements authorizationDecisionStatements }
          envelope { enabled signResponse } metadata { sign validitySeconds cacheDurationSeconds } }
  oidc { issuer audience authorizedParty signatureAlgorithm signingKeyId hasClientSecret claimMap lifetimeSeconds }
  oidcTrust { issuer audience authorizedParties jwks jwksUri hasClientSecret acceptAccessTokens }
  x509Trust { caCertificates offloadHeader trustedProxies }
  accessToken { issuer audience lifetimeSeconds signatureAlgorithm signingKeyId claimMap }
  tokenExchange { audiences resources scopes delegation { allowed requireMayAct maxChainDepth } }
  saml2Trust { issuer certificates audience recipients signatureAlgorithms }
  endpoints { rest jwks openidConfiguration samlMetadata samlSpMetadata }
`;

export interface OAuthClient {
  clientId: string;
  authMethod: string;
  instances: string[];
  scopes: string[];
  roles: string[];
  jwks: unknown;
  hasSecret: boolean;
  createdAt: string;
  updatedAt: string;
}

export const CLIENT_FIELDS = 'clientId authMethod instances scopes roles jwks hasSecret createdAt updatedAt';

export const KEY_FIELDS = 'kid algorithm keySize status certificate createdAt';

/** The token type validateToken and cancelToken take for an issued token of this output or record type. */
export function checkType(type: string): 'SAML2' | 'OPENIDCONNECT' | 'ACCESS_TOKEN' | 'CUSTOM' {
  return type === 'SAML2' || type === 'OPENIDCONNECT' || type === 'ACCESS_TOKEN' ? type : 'CUSTOM';
}

export function transformLabel(t: Pick<Transform, 'input' | 'output' | 'customInput' | 'customOutput'>): string {
  return `${t.customInput ?? t.input} → ${t.customOutput ?? t.output}`;
}

/**
 * Public plugin contracts (API.md §6). Exported by the package so plugin authors can type their modules:
 *   import type { Saml2StatementPlugin, TokenValidatorPlugin, TokenProviderPlugin } from 'tessera';
 * Plugins never write XML: they return plain structures that Tessera checks and serializes.
 */
import type { Attributes, SubjectConfirmationMethod } from '../engine/types.js';

export type SamlStatementKind =
  | 'conditions'
  | 'subject'
  | 'authenticationStatements'
  | 'attributeStatements'
  | 'authorizationDecisionStatements';

export const SAML_STATEMENT_KINDS: readonly SamlStatementKind[] = [
  'conditions',
  'subject',
  'authenticationStatements',
  'attributeStatements',
  'authorizationDecisionStatements',
];

export interface ConditionsResult {
  notBefore?: Date;
  notOnOrAfter?: Date;
  audiences?: string[];
  oneTimeUse?: boolean;
}

export interface NameIdResult {
  value: string;
  format?: string;
  nameQualifier?: string;
  spNameQualifier?: string;
}

export interface SubjectResult {
  nameId: NameIdResult;
}

export interface AuthnStatementResult {
  authnInstant: Date;
  contextClassRef: string;
  sessionIndex?: string;
}

export interface SamlAttributeResult {
  name: string;
  nameFormat?: string;
  friendlyName?: string;
  values: string[];
}

export interface AttributeStatementResult {
  attributes: SamlAttributeResult[];
}

export interface AuthzDecisionStatementResult {
  resource: string;
  decision: 'Permit' | 'Deny' | 'Indeterminate';
  actions: Array<{ namespace?: string; value: string }>;
}

export interface StatementResults {
  conditions: ConditionsResult;
  subject: SubjectResult;
  authenticationStatements: AuthnStatementResult[];
  attributeStatements: AttributeStatementResult[];
  authorizationDecisionStatements: AuthzDecisionStatementResult[];
}

/** What a SAML statement plugin receives. `defaults` is what the built-in for its kind would produce. */
export interface SamlStatementContext<K extends SamlStatementKind = SamlStatementKind> {
  instance: { name: string; saml2: Readonly<Record<string, unknown>> };
  subject: { name: string; attributes: Attributes; inputType: string; authnInstant: Date };
  issueInstant: Date;
  subjectConfirmation: SubjectConfirmationMethod;
  /** HOLDER_OF_KEY: the confirmation certificate, base64 DER. */
  proofCertificate?: string;
  defaults: StatementResults[K];
}

export interface Saml2StatementPlugin<K extends SamlStatementKind = SamlStatementKind> {
  kind: 'saml2-statement';
  statement: K;
  name: string;
  description?: string;
  /**
   * PingAM classes (fully qualified names) this plugin stands in for: an AM instance_state posted to the
   * publish service that names one of them selects this plugin (README "Migrating from PingAM").
   */
  amClassNames?: readonly string[];
  provide(ctx: SamlStatementContext<K>): StatementResults[K] | Promise<StatementResults[K]>;
}

export interface CustomValidatorContext {
  instance: { name: string };
  /** The request's raw input: TokenInput over GraphQL, input_token_state over REST. */
  rawInput: unknown;
  clientAddress: string;
  now: Date;
}

export interface TokenValidatorPlugin {
  kind: 'token-validator';
  tokenType: string;
  description?: string;
  /**
   * PingAM classes (fully qualified names) this plugin stands in for: an AM instance_state posted to the
   * publish service that names one of them selects this plugin (README "Migrating from PingAM").
   */
  amClassNames?: readonly string[];
  validate(
    customToken: unknown,
    ctx: CustomValidatorContext,
  ): { subject: string; attributes?: Attributes } | Promise<{ subject: string; attributes?: Attributes }>;
}

export interface CustomProviderContext {
  instance: { name: string };
  /** output_token_state over REST (without token_type), TokenOutput over GraphQL. */
  rawOutput: unknown;
  now: Date;
}

export interface TokenProviderPlugin {
  kind: 'token-provider';
  tokenType: string;
  description?: string;
  /**
   * PingAM classes (fully qualified names) this plugin stands in for: an AM instance_state posted to the
   * publish service that names one of them selects this plugin (README "Migrating from PingAM").
   */
  amClassNames?: readonly string[];
  issue(
    subject: { name: string; attributes: Attributes; inputType: string },
    ctx: CustomProviderContext,
  ): { token: string; expiresAt?: Date } | Promise<{ token: string; expiresAt?: Date }>;
}

export type TesseraPlugin = Saml2StatementPlugin | TokenValidatorPlugin | TokenProviderPlugin;

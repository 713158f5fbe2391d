/**
 * A token kind (DESIGN.md §1): everything about one kind of token, in one object that registers through one
 * API — built-in kinds (src/tokens/<kind>/) and plugins alike:
 *
 * - its validator (the kind as input) and/or provider (the kind as output), each with a field table: what the
 *   envelope carries, how each door names it, and the size and shape rules the engine checks before any kind
 *   code runs (engine/fields.ts);
 * - its sections of the instance configuration: parse and validate with field-named errors, defaults, checks
 *   that need the running services, and the public view without secrets — the same code at publish and at
 *   run time (engine/instance-config.ts);
 * - its wire adapters where the field table is not enough (PingAM `*_token_state` shapes), and its RFC 8693
 *   token-type URI;
 * - its metadata (JWKS keys, discovery fields, SAML metadata).
 *
 * Nothing here imports a library: GraphQL shapes are described in the neutral form below and built by the
 * GraphQL door.
 */
import type {
  IssuedToken,
  Obj,
  ProviderContext,
  PublishedInstance,
  RequestContext,
  TokenEnvelope,
  ValidatorContext,
  VerifiedSubject,
  VerifyIssuedResult,
} from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// GraphQL shapes, described without the GraphQL library (the door builds them; every element has a description).
// ---------------------------------------------------------------------------------------------------------------
export type GqlScalar = 'String' | 'Int' | 'Boolean' | 'JSON' | 'ID' | 'DateTime';

export interface GqlEnum {
  enum: string;
  description: string;
  values: Readonly<Record<string, string>>; // value → description
}

export interface GqlObject {
  /** The type's name; an input type and an output type may describe the same section under two names. */
  object: string;
  description: string;
  fields: Readonly<Record<string, GqlField>>;
}

export type GqlType = GqlScalar | GqlEnum | GqlObject | { list: GqlType };

export interface GqlField {
  type: GqlType;
  /** Non-null: a required input field, or an output field always present. */
  required?: boolean;
  description: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Field tables: what an input or output envelope carries.
// ---------------------------------------------------------------------------------------------------------------
/**
 * The rule the engine applies to a field before the kind sees it (API.md §2: a token field over 64 KiB is
 * BAD_USER_INPUT):
 * - `token`: a string of at most 64 KiB of UTF-8;
 * - `text`: a string of at most 2,048 characters;
 * - `json`: any JSON value of at most 64 KiB serialised;
 * - `boolean`;
 * - `tokenList`: 1 to `max` token strings;
 * - `textList`: 1 to `max` text strings;
 * - an enum: one of the listed strings.
 */
export type FieldRule = 'token' | 'text' | 'json' | 'boolean' | 'tokenList' | 'textList' | { oneOf: readonly string[] };

export interface FieldSpec {
  /** The envelope member the kind reads. */
  key: string;
  rule: FieldRule;
  required?: boolean;
  /** `token`/`text`: an empty string passes to the kind (which decides what it means). */
  allowEmpty?: boolean;
  /** List rules: the largest number of entries. */
  max?: number;
  /** Applied by the engine when the field is absent. */
  default?: unknown;
  /** The GraphQL TokenInput/TokenOutput field; a kind without GraphQL fields is reached through CUSTOM. */
  graphql?: { name: string; type: GqlType; description: string };
  /** The member of PingAM's `*_token_state` (REST). */
  rest?: string;
  /** What the field is called in error messages of the RFC 8693 door. */
  oauth?: string;
}

/** What a wire adapter knows of the request. */
export interface WireContext {
  request: RequestContext;
}

export interface KindValidator {
  readonly fields: readonly FieldSpec[];
  /** PingAM classes this side of the kind stands in for, when an AM instance_state names them (plugins/types.ts). */
  readonly amClassNames?: readonly string[];
  /** Configuration sections a transform taking this kind as input needs (their keys). */
  readonly needs?: readonly string[];
  /**
   * PingAM REST: `input_token_state` (as sent) → envelope fields, when the field table's `rest`
   * names are not enough. The result still goes through the field checks.
   */
  fromRest?(state: Obj, ctx: WireContext): Obj;
  /** GraphQL: TokenInput → envelope fields, when the field table's GraphQL names are not enough. */
  fromGraphql?(input: Obj): Obj;
  validate(input: TokenEnvelope, ctx: ValidatorContext): Promise<VerifiedSubject>;
}

export interface KindProvider {
  readonly fields: readonly FieldSpec[];
  /** PingAM classes this side of the kind stands in for, when an AM instance_state names them (plugins/types.ts). */
  readonly amClassNames?: readonly string[];
  readonly needs?: readonly string[];
  /** PingAM REST: `output_token_state` → envelope fields (see KindValidator.fromRest). `inputType`: the input kind. */
  fromRest?(state: Obj, ctx: WireContext & { inputType: string }): Obj;
  fromGraphql?(output: Obj): Obj;
  /**
   * The issuer this kind's tokens name for an instance (`iss`, the SAML Issuer), so that a token the instance
   * issued and cancelled is refused when it comes back as input.
   */
  issuerOf?(instance: PublishedInstance): string | undefined;
  /** The member of `validated_token_state` / `cancelled_token_state` that carries an issued token (REST). */
  readonly restTokenField?: string;
  /** RFC 8693 §2.2.1: `token_type` of the response (`Bearer` for access tokens, else `N_A`). */
  readonly oauthTokenType?: 'Bearer' | 'N_A';
  issue(subject: VerifiedSubject, output: TokenEnvelope, ctx: ProviderContext): Promise<IssuedToken>;
  /**
   * Checks a token this instance issued: signature with this instance's keys, and expiry when `checkExpiry`.
   * Never throws for a bad token. Without it, validate and cancel decide by the issued-token record alone.
   */
  verifyIssued?(token: string, ctx: { instance: PublishedInstance; now: Date; checkExpiry: boolean }): Promise<VerifyIssuedResult>;
}

// ---------------------------------------------------------------------------------------------------------------
// Configuration sections.
// ---------------------------------------------------------------------------------------------------------------
export interface SectionParseContext<T> {
  /** On update: the stored value of this section (write-only secrets omitted from the input are kept). */
  existing?: T;
  /** The instance's name (already validated). */
  instanceName: string;
}

export interface SectionCheckContext {
  instanceName: string;
}

export interface ConfigSection<T = unknown> {
  /** Its key in InstanceInput and InstanceConfig (`saml2`, `oidc`, `oidcTrust`, `x509Trust`, …). */
  readonly key: string;
  /**
   * Validates the raw input (a GraphQL input object or plain JSON; trust nothing about its shape) and resolves
   * defaults. Throws BadUserInputError naming the field (`input.saml2.spEntityId`). `undefined` drops the section
   * (an empty list no transform needs).
   */
  parse(raw: unknown, ctx: SectionParseContext<T>): T | undefined;
  /**
   * Checks that need the running services, made with the very calls the runtime makes (a pinned signing key
   * exists and fits), so nothing that publishes fails later for a configuration reason.
   */
  check?(value: T, ctx: SectionCheckContext): Promise<void>;
  /** The API's view: a deep copy without secrets. Default: a deep copy. */
  publicView?(value: T, ctx: { instanceName: string }): unknown;
  /** Why the section is needed, for `is required: <why>` (default: "input.transforms[i] takes X input"). */
  readonly missingMessage?: string;
  /** GraphQL: the InstanceInput field and the StsInstance field. */
  readonly graphql: { input: GqlType; output: GqlType; description: string };
  /**
   * Booleans the StsInstance shows at its top level, computed from this section (`hasClientSecret`), for
   * clients that predate the section's own view.
   */
  readonly topLevelFlags?: Readonly<Record<string, { description: string; of(value: T): boolean }>>;
}

// ---------------------------------------------------------------------------------------------------------------
// Metadata contributions.
// ---------------------------------------------------------------------------------------------------------------
export interface MetadataContext {
  instance: PublishedInstance;
  /** TESSERA_PUBLIC_URL without a trailing slash. */
  publicUrl: string;
}

export interface KindMetadata {
  /** Public keys this kind's tokens verify with, for /sts/<instance>/jwks.json. */
  jwks?(ctx: MetadataContext): Promise<Record<string, unknown>[]>;
  /**
   * Members of /sts/<instance>/.well-known/openid-configuration. Lists (e.g. `claims_supported`) from several
   * kinds are merged. A kind that returns null does not make the document exist.
   */
  discovery?(ctx: MetadataContext): Promise<Record<string, unknown> | null>;
  /** /sts/<instance>/saml-metadata.xml, for the kind that issues SAML. */
  samlMetadata?(ctx: MetadataContext): Promise<string | null>;
  /** /sts/<instance>/saml-sp-metadata.xml: the SP that partner IdPs send assertions to, for the kind that reads SAML. */
  samlSpMetadata?(ctx: MetadataContext): Promise<string | null>;
}

// ---------------------------------------------------------------------------------------------------------------
// The kind.
// ---------------------------------------------------------------------------------------------------------------
export interface TokenKind {
  /** Registry name: the GraphQL TokenType value, the REST `token_type`, the record and audit type. */
  readonly name: string;
  readonly builtIn: boolean;
  readonly description: string;
  /** Other REST `token_type` names for this kind (PingAM's OPENAM for SESSION). */
  readonly aliases?: readonly string[];
  readonly validator?: KindValidator;
  readonly provider?: KindProvider;
  readonly sections?: readonly ConfigSection<any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** RFC 8693 §3 token-type URI. */
  readonly tokenTypeUri?: string;
  /**
   * For a JWT kind: the `typ` header values (lower case; '' for none) that make a token sent as
   * `urn:ietf:params:oauth:token-type:jwt` this kind.
   */
  readonly jwtTypes?: readonly string[];
  /** How the token travels at the token endpoint: SAML as base64url of the XML (RFC 8693 §3). Default as is. */
  readonly tokenEncoding?: 'base64url';
  readonly metadata?: KindMetadata;
  /**
   * Whether the kind has a GraphQL TokenType value of its own (and its fields in TokenInput/TokenOutput).
   * Default: when any of its fields has a GraphQL name. Otherwise it is reached as CUSTOM with `customType`.
   */
  readonly graphqlEnum?: boolean;
}

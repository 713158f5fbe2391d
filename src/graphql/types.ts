/**
 * GraphQL object and input types (API.md §3). Every decorator names its type explicitly, so the schema is the
 * same whether or not the compiler emits decorator metadata. These are API types, not entities: resolvers map.
 */
import 'reflect-metadata';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { registryTypes } from './registry-types.js';

/** The TokenType enum of the schema being built (registry-types.ts): one value per token kind, plus CUSTOM. */
const TokenType = () => registryTypes().TokenType;

// ---------------------------------------------------------------------------------------------- users
@ObjectType('User', { description: 'A local user: logs in, and is the subject of USERNAME and SESSION input.' })
export class UserType {
  @Field(() => ID, { description: 'Internal id.' }) id!: string;
  @Field(() => String, { description: 'The login name, unique without regard to case.' }) username!: string;
  @Field(() => [String], { description: 'Roles: `admin` administers; others are matched against an instance\'s callerRoles.' }) roles!: string[];
  @Field(() => GraphQLJSON, { description: 'Attribute name → string or list of strings.' }) attributes!: Record<string, string | string[]>;
}

@ObjectType('Session', { description: 'A login session.' })
export class SessionType {
  @Field(() => String, { description: 'Opaque bearer token; send it as `Authorization: Bearer <token>`.' }) token!: string;
  @Field(() => Date, { description: 'When the session ends (TESSERA_SESSION_TTL_SECONDS after login).' }) expiresAt!: Date;
  @Field(() => UserType, { description: 'The user logged in.' }) user!: UserType;
}

@InputType('UserInput', { description: 'A user to create.' })
export class UserInput {
  @Field(() => String, { description: '1–128 letters, digits, . _ @ -, starting with a letter or digit.' }) username!: string;
  @Field(() => String, { description: '8 to 1024 characters, no control characters; stored as a scrypt hash.' }) password!: string;
  @Field(() => [String], { nullable: true, description: 'Roles, each ^[a-z][a-z0-9_-]{0,63}$; default none.' }) roles?: string[];
  @Field(() => GraphQLJSON, { nullable: true, description: '{ "<name>": "<value>" | ["<value>", …] }: what attribute and claim maps read.' }) attributes?: unknown;
}

// ----------------------------------------------------------------------------------------------- keys
@ObjectType('Key', { description: 'A signing key; the private part never leaves the key store.' })
export class KeyType {
  @Field(() => String, { description: 'Key id: the JWK thumbprint (RFC 7638), the JWT kid.' }) kid!: string;
  @Field(() => String, { description: 'RS256, RS512, PS256, ES256 or EdDSA.' }) algorithm!: string;
  @Field(() => String, { description: 'RSA-2048, RSA-3072, P-256 or Ed25519.' }) keySize!: string;
  @Field(() => String, { description: 'ACTIVE | PUBLISHED (rotated out, still verifies) | RETIRED' }) status!: string;
  @Field(() => GraphQLJSON, { description: 'The public key as a JWK (RFC 7517).' }) publicJwk!: Record<string, unknown>;
  @Field(() => String, { description: 'Self-signed X.509 certificate, PEM.' }) certificate!: string;
  @Field(() => Date, { description: 'When the key was generated.' }) createdAt!: Date;
}

// ------------------------------------------------------------------------------------------ instances
@InputType('TransformInput', { description: 'One input → output transformation an instance offers.' })
export class TransformInput {
  @Field(TokenType, { description: 'The kind taken as input.' }) input!: string;
  @Field(TokenType, { description: 'The kind issued.' }) output!: string;
  @Field(() => Boolean, { nullable: true, description: 'End the SESSION input after issuing (single use). Default false.' }) invalidateInterimSession?: boolean;
  @Field(() => String, { nullable: true, description: 'When input is CUSTOM: the custom token type.' }) customInput?: string;
  @Field(() => String, { nullable: true, description: 'When output is CUSTOM: the custom token type.' }) customOutput?: string;
}

@ObjectType('Transform', { description: 'One input → output transformation an instance offers.' })
export class TransformType {
  @Field(TokenType, { description: 'The kind taken as input.' }) input!: string;
  @Field(TokenType, { description: 'The kind issued.' }) output!: string;
  @Field(() => Boolean, { description: 'Whether the SESSION input is ended after issuing.' }) invalidateInterimSession!: boolean;
  @Field(() => String, { nullable: true, description: 'When input is CUSTOM: the custom token type.' }) customInput?: string;
  @Field(() => String, { nullable: true, description: 'When output is CUSTOM: the custom token type.' }) customOutput?: string;
}

@ObjectType('InstanceEndpoints', { description: 'The URLs at which an instance answers.' })
export class EndpointsType {
  @Field(() => String, { description: 'The PingAM-compatible REST STS: POST ?_action=translate|validate|cancel.' }) rest!: string;
  @Field(() => String, { description: 'The JWK Set that verifies the instance\'s JWTs.' }) jwks!: string;
  @Field(() => String, { description: 'The OpenID Connect discovery document.' }) openidConfiguration!: string;
  @Field(() => String, { description: 'The SAML 2.0 IdP metadata.' }) samlMetadata!: string;
  @Field(() => String, { description: 'The SAML 2.0 SP metadata partner IdPs configure to send assertions to (SAML2 input; 404 without saml2Trust).' }) samlSpMetadata!: string;
}

// -------------------------------------------------------------------------------------------- plugins
@ObjectType('SamlPlugin', { description: 'A SAML statement provider: built in, or loaded from TESSERA_PLUGIN_DIR.' })
export class SamlPluginType {
  @Field(() => String, { description: 'The name instances select it by (saml2.plugins).' }) name!: string;
  @Field(() => String, { description: 'conditions | subject | authenticationStatements | attributeStatements | authorizationDecisionStatements' })
  statement!: string;
  @Field(() => Boolean, { description: 'Whether Tessera ships it.' }) builtIn!: boolean;
  @Field(() => String, { nullable: true, description: 'What it provides, in its author\'s words.' }) description?: string;
  @Field(() => [String], { description: 'The PingAM statement-provider classes it stands in for when the publish service reads an AM instance_state (empty: none).' })
  amClassNames!: string[];
}

@ObjectType('CustomTokenType', { description: 'A custom token type loaded as a plugin (reached as CUSTOM with customType).' })
export class CustomTokenTypeType {
  @Field(() => String, { description: 'Its name, ^[A-Z][A-Z0-9_]{0,31}$.' }) tokenType!: string;
  @Field(() => Boolean, { description: 'Whether it can be taken as input.' }) hasValidator!: boolean;
  @Field(() => Boolean, { description: 'Whether it can be issued.' }) hasProvider!: boolean;
  @Field(() => [String], { description: 'The PingAM custom-token-validator classes its validator stands in for (AM publish service; empty: none).' })
  validatorAmClassNames!: string[];
  @Field(() => [String], { description: 'The PingAM custom-token-provider classes its provider stands in for (AM publish service; empty: none).' })
  providerAmClassNames!: string[];
}

// -------------------------------------------------------------------------------------- tokens & audit
@ObjectType('TranslatedToken', { description: 'An issued token.' })
export class TranslatedTokenType {
  @Field(() => String, { description: 'The issued token: a JWT, SAML XML or a custom token.' }) token!: string;
  @Field(TokenType, { description: 'Its kind (CUSTOM for a custom token type).' }) type!: string;
  @Field(() => String, { nullable: true, description: 'When type is CUSTOM: the custom token type.' }) customType?: string;
  @Field(() => String, { description: 'The JWT jti, the SAML assertion ID (also inside a Response), a UUID for custom tokens.' }) tokenId!: string;
  @Field(() => String, { description: 'Whom the token names.' }) subject!: string;
  @Field(() => Date, { description: 'When it was issued.' }) issuedAt!: Date;
  @Field(() => Date, { description: 'When it expires.' }) expiresAt!: Date;
}

@ObjectType('TokenValidation', { description: 'The verdict on a token this instance issued.' })
export class TokenValidationType {
  @Field(() => Boolean, { description: 'Whether it is valid now.' }) valid!: boolean;
  @Field(() => String, { nullable: true, description: 'EXPIRED | CANCELLED | BAD_SIGNATURE | UNKNOWN | MALFORMED' }) reason?: string;
  @Field(() => String, { nullable: true, description: 'Returned to admin callers only.' }) subject?: string;
  @Field(() => Date, { nullable: true, description: 'When it expires (or expired).' }) expiresAt?: Date;
}

@ObjectType('IssuedTokenRecord', { description: 'The record of an issued token (never the token): what validate and cancel check.' })
export class IssuedTokenRecordType {
  @Field(() => String, { description: 'The token\'s id (TranslatedToken.tokenId).' }) tokenId!: string;
  @Field(() => String, { description: 'The instance that issued it.' }) instance!: string;
  @Field(() => String, { description: 'Whom it names.' }) subject!: string;
  @Field(() => String, { description: 'Its kind (SAML2, OPENIDCONNECT or a custom type).' }) type!: string;
  @Field(() => Date, { description: 'When it was issued.' }) issuedAt!: Date;
  @Field(() => Date, { description: 'When it expires.' }) expiresAt!: Date;
  @Field(() => Boolean, { description: 'Whether cancelToken cancelled it.' }) cancelled!: boolean;
  @Field(() => String, { nullable: true, description: 'SENDER_VOUCHES: the authenticated caller who vouched.' }) sender?: string;
  @Field(() => String, { description: 'Pass as `after` to get the next page.' }) cursor!: string;
}

@ObjectType('AuditEvent', { description: 'One operation in the audit trail (never a token, password or secret).' })
export class AuditEventType {
  @Field(() => Date, { description: 'When it happened.' }) at!: Date;
  @Field(() => String, { description: 'translate, validate, cancel, login, publishInstance, rotateKey, resetPassword, …' }) action!: string;
  @Field(() => String, { nullable: true, description: 'Who did it: a user, an OAuth client, or cli:<OS user> for the command line.' }) actor?: string;
  @Field(() => String, { nullable: true, description: 'The instance concerned.' }) instance?: string;
  @Field(() => String, { nullable: true, description: 'The token\'s subject.' }) subject?: string;
  @Field(() => String, { nullable: true, description: 'What an administrative action changed (a user, a key, an instance).' }) target?: string;
  @Field(() => String, { nullable: true, description: 'The input token kind.' }) inputType?: string;
  @Field(() => String, { nullable: true, description: 'The output (or checked) token kind.' }) outputType?: string;
  @Field(() => String, { description: 'OK or an error code.' }) outcome!: string;
  @Field(() => String, { nullable: true, description: 'The caller\'s socket address.' }) clientAddress?: string;
  @Field(() => GraphQLJSON, { nullable: true, description: 'More about it (token id, sender, actor, validation verdict).' }) detail?: unknown;
  @Field(() => String, { description: 'Pass as `after` to get the next (older) page.' }) cursor!: string;
}

// -------------------------------------------------------------------------------------- OAuth clients
@ObjectType('OAuthClient', { description: 'A confidential client of the RFC 8693 token endpoint.' })
export class OAuthClientType {
  @Field(() => String, { description: 'The client_id.' }) clientId!: string;
  @Field(() => String, { description: 'client_secret_basic | client_secret_post | private_key_jwt' }) authMethod!: string;
  @Field(() => GraphQLJSON, { nullable: true, description: 'private_key_jwt: the JWK Set (public keys) that verifies its client assertions.' }) jwks?: unknown;
  @Field(() => [String], { description: 'The instances whose token endpoint it may use.' }) instances!: string[];
  @Field(() => [String], { description: 'The scopes it may request (each one the instance issues too).' }) scopes!: string[];
  @Field(() => [String], { description: "Its roles, which play a session's part for an instance's callerRoles." }) roles!: string[];
  @Field(() => Boolean, { description: 'Whether it has a secret (never shown again after creation or rotation).' }) hasSecret!: boolean;
  @Field(() => Date, { description: 'When the client was registered.' }) createdAt!: Date;
  @Field(() => Date, { description: 'When its settings or secret last changed.' }) updatedAt!: Date;
}

@ObjectType('CreatedOAuthClient', { description: 'A client and, for the secret methods, its new secret: shown this once.' })
export class CreatedOAuthClientType {
  @Field(() => OAuthClientType, { description: 'The client as registered.' }) client!: OAuthClientType;
  @Field(() => String, { nullable: true, description: 'The client_secret, shown only here; Tessera keeps only its hash.' }) clientSecret?: string;
}

@InputType('OAuthClientInput', { description: 'An OAuth client of the token endpoint.' })
export class OAuthClientInput {
  @Field(() => String, { description: 'The client_id: 1 to 128 of letters, digits and . _ ~ @ : + -.' }) clientId!: string;
  @Field(() => String, { description: 'client_secret_basic | client_secret_post | private_key_jwt (RFC 7523).' }) authMethod!: string;
  @Field(() => GraphQLJSON, { nullable: true, description: 'private_key_jwt: a JWK Set of public keys (RSA ≥ 2048, P-256, Ed25519).' }) jwks?: unknown;
  @Field(() => [String], { description: 'The instances whose token endpoint it may use (published instance names).' }) instances!: string[];
  @Field(() => [String], { nullable: true, description: 'The scopes it may request. Default none.' }) scopes?: string[];
  @Field(() => [String], { nullable: true, description: "Its roles, for instances' callerRoles. Default none." }) roles?: string[];
}

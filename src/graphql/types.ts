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
@ObjectType('User')
export class UserType {
  @Field(() => ID) id!: string;
  @Field(() => String) username!: string;
  @Field(() => [String]) roles!: string[];
  @Field(() => GraphQLJSON, { description: 'Attribute name → string or list of strings.' }) attributes!: Record<string, string | string[]>;
}

@ObjectType('Session')
export class SessionType {
  @Field(() => String, { description: 'Opaque bearer token; send it as `Authorization: Bearer <token>`.' }) token!: string;
  @Field(() => Date) expiresAt!: Date;
  @Field(() => UserType) user!: UserType;
}

@InputType('UserInput')
export class UserInput {
  @Field(() => String) username!: string;
  @Field(() => String) password!: string;
  @Field(() => [String], { nullable: true }) roles?: string[];
  @Field(() => GraphQLJSON, { nullable: true }) attributes?: unknown;
}

// ----------------------------------------------------------------------------------------------- keys
@ObjectType('Key')
export class KeyType {
  @Field(() => String) kid!: string;
  @Field(() => String) algorithm!: string;
  @Field(() => String, { description: 'RSA-2048, RSA-3072, P-256 or Ed25519.' }) keySize!: string;
  @Field(() => String, { description: 'ACTIVE | PUBLISHED (rotated out, still verifies) | RETIRED' }) status!: string;
  @Field(() => GraphQLJSON) publicJwk!: Record<string, unknown>;
  @Field(() => String, { description: 'Self-signed X.509 certificate, PEM.' }) certificate!: string;
  @Field(() => Date) createdAt!: Date;
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
}

// -------------------------------------------------------------------------------------------- plugins
@ObjectType('SamlPlugin')
export class SamlPluginType {
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'conditions | subject | authenticationStatements | attributeStatements | authorizationDecisionStatements' })
  statement!: string;
  @Field(() => Boolean) builtIn!: boolean;
  @Field(() => String, { nullable: true }) description?: string;
}

@ObjectType('CustomTokenType')
export class CustomTokenTypeType {
  @Field(() => String) tokenType!: string;
  @Field(() => Boolean) hasValidator!: boolean;
  @Field(() => Boolean) hasProvider!: boolean;
}

// -------------------------------------------------------------------------------------- tokens & audit
@ObjectType('TranslatedToken', { description: 'An issued token.' })
export class TranslatedTokenType {
  @Field(() => String, { description: 'The issued token: a JWT, SAML XML or a custom token.' }) token!: string;
  @Field(TokenType, { description: 'Its kind (CUSTOM for a custom token type).' }) type!: string;
  @Field(() => String, { nullable: true, description: 'When type is CUSTOM: the custom token type.' }) customType?: string;
  @Field(() => String) tokenId!: string;
  @Field(() => String) subject!: string;
  @Field(() => Date) issuedAt!: Date;
  @Field(() => Date) expiresAt!: Date;
}

@ObjectType('TokenValidation')
export class TokenValidationType {
  @Field(() => Boolean) valid!: boolean;
  @Field(() => String, { nullable: true, description: 'EXPIRED | CANCELLED | BAD_SIGNATURE | UNKNOWN | MALFORMED' }) reason?: string;
  @Field(() => String, { nullable: true, description: 'Returned to admin callers only.' }) subject?: string;
  @Field(() => Date, { nullable: true }) expiresAt?: Date;
}

@ObjectType('IssuedTokenRecord')
export class IssuedTokenRecordType {
  @Field(() => String) tokenId!: string;
  @Field(() => String) instance!: string;
  @Field(() => String) subject!: string;
  @Field(() => String) type!: string;
  @Field(() => Date) issuedAt!: Date;
  @Field(() => Date) expiresAt!: Date;
  @Field(() => Boolean) cancelled!: boolean;
  @Field(() => String, { nullable: true, description: 'SENDER_VOUCHES: the authenticated caller who vouched.' }) sender?: string;
  @Field(() => String, { description: 'Pass as `after` to get the next page.' }) cursor!: string;
}

@ObjectType('AuditEvent')
export class AuditEventType {
  @Field(() => Date) at!: Date;
  @Field(() => String) action!: string;
  @Field(() => String, { nullable: true }) actor?: string;
  @Field(() => String, { nullable: true }) instance?: string;
  @Field(() => String, { nullable: true }) subject?: string;
  @Field(() => String, { nullable: true }) target?: string;
  @Field(() => String, { nullable: true }) inputType?: string;
  @Field(() => String, { nullable: true }) outputType?: string;
  @Field(() => String, { description: 'OK or an error code.' }) outcome!: string;
  @Field(() => String, { nullable: true }) clientAddress?: string;
  @Field(() => GraphQLJSON, { nullable: true }) detail?: unknown;
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
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
}

@ObjectType('CreatedOAuthClient', { description: 'A client and, for the secret methods, its new secret: shown this once.' })
export class CreatedOAuthClientType {
  @Field(() => OAuthClientType) client!: OAuthClientType;
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

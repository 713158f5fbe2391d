/**
 * GraphQL object and input types (API.md §3). Every decorator names its type explicitly, so the schema is the
 * same whether or not the compiler emits decorator metadata. These are API types, not entities: resolvers map.
 */
import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';

export enum TokenTypeEnum {
  USERNAME = 'USERNAME',
  OPENIDCONNECT = 'OPENIDCONNECT',
  X509 = 'X509',
  SESSION = 'SESSION',
  SAML2 = 'SAML2',
  CUSTOM = 'CUSTOM',
}
registerEnumType(TokenTypeEnum, { name: 'TokenType', description: 'Token types Tessera validates or issues.' });

export enum SubjectConfirmationEnum {
  BEARER = 'BEARER',
  HOLDER_OF_KEY = 'HOLDER_OF_KEY',
  SENDER_VOUCHES = 'SENDER_VOUCHES',
}
registerEnumType(SubjectConfirmationEnum, { name: 'SubjectConfirmation', description: 'SAML 2.0 subject confirmation method.' });

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
@InputType('TransformInput')
export class TransformInput {
  @Field(() => TokenTypeEnum) input!: TokenTypeEnum;
  @Field(() => TokenTypeEnum) output!: TokenTypeEnum;
  @Field(() => Boolean, { nullable: true }) invalidateInterimSession?: boolean;
  @Field(() => String, { nullable: true }) customInput?: string;
  @Field(() => String, { nullable: true }) customOutput?: string;
}

@InputType('SamlPluginsInput')
export class SamlPluginsInput {
  @Field(() => String, { nullable: true }) conditions?: string;
  @Field(() => String, { nullable: true }) subject?: string;
  @Field(() => String, { nullable: true }) authenticationStatements?: string;
  @Field(() => String, { nullable: true }) attributeStatements?: string;
  @Field(() => String, { nullable: true }) authorizationDecisionStatements?: string;
}

@InputType('Saml2Input')
export class Saml2Input {
  @Field(() => String) issuer!: string;
  @Field(() => String) spEntityId!: string;
  @Field(() => String, { nullable: true }) spAcsUrl?: string;
  @Field(() => String, { nullable: true }) nameIdFormat?: string;
  @Field(() => GraphQLJSON, { nullable: true }) attributeMap?: unknown;
  @Field(() => Int, { nullable: true }) lifetimeSeconds?: number;
  @Field(() => Boolean, { nullable: true }) signAssertion?: boolean;
  @Field(() => String, { nullable: true }) signatureAlgorithm?: string;
  @Field(() => String, { nullable: true }) signingKeyId?: string;
  @Field(() => Boolean, { nullable: true }) encryptAssertion?: boolean;
  @Field(() => Boolean, { nullable: true }) encryptNameId?: boolean;
  @Field(() => Boolean, { nullable: true }) encryptAttributes?: boolean;
  @Field(() => String, { nullable: true }) dataEncryptionAlgorithm?: string;
  @Field(() => String, { nullable: true }) keyTransportAlgorithm?: string;
  @Field(() => String, { nullable: true }) spEncryptionCertificate?: string;
  @Field(() => SamlPluginsInput, { nullable: true }) plugins?: SamlPluginsInput;
}

@InputType('OidcInput')
export class OidcInput {
  @Field(() => String, { nullable: true }) issuer?: string;
  @Field(() => [String]) audience!: string[];
  @Field(() => String, { nullable: true }) authorizedParty?: string;
  @Field(() => String, { nullable: true }) signatureAlgorithm?: string;
  @Field(() => String, { nullable: true }) signingKeyId?: string;
  @Field(() => String, { nullable: true, description: 'HS256 only, at least 32 bytes; write-only; kept when omitted on update.' }) clientSecret?: string;
  @Field(() => GraphQLJSON, { nullable: true }) claimMap?: unknown;
  @Field(() => Int, { nullable: true }) lifetimeSeconds?: number;
}

@InputType('OidcTrustInput')
export class OidcTrustInput {
  @Field(() => String) issuer!: string;
  @Field(() => [String]) audience!: string[];
  @Field(() => [String], { nullable: true }) authorizedParties?: string[];
  @Field(() => GraphQLJSON, { nullable: true }) jwks?: unknown;
  @Field(() => String, { nullable: true }) jwksUri?: string;
  @Field(() => String, { nullable: true }) clientSecret?: string;
}

@InputType('X509TrustInput')
export class X509TrustInput {
  @Field(() => [String]) caCertificates!: string[];
  @Field(() => String, { nullable: true }) offloadHeader?: string;
  @Field(() => [String], { nullable: true }) trustedProxies?: string[];
}

@InputType('InstanceInput')
export class InstanceInput {
  @Field(() => String) name!: string;
  @Field(() => [TransformInput]) transforms!: TransformInput[];
  @Field(() => Boolean, { nullable: true }) persistIssuedTokens?: boolean;
  @Field(() => [String], { nullable: true }) callerRoles?: string[];
  @Field(() => Saml2Input, { nullable: true }) saml2?: Saml2Input;
  @Field(() => OidcInput, { nullable: true }) oidc?: OidcInput;
  @Field(() => [OidcTrustInput], { nullable: true }) oidcTrust?: OidcTrustInput[];
  @Field(() => X509TrustInput, { nullable: true }) x509Trust?: X509TrustInput;
}

@ObjectType('Transform')
export class TransformType {
  @Field(() => TokenTypeEnum) input!: string;
  @Field(() => TokenTypeEnum) output!: string;
  @Field(() => Boolean) invalidateInterimSession!: boolean;
  @Field(() => String, { nullable: true }) customInput?: string;
  @Field(() => String, { nullable: true }) customOutput?: string;
}

@ObjectType('SamlPlugins')
export class SamlPluginsType {
  @Field(() => String, { nullable: true }) conditions?: string;
  @Field(() => String, { nullable: true }) subject?: string;
  @Field(() => String, { nullable: true }) authenticationStatements?: string;
  @Field(() => String, { nullable: true }) attributeStatements?: string;
  @Field(() => String, { nullable: true }) authorizationDecisionStatements?: string;
}

@ObjectType('Saml2Config')
export class Saml2ConfigType {
  @Field(() => String) issuer!: string;
  @Field(() => String) spEntityId!: string;
  @Field(() => String, { nullable: true }) spAcsUrl?: string;
  @Field(() => String) nameIdFormat!: string;
  @Field(() => GraphQLJSON) attributeMap!: Record<string, string>;
  @Field(() => Int) lifetimeSeconds!: number;
  @Field(() => Boolean) signAssertion!: boolean;
  @Field(() => String) signatureAlgorithm!: string;
  @Field(() => String, { nullable: true }) signingKeyId?: string;
  @Field(() => Boolean) encryptAssertion!: boolean;
  @Field(() => Boolean) encryptNameId!: boolean;
  @Field(() => Boolean) encryptAttributes!: boolean;
  @Field(() => String) dataEncryptionAlgorithm!: string;
  @Field(() => String) keyTransportAlgorithm!: string;
  @Field(() => String, { nullable: true }) spEncryptionCertificate?: string;
  @Field(() => SamlPluginsType) plugins!: SamlPluginsType;
}

@ObjectType('OidcConfig')
export class OidcConfigType {
  @Field(() => String, { description: 'The effective issuer (the default when none was configured).' }) issuer!: string;
  @Field(() => [String]) audience!: string[];
  @Field(() => String, { nullable: true }) authorizedParty?: string;
  @Field(() => String) signatureAlgorithm!: string;
  @Field(() => String, { nullable: true }) signingKeyId?: string;
  @Field(() => Boolean) hasClientSecret!: boolean;
  @Field(() => GraphQLJSON) claimMap!: Record<string, string>;
  @Field(() => Int) lifetimeSeconds!: number;
}

@ObjectType('OidcTrust')
export class OidcTrustType {
  @Field(() => String) issuer!: string;
  @Field(() => [String]) audience!: string[];
  @Field(() => [String], { nullable: true }) authorizedParties?: string[];
  @Field(() => GraphQLJSON, { nullable: true }) jwks?: unknown;
  @Field(() => String, { nullable: true }) jwksUri?: string;
  @Field(() => Boolean) hasClientSecret!: boolean;
}

@ObjectType('X509Trust')
export class X509TrustType {
  @Field(() => [String]) caCertificates!: string[];
  @Field(() => String, { nullable: true }) offloadHeader?: string;
  @Field(() => [String], { nullable: true }) trustedProxies?: string[];
}

@ObjectType('InstanceEndpoints')
export class EndpointsType {
  @Field(() => String) rest!: string;
  @Field(() => String) jwks!: string;
  @Field(() => String) openidConfiguration!: string;
  @Field(() => String) samlMetadata!: string;
}

@ObjectType('StsInstance')
export class StsInstanceType {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => [TransformType]) transforms!: TransformType[];
  @Field(() => Boolean) persistIssuedTokens!: boolean;
  @Field(() => [String], { nullable: true }) callerRoles?: string[];
  @Field(() => Saml2ConfigType, { nullable: true }) saml2?: Saml2ConfigType;
  @Field(() => OidcConfigType, { nullable: true }) oidc?: OidcConfigType;
  @Field(() => [OidcTrustType], { nullable: true }) oidcTrust?: OidcTrustType[];
  @Field(() => X509TrustType, { nullable: true }) x509Trust?: X509TrustType;
  @Field(() => Boolean, { description: 'True when oidc.clientSecret is set (never returned).' }) hasClientSecret!: boolean;
  @Field(() => EndpointsType) endpoints!: EndpointsType;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
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
@InputType('TokenInput')
export class TokenInputType {
  @Field(() => TokenTypeEnum) type!: TokenTypeEnum;
  @Field(() => String, { nullable: true }) username?: string;
  @Field(() => String, { nullable: true }) password?: string;
  @Field(() => String, { nullable: true }) idToken?: string;
  @Field(() => String, { nullable: true, description: 'PEM leaf, optionally followed by up to 4 chain certificates.' }) certificate?: string;
  @Field(() => String, { nullable: true, description: 'Compact JWS by the certificate key: typ tessera-pop+jwt, {aud, iat, jti}.' }) proof?: string;
  @Field(() => String, { nullable: true }) sessionToken?: string;
  @Field(() => String, { nullable: true }) customType?: string;
  @Field(() => GraphQLJSON, { nullable: true }) customToken?: unknown;
}

@InputType('TokenOutput')
export class TokenOutputType {
  @Field(() => TokenTypeEnum) type!: TokenTypeEnum;
  @Field(() => SubjectConfirmationEnum, { nullable: true }) subjectConfirmation?: SubjectConfirmationEnum;
  @Field(() => String, { nullable: true }) proofCertificate?: string;
  @Field(() => String, { nullable: true }) nonce?: string;
  @Field(() => String, { nullable: true }) customType?: string;
}

@ObjectType('TranslatedToken')
export class TranslatedTokenType {
  @Field(() => String) token!: string;
  @Field(() => TokenTypeEnum) type!: string;
  @Field(() => String, { nullable: true }) customType?: string;
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

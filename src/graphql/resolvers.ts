/**
 * Thin resolvers: check who is calling, map GraphQL input to the service call, map the result back.
 * No crypto, no query and no business rule lives here.
 */
import 'reflect-metadata';
import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { BadUserInputError } from '../engine/errors.js';
import { readWireFields } from '../engine/fields.js';
import type { TokenRegistry } from '../engine/registry.js';
import { CUSTOM, type Obj, type TokenEnvelope } from '../engine/types.js';
import { instanceEndpoints, toPublicInstance } from '../engine/instance-config.js';
import type { InstanceRow } from '../persistence/stores.js';
import { CursorError, encodeCursor } from '../persistence/stores.js';
import type { UserView } from '../identity/identity.service.js';
import type { KeyView } from '../keys/key-store.js';
import type { ClientView } from '../clients/clients.js';
import { requestContext, requireAdmin, requireCaller, type GqlContext } from './context.js';
import {
  AuditEventType,
  CreatedOAuthClientType,
  CustomTokenTypeType,
  IssuedTokenRecordType,
  OAuthClientInput,
  OAuthClientType,
  KeyType,
  SamlPluginType,
  SessionType,
  TokenValidationType,
  TranslatedTokenType,
  UserInput,
  UserType,
} from './types.js';
import { registryTypes } from './registry-types.js';

// The types token kinds shape, built from the registry with the schema (registry-types.ts).
const InstanceInput = () => registryTypes().InstanceInput;
const StsInstance = () => registryTypes().StsInstance;
const TokenInput = () => registryTypes().TokenInput;
const TokenOutput = () => registryTypes().TokenOutput;
const TokenType = () => registryTypes().TokenType;
type GqlObj = Record<string, unknown>;

function userOut(u: UserView): UserType {
  return Object.assign(new UserType(), { id: u.id, username: u.username, roles: u.roles, attributes: u.attributes });
}

function keyOut(k: KeyView): KeyType {
  return Object.assign(new KeyType(), k);
}

/** Plain JSON: drops class prototypes and undefined members before validation. */
function plain<T>(v: T): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

export function instanceOut(row: InstanceRow, publicUrl: string, registry: TokenRegistry): GqlObj {
  return {
    ...toPublicInstance(row.config, registry),
    id: row.id,
    name: row.name,
    endpoints: instanceEndpoints(publicUrl, row.name, row.config.realm),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

@Resolver()
export class AuthResolver {
  @Query(() => UserType, { nullable: true, description: 'The caller; null when anonymous.' })
  async me(@Ctx() ctx: GqlContext): Promise<UserType | null> {
    if (!ctx.caller) return null;
    const u = await ctx.services.identity.getUser(ctx.caller.userId);
    return u ? userOut(u) : null;
  }

  @Mutation(() => SessionType, { description: 'Unknown user and wrong password fail alike with UNAUTHENTICATED.' })
  async login(
    @Arg('username', () => String, { description: 'The user name (case-insensitive).' }) username: string,
    @Arg('password', () => String, { description: 'The password.' }) password: string,
    @Ctx() ctx: GqlContext,
  ): Promise<SessionType> {
    const { session } = await ctx.services.identity.login(username, password, ctx.clientAddress);
    return Object.assign(new SessionType(), { token: session.token, expiresAt: session.expiresAt, user: userOut(session.user) });
  }

  @Mutation(() => Boolean, { description: "Ends the caller's session." })
  async logout(@Ctx() ctx: GqlContext): Promise<boolean> {
    await ctx.services.identity.logout(requireCaller(ctx), { clientAddress: ctx.clientAddress });
    return true;
  }

  @Mutation(() => Boolean, { description: "Changes the caller's own password; the caller's other sessions end." })
  async changePassword(
    @Arg('oldPassword', () => String, { description: 'The current password.' }) oldPassword: string,
    @Arg('newPassword', () => String, { description: 'The new password: 8 to 1024 characters.' }) newPassword: string,
    @Ctx() ctx: GqlContext,
  ): Promise<boolean> {
    await ctx.services.identity.changePassword(requireCaller(ctx), oldPassword, newPassword, ctx.clientAddress);
    return true;
  }
}

@Resolver()
export class UserResolver {
  @Query(() => [UserType], { description: 'Every user (admin).' })
  async users(@Ctx() ctx: GqlContext): Promise<UserType[]> {
    requireAdmin(ctx);
    return (await ctx.services.identity.listUsers()).map(userOut);
  }

  @Mutation(() => UserType, { description: 'Creates a user (admin); CONFLICT when the name is taken, whatever its case.' })
  async createUser(@Arg('input', () => UserInput, { description: 'The user.' }) input: UserInput, @Ctx() ctx: GqlContext): Promise<UserType> {
    const admin = requireAdmin(ctx);
    return userOut(await ctx.services.identity.createUser(plain(input) as UserInput, { actor: admin.username, clientAddress: ctx.clientAddress }));
  }

  @Mutation(() => Boolean, { description: "Deletes a user and ends the user's sessions." })
  async deleteUser(@Arg('username', () => String, { description: 'The exact user name, as users lists it.' }) username: string, @Ctx() ctx: GqlContext): Promise<boolean> {
    const admin = requireAdmin(ctx);
    await ctx.services.identity.deleteUser(username, { actor: admin.username, clientAddress: ctx.clientAddress });
    return true;
  }
}

@Resolver()
export class InstanceResolver {
  @Query(() => [registryTypes().StsInstance], { description: 'Every published instance (admin).' })
  async instances(@Ctx() ctx: GqlContext): Promise<GqlObj[]> {
    requireAdmin(ctx);
    return (await ctx.services.publish.list()).map((r) => instanceOut(r, ctx.services.config.publicUrl, ctx.services.registry));
  }

  @Query(StsInstance, { nullable: true, description: 'One instance by name (admin); null when unknown.' })
  async instance(@Arg('name', () => String, { description: 'The instance name.' }) name: string, @Ctx() ctx: GqlContext): Promise<GqlObj | null> {
    requireAdmin(ctx);
    const r = await ctx.services.publish.get(name);
    return r ? instanceOut(r, ctx.services.config.publicUrl, ctx.services.registry) : null;
  }

  @Mutation(StsInstance, { description: 'Publishes a new instance (admin); every configuration mistake is BAD_USER_INPUT naming the field.' })
  async publishInstance(@Arg('input', InstanceInput, { description: 'The instance to publish.' }) input: GqlObj, @Ctx() ctx: GqlContext): Promise<GqlObj> {
    const admin = requireAdmin(ctx);
    const row = await ctx.services.publish.publish(plain(input), { actor: admin.username, clientAddress: ctx.clientAddress });
    return instanceOut(row, ctx.services.config.publicUrl, ctx.services.registry);
  }

  @Mutation(StsInstance, { description: 'Replaces an instance (admin): full replacement; the name must match; omitted write-only secrets keep their value.' })
  async updateInstance(
    @Arg('name', () => String, { description: 'The instance to replace.' }) name: string,
    @Arg('input', InstanceInput, { description: 'Its new configuration.' }) input: GqlObj,
    @Ctx() ctx: GqlContext,
  ): Promise<GqlObj> {
    const admin = requireAdmin(ctx);
    const row = await ctx.services.publish.update(name, plain(input), { actor: admin.username, clientAddress: ctx.clientAddress });
    return instanceOut(row, ctx.services.config.publicUrl, ctx.services.registry);
  }

  @Mutation(() => Boolean, { description: 'Deletes an instance (admin); its issued-token records stay with its internal id.' })
  async deleteInstance(@Arg('name', () => String, { description: 'The instance name.' }) name: string, @Ctx() ctx: GqlContext): Promise<boolean> {
    const admin = requireAdmin(ctx);
    return ctx.services.publish.delete(name, { actor: admin.username, clientAddress: ctx.clientAddress });
  }
}

@Resolver()
export class KeyResolver {
  @Query(() => [KeyType], { description: 'Never returns private material.' })
  async keys(@Ctx() ctx: GqlContext): Promise<KeyType[]> {
    requireAdmin(ctx);
    return (await ctx.services.keys.list()).map(keyOut);
  }

  private async admin(ctx: GqlContext, fn: (c: { actor: string; clientAddress: string }) => Promise<KeyView>): Promise<KeyType> {
    const admin = requireAdmin(ctx);
    return keyOut(await fn({ actor: admin.username, clientAddress: ctx.clientAddress }));
  }

  @Mutation(() => KeyType, { description: 'RS256, RS512, PS256 (RSA-2048; append -3072 for RSA-3072), ES256, EdDSA; RSA-2048 and RSA-3072 mean RS256.' })
  async generateKey(@Arg('algorithm', () => String, { description: 'RS256, RS512, PS256 (-3072 for RSA-3072), ES256 or EdDSA.' }) algorithm: string, @Ctx() ctx: GqlContext): Promise<KeyType> {
    return this.admin(ctx, (c) => ctx.services.keys.generate(algorithm, c));
  }

  @Mutation(() => KeyType, { description: 'A new active key of the same algorithm; the old one stays published for verification.' })
  async rotateKey(@Arg('kid', () => String, { description: 'The key to rotate.' }) kid: string, @Ctx() ctx: GqlContext): Promise<KeyType> {
    return this.admin(ctx, (c) => ctx.services.keys.rotate(kid, c));
  }

  @Mutation(() => KeyType, { description: 'No longer published or used.' })
  async retireKey(@Arg('kid', () => String, { description: 'The key to retire.' }) kid: string, @Ctx() ctx: GqlContext): Promise<KeyType> {
    return this.admin(ctx, (c) => ctx.services.keys.retire(kid, c));
  }
}

@Resolver()
export class AdminResolver {
  @Query(() => [SamlPluginType], { description: 'Built-in and loaded SAML statement plugins.' })
  samlPlugins(@Ctx() ctx: GqlContext): SamlPluginType[] {
    requireAdmin(ctx);
    return ctx.services.samlPlugins.list().map((p) => Object.assign(new SamlPluginType(), { ...p, amClassNames: p.amClassNames ?? [] }));
  }

  @Query(() => [CustomTokenTypeType], { description: 'Loaded custom token validators and providers.' })
  customTokenTypes(@Ctx() ctx: GqlContext): CustomTokenTypeType[] {
    requireAdmin(ctx);
    return ctx.services.registry
      .all()
      .filter((k) => !k.builtIn)
      .map((k) =>
        Object.assign(new CustomTokenTypeType(), {
          tokenType: k.name,
          hasValidator: !!k.validator,
          hasProvider: !!k.provider,
          validatorAmClassNames: [...(k.validator?.amClassNames ?? [])],
          providerAmClassNames: [...(k.provider?.amClassNames ?? [])],
        }),
      );
  }

  @Query(() => [IssuedTokenRecordType], { description: 'Newest first. `first` defaults to 50 (at most 500); `after` is a record cursor.' })
  async issuedTokens(
    @Ctx() ctx: GqlContext,
    @Arg('instance', () => String, { nullable: true, description: 'Only this instance\'s records.' }) instance?: string,
    @Arg('subject', () => String, { nullable: true, description: 'Only records naming this subject.' }) subject?: string,
    @Arg('first', () => Int, { nullable: true, description: 'Page size: 1 to 500, default 50.' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'The cursor of the previous page\'s last record.' }) after?: string,
  ): Promise<IssuedTokenRecordType[]> {
    requireAdmin(ctx);
    const n = first ?? 50;
    if (!Number.isInteger(n) || n < 1 || n > 500) throw new BadUserInputError('must be between 1 and 500', 'first');
    try {
      const rows = await ctx.services.issued.list({ instanceName: instance ?? undefined, subject: subject ?? undefined, first: n, after: after ?? undefined });
      return rows.map((r) =>
        Object.assign(new IssuedTokenRecordType(), {
          tokenId: r.tokenId,
          instance: r.instanceName,
          subject: r.subject,
          type: r.type,
          issuedAt: r.issuedAt,
          expiresAt: r.expiresAt,
          cancelled: r.cancelled,
          sender: r.sender,
          cursor: encodeCursor({ issuedAt: r.issuedAt, id: r.id }),
        }),
      );
    } catch (e) {
      if (e instanceof CursorError) throw new BadUserInputError('is not a cursor from a previous page', 'after');
      throw e;
    }
  }

  @Query(() => [AuditEventType], { description: 'Newest first; `first` defaults to 100 (at most 1000); `after` is an event cursor.' })
  async auditEvents(
    @Ctx() ctx: GqlContext,
    @Arg('instance', () => String, { nullable: true, description: 'Only events of this instance.' }) instance?: string,
    @Arg('action', () => String, { nullable: true, description: 'Only this action (translate, login, …).' }) action?: string,
    @Arg('outcome', () => String, { nullable: true, description: 'Only this outcome: OK or an error code.' }) outcome?: string,
    @Arg('first', () => Int, { nullable: true, description: 'Page size: 1 to 1000, default 100.' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'The cursor of the previous page\'s last event.' }) after?: string,
  ): Promise<AuditEventType[]> {
    requireAdmin(ctx);
    const n = first ?? 100;
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new BadUserInputError('must be between 1 and 1000', 'first');
    try {
      const rows = await ctx.services.audit.list({ instance: instance ?? undefined, action: action ?? undefined, outcome: outcome ?? undefined, first: n, after: after ?? undefined });
      return rows.map((r) => Object.assign(new AuditEventType(), { ...r, id: undefined, cursor: encodeCursor({ issuedAt: r.at, id: r.id }) }));
    } catch (e) {
      if (e instanceof CursorError) throw new BadUserInputError('is not a cursor from a previous page', 'after');
      throw e;
    }
  }
}

/**
 * TokenInput / TokenOutput → the engine's envelope: the kind's fields by their GraphQL names (a registry lookup),
 * or for CUSTOM the plugin kind named by customType with its token and the raw request.
 */
function envelope(registry: TokenRegistry, value: GqlObj, side: 'input' | 'output'): TokenEnvelope {
  const v = plain(value) as Obj;
  const type = v.type as string;
  if (type === CUSTOM) {
    const customType = v.customType;
    if (typeof customType !== 'string' || customType === '') throw new BadUserInputError(`is required for CUSTOM ${side}`, `${side}.customType`);
    if (registry.isEnumerated(customType)) throw new BadUserInputError(`names a built-in kind: use type ${customType}`, `${side}.customType`);
    return side === 'input' ? { type: customType, token: v.customToken, raw: v } : { type: customType, raw: v };
  }
  const kind = registry.kind(type);
  const part = side === 'input' ? kind?.validator : kind?.provider;
  if (!part) return { type };
  return { ...(part.fromGraphql ? part.fromGraphql(v) : readWireFields(v, part.fields, 'graphql')), type };
}

@Resolver()
export class TokenResolver {
  @Mutation(() => TranslatedTokenType, { description: 'The token transformation: validates the input token and issues the output token (no session needed unless the instance sets callerRoles).' })
  async translateToken(
    @Arg('instance', () => String, { description: 'The STS instance.' }) instance: string,
    @Arg('input', TokenInput, { description: 'The presented token.' }) input: GqlObj,
    @Arg('output', TokenOutput, { description: 'The token to issue.' }) output: GqlObj,
    @Ctx() ctx: GqlContext,
    @Arg('actor', TokenInput, { nullable: true, description: 'RFC 8693 delegation: the token of who acts for the subject (the instance must allow delegation); the issued JWT carries it in act.' })
    actor?: GqlObj | null,
  ): Promise<TranslatedTokenType> {
    const { registry } = ctx.services;
    const t = await ctx.services.engine.translate(
      instance,
      envelope(registry, input, 'input'),
      envelope(registry, output, 'output'),
      requestContext(ctx),
      actor ? { actor: envelope(registry, actor, 'input') } : {},
    );
    const enumerated = registry.isEnumerated(t.type);
    return Object.assign(new TranslatedTokenType(), { ...t, type: enumerated ? t.type : CUSTOM, customType: enumerated ? undefined : t.type });
  }

  @Mutation(() => TokenValidationType, { description: 'Checks a token this instance issued; never fails because of the token itself: valid false with a reason.' })
  async validateToken(
    @Arg('instance', () => String, { description: 'The STS instance that issued the token.' }) instance: string,
    @Arg('type', TokenType, { description: 'The kind of the token; CUSTOM for any custom token type.' }) type: string,
    @Arg('token', () => String, { description: 'The token exactly as issued.' }) token: string,
    @Ctx() ctx: GqlContext,
  ): Promise<TokenValidationType> {
    const r = await ctx.services.engine.validate(instance, type, token, requestContext(ctx));
    return Object.assign(new TokenValidationType(), { valid: r.valid, reason: r.reason, subject: r.subject, expiresAt: r.expiresAt });
  }

  @Mutation(() => Boolean, { description: 'Cancels a token this instance issued: true when it is cancelled now or already was; a token that does not verify is INVALID_TOKEN.' })
  async cancelToken(
    @Arg('instance', () => String, { description: 'The STS instance that issued the token.' }) instance: string,
    @Arg('type', TokenType, { description: 'The kind of the token; CUSTOM for any custom token type.' }) type: string,
    @Arg('token', () => String, { description: 'The token exactly as issued.' }) token: string,
    @Ctx() ctx: GqlContext,
  ): Promise<boolean> {
    return ctx.services.engine.cancel(instance, type, token, requestContext(ctx));
  }
}

function clientOut(c: ClientView): OAuthClientType {
  return Object.assign(new OAuthClientType(), { ...c, jwks: c.jwks ?? undefined });
}

@Resolver()
export class OAuthClientResolver {
  @Query(() => [OAuthClientType], { description: 'The OAuth clients of the token endpoint (admin).' })
  async oauthClients(@Ctx() ctx: GqlContext): Promise<OAuthClientType[]> {
    requireAdmin(ctx);
    return (await ctx.services.clients.list()).map(clientOut);
  }

  @Mutation(() => CreatedOAuthClientType, { description: 'Registers a client (admin); a secret method returns its secret here, once.' })
  async createOAuthClient(@Arg('input', () => OAuthClientInput, { description: 'The new client.' }) input: OAuthClientInput, @Ctx() ctx: GqlContext): Promise<CreatedOAuthClientType> {
    const admin = requireAdmin(ctx);
    const r = await ctx.services.clients.create(plain(input), { actor: admin.username, clientAddress: ctx.clientAddress });
    return Object.assign(new CreatedOAuthClientType(), { client: clientOut(r.client), clientSecret: r.clientSecret });
  }

  @Mutation(() => OAuthClientType, { description: 'Replaces a client\'s settings (admin); the secret is kept while the method uses one.' })
  async updateOAuthClient(
    @Arg('clientId', () => String, { description: 'The client to change.' }) clientId: string,
    @Arg('input', () => OAuthClientInput, { description: 'Its new settings; clientId must stay the same.' }) input: OAuthClientInput,
    @Ctx() ctx: GqlContext,
  ): Promise<OAuthClientType> {
    const admin = requireAdmin(ctx);
    return clientOut(await ctx.services.clients.update(clientId, plain(input), { actor: admin.username, clientAddress: ctx.clientAddress }));
  }

  @Mutation(() => Boolean, { description: 'Deletes a client (admin); its credentials stop working at once.' })
  async deleteOAuthClient(@Arg('clientId', () => String, { description: 'The client to delete.' }) clientId: string, @Ctx() ctx: GqlContext): Promise<boolean> {
    const admin = requireAdmin(ctx);
    return ctx.services.clients.delete(clientId, { actor: admin.username, clientAddress: ctx.clientAddress });
  }

  @Mutation(() => CreatedOAuthClientType, { description: 'A new secret for a secret-method client (admin), shown once; the old one stops working.' })
  async rotateOAuthClientSecret(@Arg('clientId', () => String, { description: 'The client whose secret is replaced.' }) clientId: string, @Ctx() ctx: GqlContext): Promise<CreatedOAuthClientType> {
    const admin = requireAdmin(ctx);
    const r = await ctx.services.clients.rotateSecret(clientId, { actor: admin.username, clientAddress: ctx.clientAddress });
    return Object.assign(new CreatedOAuthClientType(), { client: clientOut(r.client), clientSecret: r.clientSecret });
  }
}

export const RESOLVERS = [AuthResolver, UserResolver, InstanceResolver, KeyResolver, AdminResolver, TokenResolver, OAuthClientResolver] as const;

/**
 * Thin resolvers: check who is calling, map GraphQL input to the service call, map the result back.
 * No crypto, no query and no business rule lives here.
 */
import 'reflect-metadata';
import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { BadUserInputError, publicCode } from '../engine/errors.js';
import type { TokenInput, TokenOutputRequest } from '../engine/types.js';
import { instanceEndpoints, toPublicInstance } from '../engine/instance-config.js';
import { defaultIssuer } from '../tokens/oidc/oidc.provider.js';
import type { InstanceRow } from '../persistence/stores.js';
import { CursorError, encodeCursor } from '../persistence/stores.js';
import type { UserView } from '../identity/identity.service.js';
import type { KeyView } from '../keys/key-store.js';
import { requestContext, requireAdmin, requireCaller, type GqlContext } from './context.js';
import {
  AuditEventType,
  CustomTokenTypeType,
  InstanceInput,
  IssuedTokenRecordType,
  KeyType,
  SamlPluginType,
  SessionType,
  StsInstanceType,
  SubjectConfirmationEnum,
  TokenInputType,
  TokenOutputType,
  TokenTypeEnum,
  TokenValidationType,
  TranslatedTokenType,
  UserInput,
  UserType,
} from './types.js';

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

export function instanceOut(row: InstanceRow, publicUrl: string): StsInstanceType {
  const view = toPublicInstance(row.config) as unknown as Record<string, unknown> & {
    oidc?: Record<string, unknown> & { hasClientSecret?: boolean };
  };
  const oidc = view.oidc ? { ...view.oidc, issuer: (view.oidc.issuer as string | undefined) ?? defaultIssuer(publicUrl, row.name) } : undefined;
  return Object.assign(new StsInstanceType(), {
    ...view,
    oidc,
    id: row.id,
    name: row.name,
    hasClientSecret: !!view.oidc?.hasClientSecret,
    endpoints: instanceEndpoints(publicUrl, row.name),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  });
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
    @Arg('username', () => String) username: string,
    @Arg('password', () => String) password: string,
    @Ctx() ctx: GqlContext,
  ): Promise<SessionType> {
    const { services } = ctx;
    try {
      const { session } = await services.identity.login(username, password, ctx.clientAddress);
      await services.audit.record({ action: 'login', actor: session.user.username, target: session.user.username, outcome: 'OK', clientAddress: ctx.clientAddress });
      return Object.assign(new SessionType(), { token: session.token, expiresAt: session.expiresAt, user: userOut(session.user) });
    } catch (e) {
      await services.audit.record({
        action: 'login',
        target: typeof username === 'string' ? username.slice(0, 128) : undefined,
        outcome: publicCode(e),
        clientAddress: ctx.clientAddress,
      });
      throw e;
    }
  }

  @Mutation(() => Boolean, { description: "Ends the caller's session." })
  async logout(@Ctx() ctx: GqlContext): Promise<boolean> {
    const c = requireCaller(ctx);
    await ctx.services.identity.endSession(c.sessionId);
    await ctx.services.audit.record({ action: 'logout', actor: c.username, target: c.username, outcome: 'OK', clientAddress: ctx.clientAddress });
    return true;
  }

  @Mutation(() => Boolean, { description: "Changes the caller's own password; the caller's other sessions end." })
  async changePassword(
    @Arg('oldPassword', () => String) oldPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
    @Ctx() ctx: GqlContext,
  ): Promise<boolean> {
    const c = requireCaller(ctx);
    try {
      await ctx.services.identity.changePassword(c, oldPassword, newPassword, ctx.clientAddress);
      await ctx.services.audit.record({ action: 'changePassword', actor: c.username, target: c.username, outcome: 'OK', clientAddress: ctx.clientAddress });
      return true;
    } catch (e) {
      await ctx.services.audit.record({ action: 'changePassword', actor: c.username, target: c.username, outcome: publicCode(e), clientAddress: ctx.clientAddress });
      throw e;
    }
  }
}

@Resolver()
export class UserResolver {
  @Query(() => [UserType])
  async users(@Ctx() ctx: GqlContext): Promise<UserType[]> {
    requireAdmin(ctx);
    return (await ctx.services.identity.listUsers()).map(userOut);
  }

  @Mutation(() => UserType)
  async createUser(@Arg('input', () => UserInput) input: UserInput, @Ctx() ctx: GqlContext): Promise<UserType> {
    const admin = requireAdmin(ctx);
    const audit = (outcome: string) =>
      ctx.services.audit.record({ action: 'createUser', actor: admin.username, target: String(input.username).slice(0, 128), outcome, clientAddress: ctx.clientAddress });
    try {
      const u = await ctx.services.identity.createUser(plain(input) as UserInput);
      await audit('OK');
      return userOut(u);
    } catch (e) {
      await audit(publicCode(e));
      throw e;
    }
  }

  @Mutation(() => Boolean, { description: "Deletes a user and ends the user's sessions." })
  async deleteUser(@Arg('username', () => String) username: string, @Ctx() ctx: GqlContext): Promise<boolean> {
    const admin = requireAdmin(ctx);
    const audit = (outcome: string) =>
      ctx.services.audit.record({ action: 'deleteUser', actor: admin.username, target: username.slice(0, 128), outcome, clientAddress: ctx.clientAddress });
    try {
      if (username === admin.username) throw new BadUserInputError('you cannot delete yourself', 'username');
      await ctx.services.identity.deleteUser(username);
      await audit('OK');
      return true;
    } catch (e) {
      await audit(publicCode(e));
      throw e;
    }
  }
}

@Resolver()
export class InstanceResolver {
  @Query(() => [StsInstanceType])
  async instances(@Ctx() ctx: GqlContext): Promise<StsInstanceType[]> {
    requireAdmin(ctx);
    return (await ctx.services.publish.list()).map((r) => instanceOut(r, ctx.services.config.publicUrl));
  }

  @Query(() => StsInstanceType, { nullable: true, description: 'Null when unknown.' })
  async instance(@Arg('name', () => String) name: string, @Ctx() ctx: GqlContext): Promise<StsInstanceType | null> {
    requireAdmin(ctx);
    const r = await ctx.services.publish.get(name);
    return r ? instanceOut(r, ctx.services.config.publicUrl) : null;
  }

  @Mutation(() => StsInstanceType)
  async publishInstance(@Arg('input', () => InstanceInput) input: InstanceInput, @Ctx() ctx: GqlContext): Promise<StsInstanceType> {
    const admin = requireAdmin(ctx);
    const row = await ctx.services.publish.publish(plain(input), { actor: admin.username, clientAddress: ctx.clientAddress });
    return instanceOut(row, ctx.services.config.publicUrl);
  }

  @Mutation(() => StsInstanceType, { description: 'Full replacement; the name must match; omitted write-only secrets keep their value.' })
  async updateInstance(
    @Arg('name', () => String) name: string,
    @Arg('input', () => InstanceInput) input: InstanceInput,
    @Ctx() ctx: GqlContext,
  ): Promise<StsInstanceType> {
    const admin = requireAdmin(ctx);
    const row = await ctx.services.publish.update(name, plain(input), { actor: admin.username, clientAddress: ctx.clientAddress });
    return instanceOut(row, ctx.services.config.publicUrl);
  }

  @Mutation(() => Boolean)
  async deleteInstance(@Arg('name', () => String) name: string, @Ctx() ctx: GqlContext): Promise<boolean> {
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

  private async audited(ctx: GqlContext, action: string, target: string, fn: () => Promise<KeyView>): Promise<KeyType> {
    const admin = requireAdmin(ctx);
    try {
      const k = await fn();
      await ctx.services.audit.record({ action, actor: admin.username, target: k.kid, outcome: 'OK', clientAddress: ctx.clientAddress, detail: { algorithm: k.algorithm, from: target } });
      return keyOut(k);
    } catch (e) {
      await ctx.services.audit.record({ action, actor: admin.username, target: target.slice(0, 128), outcome: publicCode(e), clientAddress: ctx.clientAddress });
      throw e;
    }
  }

  @Mutation(() => KeyType, { description: 'RS256, RS512, PS256 (RSA-2048; append -3072 for RSA-3072), ES256, EdDSA; RSA-2048 and RSA-3072 mean RS256.' })
  async generateKey(@Arg('algorithm', () => String) algorithm: string, @Ctx() ctx: GqlContext): Promise<KeyType> {
    return this.audited(ctx, 'generateKey', algorithm, () => ctx.services.keys.generate(algorithm));
  }

  @Mutation(() => KeyType, { description: 'A new active key of the same algorithm; the old one stays published for verification.' })
  async rotateKey(@Arg('kid', () => String) kid: string, @Ctx() ctx: GqlContext): Promise<KeyType> {
    return this.audited(ctx, 'rotateKey', kid, () => ctx.services.keys.rotate(kid));
  }

  @Mutation(() => KeyType, { description: 'No longer published or used.' })
  async retireKey(@Arg('kid', () => String) kid: string, @Ctx() ctx: GqlContext): Promise<KeyType> {
    return this.audited(ctx, 'retireKey', kid, () => ctx.services.keys.retire(kid));
  }
}

@Resolver()
export class AdminResolver {
  @Query(() => [SamlPluginType], { description: 'Built-in and loaded SAML statement plugins.' })
  samlPlugins(@Ctx() ctx: GqlContext): SamlPluginType[] {
    requireAdmin(ctx);
    return ctx.services.plugins.samlPlugins().map((p) => Object.assign(new SamlPluginType(), p));
  }

  @Query(() => [CustomTokenTypeType], { description: 'Loaded custom token validators and providers.' })
  customTokenTypes(@Ctx() ctx: GqlContext): CustomTokenTypeType[] {
    requireAdmin(ctx);
    return ctx.services.plugins.customTokenTypes().map((p) => Object.assign(new CustomTokenTypeType(), p));
  }

  @Query(() => [IssuedTokenRecordType], { description: 'Newest first. `first` defaults to 50 (at most 500); `after` is a record cursor.' })
  async issuedTokens(
    @Ctx() ctx: GqlContext,
    @Arg('instance', () => String, { nullable: true }) instance?: string,
    @Arg('subject', () => String, { nullable: true }) subject?: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
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
    @Arg('instance', () => String, { nullable: true }) instance?: string,
    @Arg('action', () => String, { nullable: true }) action?: string,
    @Arg('outcome', () => String, { nullable: true }) outcome?: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
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

function toEngineInput(i: TokenInputType): TokenInput {
  switch (i.type) {
    case TokenTypeEnum.USERNAME:
      return { type: 'USERNAME', username: i.username as string, password: i.password as string };
    case TokenTypeEnum.OPENIDCONNECT:
      if (!i.idToken) throw new BadUserInputError('is required for OPENIDCONNECT input', 'input.idToken');
      return { type: 'OPENIDCONNECT', idToken: i.idToken };
    case TokenTypeEnum.X509:
      if (!i.certificate) throw new BadUserInputError('is required for X509 input', 'input.certificate');
      return { type: 'X509', certificates: splitPemBundle(i.certificate), proof: i.proof ?? undefined };
    case TokenTypeEnum.SESSION:
      if (!i.sessionToken) throw new BadUserInputError('is required for SESSION input', 'input.sessionToken');
      return { type: 'SESSION', sessionToken: i.sessionToken };
    case TokenTypeEnum.CUSTOM:
      if (!i.customType) throw new BadUserInputError('is required for CUSTOM input', 'input.customType');
      return { type: 'CUSTOM', customType: i.customType, customToken: i.customToken, rawInput: plain(i) };
    default:
      return { type: i.type as 'SAML2' } as unknown as TokenInput;
  }
}

function toEngineOutput(o: TokenOutputType): TokenOutputRequest {
  switch (o.type) {
    case TokenTypeEnum.OPENIDCONNECT:
      return { type: 'OPENIDCONNECT', nonce: o.nonce ?? undefined };
    case TokenTypeEnum.SAML2:
      return { type: 'SAML2', subjectConfirmation: o.subjectConfirmation ?? SubjectConfirmationEnum.BEARER, proofCertificate: o.proofCertificate ?? undefined };
    case TokenTypeEnum.CUSTOM:
      if (!o.customType) throw new BadUserInputError('is required for CUSTOM output', 'output.customType');
      return { type: 'CUSTOM', customType: o.customType, rawOutput: plain(o) };
    default:
      throw new BadUserInputError(`${o.type} cannot be issued`, 'output.type');
  }
}

@Resolver()
export class TokenResolver {
  @Mutation(() => TranslatedTokenType)
  async translateToken(
    @Arg('instance', () => String) instance: string,
    @Arg('input', () => TokenInputType) input: TokenInputType,
    @Arg('output', () => TokenOutputType) output: TokenOutputType,
    @Ctx() ctx: GqlContext,
  ): Promise<TranslatedTokenType> {
    const t = await ctx.services.engine.translate(instance, toEngineInput(input), toEngineOutput(output), requestContext(ctx));
    return Object.assign(new TranslatedTokenType(), t);
  }

  @Mutation(() => TokenValidationType, { description: 'Never fails because of the token itself: valid false with a reason.' })
  async validateToken(
    @Arg('instance', () => String) instance: string,
    @Arg('type', () => TokenTypeEnum) type: TokenTypeEnum,
    @Arg('token', () => String) token: string,
    @Ctx() ctx: GqlContext,
  ): Promise<TokenValidationType> {
    const r = await ctx.services.engine.validate(instance, type, token, requestContext(ctx));
    return Object.assign(new TokenValidationType(), { valid: r.valid, reason: r.reason, subject: r.subject, expiresAt: r.expiresAt });
  }

  @Mutation(() => Boolean, { description: 'True when the token is cancelled now or already was.' })
  async cancelToken(
    @Arg('instance', () => String) instance: string,
    @Arg('type', () => TokenTypeEnum) type: TokenTypeEnum,
    @Arg('token', () => String) token: string,
    @Ctx() ctx: GqlContext,
  ): Promise<boolean> {
    return ctx.services.engine.cancel(instance, type, token, requestContext(ctx));
  }
}

export const RESOLVERS = [AuthResolver, UserResolver, InstanceResolver, KeyResolver, AdminResolver, TokenResolver] as const;

/** A PEM bundle (leaf first) → one string per certificate; a bare base64 DER stays one entry. */
export function splitPemBundle(text: string): string[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  return blocks && blocks.length > 0 ? blocks : [text];
}

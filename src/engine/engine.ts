/**
 * The one engine every door calls (DESIGN.md §1):
 *   instance (cached) → transform lookup → validator → provider → issued-token record + audit → interim session.
 * No HTTP, no GraphQL, no ORM here: persistence, identity and audit arrive as interfaces.
 */
import { createHash } from 'node:crypto';
import {
  BadUserInputError,
  ForbiddenError,
  InvalidTokenError,
  NotFoundError,
  TokenPersistenceDisabledError,
  UnauthenticatedError,
  UnsupportedTransformError,
  publicCode,
} from './errors.js';
import type { TokenRegistry } from './registry.js';
import type {
  AuditSink,
  Clock,
  IdentityProvider,
  IssuedToken,
  IssuedTokenStore,
  PublishedInstance,
  RequestContext,
  TokenEngine,
  TokenInput,
  TokenOutputRequest,
  TokenValidationResult,
  TransformConfig,
  VerifiedSubject,
} from './types.js';

export const MAX_TOKEN_BYTES = 64 * 1024;

export interface InstanceSource {
  /** The published instance by name, from a cache kept off the per-token path; null when unknown. */
  get(name: string): Promise<PublishedInstance | null>;
}

export interface EngineDeps {
  registry: TokenRegistry;
  instances: InstanceSource;
  issued: IssuedTokenStore;
  audit: AuditSink;
  identity: Pick<IdentityProvider, 'endSession'>;
  clock?: Clock;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function typeName(type: string, custom?: string): string {
  return type === 'CUSTOM' && custom ? custom : type;
}

function assertSize(value: unknown, field: string): void {
  if (typeof value === 'string' && Buffer.byteLength(value, 'utf8') > MAX_TOKEN_BYTES) {
    throw new BadUserInputError('is larger than 64 KiB', field);
  }
}

/** Every token-carrying field is capped before any parsing (API.md §2). */
function checkInputSizes(input: TokenInput): void {
  switch (input.type) {
    case 'USERNAME':
      assertSize(input.username, 'input.username');
      assertSize(input.password, 'input.password');
      break;
    case 'OPENIDCONNECT':
      assertSize(input.idToken, 'input.idToken');
      break;
    case 'X509':
      if (Array.isArray(input.certificates)) input.certificates.forEach((c, i) => assertSize(c, `input.certificate[${i}]`));
      assertSize(input.proof, 'input.proof');
      break;
    case 'SESSION':
      assertSize(input.sessionToken, 'input.sessionToken');
      break;
    case 'CUSTOM':
      if (JSON.stringify(input.customToken ?? null).length > MAX_TOKEN_BYTES) throw new BadUserInputError('is larger than 64 KiB', 'input.customToken');
      break;
  }
}

export class Engine implements TokenEngine {
  private readonly clock: Clock;

  constructor(private readonly deps: EngineDeps) {
    this.clock = deps.clock ?? { now: () => new Date() };
  }

  private async instance(name: string, req: RequestContext): Promise<PublishedInstance> {
    if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) throw new NotFoundError(`Unknown instance ${String(name).slice(0, 64)}.`);
    const inst = await this.deps.instances.get(name);
    if (!inst) throw new NotFoundError(`Unknown instance ${name}.`);
    const roles = inst.config.callerRoles;
    if (roles && roles.length > 0) {
      if (!req.caller) throw new UnauthenticatedError('This instance requires an authenticated caller.');
      if (!req.caller.roles.some((r) => roles.includes(r))) throw new ForbiddenError('The caller holds none of the roles this instance requires.');
    }
    return inst;
  }

  private findTransform(inst: PublishedInstance, input: TokenInput, output: TokenOutputRequest): TransformConfig {
    const inCustom = input.type === 'CUSTOM' ? input.customType : undefined;
    const outCustom = output.type === 'CUSTOM' ? output.customType : undefined;
    const t = inst.config.transforms.find(
      (x) =>
        x.input === input.type &&
        x.output === output.type &&
        (x.input !== 'CUSTOM' || x.customInput === inCustom) &&
        (x.output !== 'CUSTOM' || x.customOutput === outCustom),
    );
    if (!t) throw new UnsupportedTransformError(typeName(input.type, inCustom), typeName(output.type, outCustom));
    return t;
  }

  async translate(instanceName: string, input: TokenInput, output: TokenOutputRequest, req: RequestContext): Promise<IssuedToken> {
    const inType = input && typeof input === 'object' ? typeName(input.type, input.type === 'CUSTOM' ? input.customType : undefined) : undefined;
    const outType = output && typeof output === 'object' ? typeName(output.type, output.type === 'CUSTOM' ? output.customType : undefined) : undefined;
    let subject: VerifiedSubject | undefined;
    try {
      const inst = await this.instance(instanceName, req);
      if ((input.type as string) === 'SAML2') throw new UnsupportedTransformError('SAML2', String(outType));
      checkInputSizes(input);
      const transform = this.findTransform(inst, input, output);
      const validator = this.deps.registry.validator(inType!);
      const provider = this.deps.registry.provider(outType!);
      if (!validator || !provider) throw new UnsupportedTransformError(inType!, outType!);
      const now = this.clock.now();
      subject = await validator.validate(input, { instance: inst, request: req, now });
      if (transform.invalidateInterimSession && subject.sessionId) {
        // A single-use interim session is ended before the token is issued, and by one request only: concurrent
        // requests that all resolved the session before it ended must not each get a token.
        const ended = await this.deps.identity.endSession(subject.sessionId);
        if (ended === false) throw new InvalidTokenError('The session is not valid: unknown, ended or expired.');
      }
      const issued = await provider.issue(subject, output, { instance: inst, request: req, now: this.clock.now(), inputType: inType! });
      const sender = output.type === 'SAML2' && output.subjectConfirmation === 'SENDER_VOUCHES' ? req.caller?.username : undefined;
      const audited = { inputType: inType, outputType: outType, subject: subject.name, detail: sender ? { sender, tokenId: issued.tokenId } : { tokenId: issued.tokenId } };
      if (inst.config.persistIssuedTokens) {
        // Durable before the response is sent: the caller may validate or cancel at once. The record and the
        // audit event are written together (one group commit), not one after the other.
        const record = this.deps.issued.record({
          tokenId: issued.tokenId,
          instanceId: inst.id,
          instanceName: inst.config.name,
          subject: issued.subject,
          type: typeName(issued.type, issued.customType),
          tokenHash: tokenHash(issued.token),
          issuedAt: issued.issuedAt,
          expiresAt: issued.expiresAt,
          sender,
        });
        const event = this.audit('translate', instanceName, req, 'OK', audited);
        await Promise.all([record, event]);
      } else {
        await this.audit('translate', instanceName, req, 'OK', audited);
      }
      return issued;
    } catch (e) {
      await this.audit('translate', instanceName, req, publicCode(e), { inputType: inType, outputType: outType, subject: subject?.name });
      throw e;
    }
  }

  private checkType(type: string): void {
    if (type !== 'SAML2' && type !== 'OPENIDCONNECT' && type !== 'CUSTOM') {
      throw new BadUserInputError('must be SAML2, OPENIDCONNECT or CUSTOM', 'type');
    }
  }

  /** Signature (or record, for what only the SP can read), record, cancellation, expiry — in that order. */
  private async check(inst: PublishedInstance, type: string, token: string, customType?: string): Promise<TokenValidationResult> {
    if (typeof token !== 'string' || token.length === 0 || Buffer.byteLength(token, 'utf8') > MAX_TOKEN_BYTES) return { valid: false, reason: 'MALFORMED' };
    const now = this.clock.now();
    let signed: { tokenId: string; subject: string; expiresAt: Date } | undefined;
    if (type !== 'CUSTOM') {
      const provider = this.deps.registry.provider(type);
      if (!provider?.verifyIssued) return { valid: false, reason: 'UNKNOWN' };
      const r = await provider.verifyIssued(token, { instance: inst, now, checkExpiry: false });
      if (!r.ok) return { valid: false, reason: r.reason };
      if (!r.recordOnly) signed = { tokenId: r.tokenId, subject: r.subject, expiresAt: r.expiresAt };
    }
    const rec = await this.deps.issued.findByHash(inst.id, tokenHash(token));
    if (!rec) return { valid: false, reason: 'UNKNOWN', subject: signed?.subject, expiresAt: signed?.expiresAt };
    // A CUSTOM check that names its type (REST's token_type) matches only records of that type.
    const wrongType = type === 'CUSTOM' ? rec.type === 'SAML2' || rec.type === 'OPENIDCONNECT' || (customType !== undefined && rec.type !== customType) : rec.type !== type;
    if (wrongType) return { valid: false, reason: 'UNKNOWN' };
    const expiresAt = signed?.expiresAt ?? rec.expiresAt;
    // An encrypted NameID only the SP can read: the record knows the subject.
    const subject = signed?.subject || rec.subject;
    if (rec.cancelled) return { valid: false, reason: 'CANCELLED', subject, expiresAt, tokenId: rec.tokenId };
    if (expiresAt.getTime() <= now.getTime()) return { valid: false, reason: 'EXPIRED', subject, expiresAt, tokenId: rec.tokenId };
    return { valid: true, subject, expiresAt, tokenId: rec.tokenId };
  }

  async validate(instanceName: string, type: string, token: string, req: RequestContext, customType?: string): Promise<TokenValidationResult> {
    try {
      this.checkType(type);
      const inst = await this.instance(instanceName, req);
      if (!inst.config.persistIssuedTokens) throw new TokenPersistenceDisabledError(inst.config.name);
      const r = await this.check(inst, type, token, customType);
      await this.audit('validate', instanceName, req, 'OK', { outputType: type, subject: r.subject, detail: { valid: r.valid, reason: r.reason, tokenId: r.tokenId } });
      // The subject is returned to admin callers only.
      const isAdmin = !!req.caller?.roles.includes('admin');
      return { valid: r.valid, reason: r.reason, expiresAt: r.expiresAt, subject: isAdmin ? r.subject : undefined };
    } catch (e) {
      await this.audit('validate', instanceName, req, publicCode(e), { outputType: type });
      throw e;
    }
  }

  async cancel(instanceName: string, type: string, token: string, req: RequestContext, customType?: string): Promise<boolean> {
    let subject: string | undefined;
    try {
      this.checkType(type);
      const inst = await this.instance(instanceName, req);
      if (!inst.config.persistIssuedTokens) throw new TokenPersistenceDisabledError(inst.config.name);
      if (typeof token !== 'string' || token.length === 0) throw new BadUserInputError('is required', 'token');
      if (Buffer.byteLength(token, 'utf8') > MAX_TOKEN_BYTES) throw new BadUserInputError('is larger than 64 KiB', 'token');
      const r = await this.check(inst, type, token, customType);
      subject = r.subject;
      if (!r.valid && (r.reason === 'MALFORMED' || r.reason === 'BAD_SIGNATURE')) throw new InvalidTokenError('The token does not verify with this instance’s keys.');
      if (!r.valid && r.reason === 'UNKNOWN') throw new NotFoundError('No issued-token record matches this token.');
      // Found by a hash of the exact token string, never by an id taken from the token.
      await this.deps.issued.cancel(inst.id, tokenHash(token));
      await this.audit('cancel', instanceName, req, 'OK', { outputType: type, subject });
      return true;
    } catch (e) {
      await this.audit('cancel', instanceName, req, publicCode(e), { outputType: type, subject });
      throw e;
    }
  }

  private async audit(
    action: string,
    instance: string,
    req: RequestContext,
    outcome: string,
    extra: { inputType?: string; outputType?: string; subject?: string; detail?: Record<string, unknown> },
  ): Promise<void> {
    await this.deps.audit.record({
      action,
      instance: typeof instance === 'string' ? instance.slice(0, 63) : undefined,
      actor: req.caller?.username,
      subject: extra.subject,
      inputType: extra.inputType,
      outputType: extra.outputType,
      outcome,
      clientAddress: req.clientAddress,
      detail: extra.detail,
    });
  }
}

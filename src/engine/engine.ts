/**
 * The one engine every door calls (DESIGN.md §1):
 *   kinds (registry) → fields checked → instance (cached) → transform → validator → provider →
 *   issued-token record + audit event (one unit of the group commit) → interim session.
 * No HTTP, no GraphQL, no ORM here: persistence, identity and audit arrive as interfaces, time from one clock.
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
  sanitizeMessage,
  TesseraError,
} from './errors.js';
import { actClaim, actDepth, checkDelegation, DEFAULT_MAX_CHAIN_DEPTH, exchangeOf } from './exchange.js';
import { checkFields } from './fields.js';
import { INSTANCE_NAME_PATTERN } from './instance-config.js';
import { inRealm, notInRealm } from './realm.js';
import type { TokenKind } from './kind.js';
import type { TokenRegistry } from './registry.js';
import {
  CUSTOM,
  systemClock,
  transformKinds,
  type AuditEventInput,
  type Clock,
  type IdentityProvider,
  type IssuedToken,
  type IssuedTokenRecord,
  type PublishedInstance,
  type RequestContext,
  type TokenEngine,
  type TokenEnvelope,
  type TokenValidationResult,
  type TransformConfig,
  type TranslateOptions,
  type VerifiedSubject,
} from './types.js';

/**
 * The largest token an instance issues, and so the largest validate and cancel accept (what is issued can be
 * validated): far above any ID token, and room for a SAML assertion with hundreds of attribute values.
 */
export const MAX_ISSUED_TOKEN_BYTES = 256 * 1024;

export interface InstanceSource {
  /** The published instance by name, from a cache kept off the per-token path; null when unknown. */
  get(name: string): Promise<PublishedInstance | null>;
  /** Every instance (cached): how the engine recognises a token one of them issued when it comes back as input. */
  all?(): Promise<PublishedInstance[]>;
}

/** Where the engine writes what it issued: the record and its audit event are durable together, or neither is. */
export interface IssuanceLog {
  /** Writes the record (when given) and the audit event as one unit; resolves when both are durable. */
  commit(record: Omit<IssuedTokenRecord, 'cancelled'> | null, event: AuditEventInput): Promise<void>;
  /** Writes an audit event alone (failures, validate, cancel). */
  audit(event: AuditEventInput): Promise<void>;
  findByHash(instanceId: string, tokenHash: string): Promise<IssuedTokenRecord | null>;
  /** Marks every record of this exact token cancelled; false when none exists. */
  cancel(instanceId: string, tokenHash: string): Promise<boolean>;
}

export interface EngineDeps {
  registry: TokenRegistry;
  instances: InstanceSource;
  log: IssuanceLog;
  identity: Pick<IdentityProvider, 'endSession'>;
  clock?: Clock;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function show(v: unknown): string {
  return JSON.stringify(sanitizeMessage(v, 64));
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export class Engine implements TokenEngine {
  private readonly clock: Clock;

  constructor(private readonly deps: EngineDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  get registry(): TokenRegistry {
    return this.deps.registry;
  }

  private async instance(name: string, req: RequestContext): Promise<PublishedInstance> {
    if (typeof name !== 'string' || !INSTANCE_NAME_PATTERN.test(name)) throw new NotFoundError(`Unknown instance ${show(name)}.`);
    const inst = await this.deps.instances.get(name);
    if (!inst) throw new NotFoundError(`Unknown instance ${name}.`);
    if (req.realm !== undefined && !inRealm(inst.config.realm, req.realm)) throw notInRealm(name, req.realm, inst.config.realm);
    const roles = inst.config.callerRoles;
    if (roles && roles.length > 0) {
      if (!req.caller) throw new UnauthenticatedError('This instance requires an authenticated caller: send a session (Authorization: Bearer, or the PingAM session header or cookie, iPlanetDirectoryPro unless TESSERA_AM_COOKIE_NAME renames it) or, at the token endpoint, client credentials.');
      if (!req.caller.roles.some((r) => roles.includes(r))) throw new ForbiddenError('The caller holds none of the roles this instance requires.');
    }
    return inst;
  }

  /** The input kind, or UNSUPPORTED_TRANSFORM saying why nothing can take it. */
  private inputKind(type: string, outType: string): TokenKind {
    const kind = this.deps.registry.kind(type);
    if (!kind?.validator) {
      const why = kind ? `no validator accepts ${type} as input` : `no token kind named ${show(type)} is registered`;
      throw new TesseraError(
        'UNSUPPORTED_TRANSFORM',
        `The transformation from ${sanitizeMessage(type, 64)} to ${sanitizeMessage(outType, 64)} is not supported: ${why}; inputs are ${this.deps.registry.inputNames().join(', ')}.`,
      );
    }
    return kind;
  }

  private outputKind(type: string, inType: string): TokenKind {
    const kind = this.deps.registry.kind(type);
    if (!kind?.provider) {
      const why = kind ? `no provider issues ${type}` : `no token kind named ${show(type)} is registered`;
      throw new TesseraError(
        'UNSUPPORTED_TRANSFORM',
        `The transformation from ${sanitizeMessage(inType, 64)} to ${sanitizeMessage(type, 64)} is not supported: ${why}; outputs are ${this.deps.registry.outputNames().join(', ')}.`,
      );
    }
    return kind;
  }

  private findTransform(inst: PublishedInstance, inType: string, outType: string): TransformConfig {
    const t = inst.config.transforms.find((x) => {
      const k = transformKinds(x);
      return k.input === inType && k.output === outType;
    });
    if (!t) throw new UnsupportedTransformError(inType, outType);
    return t;
  }

  /**
   * The checks every translate starts with, before anything reads a token or the database: the kinds exist and
   * play their parts (else UNSUPPORTED_TRANSFORM saying why), and their fields pass the field table (names,
   * sizes, defaults; BAD_USER_INPUT named as the door names them).
   */
  prepare(input: TokenEnvelope, output: TokenEnvelope, req: RequestContext, opts: TranslateOptions = {}) {
    const inType = typeof input?.type === 'string' ? input.type : undefined;
    const outType = typeof output?.type === 'string' ? output.type : undefined;
    if (inType === undefined) throw new BadUserInputError('is required.', req.door === 'rest' ? 'input_token_state.token_type' : 'input.type');
    if (outType === undefined) throw new BadUserInputError('is required.', req.door === 'rest' ? 'output_token_state.token_type' : 'output.type');
    const inKind = this.inputKind(inType, outType);
    const outKind = this.outputKind(outType, inType);
    const inFields = checkFields(inType, obj(input), inKind.validator!.fields, 'input', req.door);
    const outFields = checkFields(outType, obj(output), outKind.provider!.fields, 'output', req.door);
    let actorFields: TokenEnvelope | undefined;
    let actorKind: TokenKind | undefined;
    if (opts.actor) {
      actorKind = this.inputKind(opts.actor.type, outType);
      actorFields = checkFields(opts.actor.type, obj(opts.actor), actorKind.validator!.fields, 'actor', req.door);
    }
    return { inKind, outKind, inFields, outFields, actorKind, actorFields };
  }

  private issuers?: { from: PublishedInstance[]; byIssuer: Map<string, PublishedInstance[]> };

  /** Instances by the issuer their tokens name (KindProvider.issuerOf), rebuilt when the instance list changes. */
  private async instancesIssuing(issuer: string): Promise<PublishedInstance[]> {
    const all = await this.deps.instances.all?.();
    if (!all) return [];
    if (this.issuers?.from !== all) {
      const byIssuer = new Map<string, PublishedInstance[]>();
      for (const inst of all) {
        const seen = new Set<string>();
        for (const t of inst.config.transforms) {
          const kind = this.deps.registry.kind(t.output === CUSTOM && t.customOutput ? t.customOutput : t.output);
          const iss = kind?.provider?.issuerOf?.(inst);
          if (!iss || seen.has(iss)) continue;
          seen.add(iss);
          byIssuer.set(iss, [...(byIssuer.get(iss) ?? []), inst]);
        }
      }
      this.issuers = { from: all, byIssuer };
    }
    return this.issuers.byIssuer.get(issuer) ?? [];
  }

  /**
   * A token an instance of this server issued and then cancelled is not accepted as input either: the
   * validator proves the signature, the issued-token record says whether it still stands.
   */
  private async refuseCancelled(subject: VerifiedSubject, kind: TokenKind, fields: TokenEnvelope): Promise<void> {
    if (!subject.issuer) return;
    const key = kind.validator?.fields.find((f) => f.oauth === 'subject_token')?.key;
    const token = key ? fields[key] : undefined;
    if (typeof token !== 'string') return;
    const hash = tokenHash(token);
    for (const inst of await this.instancesIssuing(subject.issuer)) {
      const rec = await this.deps.log.findByHash(inst.id, hash);
      if (rec?.cancelled) throw new InvalidTokenError('The token was cancelled by the instance that issued it.');
    }
  }

  async translate(instanceName: string, input: TokenEnvelope, output: TokenEnvelope, req: RequestContext, opts: TranslateOptions = {}): Promise<IssuedToken> {
    const inType = typeof input?.type === 'string' ? input.type : undefined;
    const outType = typeof output?.type === 'string' ? output.type : undefined;
    let subject: VerifiedSubject | undefined;
    try {
      const { inKind, outKind, inFields, outFields, actorKind, actorFields } = this.prepare(input, output, req, opts);
      const inst = await this.instance(instanceName, req);
      const transform = this.findTransform(inst, inKind.name, outKind.name);
      const now = this.clock.now();
      subject = await inKind.validator!.validate(inFields, { instance: inst, request: req, now });
      await this.refuseCancelled(subject, inKind, inFields);
      let actor: VerifiedSubject | undefined;
      if (actorKind && actorFields) {
        // RFC 8693 §1.1: before the actor token is even read, the instance must allow delegation.
        if (!exchangeOf(inst.config)?.delegation.allowed) checkDelegation(inst.config, subject, subject, 0);
        actor = await actorKind.validator!.validate(actorFields, { instance: inst, request: req, now });
        await this.refuseCancelled(actor, actorKind, actorFields);
        checkDelegation(inst.config, subject, actor, actDepth(actClaim(subject, actor)));
      } else if (actDepth(subject.act) > (exchangeOf(inst.config)?.delegation.maxChainDepth ?? DEFAULT_MAX_CHAIN_DEPTH)) {
        throw new InvalidTokenError('The subject token\'s delegation chain is deeper than this instance allows.');
      }
      if (transform.invalidateInterimSession && subject.sessionId) {
        // A single-use interim session is ended before the token is issued, and by one request only: concurrent
        // requests that all resolved the session before it ended must not each get a token.
        const ended = await this.deps.identity.endSession(subject.sessionId);
        if (!ended) throw new InvalidTokenError('The session is not valid: unknown, ended or expired.');
      }
      const issued = await outKind.provider!.issue(subject, outFields, {
        instance: inst,
        request: req,
        now: this.clock.now(),
        inputType: inKind.name,
        ...(actor ? { actor } : {}),
      });
      if (Buffer.byteLength(issued.token, 'utf8') > MAX_ISSUED_TOKEN_BYTES) {
        // What is issued must be something validate and cancel accept; refuse rather than hand out a token that
        // could never be checked or revoked.
        throw new BadUserInputError(
          `the ${outKind.name} token would be larger than ${MAX_ISSUED_TOKEN_BYTES / 1024} KiB, which validate and cancel accept; map fewer or shorter attributes for this instance.`,
          'output',
        );
      }
      // Who vouches: the delegation actor, else the authenticated caller of a SENDER_VOUCHES request.
      const sender = actor?.name ?? (outFields.subjectConfirmation === 'SENDER_VOUCHES' ? (req.caller?.clientId ?? req.caller?.username) : undefined);
      const detail: Record<string, unknown> = { tokenId: issued.tokenId };
      if (sender) detail.sender = sender;
      if (actor) detail.actor = actor.name;
      const event = this.event('translate', instanceName, req, 'OK', { inputType: inKind.name, outputType: outKind.name, subject: subject.name, detail });
      // Durable before the response is sent: the caller may validate or cancel at once. The record and its audit
      // event are one unit of the group commit: both or neither.
      const record = inst.config.persistIssuedTokens
        ? {
            tokenId: issued.tokenId,
            instanceId: inst.id,
            instanceName: inst.config.name,
            subject: issued.subject,
            type: issued.type,
            tokenHash: tokenHash(issued.token),
            issuedAt: issued.issuedAt,
            expiresAt: issued.expiresAt,
            ...(sender ? { sender } : {}),
          }
        : null;
      await this.deps.log.commit(record, event);
      return issued;
    } catch (e) {
      await this.deps.log.audit(this.event('translate', instanceName, req, publicCode(e), { inputType: inType, outputType: outType, subject: subject?.name }));
      throw e;
    }
  }

  /** `type` names a kind that issues tokens, or CUSTOM for any kind without a GraphQL value of its own. */
  private issuedKind(type: string): { kind?: TokenKind; anyCustom: boolean } {
    if (type === CUSTOM) return { anyCustom: true };
    const kind = this.deps.registry.kind(type);
    if (!kind?.provider) {
      const names = [...this.deps.registry.outputNames().filter((n) => this.deps.registry.isEnumerated(n)), CUSTOM];
      throw new BadUserInputError(`must be a type this server issues: ${names.join(', ')}.`, 'type');
    }
    return { kind, anyCustom: false };
  }

  /** Signature (or record, for what only the SP can read), record, cancellation, expiry — in that order. */
  private async check(inst: PublishedInstance, type: string, token: string): Promise<TokenValidationResult> {
    if (typeof token !== 'string' || token.length === 0 || Buffer.byteLength(token, 'utf8') > MAX_ISSUED_TOKEN_BYTES) return { valid: false, reason: 'MALFORMED' };
    const { kind, anyCustom } = this.issuedKind(type);
    const now = this.clock.now();
    let signed: { tokenId: string; subject: string; expiresAt: Date } | undefined;
    const verify = kind?.provider?.verifyIssued;
    if (verify) {
      const r = await verify.call(kind!.provider, token, { instance: inst, now, checkExpiry: false });
      if (!r.ok) return { valid: false, reason: r.reason };
      if (!r.recordOnly) signed = { tokenId: r.tokenId, subject: r.subject, expiresAt: r.expiresAt };
    }
    const rec = await this.deps.log.findByHash(inst.id, tokenHash(token));
    if (!rec) return { valid: false, reason: 'UNKNOWN', subject: signed?.subject, expiresAt: signed?.expiresAt };
    // A record of another kind: CUSTOM matches any kind without a GraphQL value of its own (a plugin's).
    const wrongType = anyCustom ? this.deps.registry.isEnumerated(rec.type) : rec.type !== type;
    if (wrongType) return { valid: false, reason: 'UNKNOWN' };
    const expiresAt = signed?.expiresAt ?? rec.expiresAt;
    // An encrypted NameID only the SP can read: the record knows the subject.
    const subject = signed?.subject || rec.subject;
    if (rec.cancelled) return { valid: false, reason: 'CANCELLED', subject, expiresAt, tokenId: rec.tokenId };
    if (expiresAt.getTime() <= now.getTime()) return { valid: false, reason: 'EXPIRED', subject, expiresAt, tokenId: rec.tokenId };
    return { valid: true, subject, expiresAt, tokenId: rec.tokenId };
  }

  async validate(instanceName: string, type: string, token: string, req: RequestContext): Promise<TokenValidationResult> {
    try {
      this.issuedKind(type);
      const inst = await this.instance(instanceName, req);
      if (!inst.config.persistIssuedTokens) throw new TokenPersistenceDisabledError(inst.config.name);
      const r = await this.check(inst, type, token);
      await this.deps.log.audit(this.event('validate', instanceName, req, 'OK', { outputType: type, subject: r.subject, detail: { valid: r.valid, reason: r.reason, tokenId: r.tokenId } }));
      // The subject is returned to admin callers only.
      const isAdmin = !!req.caller?.roles.includes('admin');
      return { valid: r.valid, reason: r.reason, expiresAt: r.expiresAt, subject: isAdmin ? r.subject : undefined };
    } catch (e) {
      await this.deps.log.audit(this.event('validate', instanceName, req, publicCode(e), { outputType: type }));
      throw e;
    }
  }

  async cancel(instanceName: string, type: string, token: string, req: RequestContext): Promise<boolean> {
    let subject: string | undefined;
    try {
      this.issuedKind(type);
      const inst = await this.instance(instanceName, req);
      if (!inst.config.persistIssuedTokens) throw new TokenPersistenceDisabledError(inst.config.name);
      if (typeof token !== 'string' || token.length === 0) throw new BadUserInputError('is required', 'token');
      if (Buffer.byteLength(token, 'utf8') > MAX_ISSUED_TOKEN_BYTES) throw new BadUserInputError(`is larger than ${MAX_ISSUED_TOKEN_BYTES / 1024} KiB`, 'token');
      const r = await this.check(inst, type, token);
      subject = r.subject;
      if (!r.valid && (r.reason === 'MALFORMED' || r.reason === 'BAD_SIGNATURE')) throw new InvalidTokenError('The token does not verify with this instance’s keys.');
      if (!r.valid && r.reason === 'UNKNOWN') throw new NotFoundError('No issued-token record matches this token.');
      // Found by a hash of the exact token string, never by an id taken from the token.
      await this.deps.log.cancel(inst.id, tokenHash(token));
      await this.deps.log.audit(this.event('cancel', instanceName, req, 'OK', { outputType: type, subject }));
      return true;
    } catch (e) {
      await this.deps.log.audit(this.event('cancel', instanceName, req, publicCode(e), { outputType: type, subject }));
      throw e;
    }
  }

  private event(
    action: string,
    instance: string,
    req: RequestContext,
    outcome: string,
    extra: { inputType?: string; outputType?: string; subject?: string; detail?: Record<string, unknown> },
  ): AuditEventInput {
    return {
      action,
      instance: typeof instance === 'string' ? instance.slice(0, 63) : undefined,
      actor: req.caller?.clientId ?? req.caller?.username,
      subject: extra.subject,
      inputType: extra.inputType,
      outputType: extra.outputType,
      outcome,
      clientAddress: req.clientAddress,
      detail: extra.detail,
    };
  }
}

/**
 * Small stores over the database, each behind an interface the engine or the services consume.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from './database.js';
import {
  AuditEventEntity,
  IssuedTokenEntity,
  MetaEntity,
  StsInstanceEntity,
  UsedProofEntity,
} from './entities.js';
import type { AuditEventInput, AuditSink, Clock, IssuedTokenRecord, IssuedTokenStore, PublishedInstance, ReplayStore, InstanceConfig } from '../engine/types.js';
import { systemClock } from '../engine/types.js';
import type { IssuanceLog } from '../engine/engine.js';
import type { Logger } from '../log.js';
import { createHash } from 'node:crypto';
import type { Row, WriteBatcher } from './write-batcher.js';
import { rawDate, rawRows } from './raw-rows.js';
import { ConflictError } from '../engine/errors.js';
import type { InstanceRow, InstanceStore } from '../publish/publish.service.js';

function clip(s: string | undefined | null, n: number): string | null {
  if (s === undefined || s === null) return null;
  return s.length > n ? s.slice(0, n) : s;
}

const FIND_BY_HASH =
  'select token_id, instance_id, instance_name, subject, type, token_hash, issued_at, expires_at, cancelled, sender from issued_tokens ' +
  'where instance_id = ? and token_hash = ? order by cancelled asc, expires_at desc, issued_at desc limit 1';

export class DbIssuedTokenStore implements IssuedTokenStore {
  constructor(
    private readonly db: Database,
    private readonly writer: WriteBatcher,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Durable when the promise resolves (group commit with other requests' records). */
  async record(rec: Omit<IssuedTokenRecord, 'cancelled'>): Promise<void> {
    await this.writer.submit([['issued_tokens', this.row(rec)]]);
  }

  /** The entity-shaped row of a record, for a unit of the group commit. */
  row(rec: Omit<IssuedTokenRecord, 'cancelled'>): Row {
    return {
      id: randomUUID(),
      tokenId: clip(rec.tokenId, 128)!,
      instanceId: rec.instanceId,
      instanceName: rec.instanceName,
      subject: clip(rec.subject, 512)!,
      type: rec.type,
      tokenHash: rec.tokenHash,
      issuedAt: rec.issuedAt,
      expiresAt: rec.expiresAt,
      cancelled: false,
      cancelledAt: null,
      sender: clip(rec.sender, 128),
    };
  }

  /**
   * The record that speaks for this exact token string. A provider may issue the same string twice (a
   * deterministic custom ticket, even within one second): each issuance has its record; the token is live while
   * any of them is, so a live record with the latest expiry is chosen before a cancelled one.
   */
  async findByHash(instanceId: string, tokenHash: string): Promise<IssuedTokenRecord | null> {
    // Every validate and cancel makes this look-up: one query on the (instance_id, token_hash) index straight to
    // the driver, without the ORM's query building and entity hydration (most of a validation's event-loop time).
    const r = rawRows(await this.db.knex().raw(FIND_BY_HASH, [instanceId, tokenHash]))[0];
    if (!r) return null;
    return {
      tokenId: r.token_id as string,
      instanceId: r.instance_id as string,
      instanceName: r.instance_name as string,
      subject: r.subject as string,
      type: r.type as string,
      tokenHash: r.token_hash as string,
      issuedAt: rawDate(r.issued_at),
      expiresAt: rawDate(r.expires_at),
      cancelled: r.cancelled === true || r.cancelled === 1 || r.cancelled === '1',
      sender: (r.sender as string | null) ?? undefined,
    };
  }

  /** Cancels the token: every record of this exact string (they are one token). False when there is none. */
  async cancel(instanceId: string, tokenHash: string): Promise<boolean> {
    const n = await this.db.em().nativeUpdate(IssuedTokenEntity, { instanceId, tokenHash, cancelled: false }, { cancelled: true, cancelledAt: this.clock.now() });
    if (n > 0) return true;
    return (await this.findByHash(instanceId, tokenHash)) !== null;
  }

  /** Newest first; `after` is the opaque cursor of the previous page's last record. */
  async list(filter: { instanceName?: string; subject?: string; first: number; after?: string }): Promise<Array<IssuedTokenRecord & { id: string }>> {
    const where: Record<string, unknown> = {};
    if (filter.instanceName) where.instanceName = filter.instanceName;
    if (filter.subject) where.subject = filter.subject;
    if (filter.after) {
      const cur = decodeCursor(filter.after);
      where.$or = [{ issuedAt: { $lt: cur.issuedAt } }, { issuedAt: cur.issuedAt, id: { $lt: cur.id } }];
    }
    const rows = await this.db.em().find(IssuedTokenEntity, where, { orderBy: [{ issuedAt: 'desc' }, { id: 'desc' }], limit: filter.first });
    return rows.map((r) => ({ ...toRecord(r), id: r.id }));
  }

  async purgeExpired(before: Date): Promise<number> {
    return this.db.em().nativeDelete(IssuedTokenEntity, { expiresAt: { $lt: before } });
  }
}

export function encodeCursor(r: { issuedAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([r.issuedAt.getTime(), r.id])).toString('base64url');
}

export function decodeCursor(s: string): { issuedAt: Date; id: string } {
  try {
    const [t, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as [number, string];
    // Only what encodeCursor writes: a millisecond time a Date can hold, and a record id (a UUID).
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0 || t > 8.64e15) throw new Error('time');
    if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw new Error('id');
    return { issuedAt: new Date(t), id };
  } catch {
    throw new CursorError();
  }
}

export class CursorError extends Error {
  constructor() {
    super('invalid cursor');
    this.name = 'CursorError';
  }
}

function toRecord(r: IssuedTokenEntity): IssuedTokenRecord {
  return {
    tokenId: r.tokenId,
    instanceId: r.instanceId,
    instanceName: r.instanceName,
    subject: r.subject,
    type: r.type,
    tokenHash: r.tokenHash,
    issuedAt: r.issuedAt,
    expiresAt: r.expiresAt,
    cancelled: !!r.cancelled,
    sender: r.sender ?? undefined,
  };
}

/** Audit events go to the database and, as one structured line, to the log. Never a token, password or secret. */
export class DbAuditStore implements AuditSink {
  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly writer: WriteBatcher,
    private readonly clock: Clock = systemClock,
    /** Sees every event as it is written (metrics count operations and their outcomes from the audit trail). */
    private readonly observe?: (ev: AuditEventInput) => void,
  ) {}

  async record(ev: AuditEventInput): Promise<void> {
    await this.writer.submit([['audit_events', this.row(ev)]]);
  }

  /** The row of an event, for a unit of the group commit; the event's log line is written here, once. */
  row(ev: AuditEventInput): Row {
    this.observe?.(ev);
    const row = {
      id: randomUUID(),
      at: this.clock.now(),
      action: ev.action,
      actor: clip(ev.actor, 128),
      instance: clip(ev.instance, 63),
      subject: clip(ev.subject, 512),
      target: clip(ev.target, 512),
      inputType: clip(ev.inputType, 40),
      outputType: clip(ev.outputType, 40),
      outcome: clip(ev.outcome, 40)!,
      clientAddress: clip(ev.clientAddress, 64),
      detail: ev.detail ?? null,
    };
    if (this.log.enabled('info')) this.log.info('audit', { audit: { ...row, id: undefined } });
    return row;
  }

  /** Newest first; `after` is the cursor of the previous page's last event (encoded like a record cursor). */
  async list(filter: { instance?: string; action?: string; outcome?: string; first: number; after?: string }): Promise<AuditEventEntity[]> {
    const where: Record<string, unknown> = {};
    if (filter.instance) where.instance = filter.instance;
    if (filter.action) where.action = filter.action;
    if (filter.outcome) where.outcome = filter.outcome;
    if (filter.after) {
      const cur = decodeCursor(filter.after);
      where.$or = [{ at: { $lt: cur.issuedAt } }, { at: cur.issuedAt, id: { $lt: cur.id } }];
    }
    return this.db.em().find(AuditEventEntity, where, { orderBy: [{ at: 'desc' }, { id: 'desc' }], limit: filter.first });
  }
}

/** The engine's IssuanceLog over the group commit: a record and its audit event are one unit. */
export class DbIssuanceLog implements IssuanceLog {
  constructor(
    private readonly writer: WriteBatcher,
    private readonly issued: DbIssuedTokenStore,
    private readonly events: DbAuditStore,
  ) {}

  commit(record: Omit<IssuedTokenRecord, 'cancelled'> | null, event: AuditEventInput): Promise<void> {
    const unit: Array<['issued_tokens' | 'audit_events', Row]> = [];
    if (record) unit.push(['issued_tokens', this.issued.row(record)]);
    unit.push(['audit_events', this.events.row(event)]);
    return this.writer.submit(unit);
  }

  audit(event: AuditEventInput): Promise<void> {
    return this.events.record(event);
  }

  findByHash(instanceId: string, tokenHash: string): Promise<IssuedTokenRecord | null> {
    return this.issued.findByHash(instanceId, tokenHash);
  }

  cancel(instanceId: string, tokenHash: string): Promise<boolean> {
    return this.issued.cancel(instanceId, tokenHash);
  }
}

export class DbReplayStore implements ReplayStore {
  constructor(private readonly db: Database) {}

  async useOnce(scope: string, id: string, expiresAt: Date): Promise<boolean> {
    const key = createHash('sha256').update(`${scope}\u0000${id}`).digest('hex');
    try {
      // The primary key makes the insert the single point of truth across processes.
      await this.db.em().insert(UsedProofEntity, { key, expiresAt });
      return true;
    } catch (e) {
      const exists = await this.db.em().findOne(UsedProofEntity, { key });
      if (exists) return false;
      throw e;
    }
  }

  async purgeExpired(before: Date): Promise<number> {
    return this.db.em().nativeDelete(UsedProofEntity, { expiresAt: { $lt: before } });
  }
}

/**
 * A version stamp for configuration (instances and keys). Every change writes a new value; each process polls
 * it and drops its caches when it moves, so a change made through one process is seen by the others within
 * the poll interval.
 */
export class ConfigVersion {
  private current: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly db: Database) {}

  /** Called after this process changed the configuration (e.g. to tell sibling worker processes at once). */
  onLocalBump: (() => void) | undefined;

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Another process reported a change: drop caches now rather than at the next poll. */
  changedElsewhere(): void {
    this.fire();
  }

  async bump(): Promise<void> {
    const value = randomUUID();
    const em = this.db.em();
    const n = await em.nativeUpdate(MetaEntity, { key: 'config_version' }, { value });
    if (n === 0) {
      try {
        await em.insert(MetaEntity, { key: 'config_version', value });
      } catch {
        await this.db.em().nativeUpdate(MetaEntity, { key: 'config_version' }, { value });
      }
    }
    this.current = value;
    this.fire();
    this.onLocalBump?.();
  }

  private fire(): void {
    for (const l of this.listeners) l();
  }

  async poll(): Promise<void> {
    const row = await this.db.em().findOne(MetaEntity, { key: 'config_version' });
    const v = row?.value ?? '';
    if (this.current === undefined) {
      this.current = v;
      return;
    }
    if (v !== this.current) {
      this.current = v;
      this.fire();
    }
  }

  start(intervalMs: number, onError: (e: unknown) => void): void {
    const tick = () => {
      this.poll()
        .catch(onError)
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, intervalMs).unref();
  }

  stop(): void {
    const t = this.timer;
    this.timer = undefined;
    if (t) clearTimeout(t);
  }
}

export type { InstanceRow } from '../publish/publish.service.js';

/** Published instances as rows (the publish service consumes it through its InstanceStore interface). */
export class DbInstanceStore implements InstanceStore {
  constructor(private readonly db: Database) {}

  private map(e: StsInstanceEntity): InstanceRow {
    return { id: e.id, name: e.name, config: e.config as unknown as InstanceConfig, createdAt: e.createdAt, updatedAt: e.updatedAt };
  }

  async list(): Promise<InstanceRow[]> {
    return (await this.db.em().find(StsInstanceEntity, {}, { orderBy: { name: 'asc' } })).map((e) => this.map(e));
  }

  async get(name: string): Promise<InstanceRow | null> {
    const e = await this.db.em().findOne(StsInstanceEntity, { name });
    return e ? this.map(e) : null;
  }

  async count(): Promise<number> {
    return this.db.em().count(StsInstanceEntity, {});
  }

  async insert(row: InstanceRow): Promise<void> {
    await this.db.transaction(async (em) => {
      if (await em.findOne(StsInstanceEntity, { name: row.name })) throw new ConflictError(`Instance ${row.name} already exists.`);
      try {
        await em.insert(StsInstanceEntity, { ...row, config: row.config as unknown as Record<string, unknown> });
      } catch (e) {
        // A concurrent publish of the same name lost the race on the unique index.
        if (/unique|duplicate/i.test(String((e as Error).message))) throw new ConflictError(`Instance ${row.name} already exists.`);
        throw e;
      }
    });
  }

  async replace(id: string, config: InstanceConfig, updatedAt: Date): Promise<boolean> {
    const n = await this.db.em().nativeUpdate(StsInstanceEntity, { id }, { config: config as unknown as Record<string, unknown>, updatedAt });
    return n > 0;
  }

  async delete(name: string): Promise<boolean> {
    return (await this.db.em().nativeDelete(StsInstanceEntity, { name })) > 0;
  }
}

/** The engine's view of instances: a per-process cache, cleared whenever the configuration version moves. */
export class CachedInstances {
  private cache = new Map<string, Promise<PublishedInstance | null>>();
  private every?: Promise<PublishedInstance[]>;

  constructor(private readonly store: DbInstanceStore) {}

  invalidate(): void {
    this.cache.clear();
    this.every = undefined;
  }

  /** Every published instance (POST /token picks one by audience), cached until the configuration changes. */
  all(): Promise<PublishedInstance[]> {
    if (!this.every) {
      const p = this.store.list().then((rows) => rows.map((r) => ({ id: r.id, config: r.config, createdAt: r.createdAt, updatedAt: r.updatedAt })));
      this.every = p;
      p.catch(() => {
        if (this.every === p) this.every = undefined;
      });
    }
    return this.every;
  }

  get(name: string): Promise<PublishedInstance | null> {
    let p = this.cache.get(name);
    if (!p) {
      p = this.store.get(name).then((r) => (r ? { id: r.id, config: r.config, createdAt: r.createdAt, updatedAt: r.updatedAt } : null));
      this.cache.set(name, p);
      // Misses are not cached: a name published a moment ago through another process is found at once, and
      // random names cannot fill the cache.
      const cached = p;
      p.then(
        (v) => {
          if (v === null && this.cache.get(name) === cached) this.cache.delete(name);
        },
        () => {
          if (this.cache.get(name) === cached) this.cache.delete(name);
        },
      );
    }
    return p;
  }
}

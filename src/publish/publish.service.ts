/**
 * The publish service: STS instances created, read, updated and deleted at run time, by every door (GraphQL,
 * the PingAM publish service, the CLI). Each change is one write, bumps the configuration version (so every
 * process drops its cached copy) and leaves one audit event. Validation happens before anything is written
 * (engine/instance-config.ts), with the registry's sections.
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError, publicCode } from '../engine/errors.js';
import type { AuditSink, Clock, InstanceConfig } from '../engine/types.js';
import { systemClock } from '../engine/types.js';
import type { TokenRegistry } from '../engine/registry.js';
import { validateInstanceInput } from '../engine/instance-config.js';
import { inRealm, notInRealm } from '../engine/realm.js';

export interface PublishContext {
  actor?: string;
  clientAddress?: string;
}

export interface InstanceRow {
  id: string;
  name: string;
  config: InstanceConfig;
  createdAt: Date;
  updatedAt: Date;
}

/** Where instances are kept (persistence/stores.ts DbInstanceStore). */
export interface InstanceStore {
  list(): Promise<InstanceRow[]>;
  get(name: string): Promise<InstanceRow | null>;
  count(): Promise<number>;
  /** Throws ConflictError when the name is taken (also by a concurrent insert). */
  insert(row: InstanceRow): Promise<void>;
  /** False when no instance has this id any more. */
  replace(id: string, config: InstanceConfig, updatedAt: Date): Promise<boolean>;
  delete(name: string): Promise<boolean>;
}

export class PublishService {
  constructor(
    private readonly store: InstanceStore,
    private readonly version: { bump(): Promise<void> },
    private readonly audit: AuditSink,
    private readonly registry: TokenRegistry,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Validates an instance input as publish would, without writing anything (the console's "check"). */
  validate(input: unknown, existing?: InstanceConfig, nameMustEqual?: string): Promise<InstanceConfig> {
    return validateInstanceInput(input, { registry: this.registry, existing, nameMustEqual });
  }

  list(): Promise<InstanceRow[]> {
    return this.store.list();
  }

  get(name: string): Promise<InstanceRow | null> {
    return this.store.get(name);
  }

  /**
   * The instance named `name` in `realm` (`/` = root), as the PingAM publish service addresses it
   * (`<realm path>/<name>`); NOT_FOUND when unknown or published in another realm (saying which).
   */
  async getInRealm(name: string, realm: string): Promise<InstanceRow> {
    const row = await this.store.get(name);
    if (!row) throw new NotFoundError(`Instance ${name} does not exist.`);
    if (!inRealm(row.config.realm, realm)) throw notInRealm(name, realm, row.config.realm);
    return row;
  }

  async publish(input: unknown, ctx: PublishContext): Promise<InstanceRow> {
    const name = (input as { name?: unknown } | null)?.name;
    try {
      const config = await this.validate(input);
      const now = this.clock.now();
      const row: InstanceRow = { id: randomUUID(), name: config.name, config, createdAt: now, updatedAt: now };
      await this.store.insert(row);
      await this.version.bump();
      await this.record('publishInstance', config.name, 'OK', ctx);
      return row;
    } catch (e) {
      await this.record('publishInstance', typeof name === 'string' ? name : undefined, publicCode(e), ctx);
      throw e;
    }
  }

  /** `opts.realm`: the instance must be in that realm (the PingAM publish service's address); see getInRealm. */
  async update(name: string, input: unknown, ctx: PublishContext, opts: { realm?: string } = {}): Promise<InstanceRow> {
    try {
      const existing = await this.store.get(name);
      if (!existing) throw new NotFoundError(`Instance ${name} does not exist.`);
      if (opts.realm !== undefined && !inRealm(existing.config.realm, opts.realm)) throw notInRealm(name, opts.realm, existing.config.realm);
      const config = await this.validate(input, existing.config, name);
      const updatedAt = this.clock.now();
      if (!(await this.store.replace(existing.id, config, updatedAt))) throw new NotFoundError(`Instance ${name} does not exist.`);
      await this.version.bump();
      await this.record('updateInstance', name, 'OK', ctx);
      return { ...existing, config, updatedAt };
    } catch (e) {
      await this.record('updateInstance', name, publicCode(e), ctx);
      throw e;
    }
  }

  async delete(name: string, ctx: PublishContext, opts: { realm?: string } = {}): Promise<boolean> {
    try {
      if (opts.realm !== undefined) await this.getInRealm(name, opts.realm);
      if (!(await this.store.delete(name))) throw new NotFoundError(`Instance ${name} does not exist.`);
      await this.version.bump();
      await this.record('deleteInstance', name, 'OK', ctx);
      return true;
    } catch (e) {
      await this.record('deleteInstance', name, publicCode(e), ctx);
      throw e;
    }
  }

  /**
   * Restores an instance from an export with its internal id and timestamps, so that the issued-token records
   * that belong to it (by id) stay its own. Validated as publish validates; CONFLICT when the name is taken.
   */
  async restore(row: InstanceRow, ctx: PublishContext): Promise<InstanceRow> {
    try {
      const config = await this.validate(row.config);
      const restored: InstanceRow = { id: row.id, name: config.name, config, createdAt: new Date(row.createdAt), updatedAt: new Date(row.updatedAt) };
      await this.store.insert(restored);
      await this.version.bump();
      await this.record('importInstance', config.name, 'OK', ctx);
      return restored;
    } catch (e) {
      await this.record('importInstance', typeof row?.name === 'string' ? row.name : undefined, publicCode(e), ctx);
      throw e;
    }
  }

  private async record(action: string, target: string | undefined, outcome: string, ctx: PublishContext): Promise<void> {
    await this.audit.record({ action, target, instance: target, actor: ctx.actor, outcome, clientAddress: ctx.clientAddress });
  }
}


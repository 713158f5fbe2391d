/**
 * The publish service: STS instances created, read, updated and deleted at run time. Each change is one
 * transaction, bumps the configuration version (so every process drops its cached copy) and leaves an audit
 * event. Validation happens before anything is written (engine/instance-config.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../persistence/database.js';
import { StsInstanceEntity } from '../persistence/entities.js';
import type { ConfigVersion, DbInstanceStore, InstanceRow } from '../persistence/stores.js';
import { ConflictError, NotFoundError, publicCode } from '../engine/errors.js';
import type { AuditSink, Clock, InstanceConfig } from '../engine/types.js';
import { systemClock } from '../engine/types.js';
import type { TokenRegistry } from '../engine/registry.js';
import { validateInstanceInput } from '../engine/instance-config.js';

export interface PublishContext {
  actor?: string;
  clientAddress?: string;
}

export class PublishService {
  constructor(
    private readonly db: Database,
    private readonly store: DbInstanceStore,
    private readonly version: ConfigVersion,
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

  async publish(input: unknown, ctx: PublishContext): Promise<InstanceRow> {
    const name = (input as { name?: unknown } | null)?.name;
    try {
      const config = await this.validate(input);
      const now = this.clock.now();
      const row: InstanceRow = { id: randomUUID(), name: config.name, config, createdAt: now, updatedAt: now };
      await this.db.transaction(async (em) => {
        if (await em.findOne(StsInstanceEntity, { name: config.name })) throw new ConflictError(`Instance ${config.name} already exists.`);
        try {
          await em.insert(StsInstanceEntity, { ...row, config: config as unknown as Record<string, unknown> });
        } catch (e) {
          // A concurrent publish of the same name lost the race on the unique index.
          if (/unique|duplicate/i.test(String((e as Error).message))) throw new ConflictError(`Instance ${config.name} already exists.`);
          throw e;
        }
      });
      await this.version.bump();
      await this.record('publishInstance', config.name, 'OK', ctx);
      return row;
    } catch (e) {
      await this.record('publishInstance', typeof name === 'string' ? name : undefined, publicCode(e), ctx);
      throw e;
    }
  }

  async update(name: string, input: unknown, ctx: PublishContext): Promise<InstanceRow> {
    try {
      const existing = await this.store.get(name);
      if (!existing) throw new NotFoundError(`Instance ${name} does not exist.`);
      const config = await this.validate(input, existing.config, name);
      const updatedAt = this.clock.now();
      await this.db.transaction(async (em) => {
        const n = await em.nativeUpdate(StsInstanceEntity, { id: existing.id }, { config: config as unknown as Record<string, unknown>, updatedAt });
        if (n === 0) throw new NotFoundError(`Instance ${name} does not exist.`);
      });
      await this.version.bump();
      await this.record('updateInstance', name, 'OK', ctx);
      return { ...existing, config, updatedAt };
    } catch (e) {
      await this.record('updateInstance', name, publicCode(e), ctx);
      throw e;
    }
  }

  async delete(name: string, ctx: PublishContext): Promise<boolean> {
    try {
      const n = await this.db.em().nativeDelete(StsInstanceEntity, { name });
      if (n === 0) throw new NotFoundError(`Instance ${name} does not exist.`);
      await this.version.bump();
      await this.record('deleteInstance', name, 'OK', ctx);
      return true;
    } catch (e) {
      await this.record('deleteInstance', name, publicCode(e), ctx);
      throw e;
    }
  }

  private async record(action: string, target: string | undefined, outcome: string, ctx: PublishContext): Promise<void> {
    await this.audit.record({ action, target, instance: target, actor: ctx.actor, outcome, clientAddress: ctx.clientAddress });
  }
}


export type { InstanceConfig };

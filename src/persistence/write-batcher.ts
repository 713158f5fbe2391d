/**
 * Group commit for the per-token writes (issued-token records and audit events): rows queued while a write is
 * in flight go to the database together, in one transaction, and each caller is answered only after the commit
 * that holds its row — so a token is durable before its response is sent, at a fraction of the round trips.
 */
import type { Database } from './database.js';
import { AuditEventEntity, IssuedTokenEntity } from './entities.js';

type Kind = 'issued' | 'audit';

interface Pending {
  kind: Kind;
  row: Record<string, unknown>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const ENTITY = { issued: IssuedTokenEntity, audit: AuditEventEntity } as const;

export class WriteBatcher {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly db: Database,
    private readonly maxBatch = 256,
  ) {}

  write(kind: Kind, row: Record<string, unknown>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind, row, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Let the rows of requests handled in this turn of the event loop join the batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.commit(batch);
      }
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) {
        this.flushing = true;
        setImmediate(() => void this.drain());
      }
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    const issued = batch.filter((p) => p.kind === 'issued').map((p) => p.row);
    const audit = batch.filter((p) => p.kind === 'audit').map((p) => p.row);
    try {
      await this.db.em().transactional(async (em) => {
        if (issued.length) await em.insertMany(IssuedTokenEntity, issued as never);
        if (audit.length) await em.insertMany(AuditEventEntity, audit as never);
      });
      for (const p of batch) p.resolve();
    } catch (e) {
      if (batch.length === 1) {
        batch[0].reject(e);
        return;
      }
      // One bad row must not fail its neighbours: write them one by one and answer each on its own.
      for (const p of batch) {
        try {
          await this.db.em().insert(ENTITY[p.kind], p.row as never);
          p.resolve();
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }
}

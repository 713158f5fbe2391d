/**
 * Issued-token records for export and import (cli/backup.ts): the records of tokens still live, as stored — the
 * hash of each token, never the token — so that validate and cancel keep answering for them after a restore.
 */
import type { Database } from './database.js';
import { IssuedTokenEntity } from './entities.js';
import type { WriteBatcher } from './write-batcher.js';

export interface ExportedIssuedToken {
  id: string;
  tokenId: string;
  instanceId: string;
  instanceName: string;
  subject: string;
  type: string;
  tokenHash: string;
  issuedAt: string;
  expiresAt: string;
  cancelled: boolean;
  cancelledAt: string | null;
  sender: string | null;
}

/** Records whose token has not expired at `now`, oldest first. */
export async function exportIssuedTokens(db: Database, now: Date): Promise<ExportedIssuedToken[]> {
  const rows = await db.em().find(IssuedTokenEntity, { expiresAt: { $gt: now } }, { orderBy: [{ issuedAt: 'asc' }, { id: 'asc' }] });
  return rows.map((r) => ({
    id: r.id,
    tokenId: r.tokenId,
    instanceId: r.instanceId,
    instanceName: r.instanceName,
    subject: r.subject,
    type: r.type,
    tokenHash: r.tokenHash,
    issuedAt: r.issuedAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    cancelled: r.cancelled,
    cancelledAt: r.cancelledAt ? r.cancelledAt.toISOString() : null,
    sender: r.sender ?? null,
  }));
}

/** Writes records through the group commit, 256 to a transaction. */
export async function importIssuedTokens(writer: WriteBatcher, records: readonly ExportedIssuedToken[]): Promise<void> {
  const date = (s: string | null) => (s === null ? null : new Date(s));
  await Promise.all(
    records.map((r) =>
      writer.submit([
        [
          'issued_tokens',
          {
            id: r.id,
            tokenId: r.tokenId,
            instanceId: r.instanceId,
            instanceName: r.instanceName,
            subject: r.subject,
            type: r.type,
            tokenHash: r.tokenHash,
            issuedAt: date(r.issuedAt),
            expiresAt: date(r.expiresAt),
            cancelled: r.cancelled === true,
            cancelledAt: date(r.cancelledAt),
            sender: r.sender ?? null,
          },
        ],
      ]),
    ),
  );
}

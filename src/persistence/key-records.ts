/**
 * The key store's persistence (keys/key-store.ts consumes the KeyRecords interface): signing keys as rows, with
 * the private key sealed, and the master-key check value.
 */
import type { Database } from './database.js';
import { KeyEntity, MetaEntity } from './entities.js';
import type { KeyRecord, KeyRecords, KeyStatus } from '../keys/key-store.js';

const KEY_CHECK = 'master_key_check';

function record(k: KeyEntity): KeyRecord {
  return {
    kid: k.kid,
    algorithm: k.algorithm,
    keySize: k.keySize,
    status: k.status as KeyStatus,
    publicJwk: { ...k.publicJwk },
    certificate: k.certificate,
    sealedPrivateKey: k.privateKey,
    createdAt: k.createdAt,
    updatedAt: k.updatedAt,
  };
}

export class DbKeyRecords implements KeyRecords {
  constructor(private readonly db: Database) {}

  async list(filter: { algorithm?: string; status?: KeyStatus[] } = {}): Promise<KeyRecord[]> {
    const where: Record<string, unknown> = {};
    if (filter.algorithm) where.algorithm = filter.algorithm;
    if (filter.status) where.status = { $in: filter.status };
    return (await this.db.em().find(KeyEntity, where, { orderBy: { createdAt: 'desc' } })).map(record);
  }

  async get(kid: string): Promise<KeyRecord | null> {
    const k = await this.db.em().findOne(KeyEntity, { kid });
    return k ? record(k) : null;
  }

  async oldest(): Promise<KeyRecord | null> {
    const [k] = await this.db.em().find(KeyEntity, {}, { orderBy: { createdAt: 'asc' }, limit: 1 });
    return k ? record(k) : null;
  }

  async insert(r: KeyRecord): Promise<void> {
    await this.db.em().insert(KeyEntity, {
      kid: r.kid,
      algorithm: r.algorithm,
      keySize: r.keySize,
      status: r.status,
      publicJwk: r.publicJwk,
      certificate: r.certificate,
      privateKey: r.sealedPrivateKey,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    });
  }

  async setStatus(kid: string, status: KeyStatus, at: Date): Promise<void> {
    await this.db.em().nativeUpdate(KeyEntity, { kid }, { status, updatedAt: at });
  }

  async keyCheck(): Promise<string | null> {
    return (await this.db.em().findOne(MetaEntity, { key: KEY_CHECK }))?.value ?? null;
  }

  async setKeyCheck(value: string): Promise<void> {
    await this.db.em().insert(MetaEntity, { key: KEY_CHECK, value });
  }
}

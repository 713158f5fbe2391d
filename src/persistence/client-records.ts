/**
 * The OAuth client registry's persistence (clients/clients.ts consumes the ClientRecords interface): one row
 * per client, the secret as its hash.
 */
import { ConflictError } from '../engine/errors.js';
import type { ClientAuthMethod, ClientRecord, ClientRecords } from '../clients/clients.js';
import type { ClientJwks } from '../clients/client-jwks.js';
import type { Database } from './database.js';
import { OAuthClientEntity } from './entities.js';

function record(e: OAuthClientEntity): ClientRecord {
  return {
    clientId: e.clientId,
    authMethod: e.authMethod as ClientAuthMethod,
    secretHash: e.secretHash ?? null,
    jwks: (e.jwks as unknown as ClientJwks | null | undefined) ?? null,
    instances: [...e.instances],
    scopes: [...e.scopes],
    roles: [...e.roles],
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

function row(r: ClientRecord): OAuthClientEntity {
  return Object.assign(new OAuthClientEntity(), {
    clientId: r.clientId,
    authMethod: r.authMethod,
    secretHash: r.secretHash,
    jwks: r.jwks as unknown as Record<string, unknown> | null,
    instances: r.instances,
    scopes: r.scopes,
    roles: r.roles,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  });
}

export class DbClientRecords implements ClientRecords {
  constructor(private readonly db: Database) {}

  async list(): Promise<ClientRecord[]> {
    return (await this.db.em().find(OAuthClientEntity, {}, { orderBy: { clientId: 'asc' } })).map(record);
  }

  async get(clientId: string): Promise<ClientRecord | null> {
    const e = await this.db.em().findOne(OAuthClientEntity, { clientId });
    return e ? record(e) : null;
  }

  async insert(r: ClientRecord): Promise<void> {
    try {
      await this.db.em().insert(OAuthClientEntity, row(r));
    } catch (e) {
      if (/unique|duplicate|primary key/i.test(String((e as Error).message))) throw new ConflictError(`OAuth client ${r.clientId} already exists.`);
      throw e;
    }
  }

  async replace(r: ClientRecord): Promise<boolean> {
    const { clientId, ...rest } = row(r);
    return (await this.db.em().nativeUpdate(OAuthClientEntity, { clientId }, rest)) > 0;
  }

  async delete(clientId: string): Promise<boolean> {
    return (await this.db.em().nativeDelete(OAuthClientEntity, { clientId })) > 0;
  }
}

/**
 * Demo data (seeds/): users and two instances, loaded only into an empty database — no instances and no users
 * but the bootstrap admin (API.md §1). A demo CA and client certificate are generated into the data folder.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { Database } from './persistence/database.js';
import type { DbInstanceStore } from './persistence/stores.js';
import type { IdentityService } from './identity/identity.service.js';
import type { PublishService } from './publish/publish.service.js';
import type { ClientService } from './clients/clients.js';
import { ensureDemoPki } from './keys/demo-pki.js';
import { projectRoot } from './paths.js';

export interface DemoResult {
  loaded: boolean;
  users: string[];
  instances: string[];
  pki?: { caCertPath: string; clientCertPath: string; clientKeyPath: string };
  /** OAuth clients of the demo token endpoint; each secret is in a file of the data folder (mode 0600). */
  clients?: Array<{ clientId: string; secretPath?: string }>;
}

export async function loadDemoData(deps: {
  identity: IdentityService;
  publish: PublishService;
  clients: ClientService;
  instanceStore: DbInstanceStore;
  db: Database;
  config: Config;
  log: Logger;
}): Promise<DemoResult> {
  const { identity, publish, clients, instanceStore, db, config, log } = deps;
  const users = await identity.listUsers();
  const empty = (await instanceStore.count()) === 0 && users.every((u) => u.username === 'admin');
  if (!empty) return { loaded: false, users: [], instances: [] };

  const seeds = join(projectRoot(), 'seeds');
  const dataDir = db.dialect === 'sqlite' && db.target.location !== ':memory:' ? dirname(db.target.location) : resolve('data');
  const pki = await ensureDemoPki(dataDir);

  const loadedUsers: string[] = [];
  for (const u of JSON.parse(readFileSync(join(seeds, 'users.json'), 'utf8')) as Array<Record<string, unknown>>) {
    await identity.createUser(u as never, { actor: 'seeds' });
    loadedUsers.push(String(u.username));
  }
  const text = readFileSync(join(seeds, 'instances.json'), 'utf8')
    .replaceAll('{{PUBLIC_URL}}', config.publicUrl)
    .replaceAll('{{DEMO_CA_CERTIFICATE}}', JSON.stringify(pki.caCertificatePem).slice(1, -1));
  const loadedInstances: string[] = [];
  for (const inst of JSON.parse(text) as Array<Record<string, unknown>>) {
    try {
      await publish.publish(inst, { actor: 'seeds' });
      loadedInstances.push(String(inst.name));
    } catch (e) {
      // E.g. a public URL that is neither https nor loopback cannot serve as a jwksUri.
      log.warn('demo instance not loaded', { instance: inst.name, reason: (e as Error).message });
    }
  }
  const loadedClients: NonNullable<DemoResult['clients']> = [];
  for (const c of JSON.parse(readFileSync(join(seeds, 'clients.json'), 'utf8')) as Array<Record<string, unknown>>) {
    try {
      const { client, clientSecret } = await clients.create(c, { actor: 'seeds' });
      // Shown once, like every client secret: kept in the data folder rather than printed.
      const secretPath = clientSecret ? join(dirname(pki.caCertPath), `${client.clientId}.secret`) : undefined;
      if (secretPath) writeFileSync(secretPath, `${clientSecret}\n`, { mode: 0o600 });
      loadedClients.push({ clientId: client.clientId, ...(secretPath ? { secretPath } : {}) });
    } catch (e) {
      log.warn('demo OAuth client not loaded', { client: c.clientId, reason: (e as Error).message });
    }
  }
  return {
    loaded: true,
    users: loadedUsers,
    instances: loadedInstances,
    clients: loadedClients,
    pki: { caCertPath: pki.caCertPath, clientCertPath: pki.clientCertPath, clientKeyPath: pki.clientKeyPath },
  };
}

/**
 * Demo data (seeds/): users and two instances, loaded only into an empty database — no instances and no users
 * but the bootstrap admin (API.md §1). A demo CA and client certificate are generated into the data folder.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { Database } from './persistence/database.js';
import type { DbInstanceStore } from './persistence/stores.js';
import type { IdentityService } from './identity/identity.service.js';
import type { PublishService } from './publish/publish.service.js';
import { ensureDemoPki } from './keys/demo-pki.js';
import { projectRoot } from './paths.js';

export interface DemoResult {
  loaded: boolean;
  users: string[];
  instances: string[];
  pki?: { caCertPath: string; clientCertPath: string; clientKeyPath: string };
}

export async function loadDemoData(deps: {
  identity: IdentityService;
  publish: PublishService;
  instanceStore: DbInstanceStore;
  db: Database;
  config: Config;
  log: Logger;
}): Promise<DemoResult> {
  const { identity, publish, instanceStore, db, config, log } = deps;
  const users = await identity.listUsers();
  const empty = (await instanceStore.count()) === 0 && users.every((u) => u.username === 'admin');
  if (!empty) return { loaded: false, users: [], instances: [] };

  const seeds = join(projectRoot(), 'seeds');
  const dataDir = db.dialect === 'sqlite' && db.target.location !== ':memory:' ? dirname(db.target.location) : resolve('data');
  const pki = await ensureDemoPki(dataDir);

  const loadedUsers: string[] = [];
  for (const u of JSON.parse(readFileSync(join(seeds, 'users.json'), 'utf8')) as Array<Record<string, unknown>>) {
    await identity.createUser(u as never);
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
  return {
    loaded: true,
    users: loadedUsers,
    instances: loadedInstances,
    pki: { caCertPath: pki.caCertPath, clientCertPath: pki.clientCertPath, clientKeyPath: pki.clientKeyPath },
  };
}

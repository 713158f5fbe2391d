/**
 * `tessera export` and `tessera import`: the whole configuration as one JSON document, for backups and GitOps.
 *
 * - instances: as stored, with their internal ids and times (issued-token records belong to the id), secrets
 *   such as HS256 client secrets included — an export is as sensitive as the database;
 * - keys: public parts and certificates, and each private key still sealed under the master key (so an import
 *   needs the same TESSERA_MASTER_KEY, and the export alone never reveals a private key);
 * - users: names, roles and attributes, never passwords (imported users have none until
 *   `tessera admin reset-password`);
 * - plugins: the plugin names and custom token types the instances reference, and the loaded plugin files'
 *   SHA-256, so an import can say what must be installed first;
 * - issuedTokens: the records of tokens still live (hashes, never tokens), so validate and cancel keep
 *   answering for tokens issued before;
 * - oauthClients: the token endpoint's clients with their secrets' SHA-256 (never a secret), so restored
 *   clients authenticate as before.
 *
 * Import takes an export into a database without instances or keys (e.g. new, before the first serve), checks
 * everything before writing anything, and writes through the publish service, the key store and the identity
 * service, as the doors do.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { BadUserInputError, ConflictError, TesseraError } from '../engine/errors.js';
import type { InstanceConfig } from '../engine/types.js';
import { clientInputOf, parseClientInput, type ClientRecord } from '../clients/clients.js';
import type { KeyRecord } from '../keys/key-store.js';
import { exportIssuedTokens, importIssuedTokens, type ExportedIssuedToken } from '../persistence/issued-export.js';
import type { Core } from '../core.js';
import { cliActor, parse, readJsonInput, withCore, writeJson, type Io } from './context.js';
import { BACKUP_USAGE as USAGE } from './usage.js';

export const EXPORT_FORMAT = 'tessera-export';
export const EXPORT_VERSION = 1;


export interface ExportedInstance {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  config: InstanceConfig;
}

export interface ExportedKey extends Omit<KeyRecord, 'createdAt' | 'updatedAt'> {
  createdAt: string;
  updatedAt: string;
}

export interface ExportDocument {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
  instances: ExportedInstance[];
  keys: ExportedKey[];
  users: Array<{ username: string; roles: string[]; attributes: Record<string, string | string[]>; createdAt: string }>;
  plugins: { referenced: { samlPlugins: string[]; customTokenTypes: string[] }; files: Array<{ file: string; sha256: string }> };
  issuedTokens: ExportedIssuedToken[];
  /** Absent in exports made before clients existed. */
  oauthClients?: ExportedClient[];
}

export interface ExportedClient extends Omit<ClientRecord, 'createdAt' | 'updatedAt'> {
  createdAt: string;
  updatedAt: string;
}

/** The plugin names and custom token types an instance configuration refers to. */
function referencedPlugins(configs: InstanceConfig[], builtIn: (name: string) => boolean): ExportDocument['plugins']['referenced'] {
  const saml = new Set<string>();
  const custom = new Set<string>();
  for (const c of configs) {
    const selection = (c.saml2 as { plugins?: Record<string, string> } | undefined)?.plugins ?? {};
    for (const name of Object.values(selection)) if (typeof name === 'string' && !builtIn(name)) saml.add(name);
    for (const t of c.transforms) {
      if (t.customInput) custom.add(t.customInput);
      if (t.customOutput) custom.add(t.customOutput);
    }
  }
  return { samlPlugins: [...saml].sort(), customTokenTypes: [...custom].sort() };
}

export async function buildExport(core: Core): Promise<ExportDocument> {
  const { services } = core;
  const rows = await services.publish.list();
  const keys = await services.keys.exportRecords();
  const users = await services.identity.listUsers();
  const builtIns = new Set(services.samlPlugins.list().filter((p) => p.builtIn).map((p) => p.name));
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: services.clock.now().toISOString(),
    instances: rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(), config: r.config })),
    keys: keys
      .slice()
      .reverse()
      .map((k) => ({ ...k, publicJwk: { ...k.publicJwk }, createdAt: k.createdAt.toISOString(), updatedAt: k.updatedAt.toISOString() })),
    users: users.map((u) => ({ username: u.username, roles: u.roles, attributes: u.attributes, createdAt: u.createdAt.toISOString() })),
    plugins: {
      referenced: referencedPlugins(
        rows.map((r) => r.config),
        (n) => builtIns.has(n),
      ),
      files: core.plugins.files.map((f) => ({ file: f.file, sha256: f.sha256 })),
    },
    issuedTokens: await exportIssuedTokens(services.db, services.clock.now()),
    oauthClients: (await services.clients.exportRecords()).map((c) => ({ ...c, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString() })),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function list<T>(doc: Record<string, unknown>, key: string): T[] {
  const v = doc[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new BadUserInputError('must be a list', key);
  return v as T[];
}

/** Checks the document's shape before anything is written. */
function readExport(raw: unknown): ExportDocument {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BadUserInputError('must be a JSON object made by tessera export', 'import');
  const doc = raw as Record<string, unknown>;
  if (doc.format !== EXPORT_FORMAT) throw new BadUserInputError(`must be "${EXPORT_FORMAT}" (a file made by tessera export)`, 'format');
  if (doc.version !== EXPORT_VERSION) throw new BadUserInputError(`version ${String(doc.version)} is not one this Tessera reads (${EXPORT_VERSION})`, 'version');
  const instances = list<ExportedInstance>(doc, 'instances');
  instances.forEach((i, n) => {
    if (typeof i?.id !== 'string' || !UUID.test(i.id)) throw new BadUserInputError('must be the instance id from the export', `instances[${n}].id`);
    if (typeof i.config !== 'object' || i.config === null) throw new BadUserInputError('is required', `instances[${n}].config`);
  });
  const keys = list<ExportedKey>(doc, 'keys');
  keys.forEach((k, n) => {
    for (const f of ['kid', 'algorithm', 'keySize', 'status', 'certificate', 'sealedPrivateKey', 'createdAt', 'updatedAt'] as const) {
      if (typeof k?.[f] !== 'string') throw new BadUserInputError('is required', `keys[${n}].${f}`);
    }
  });
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: String(doc.exportedAt ?? ''),
    instances,
    keys,
    users: list(doc, 'users'),
    plugins: (doc.plugins as ExportDocument['plugins']) ?? { referenced: { samlPlugins: [], customTokenTypes: [] }, files: [] },
    issuedTokens: list(doc, 'issuedTokens'),
    oauthClients: list(doc, 'oauthClients'),
  };
}

export interface ImportSummary {
  instances: string[];
  replaced: string[];
  keys: string[];
  keysKept: string[];
  users: string[];
  usersKept: string[];
  issuedTokens: number;
  clients: string[];
  clientsKept: string[];
}

export async function applyImport(core: Core, raw: unknown, opts: { replace: boolean }): Promise<ImportSummary> {
  const doc = readExport(raw);
  const { services } = core;
  const ctx = { actor: cliActor() };

  // Everything is checked first: an import that cannot complete writes nothing.
  const existingInstances = await services.publish.list();
  const existingKeys = await services.keys.exportRecords();
  if (!opts.replace && (existingInstances.length > 0 || existingKeys.length > 0)) {
    throw new ConflictError(
      `This database already holds ${existingInstances.length} instance(s) and ${existingKeys.length} key(s): import into a new database (before its first serve), or pass --replace.`,
    );
  }
  const missingSaml = doc.plugins.referenced?.samlPlugins?.filter((n) => services.samlPlugins.list().every((p) => p.name !== n)) ?? [];
  const missingTypes = doc.plugins.referenced?.customTokenTypes?.filter((t) => !services.registry.kind(t)) ?? [];
  if (missingSaml.length || missingTypes.length) {
    throw new BadUserInputError(
      `the instances use plugins that are not loaded here (${[...missingSaml, ...missingTypes].join(', ')}): install them in TESSERA_PLUGIN_DIR first.`,
      'plugins',
    );
  }
  for (const [n, i] of doc.instances.entries()) {
    try {
      await services.publish.validate(i.config);
    } catch (e) {
      if (e instanceof TesseraError) throw new TesseraError(e.code, `instances[${n}] (${i.name}): ${e.message}`);
      throw e;
    }
  }
  const instanceNames = new Set([...existingInstances.map((r) => r.name), ...doc.instances.map((i) => i.config.name)]);
  for (const [n, c] of (doc.oauthClients ?? []).entries()) {
    try {
      const input = parseClientInput(clientInputOf(c ?? {}));
      const missing = input.instances.filter((i) => !instanceNames.has(i));
      if (missing.length) throw new BadUserInputError(`names instances neither here nor in the export (${missing.join(', ')}).`, 'instances');
    } catch (e) {
      if (e instanceof TesseraError) throw new TesseraError(e.code, `oauthClients[${n}] (${String(c?.clientId)}): ${e.message}`);
      throw e;
    }
  }
  const byName = new Map(existingInstances.map((r) => [r.name, r]));
  const keyIds = new Set(existingKeys.map((k) => k.kid));

  const summary: ImportSummary = { instances: [], replaced: [], keys: [], keysKept: [], users: [], usersKept: [], issuedTokens: 0, clients: [], clientsKept: [] };
  // Keys before instances: an instance may pin a signing key by kid.
  for (const k of doc.keys) {
    if (keyIds.has(k.kid)) {
      summary.keysKept.push(k.kid);
      continue;
    }
    await services.keys.restore({ ...k, createdAt: new Date(k.createdAt), updatedAt: new Date(k.updatedAt) }, ctx);
    summary.keys.push(k.kid);
  }
  for (const i of doc.instances) {
    const existing = byName.get(i.config.name);
    if (existing) {
      await services.publish.update(existing.name, i.config, ctx);
      summary.replaced.push(existing.name);
    } else {
      await services.publish.restore({ id: i.id, name: i.name, config: i.config, createdAt: new Date(i.createdAt), updatedAt: new Date(i.updatedAt) }, ctx);
      summary.instances.push(i.config.name);
    }
  }
  for (const u of doc.users) {
    if (await services.identity.findByUsername(u.username)) {
      summary.usersKept.push(u.username);
      continue;
    }
    await services.identity.restoreUser(u);
    summary.users.push(u.username);
  }
  // Clients after instances: each names the instances it may use.
  const existingClients = new Set((await services.clients.exportRecords()).map((c) => c.clientId));
  for (const [n, c] of (doc.oauthClients ?? []).entries()) {
    if (existingClients.has(c?.clientId)) {
      summary.clientsKept.push(c.clientId);
      continue;
    }
    try {
      await services.clients.restore({ ...c, createdAt: new Date(c.createdAt), updatedAt: new Date(c.updatedAt) }, ctx);
    } catch (e) {
      if (e instanceof TesseraError) throw new TesseraError(e.code, `oauthClients[${n}] (${String(c?.clientId)}): ${e.message}`);
      throw e;
    }
    summary.clients.push(c.clientId);
  }
  // Records of instances restored with their ids only: a replaced instance keeps its own id and records.
  const restoredIds = new Set(doc.instances.filter((i) => summary.instances.includes(i.config.name)).map((i) => i.id));
  const records = doc.issuedTokens.filter((r) => restoredIds.has(r.instanceId));
  await importIssuedTokens(core.writer, records);
  summary.issuedTokens = records.length;
  return summary;
}

export async function exportCommand(args: string[], io: Io): Promise<void> {
  const p = parse(args, USAGE.export, { output: { type: 'string', short: 'o' } }, { min: 0, max: 0 });
  if (p.help) return void io.stdout.write(USAGE.export + '\n');
  await withCore(io, async (core) => {
    const doc = await buildExport(core);
    if (typeof p.values.output === 'string') {
      writeFileSync(p.values.output, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
      chmodSync(p.values.output, 0o600);
      io.stderr.write(`exported ${doc.instances.length} instance(s), ${doc.keys.length} key(s), ${doc.users.length} user(s), ${doc.oauthClients?.length ?? 0} OAuth client(s) and ${doc.issuedTokens.length} issued-token record(s) to ${p.values.output}\n`);
    } else {
      writeJson(io, doc);
    }
  });
}

export async function importCommand(args: string[], io: Io): Promise<void> {
  const p = parse(args, USAGE.import, { replace: { type: 'boolean' } }, { min: 1, max: 1 });
  if (p.help) return void io.stdout.write(USAGE.import + '\n');
  const raw = await readJsonInput(p.positionals[0]!, io);
  await withCore(io, async (core) => {
    const s = await applyImport(core, raw, { replace: p.values.replace === true });
    const line = (label: string, names: string[]) => (names.length ? `${label}: ${names.join(', ')}\n` : '');
    io.stdout.write(
      line('imported instances', s.instances) +
        line('replaced instances', s.replaced) +
        line('imported keys', s.keys) +
        line('keys already present', s.keysKept) +
        line('imported users (no password yet)', s.users) +
        line('users already present', s.usersKept) +
        line('imported OAuth clients', s.clients) +
        line('OAuth clients already present', s.clientsKept) +
        `imported issued-token records: ${s.issuedTokens}\n` +
        (s.users.length ? `Set their passwords with: tessera admin reset-password <user>\n` : ''),
    );
  });
}


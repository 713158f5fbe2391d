/**
 * OAuth clients of the token endpoint (API.md §7): confidential clients that authenticate with a secret
 * (`client_secret_basic`, `client_secret_post`) or a signed JWT (`private_key_jwt`, RFC 7523), each allowed some
 * instances and scopes, with roles that play a session's part for `callerRoles`. A secret is shown once, at
 * creation or rotation, and stored as its SHA-256 (it is 256 random bits, so a slow hash adds nothing). Rows live
 * behind the ClientRecords interface (persistence/client-records.ts); every change is audited here, once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { absent, fail, get, object, onlyKeys, stringList } from '../engine/config-toolkit.js';
import { BadUserInputError, NotFoundError, publicCode } from '../engine/errors.js';
import { INSTANCE_NAME_PATTERN } from '../engine/instance-config.js';
import { systemClock, type AuditSink, type Clock } from '../engine/types.js';
import { parseClientJwks, type ClientJwks } from './client-jwks.js';

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** RFC 6749 §A.1 allows any VSCHAR; Tessera keeps ids printable, short and free of separators that need care. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~@:+-]{0,127}$/;
/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/;
const ROLE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const MAX_LIST = 100;
/** A secret: a recognisable prefix (secret scanners, logs) and 32 random bytes. */
const SECRET_PREFIX = 'tcs_';

export interface ClientRecord {
  clientId: string;
  authMethod: ClientAuthMethod;
  /** SHA-256 (hex) of the secret; null for private_key_jwt or until a secret is rotated in. */
  secretHash: string | null;
  jwks: ClientJwks | null;
  instances: string[];
  scopes: string[];
  roles: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ClientRecords {
  list(): Promise<ClientRecord[]>;
  get(clientId: string): Promise<ClientRecord | null>;
  /** Throws ConflictError when the id exists. */
  insert(r: ClientRecord): Promise<void>;
  /** False when there is no such client. */
  replace(r: ClientRecord): Promise<boolean>;
  delete(clientId: string): Promise<boolean>;
}

/** What the API shows of a client: never the secret or its hash. */
export interface ClientView {
  clientId: string;
  authMethod: ClientAuthMethod;
  jwks: ClientJwks | null;
  instances: string[];
  scopes: string[];
  roles: string[];
  hasSecret: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface AdminContext {
  actor?: string;
  clientAddress?: string;
}

interface ClientInput {
  clientId: string;
  authMethod: ClientAuthMethod;
  jwks: ClientJwks | null;
  instances: string[];
  scopes: string[];
  roles: string[];
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(presented: string, storedHash: string | null): boolean {
  const given = createHash('sha256').update(presented, 'utf8').digest();
  // Compared even without a stored hash, so an unknown client costs the same as a wrong secret.
  const stored = storedHash && /^[0-9a-f]{64}$/.test(storedHash) ? Buffer.from(storedHash, 'hex') : Buffer.alloc(32);
  return timingSafeEqual(given, stored) && storedHash !== null;
}

function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

function view(r: ClientRecord): ClientView {
  return {
    clientId: r.clientId,
    authMethod: r.authMethod,
    jwks: r.jwks ? structuredClone(r.jwks) : null,
    instances: [...r.instances],
    scopes: [...r.scopes],
    roles: [...r.roles],
    hasSecret: r.secretHash !== null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

function uniqueList(raw: unknown, field: string, pattern: RegExp, what: string): string[] {
  const list = stringList(raw, field);
  if (list.length > MAX_LIST) fail(field, `may list at most ${MAX_LIST} entries.`);
  list.forEach((v, i) => {
    if (!pattern.test(v)) fail(`${field}[${i}]`, `is not ${what}.`);
  });
  return [...new Set(list)];
}

/** OAuthClientInput → a checked input; every mistake is BAD_USER_INPUT naming the field. */
export function parseClientInput(raw: unknown): ClientInput {
  const field = 'input';
  const o = object(raw, field);
  onlyKeys(o, ['clientId', 'authMethod', 'jwks', 'instances', 'scopes', 'roles'], field);
  const clientId = get(o, 'clientId');
  if (typeof clientId !== 'string' || !CLIENT_ID_PATTERN.test(clientId)) {
    fail(`${field}.clientId`, 'must be 1 to 128 characters: letters, digits and . _ ~ @ : + - (starting with a letter or digit).');
  }
  const authMethod = get(o, 'authMethod');
  if (typeof authMethod !== 'string' || !(CLIENT_AUTH_METHODS as readonly string[]).includes(authMethod)) {
    fail(`${field}.authMethod`, `must be one of ${CLIENT_AUTH_METHODS.join(', ')}.`);
  }
  const jwksRaw = get(o, 'jwks');
  let jwks: ClientJwks | null = null;
  if (authMethod === 'private_key_jwt') {
    if (absent(jwksRaw)) fail(`${field}.jwks`, 'is required for private_key_jwt: the JWK Set whose public keys verify the client assertions.');
    jwks = parseClientJwks(jwksRaw, `${field}.jwks`);
  } else if (!absent(jwksRaw)) {
    fail(`${field}.jwks`, `is only for private_key_jwt; ${authMethod} authenticates with a secret.`);
  }
  const instancesRaw = get(o, 'instances');
  if (absent(instancesRaw)) fail(`${field}.instances`, 'is required: the instances whose token endpoint the client may use.');
  const instances = uniqueList(instancesRaw, `${field}.instances`, INSTANCE_NAME_PATTERN, 'an instance name');
  if (instances.length === 0) fail(`${field}.instances`, 'must name at least one instance.');
  const scopesRaw = get(o, 'scopes');
  const scopes = absent(scopesRaw) ? [] : uniqueList(scopesRaw, `${field}.scopes`, SCOPE_TOKEN, 'a scope token (RFC 6749 §3.3)');
  const rolesRaw = get(o, 'roles');
  const roles = absent(rolesRaw) ? [] : uniqueList(rolesRaw, `${field}.roles`, ROLE, 'a role name (letters, digits and . _ : -, at most 64)');
  return { clientId: clientId as string, authMethod: authMethod as ClientAuthMethod, jwks, instances, scopes, roles };
}

/** A stored client's settings as an OAuthClientInput, to check an export's record with the same rules. */
export function clientInputOf(r: Partial<Pick<ClientRecord, 'clientId' | 'authMethod' | 'instances' | 'scopes' | 'roles' | 'jwks'>>): Record<string, unknown> {
  return { clientId: r.clientId, authMethod: r.authMethod, instances: r.instances, scopes: r.scopes, roles: r.roles, ...(r.jwks ? { jwks: r.jwks } : {}) };
}

export class ClientService {
  private cache = new Map<string, Promise<ClientRecord | null>>();
  private readonly clock: Clock;

  constructor(
    private readonly records: ClientRecords,
    private readonly opts: {
      audit?: AuditSink;
      clock?: Clock;
      /** Whether an instance of that name is published (a client naming none is refused at once). */
      instanceExists: (name: string) => Promise<boolean>;
      /** After a change, so other processes drop their caches (ConfigVersion.bump). */
      onChange?: () => Promise<void>;
    },
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  invalidate(): void {
    this.cache.clear();
  }

  /** The client, from a per-process cache dropped when the configuration version moves. Misses are not kept. */
  find(clientId: string): Promise<ClientRecord | null> {
    let p = this.cache.get(clientId);
    if (!p) {
      p = this.records.get(clientId);
      this.cache.set(clientId, p);
      const cached = p;
      p.then(
        (v) => {
          if (v === null && this.cache.get(clientId) === cached) this.cache.delete(clientId);
        },
        () => {
          if (this.cache.get(clientId) === cached) this.cache.delete(clientId);
        },
      );
    }
    return p;
  }

  async list(): Promise<ClientView[]> {
    return (await this.records.list()).map(view);
  }

  async get(clientId: string): Promise<ClientView | null> {
    const r = await this.records.get(clientId);
    return r ? view(r) : null;
  }

  private async checkInstances(instances: string[]): Promise<void> {
    for (const [i, name] of instances.entries()) {
      if (!(await this.opts.instanceExists(name))) throw new BadUserInputError(`names no published instance (${name}).`, `input.instances[${i}]`);
    }
  }

  private async audited<T>(action: string, target: unknown, ctx: AdminContext, fn: () => Promise<T>): Promise<T> {
    const t = typeof target === 'string' ? target.slice(0, 128) : undefined;
    try {
      const out = await fn();
      await this.opts.audit?.record({ action, actor: ctx.actor, target: t, outcome: 'OK', clientAddress: ctx.clientAddress });
      return out;
    } catch (e) {
      await this.opts.audit?.record({ action, actor: ctx.actor, target: t, outcome: publicCode(e), clientAddress: ctx.clientAddress });
      throw e;
    }
  }

  private async changed(): Promise<void> {
    this.invalidate();
    await this.opts.onChange?.();
  }

  /** A new client; its secret (secret methods) is returned here and never again. */
  create(raw: unknown, ctx: AdminContext = {}): Promise<{ client: ClientView; clientSecret?: string }> {
    return this.audited('createOAuthClient', (raw as { clientId?: unknown } | null)?.clientId, ctx, async () => {
      const input = parseClientInput(raw);
      await this.checkInstances(input.instances);
      const now = this.clock.now();
      const secret = input.authMethod === 'private_key_jwt' ? undefined : newSecret();
      const record: ClientRecord = { ...input, secretHash: secret ? hashSecret(secret) : null, createdAt: now, updatedAt: now };
      await this.records.insert(record);
      await this.changed();
      return { client: view(record), ...(secret ? { clientSecret: secret } : {}) };
    });
  }

  /**
   * Replaces a client's settings (full replacement; the id must match). The secret is kept while the method
   * stays a secret method and dropped for private_key_jwt; a client switched to a secret method without one has
   * none (hasSecret false) until rotateSecret.
   */
  update(clientId: string, raw: unknown, ctx: AdminContext = {}): Promise<ClientView> {
    return this.audited('updateOAuthClient', clientId, ctx, async () => {
      const input = parseClientInput(raw);
      if (input.clientId !== clientId) throw new BadUserInputError(`must equal the client being updated (${clientId}).`, 'input.clientId');
      const existing = await this.records.get(clientId);
      if (!existing) throw new NotFoundError(`Unknown OAuth client ${clientId}.`);
      await this.checkInstances(input.instances);
      const record: ClientRecord = {
        ...input,
        secretHash: input.authMethod === 'private_key_jwt' ? null : existing.secretHash,
        createdAt: existing.createdAt,
        updatedAt: this.clock.now(),
      };
      if (!(await this.records.replace(record))) throw new NotFoundError(`Unknown OAuth client ${clientId}.`);
      await this.changed();
      return view(record);
    });
  }

  delete(clientId: string, ctx: AdminContext = {}): Promise<boolean> {
    return this.audited('deleteOAuthClient', clientId, ctx, async () => {
      if (!(await this.records.delete(clientId))) throw new NotFoundError(`Unknown OAuth client ${clientId}.`);
      await this.changed();
      return true;
    });
  }

  /** Every client as stored, secret hashes included (for `tessera export`: as sensitive as the database). */
  exportRecords(): Promise<ClientRecord[]> {
    return this.records.list();
  }

  /**
   * A client from an export, as it was (its secret hash, so its secret keeps working; its times). Checked like
   * a new one; its instances must exist. Throws ConflictError when the id exists.
   */
  restore(record: ClientRecord, ctx: AdminContext = {}): Promise<void> {
    return this.audited('importOAuthClient', record?.clientId, ctx, async () => {
      const input = parseClientInput(clientInputOf(record));
      await this.checkInstances(input.instances);
      const secretHash = input.authMethod === 'private_key_jwt' ? null : record.secretHash;
      if (secretHash !== null && !/^[0-9a-f]{64}$/.test(secretHash)) throw new BadUserInputError('must be the SHA-256 (hex) from the export, or null.', 'secretHash');
      const createdAt = new Date(record.createdAt);
      const updatedAt = new Date(record.updatedAt);
      if (Number.isNaN(createdAt.getTime()) || Number.isNaN(updatedAt.getTime())) throw new BadUserInputError('must be ISO 8601 times from the export.', 'createdAt');
      await this.records.insert({ ...input, secretHash, createdAt, updatedAt });
      await this.changed();
    });
  }

  /** A new secret, shown once; the old one stops working at once. */
  rotateSecret(clientId: string, ctx: AdminContext = {}): Promise<{ client: ClientView; clientSecret: string }> {
    return this.audited('rotateOAuthClientSecret', clientId, ctx, async () => {
      const existing = await this.records.get(clientId);
      if (!existing) throw new NotFoundError(`Unknown OAuth client ${clientId}.`);
      if (existing.authMethod === 'private_key_jwt') {
        throw new BadUserInputError('authenticates with private_key_jwt and has no secret; update its jwks instead.', 'clientId');
      }
      const secret = newSecret();
      const record: ClientRecord = { ...existing, secretHash: hashSecret(secret), updatedAt: this.clock.now() };
      if (!(await this.records.replace(record))) throw new NotFoundError(`Unknown OAuth client ${clientId}.`);
      await this.changed();
      return { client: view(record), clientSecret: secret };
    });
  }
}


/**
 * The key store: signing keys with self-signed certificates, private keys sealed at rest with AES-256-GCM under
 * the master key. Key statuses: ACTIVE (signs), PUBLISHED (rotated out, still verifies), RETIRED (neither).
 * Imported KeyObjects are cached per process and dropped when the configuration version moves. Rows live behind
 * the KeyRecords interface (persistence/key-records.ts); administrative changes are audited here, once.
 */
import { createPublicKey } from 'node:crypto';
import { BadUserInputError, ConflictError, NotFoundError, publicCode } from '../engine/errors.js';
import { systemClock, type AuditSink, type Clock, type KeyProvider, type SigningKey, type VerificationKey } from '../engine/types.js';
import { generateKeyMaterial, importKeyMaterial, parseKeyAlgorithm, type KeyAlgorithm } from './key-material.js';
import { makeKeyCheck, openSecret, sealSecret, verifyKeyCheck } from './master-key.js';

export type KeyStatus = 'ACTIVE' | 'PUBLISHED' | 'RETIRED';

export interface KeyView {
  kid: string;
  algorithm: string;
  keySize: string;
  status: KeyStatus;
  publicJwk: Record<string, unknown>;
  certificate: string;
  createdAt: Date;
}

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

/** A key as stored: the private key sealed under the master key, bound to its kid. */
export interface KeyRecord {
  kid: string;
  algorithm: string;
  keySize: string;
  status: KeyStatus;
  publicJwk: Record<string, unknown>;
  certificate: string;
  sealedPrivateKey: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface KeyRecords {
  /** Newest first. */
  list(filter?: { algorithm?: string; status?: KeyStatus[] }): Promise<KeyRecord[]>;
  get(kid: string): Promise<KeyRecord | null>;
  oldest(): Promise<KeyRecord | null>;
  insert(record: KeyRecord): Promise<void>;
  setStatus(kid: string, status: KeyStatus, at: Date): Promise<void>;
  /** The sealed value that tells whether the master key is the one the database was created with. */
  keyCheck(): Promise<string | null>;
  setKeyCheck(value: string): Promise<void>;
}

/** Who makes an administrative change, for the audit trail. */
export interface AdminContext {
  actor?: string;
  clientAddress?: string;
}

function view(k: KeyRecord): KeyView {
  return {
    kid: k.kid,
    algorithm: k.algorithm,
    keySize: k.keySize,
    status: k.status as KeyStatus,
    publicJwk: { ...k.publicJwk },
    certificate: k.certificate,
    createdAt: k.createdAt,
  };
}

export class KeyStore implements KeyProvider {
  private signingCache = new Map<string, SigningKey>();
  private activeByAlg = new Map<string, Promise<SigningKey>>();
  private verificationCache: Promise<VerificationKey[]> | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly records: KeyRecords,
    private readonly masterKey: Buffer,
    private readonly opts: { commonNamePrefix: string; onChange?: () => Promise<void>; audit?: AuditSink; clock?: Clock },
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Stores a sealed check value on first start; afterwards a wrong master key is refused. */
  async checkMasterKey(): Promise<void> {
    const check = await this.records.keyCheck();
    if (check === null) {
      const anyKey = await this.records.oldest();
      if (anyKey) {
        try {
          openSecret(this.masterKey, anyKey.sealedPrivateKey, anyKey.kid);
        } catch {
          throw new MasterKeyError('TESSERA_MASTER_KEY does not decrypt the stored keys: it is not the key this database was created with.');
        }
      }
      await this.records.setKeyCheck(makeKeyCheck(this.masterKey));
      return;
    }
    if (!verifyKeyCheck(this.masterKey, check)) {
      throw new MasterKeyError('TESSERA_MASTER_KEY does not match this database: it is not the key the database was created with.');
    }
  }

  /** Every key as stored, its private key still sealed under the master key (exports). */
  exportRecords(): Promise<KeyRecord[]> {
    return this.records.list();
  }

  /**
   * Restores a key from an export, with its kid, status and sealed private key unchanged, so that tokens it
   * signed still verify. The private key must open with this master key (the one the export was made under).
   */
  restore(record: KeyRecord, ctx: AdminContext = {}): Promise<KeyView> {
    return this.audited('importKey', String(record?.kid), ctx, async () => {
      if (await this.records.get(record.kid)) throw new ConflictError(`Key ${record.kid} already exists.`);
      try {
        openSecret(this.masterKey, record.sealedPrivateKey, record.kid);
      } catch {
        throw new MasterKeyError(`The private key of ${record.kid} does not open with TESSERA_MASTER_KEY: the export was made under another master key.`);
      }
      if (!['ACTIVE', 'PUBLISHED', 'RETIRED'].includes(record.status)) throw new BadUserInputError('must be ACTIVE, PUBLISHED or RETIRED', 'status');
      await this.records.insert({ ...record, createdAt: new Date(record.createdAt), updatedAt: new Date(record.updatedAt) });
      await this.changed();
      return view(record);
    });
  }

  /** Drops cached key objects (called when another process changed keys). */
  invalidate(): void {
    this.signingCache.clear();
    this.activeByAlg.clear();
    this.verificationCache = undefined;
  }

  async list(): Promise<KeyView[]> {
    return (await this.records.list()).map(view);
  }

  async get(kid: string): Promise<KeyView | null> {
    const k = await this.records.get(kid);
    return k ? view(k) : null;
  }

  /** Runs an administrative change and records its one outcome in the audit trail. */
  private async audited(action: string, target: string, ctx: AdminContext, fn: () => Promise<KeyView>): Promise<KeyView> {
    try {
      const k = await fn();
      await this.opts.audit?.record({ action, actor: ctx.actor, target: k.kid, outcome: 'OK', clientAddress: ctx.clientAddress, detail: { algorithm: k.algorithm, from: target } });
      return k;
    } catch (e) {
      await this.opts.audit?.record({ action, actor: ctx.actor, target: target.slice(0, 128), outcome: publicCode(e), clientAddress: ctx.clientAddress });
      throw e;
    }
  }

  /** Generates a new ACTIVE key; an existing ACTIVE key of the same algorithm stays ACTIVE until rotated. */
  generate(algorithmName: string, ctx: AdminContext = {}): Promise<KeyView> {
    return this.audited('generateKey', String(algorithmName), ctx, async () => {
      const { algorithm, rsaBits } = parseKeyAlgorithm(algorithmName);
      const k = await this.create(algorithm, rsaBits);
      await this.changed();
      return view(k);
    });
  }

  private async create(algorithm: KeyAlgorithm, rsaBits?: 2048 | 3072): Promise<KeyRecord> {
    const m = await generateKeyMaterial(algorithm, { rsaBits, commonName: `${this.opts.commonNamePrefix} ${algorithm} signing key` });
    const now = this.clock.now();
    const record: KeyRecord = {
      kid: m.kid,
      algorithm: m.algorithm,
      keySize: m.keySize,
      status: 'ACTIVE',
      publicJwk: m.publicJwk,
      certificate: m.certificatePem,
      sealedPrivateKey: sealSecret(this.masterKey, m.privateKeyPem, m.kid),
      createdAt: now,
      updatedAt: now,
    };
    await this.records.insert(record);
    return record;
  }

  /** A new ACTIVE key of the same algorithm and size; the old one stays PUBLISHED for verification. */
  rotate(kid: string, ctx: AdminContext = {}): Promise<KeyView> {
    return this.audited('rotateKey', String(kid), ctx, async () => {
      const old = await this.records.get(kid);
      if (!old) throw new NotFoundError(`Key ${kid} does not exist.`);
      if (old.status === 'RETIRED') throw new BadUserInputError('a retired key cannot be rotated', 'kid');
      const bits = old.keySize === 'RSA-3072' ? 3072 : old.keySize === 'RSA-2048' ? 2048 : undefined;
      const fresh = await this.create(old.algorithm as KeyAlgorithm, bits);
      await this.records.setStatus(old.kid, 'PUBLISHED', this.clock.now());
      await this.changed();
      return view(fresh);
    });
  }

  /** No longer published or used. */
  retire(kid: string, ctx: AdminContext = {}): Promise<KeyView> {
    return this.audited('retireKey', String(kid), ctx, async () => {
      const k = await this.records.get(kid);
      if (!k) throw new NotFoundError(`Key ${kid} does not exist.`);
      await this.records.setStatus(kid, 'RETIRED', this.clock.now());
      await this.changed();
      return { ...view(k), status: 'RETIRED' };
    });
  }

  private async changed(): Promise<void> {
    this.invalidate();
    await this.opts.onChange?.();
  }

  /** Ensures an ACTIVE key exists for the algorithm (default RSA signing key at first start). */
  async ensureActive(algorithm: KeyAlgorithm): Promise<void> {
    await this.signingKey(algorithm);
  }

  private load(k: KeyRecord): SigningKey {
    const cached = this.signingCache.get(k.kid);
    if (cached) return cached;
    let pem: string;
    try {
      pem = openSecret(this.masterKey, k.sealedPrivateKey, k.kid).toString('utf8');
    } catch {
      throw new MasterKeyError(`The private key of ${k.kid} cannot be decrypted with TESSERA_MASTER_KEY.`);
    }
    const sk = importKeyMaterial({ kid: k.kid, algorithm: k.algorithm as KeyAlgorithm, privateKeyPem: pem, certificatePem: k.certificate });
    this.signingCache.set(k.kid, sk);
    return sk;
  }

  async signingKey(algorithm: string, kid?: string): Promise<SigningKey> {
    if (kid) {
      const cached = this.signingCache.get(kid);
      if (cached && cached.algorithm === algorithm) return cached;
      const k = await this.records.get(kid);
      if (!k || k.status === 'RETIRED') throw new BadUserInputError(`signing key ${kid} does not exist or is retired`, 'signingKeyId');
      if (k.algorithm !== algorithm) throw new BadUserInputError(`signing key ${kid} is a ${k.algorithm} key, not ${algorithm}`, 'signingKeyId');
      return this.load(k);
    }
    let p = this.activeByAlg.get(algorithm);
    if (!p) {
      p = this.findOrCreateActive(algorithm);
      this.activeByAlg.set(algorithm, p);
      p.catch(() => this.activeByAlg.delete(algorithm));
    }
    return p;
  }

  private async findOrCreateActive(algorithm: string): Promise<SigningKey> {
    const { algorithm: alg } = parseKeyAlgorithm(algorithm);
    let [k] = await this.records.list({ algorithm: alg, status: ['ACTIVE'] });
    if (!k) {
      k = await this.create(alg);
      await this.opts.onChange?.();
    }
    return this.load(k);
  }

  /** Base64 DER certificates of the rotated-out keys of an algorithm that still verify (PUBLISHED), newest first. */
  async publishedCertificates(algorithm: string): Promise<string[]> {
    const keys = await this.records.list({ algorithm, status: ['PUBLISHED'] });
    return keys.map((k) => k.certificate.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''));
  }

  async verificationKeys(): Promise<VerificationKey[]> {
    this.verificationCache ??= (async () => {
      const keys = await this.records.list({ status: ['ACTIVE', 'PUBLISHED'] });
      return keys.map((k) => ({
        kid: k.kid,
        algorithm: k.algorithm,
        publicKey: createPublicKey({ key: k.publicJwk as never, format: 'jwk' }),
        jwk: { ...k.publicJwk },
      }));
    })();
    const p = this.verificationCache;
    p.catch(() => {
      if (this.verificationCache === p) this.verificationCache = undefined;
    });
    return p;
  }
}

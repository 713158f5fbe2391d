/**
 * The key store: signing keys with self-signed certificates, private keys sealed at rest with AES-256-GCM under
 * the master key. Key statuses: ACTIVE (signs), PUBLISHED (rotated out, still verifies), RETIRED (neither).
 * Imported KeyObjects are cached per process and dropped when the configuration version moves.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Database } from '../persistence/database.js';
import { KeyEntity, MetaEntity } from '../persistence/entities.js';
import { BadUserInputError, NotFoundError } from '../engine/errors.js';
import type { KeyProvider, SigningKey } from '../engine/types.js';
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

const KEY_CHECK = 'master_key_check';

function view(k: KeyEntity): KeyView {
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
  private verificationCache: Promise<Array<{ kid: string; algorithm: string; publicKey: KeyObject; jwk: Record<string, unknown> }>> | undefined;

  constructor(
    private readonly db: Database,
    private readonly masterKey: Buffer,
    private readonly opts: { commonNamePrefix: string; onChange?: () => Promise<void> },
  ) {}

  /** Stores a sealed check value on first start; afterwards a wrong master key is refused. */
  async checkMasterKey(): Promise<void> {
    const em = this.db.em();
    const row = await em.findOne(MetaEntity, { key: KEY_CHECK });
    if (!row) {
      const [anyKey] = await em.find(KeyEntity, {}, { orderBy: { createdAt: 'asc' }, limit: 1 });
      if (anyKey) {
        try {
          openSecret(this.masterKey, anyKey.privateKey, anyKey.kid);
        } catch {
          throw new MasterKeyError('TESSERA_MASTER_KEY does not decrypt the stored keys: it is not the key this database was created with.');
        }
      }
      await em.insert(MetaEntity, { key: KEY_CHECK, value: makeKeyCheck(this.masterKey) });
      return;
    }
    if (!verifyKeyCheck(this.masterKey, row.value)) {
      throw new MasterKeyError('TESSERA_MASTER_KEY does not match this database: it is not the key the database was created with.');
    }
  }

  /** Drops cached key objects (called when another process changed keys). */
  invalidate(): void {
    this.signingCache.clear();
    this.activeByAlg.clear();
    this.verificationCache = undefined;
  }

  async list(): Promise<KeyView[]> {
    const keys = await this.db.em().find(KeyEntity, {}, { orderBy: { createdAt: 'desc' } });
    return keys.map(view);
  }

  async get(kid: string): Promise<KeyView | null> {
    const k = await this.db.em().findOne(KeyEntity, { kid });
    return k ? view(k) : null;
  }

  /** Generates a new ACTIVE key; an existing ACTIVE key of the same algorithm stays ACTIVE until rotated. */
  async generate(algorithmName: string): Promise<KeyView> {
    const { algorithm, rsaBits } = parseKeyAlgorithm(algorithmName);
    const k = await this.create(algorithm, rsaBits);
    await this.changed();
    return view(k);
  }

  private async create(algorithm: KeyAlgorithm, rsaBits?: 2048 | 3072): Promise<KeyEntity> {
    const m = await generateKeyMaterial(algorithm, { rsaBits, commonName: `${this.opts.commonNamePrefix} ${algorithm} signing key` });
    const now = new Date();
    const entity: KeyEntity = Object.assign(new KeyEntity(), {
      kid: m.kid,
      algorithm: m.algorithm,
      keySize: m.keySize,
      status: 'ACTIVE',
      publicJwk: m.publicJwk,
      certificate: m.certificatePem,
      privateKey: sealSecret(this.masterKey, m.privateKeyPem, m.kid),
      createdAt: now,
      updatedAt: now,
    });
    await this.db.em().insert(KeyEntity, { ...entity });
    return entity;
  }

  /** A new ACTIVE key of the same algorithm and size; the old one stays PUBLISHED for verification. */
  async rotate(kid: string): Promise<KeyView> {
    const old = await this.db.em().findOne(KeyEntity, { kid });
    if (!old) throw new NotFoundError(`Key ${kid} does not exist.`);
    if (old.status === 'RETIRED') throw new BadUserInputError('a retired key cannot be rotated', 'kid');
    const bits = old.keySize === 'RSA-3072' ? 3072 : old.keySize === 'RSA-2048' ? 2048 : undefined;
    const fresh = await this.create(old.algorithm as KeyAlgorithm, bits);
    await this.db.em().nativeUpdate(KeyEntity, { kid: old.kid }, { status: 'PUBLISHED', updatedAt: new Date() });
    await this.changed();
    return view(fresh);
  }

  /** No longer published or used. */
  async retire(kid: string): Promise<KeyView> {
    const em = this.db.em();
    const k = await em.findOne(KeyEntity, { kid });
    if (!k) throw new NotFoundError(`Key ${kid} does not exist.`);
    await em.nativeUpdate(KeyEntity, { kid }, { status: 'RETIRED', updatedAt: new Date() });
    await this.changed();
    return { ...view(k), status: 'RETIRED' };
  }

  private async changed(): Promise<void> {
    this.invalidate();
    await this.opts.onChange?.();
  }

  /** Ensures an ACTIVE key exists for the algorithm (default RSA signing key at first start). */
  async ensureActive(algorithm: KeyAlgorithm): Promise<void> {
    await this.signingKey(algorithm);
  }

  private load(k: KeyEntity): SigningKey {
    const cached = this.signingCache.get(k.kid);
    if (cached) return cached;
    let pem: string;
    try {
      pem = openSecret(this.masterKey, k.privateKey, k.kid).toString('utf8');
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
      const k = await this.db.em().findOne(KeyEntity, { kid });
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
    const em = this.db.em();
    let k = await em.findOne(KeyEntity, { algorithm: alg, status: 'ACTIVE' }, { orderBy: { createdAt: 'desc' } });
    if (!k) {
      k = await this.create(alg);
      await this.opts.onChange?.();
    }
    return this.load(k);
  }

  /** Base64 DER certificates of the rotated-out keys of an algorithm that still verify (PUBLISHED), newest first. */
  async publishedCertificates(algorithm: string): Promise<string[]> {
    const keys = await this.db.em().find(KeyEntity, { algorithm, status: 'PUBLISHED' }, { orderBy: { createdAt: 'desc' } });
    return keys.map((k) => k.certificate.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''));
  }

  async verificationKeys(): Promise<Array<{ kid: string; algorithm: string; publicKey: KeyObject; jwk: Record<string, unknown> }>> {
    this.verificationCache ??= (async () => {
      const keys = await this.db.em().find(KeyEntity, { status: { $in: ['ACTIVE', 'PUBLISHED'] } }, { orderBy: { createdAt: 'desc' } });
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

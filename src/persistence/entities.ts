/**
 * MikroORM entities, declared with EntitySchema so that no decorator metadata is needed, whatever compiles
 * the code. Entities are not GraphQL types: the GraphQL layer maps them (DESIGN.md §3).
 */
import { EntitySchema } from '@mikro-orm/core';

export class UserEntity {
  id!: string;
  username!: string;
  /** The folded username (identity/text.ts), unique; null only for a case-twin created before migration 0002. */
  usernameKey?: string | null;
  passwordHash!: string;
  roles!: string[];
  attributes!: Record<string, string | string[]>;
  createdAt!: Date;
  updatedAt!: Date;
}

export class SessionEntity {
  id!: string;
  tokenHash!: string;
  userId!: string;
  createdAt!: Date;
  expiresAt!: Date;
  endedAt?: Date | null;
  clientAddress?: string | null;
}

export class KeyEntity {
  kid!: string;
  algorithm!: string;
  keySize!: string;
  status!: string; // ACTIVE | PUBLISHED | RETIRED
  publicJwk!: Record<string, unknown>;
  certificate!: string;
  privateKey!: string; // sealed with the master key (AES-256-GCM)
  createdAt!: Date;
  updatedAt!: Date;
}

export class StsInstanceEntity {
  id!: string;
  name!: string;
  config!: Record<string, unknown>;
  createdAt!: Date;
  updatedAt!: Date;
}

export class IssuedTokenEntity {
  id!: string;
  tokenId!: string;
  instanceId!: string;
  instanceName!: string;
  subject!: string;
  type!: string;
  tokenHash!: string;
  issuedAt!: Date;
  expiresAt!: Date;
  cancelled!: boolean;
  cancelledAt?: Date | null;
  sender?: string | null;
}

export class AuditEventEntity {
  id!: string;
  at!: Date;
  action!: string;
  actor?: string | null;
  instance?: string | null;
  subject?: string | null;
  target?: string | null;
  inputType?: string | null;
  outputType?: string | null;
  outcome!: string;
  clientAddress?: string | null;
  detail?: Record<string, unknown> | null;
}

export class AuthFailureEntity {
  key!: string;
  failures!: number;
  windowStart!: Date;
}

export class UsedProofEntity {
  key!: string;
  expiresAt!: Date;
}

export class OAuthClientEntity {
  clientId!: string;
  authMethod!: string;
  /** SHA-256 (hex) of the client secret; null for private_key_jwt. */
  secretHash?: string | null;
  jwks?: Record<string, unknown> | null;
  instances!: string[];
  scopes!: string[];
  roles!: string[];
  createdAt!: Date;
  updatedAt!: Date;
}

export class MetaEntity {
  key!: string;
  value!: string;
}

const str = (length: number, extra: Record<string, unknown> = {}) => ({ type: 'string', length, ...extra }) as const;
const date = (extra: Record<string, unknown> = {}) => ({ type: 'datetime', length: 3, ...extra }) as const;

export const UserSchema = new EntitySchema<UserEntity>({
  class: UserEntity,
  tableName: 'users',
  properties: {
    id: { type: 'string', length: 36, primary: true },
    username: str(128, { unique: true }),
    usernameKey: str(128, { unique: true, nullable: true }),
    passwordHash: { type: 'text' },
    roles: { type: 'json' },
    attributes: { type: 'json' },
    createdAt: date(),
    updatedAt: date(),
  },
});

export const SessionSchema = new EntitySchema<SessionEntity>({
  class: SessionEntity,
  tableName: 'sessions',
  properties: {
    id: { type: 'string', length: 36, primary: true },
    tokenHash: str(64, { unique: true }),
    userId: str(36, { index: true }),
    createdAt: date(),
    expiresAt: date({ index: true }),
    endedAt: date({ nullable: true }),
    clientAddress: str(64, { nullable: true }),
  },
});

export const KeySchema = new EntitySchema<KeyEntity>({
  class: KeyEntity,
  tableName: 'keys',
  properties: {
    kid: { type: 'string', length: 64, primary: true },
    algorithm: str(16),
    keySize: str(16),
    status: str(16),
    publicJwk: { type: 'json' },
    certificate: { type: 'text' },
    privateKey: { type: 'text' },
    createdAt: date(),
    updatedAt: date(),
  },
});

export const StsInstanceSchema = new EntitySchema<StsInstanceEntity>({
  class: StsInstanceEntity,
  tableName: 'sts_instances',
  properties: {
    id: { type: 'string', length: 36, primary: true },
    name: str(63, { unique: true }),
    config: { type: 'json' },
    createdAt: date(),
    updatedAt: date(),
  },
});

export const IssuedTokenSchema = new EntitySchema<IssuedTokenEntity>({
  class: IssuedTokenEntity,
  tableName: 'issued_tokens',
  indexes: [{ properties: ['instanceId', 'issuedAt'] }, { properties: ['subject'] }, { properties: ['instanceId', 'tokenHash'] }],
  properties: {
    id: { type: 'string', length: 36, primary: true },
    tokenId: str(128),
    instanceId: str(36),
    instanceName: str(63),
    subject: str(512),
    type: str(40),
    tokenHash: str(64),
    issuedAt: date(),
    expiresAt: date({ index: true }),
    cancelled: { type: 'boolean' },
    cancelledAt: date({ nullable: true }),
    sender: str(128, { nullable: true }),
  },
});

export const AuditEventSchema = new EntitySchema<AuditEventEntity>({
  class: AuditEventEntity,
  tableName: 'audit_events',
  indexes: [{ properties: ['at'] }, { properties: ['instance', 'at'] }],
  properties: {
    id: { type: 'string', length: 36, primary: true },
    at: date(),
    action: str(64),
    actor: str(128, { nullable: true }),
    instance: str(63, { nullable: true }),
    subject: str(512, { nullable: true }),
    target: str(512, { nullable: true }),
    inputType: str(40, { nullable: true }),
    outputType: str(40, { nullable: true }),
    outcome: str(40),
    clientAddress: str(64, { nullable: true }),
    detail: { type: 'json', nullable: true },
  },
});

export const AuthFailureSchema = new EntitySchema<AuthFailureEntity>({
  class: AuthFailureEntity,
  tableName: 'auth_failures',
  properties: {
    key: { type: 'string', length: 64, primary: true },
    failures: { type: 'integer' },
    windowStart: date({ index: true }),
  },
});

export const UsedProofSchema = new EntitySchema<UsedProofEntity>({
  class: UsedProofEntity,
  tableName: 'used_proofs',
  properties: {
    key: { type: 'string', length: 64, primary: true },
    expiresAt: date({ index: true }),
  },
});

export const OAuthClientSchema = new EntitySchema<OAuthClientEntity>({
  class: OAuthClientEntity,
  tableName: 'oauth_clients',
  properties: {
    clientId: { type: 'string', length: 128, primary: true },
    authMethod: str(32),
    secretHash: str(64, { nullable: true }),
    jwks: { type: 'json', nullable: true },
    instances: { type: 'json' },
    scopes: { type: 'json' },
    roles: { type: 'json' },
    createdAt: date(),
    updatedAt: date(),
  },
});

export const MetaSchema = new EntitySchema<MetaEntity>({
  class: MetaEntity,
  tableName: 'meta',
  properties: {
    key: { type: 'string', length: 64, primary: true },
    value: { type: 'text' },
  },
});

export const ALL_SCHEMAS = [
  UserSchema,
  SessionSchema,
  KeySchema,
  StsInstanceSchema,
  IssuedTokenSchema,
  AuditEventSchema,
  AuthFailureSchema,
  UsedProofSchema,
  OAuthClientSchema,
  MetaSchema,
];

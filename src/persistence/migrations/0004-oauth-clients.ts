/**
 * Migration 0004: the OAuth clients of the token endpoint (RFC 8693 door): one row per client, its secret as a
 * SHA-256 hash, its JWK Set for private_key_jwt, and the instances, scopes and roles it has.
 */
import type { Migration } from './index.js';

export const m0004OAuthClients: Migration = {
  id: '0004-oauth-clients',
  sqlite: [
    'create table `oauth_clients` (`client_id` text not null, `auth_method` text not null, `secret_hash` text null, `jwks` json null, `instances` json not null, `scopes` json not null, `roles` json not null, `created_at` datetime not null, `updated_at` datetime not null, primary key (`client_id`));',
  ],
  postgresql: [
    'create table "oauth_clients" ("client_id" varchar(128) not null, "auth_method" varchar(32) not null, "secret_hash" varchar(64) null, "jwks" jsonb null, "instances" jsonb not null, "scopes" jsonb not null, "roles" jsonb not null, "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null, constraint "oauth_clients_pkey" primary key ("client_id"));',
  ],
};

/**
 * Versioned schema: an ordered list of committed migrations, applied at start inside one transaction each and
 * recorded in `schema_migrations`. On PostgreSQL the caller holds an advisory lock, so several processes
 * starting at once apply each migration exactly once.
 */
import { m0001Initial } from './0001-initial.js';
import { m0002UsernameKey } from './0002-username-key.js';
import { m0003TokenHashIndex } from './0003-token-hash-index.js';
import { m0004OAuthClients } from './0004-oauth-clients.js';

export interface Migration {
  id: string;
  sqlite: string[];
  postgresql: string[];
}

export const MIGRATIONS: Migration[] = [m0001Initial, m0002UsernameKey, m0003TokenHashIndex, m0004OAuthClients];

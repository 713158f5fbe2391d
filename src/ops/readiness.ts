/**
 * Readiness (`/readyz`, API.md §10): whether this process can serve tokens now. Liveness (`/healthz`) only says
 * the process answers; readiness also needs the database reachable with every migration applied, the signing
 * keys readable with the master key, and the plugins loaded — what a load balancer or an orchestrator should
 * wait for before sending traffic, and stop sending it on.
 */
import { MIGRATIONS } from '../persistence/migrations/index.js';
import type { Services } from '../services.js';

export type CheckState = 'ok' | 'failed';

export interface Readiness {
  ready: boolean;
  checks: { database: CheckState; migrations: CheckState; keys: CheckState; plugins: CheckState };
  /** Why a check failed, for operators (no secrets, no internal detail beyond the check's own terms). */
  problems: string[];
}

export async function readiness(services: Services, plugins: { loaded: boolean }): Promise<Readiness> {
  const problems: string[] = [];
  const checks: Readiness['checks'] = { database: 'failed', migrations: 'failed', keys: 'failed', plugins: plugins.loaded ? 'ok' : 'failed' };
  if (!plugins.loaded) problems.push('plugins are not loaded');
  if (await services.db.ping()) {
    checks.database = 'ok';
    try {
      const done = new Set((await services.db.knex()('schema_migrations').select('id')).map((r: { id: string }) => r.id));
      const pending = MIGRATIONS.filter((m) => !done.has(m.id)).map((m) => m.id);
      if (pending.length === 0) checks.migrations = 'ok';
      else problems.push(`migrations not applied: ${pending.join(', ')}`);
    } catch {
      problems.push('the migrations table cannot be read');
    }
    try {
      // The key store's own path: active and published keys as the verifiers use them, and an active RS256
      // signing key opened with the master key (the key every default configuration signs with).
      const verification = await services.keys.verificationKeys();
      const active = (await services.keys.list()).filter((k) => k.status === 'ACTIVE');
      if (verification.length > 0 && active.length > 0) {
        await services.keys.signingKey(active[0]!.algorithm, active[0]!.kid);
        checks.keys = 'ok';
      } else {
        problems.push('no active signing key');
      }
    } catch {
      problems.push('the signing keys cannot be loaded');
    }
  } else {
    problems.push('the database does not answer');
  }
  const ready = Object.values(checks).every((c) => c === 'ok');
  return { ready, checks, problems };
}

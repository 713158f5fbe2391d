/** The identity service's persistence (identity/identity-records.ts): users, sessions and throttle counts. */
import type { IdentityRecords, SessionRecord, UserRecord } from '../identity/identity-records.js';
import { UserNameTaken } from '../identity/identity-records.js';
import type { Database } from './database.js';
import { AuthFailureEntity, SessionEntity, UserEntity } from './entities.js';

function user(u: UserEntity): UserRecord {
  return {
    id: u.id,
    username: u.username,
    usernameKey: u.usernameKey ?? null,
    passwordHash: u.passwordHash,
    roles: [...u.roles],
    attributes: { ...u.attributes },
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  };
}

function session(s: SessionEntity): SessionRecord {
  return {
    id: s.id,
    tokenHash: s.tokenHash,
    userId: s.userId,
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
    endedAt: s.endedAt ?? null,
    clientAddress: s.clientAddress ?? null,
  };
}

export class DbIdentityRecords implements IdentityRecords {
  constructor(private readonly db: Database) {}

  async usersNamed(username: string, usernameKey: string): Promise<UserRecord[]> {
    return (await this.db.em().find(UserEntity, { $or: [{ username }, { usernameKey }] }, { limit: 2 })).map(user);
  }

  async userByExactName(username: string): Promise<UserRecord | null> {
    const u = await this.db.em().findOne(UserEntity, { username });
    return u ? user(u) : null;
  }

  async userById(id: string): Promise<UserRecord | null> {
    const u = await this.db.em().findOne(UserEntity, { id });
    return u ? user(u) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.db.em().find(UserEntity, {}, { orderBy: { username: 'asc' } })).map(user);
  }

  async insertUser(u: UserRecord): Promise<void> {
    const taken = () => this.usersNamed(u.username, u.usernameKey ?? u.username);
    const before = await taken();
    if (before.length > 0) throw new UserNameTaken(before.find((x) => x.username === u.username) ?? before[0]!);
    try {
      await this.db.em().insert(UserEntity, { ...u });
    } catch (e) {
      // A concurrent insert of the same (folded) name lost the race against the unique indexes.
      const raced = await taken();
      if (raced.length > 0) throw new UserNameTaken(raced[0]!);
      throw e;
    }
  }

  async updateUser(id: string, patch: Partial<Pick<UserRecord, 'passwordHash' | 'roles' | 'createdAt' | 'updatedAt'>>): Promise<void> {
    await this.db.em().nativeUpdate(UserEntity, { id }, patch);
  }

  async setPassword(id: string, passwordHash: string, at: Date, keepSession?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.nativeUpdate(UserEntity, { id }, { passwordHash, updatedAt: at });
      await tx.nativeUpdate(SessionEntity, { userId: id, endedAt: null, ...(keepSession ? { id: { $ne: keepSession } } : {}) }, { endedAt: at });
    });
  }

  async deleteUser(id: string, at: Date): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.nativeUpdate(SessionEntity, { userId: id, endedAt: null }, { endedAt: at });
      await tx.nativeDelete(UserEntity, { id });
    });
  }

  async insertSession(s: SessionRecord): Promise<void> {
    await this.db.em().insert(SessionEntity, { ...s });
  }

  async sessionByTokenHash(tokenHash: string): Promise<SessionRecord | null> {
    const s = await this.db.em().findOne(SessionEntity, { tokenHash });
    return s ? session(s) : null;
  }

  async endSession(id: string, at: Date): Promise<boolean> {
    return (await this.db.em().nativeUpdate(SessionEntity, { id, endedAt: null }, { endedAt: at })) > 0;
  }

  /** One statement (upsert), so concurrent failures and a concurrent reset cannot lose or break a count. */
  async countFailure(key: string, now: Date, windowCutoff: Date): Promise<void> {
    const knex = this.db.knex();
    const p = (d: Date) => this.db.dateParam(d);
    const cutoff = p(windowCutoff);
    await knex('auth_failures')
      .insert({ key, failures: 1, window_start: p(now) })
      .onConflict('key')
      .merge({
        failures: knex.raw('case when auth_failures.window_start <= ? then 1 else auth_failures.failures + 1 end', [cutoff]),
        window_start: knex.raw('case when auth_failures.window_start <= ? then ? else auth_failures.window_start end', [cutoff, p(now)]),
      });
  }

  async failures(key: string): Promise<{ failures: number; windowStart: Date } | null> {
    const row = await this.db.em().findOne(AuthFailureEntity, { key });
    return row ? { failures: row.failures, windowStart: row.windowStart } : null;
  }

  async clearFailures(key: string): Promise<void> {
    await this.db.em().nativeDelete(AuthFailureEntity, { key });
  }

  async purge(now: Date, windowCutoff: Date): Promise<void> {
    const em = this.db.em();
    await em.nativeDelete(SessionEntity, { $or: [{ expiresAt: { $lt: now } }, { endedAt: { $ne: null } }] });
    await em.nativeDelete(AuthFailureEntity, { windowStart: { $lt: windowCutoff } });
  }
}

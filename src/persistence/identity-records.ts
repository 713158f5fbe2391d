/** The identity service's persistence (identity/identity-records.ts): users, sessions and throttle counts. */
import type { IdentityRecords, SessionRecord, UserRecord } from '../identity/identity-records.js';
import { UserNameTaken } from '../identity/identity-records.js';
import type { Database } from './database.js';
import { AuthFailureEntity, SessionEntity, UserEntity } from './entities.js';
import { rawDate, rawJson, rawRows } from './raw-rows.js';

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

const SESSION_WITH_USER =
  'select s.id as s_id, s.token_hash as s_token_hash, s.user_id as s_user_id, s.created_at as s_created_at, s.expires_at as s_expires_at, ' +
  's.ended_at as s_ended_at, s.client_address as s_client_address, u.id as u_id, u.username as u_username, u.username_key as u_username_key, ' +
  'u.password_hash as u_password_hash, u.roles as u_roles, u.attributes as u_attributes, u.created_at as u_created_at, u.updated_at as u_updated_at ' +
  'from sessions s join users u on u.id = s.user_id where s.token_hash = ? limit 1';

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

  /**
   * One indexed query (the unique token_hash index, then the users primary key) straight to the driver: no
   * entity hydration, no identity map. It runs on every SESSION translation, where the two ORM look-ups it
   * replaces were about a third of the event loop's time.
   */
  async sessionWithUser(tokenHash: string): Promise<{ session: SessionRecord; user: UserRecord } | null> {
    const r = rawRows(await this.db.knex().raw(SESSION_WITH_USER, [tokenHash]))[0];
    if (!r) return null;
    return {
      session: {
        id: r.s_id as string,
        tokenHash: r.s_token_hash as string,
        userId: r.s_user_id as string,
        createdAt: rawDate(r.s_created_at),
        expiresAt: rawDate(r.s_expires_at),
        endedAt: r.s_ended_at === null || r.s_ended_at === undefined ? null : rawDate(r.s_ended_at),
        clientAddress: (r.s_client_address as string | null) ?? null,
      },
      user: {
        id: r.u_id as string,
        username: r.u_username as string,
        usernameKey: (r.u_username_key as string | null) ?? null,
        passwordHash: r.u_password_hash as string,
        roles: [...rawJson<string[]>(r.u_roles)],
        attributes: { ...rawJson<Record<string, unknown>>(r.u_attributes) } as UserRecord['attributes'],
        createdAt: rawDate(r.u_created_at),
        updatedAt: rawDate(r.u_updated_at),
      },
    };
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

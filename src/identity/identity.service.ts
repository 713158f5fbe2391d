/**
 * The identity store: users with scrypt-hashed passwords, roles and attributes; opaque session tokens stored
 * only as a SHA-256 hash; brute-force throttling per (user, client address) shared by `login`, the USERNAME
 * token validator and `changePassword`.
 *
 * Usernames are unique without regard to case: each user carries its folded name (text.ts, foldUsername) in a
 * unique column. A lookup by name takes the exact name first, then the folded one, so "Alice" logs in as
 * "alice" and every token names the user as stored. (Two users created before names were folded may differ
 * only in case: migration 0002 gives the folded name to the older one; the other is found by its exact name.)
 * Names, passwords and attribute values with control characters are refused when they are set, and a name
 * with control characters is never looked up: it cannot belong to anyone.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../persistence/database.js';
import { AuthFailureEntity, SessionEntity, UserEntity } from '../persistence/entities.js';
import {
  BadUserInputError,
  ConflictError,
  NotFoundError,
  RateLimitedError,
  UnauthenticatedError,
} from '../engine/errors.js';
import type { Attributes, Caller, IdentityProvider } from '../engine/types.js';
import { DEFAULT_SCRYPT, hashPassword, verifyPassword, type ScryptParams } from './password.js';
import { foldUsername, hasControlCharacters, hasControlCharactersBesidesLineBreaks } from './text.js';

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
export const ROLE_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
const ATTRIBUTE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;
const SESSION_PREFIX = 'tsn_';
/** The longest name a lookup considers; stored names are at most 128 characters (USERNAME_PATTERN). */
const MAX_LOOKUP_NAME = 256;
/**
 * The password hash of a user restored from an export (exports carry no passwords): no password verifies
 * against it, as `!` in a shadow file, until `tessera admin reset-password` sets one.
 */
export const NO_PASSWORD = '!';
/** One message for an unknown user and a wrong password (API.md §2). */
export const LOGIN_FAILED_MESSAGE = 'Invalid username or password.';

export interface UserView {
  id: string;
  username: string;
  roles: string[];
  attributes: Attributes;
  createdAt: Date;
}

export interface SessionView {
  token: string;
  expiresAt: Date;
  user: UserView;
}

export interface IdentityOptions {
  sessionTtlSeconds: number;
  authMaxFailures: number;
  authWindowSeconds: number;
  scrypt?: ScryptParams;
  now?: () => Date;
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function toView(u: UserEntity): UserView {
  return { id: u.id, username: u.username, roles: [...u.roles], attributes: { ...u.attributes }, createdAt: u.createdAt };
}

/** Validates a user's attributes: `{ name: string | string[] }`, bounded in size. */
export function validateAttributes(value: unknown, field = 'input.attributes'): Attributes {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new BadUserInputError('must be an object of strings or lists of strings', field);
  const out: Attributes = {};
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 100) throw new BadUserInputError('at most 100 attributes', field);
  for (const [k, v] of entries) {
    if (!ATTRIBUTE_NAME_PATTERN.test(k)) throw new BadUserInputError(`attribute name "${k.slice(0, 64)}" is not allowed`, field);
    // Values end up in SAML assertions, whose XML 1.0 text cannot carry control characters (§2.2 Char) other
    // than TAB, LF and CR, and in the database, where a NUL is refused or cuts the value short.
    if (typeof v === 'string') {
      if (v.length > 4096) throw new BadUserInputError(`${k} is longer than 4096 characters`, field);
      if (hasControlCharactersBesidesLineBreaks(v)) throw new BadUserInputError(`${k} must not contain control characters`, field);
      out[k] = v;
    } else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
      if (v.length > 100 || v.some((x) => (x as string).length > 4096)) throw new BadUserInputError(`${k} has too many or too long values`, field);
      if (v.some((x) => hasControlCharactersBesidesLineBreaks(x as string))) throw new BadUserInputError(`${k} must not contain control characters`, field);
      out[k] = [...(v as string[])];
    } else {
      throw new BadUserInputError(`${k} must be a string or a list of strings`, field);
    }
  }
  return out;
}

/**
 * A new password: 8 to 1024 characters, none of them a control character. HMAC (RFC 2104 §2, inside scrypt's
 * PBKDF2) pads short keys with zero bytes, so "abc" followed by five NULs would pass the length check and then
 * be the same password as "abc"; other control characters cannot be typed at a login prompt either.
 */
function validatePassword(password: string, field: string): void {
  if (typeof password !== 'string' || password.length < 8) throw new BadUserInputError('must be at least 8 characters', field);
  if (password.length > 1024) throw new BadUserInputError('must be at most 1024 characters', field);
  if (hasControlCharacters(password)) throw new BadUserInputError('must not contain control characters', field);
}

/** Whether a name could belong to a user at all; anything else is answered like an unknown user, unqueried. */
function isLookupName(username: unknown): username is string {
  return typeof username === 'string' && username.length > 0 && username.length <= MAX_LOOKUP_NAME && !hasControlCharacters(username);
}

export class IdentityService implements IdentityProvider {
  private readonly scryptParams: ScryptParams;
  private readonly now: () => Date;
  private dummyHash: Promise<string> | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly opts: IdentityOptions,
  ) {
    this.scryptParams = opts.scrypt ?? DEFAULT_SCRYPT;
    this.now = opts.now ?? (() => new Date());
  }

  /** A hash to verify against for unknown users, so that both failures cost the same time. */
  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'), this.scryptParams);
    return this.dummyHash;
  }

  // ---- throttling ---------------------------------------------------------------------------------
  /** Folded like the unique username, so that "Alice" and "alice" share one count. */
  private throttleKey(username: string, address: string): string {
    return sha256Hex(`${foldUsername(username)}\u0000${address}`);
  }

  /**
   * The user a name designates: the exact name first, else the one whose folded name it matches. Null for a
   * name that cannot be anyone's (control characters, empty, too long), without a query.
   */
  private async findUser(username: string): Promise<UserEntity | null> {
    if (!isLookupName(username)) return null;
    const key = foldUsername(username);
    const found = await this.db.em().find(UserEntity, { $or: [{ username }, { usernameKey: key }] }, { limit: 2 });
    return found.find((u) => u.username === username) ?? found[0] ?? null;
  }

  /** After this attempt was counted (the upsert restarts an expired window): refused beyond the allowed number. */
  private async assertWithinLimit(key: string): Promise<void> {
    const row = await this.db.em().findOne(AuthFailureEntity, { key });
    if (!row || row.failures <= this.opts.authMaxFailures) return;
    const windowEnd = row.windowStart.getTime() + this.opts.authWindowSeconds * 1000;
    throw new RateLimitedError(Math.max(1, Math.ceil((windowEnd - this.now().getTime()) / 1000)));
  }

  /** One statement (upsert), so concurrent failures and a concurrent reset cannot lose or break a count. */
  private async recordFailure(key: string): Promise<void> {
    const knex = this.db.knex();
    const now = this.now();
    const p = (d: Date) => this.db.dateParam(d);
    const cutoff = p(new Date(now.getTime() - this.opts.authWindowSeconds * 1000));
    await knex('auth_failures')
      .insert({ key, failures: 1, window_start: p(now) })
      .onConflict('key')
      .merge({
        failures: knex.raw('case when auth_failures.window_start <= ? then 1 else auth_failures.failures + 1 end', [cutoff]),
        window_start: knex.raw('case when auth_failures.window_start <= ? then ? else auth_failures.window_start end', [cutoff, p(now)]),
      });
  }

  private async clearFailures(key: string): Promise<void> {
    await this.db.em().nativeDelete(AuthFailureEntity, { key });
  }

  /**
   * Checks a password under the throttle. Unknown users and wrong passwords take the same path and time;
   * a correct password while throttled is refused too.
   */
  private async checkPassword(username: string, password: string, address: string): Promise<UserEntity | null> {
    if (typeof username !== 'string' || typeof password !== 'string' || username.length > 256 || password.length > 1024) return null;
    if (!isLookupName(username)) {
      // No user has such a name; the hash is still computed, so this answer takes as long as any other.
      await verifyPassword(password, await this.dummy());
      return null;
    }
    const key = this.throttleKey(username, address);
    // Attempts for one (user, address) run one at a time in this process, so that concurrent correct
    // passwords are not counted against each other; across processes the pre-count below still bounds guesses.
    const previous = this.inFlight.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const chained = previous.then(() => mine);
    this.inFlight.set(key, chained);
    await previous;
    try {
      return await this.checkPasswordSerialised(key, username, password);
    } finally {
      release();
      if (this.inFlight.get(key) === chained) this.inFlight.delete(key);
    }
  }

  private async checkPasswordSerialised(key: string, username: string, password: string): Promise<UserEntity | null> {
    // The attempt is counted before the slow hash check and the count read back, so no interleaving of requests
    // gets more than authMaxFailures guesses in a window; once over, even a correct password is refused. A correct
    // password within the limit clears the count below.
    await this.recordFailure(key);
    await this.assertWithinLimit(key);
    const user = await this.findUser(username);
    // A user without a password costs the same hash as any other failure.
    const usable = user && user.passwordHash !== NO_PASSWORD ? user.passwordHash : undefined;
    const ok = await verifyPassword(password, usable ?? (await this.dummy()));
    if (!user || !usable || !ok) return null;
    await this.clearFailures(key);
    return user;
  }

  // ---- sessions -----------------------------------------------------------------------------------
  async login(username: string, password: string, address: string): Promise<{ session: SessionView; sessionId: string }> {
    const user = await this.checkPassword(username, password, address);
    if (!user) throw new UnauthenticatedError(LOGIN_FAILED_MESSAGE);
    const token = SESSION_PREFIX + randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.opts.sessionTtlSeconds * 1000);
    const id = randomUUID();
    await this.db.em().insert(SessionEntity, {
      id,
      tokenHash: sha256Hex(token),
      userId: user.id,
      createdAt: now,
      expiresAt,
      endedAt: null,
      clientAddress: address.slice(0, 64),
    });
    return { session: { token, expiresAt, user: toView(user) }, sessionId: id };
  }

  /** Resolves a bearer session token to the caller; null when unknown, ended or expired. */
  async authenticate(token: string): Promise<Caller | null> {
    const s = await this.liveSession(token);
    if (!s) return null;
    return { userId: s.user.id, username: s.user.username, roles: [...s.user.roles], sessionId: s.session.id };
  }

  private async liveSession(token: string): Promise<{ session: SessionEntity; user: UserEntity } | null> {
    if (typeof token !== 'string' || !token.startsWith(SESSION_PREFIX) || token.length > 128) return null;
    const em = this.db.em();
    const session = await em.findOne(SessionEntity, { tokenHash: sha256Hex(token) });
    if (!session || session.endedAt || session.expiresAt.getTime() <= this.now().getTime()) return null;
    const user = await em.findOne(UserEntity, { id: session.userId });
    if (!user) return null;
    return { session, user };
  }

  async resolveSession(token: string): Promise<{ sessionId: string; username: string; attributes: Attributes; createdAt: Date } | null> {
    const s = await this.liveSession(token);
    if (!s) return null;
    return { sessionId: s.session.id, username: s.user.username, attributes: { ...s.user.attributes }, createdAt: s.session.createdAt };
  }

  /** Ends a live session; true when this call ended it (false when it had already ended). */
  async endSession(sessionId: string): Promise<boolean> {
    const n = await this.db.em().nativeUpdate(SessionEntity, { id: sessionId, endedAt: null }, { endedAt: this.now() });
    return n > 0;
  }

  // ---- engine's USERNAME validator ----------------------------------------------------------------
  async verifyPassword(username: string, password: string, clientAddress: string): Promise<{ username: string; attributes: Attributes; authnInstant: Date } | null> {
    const user = await this.checkPassword(username, password, clientAddress);
    if (!user) return null;
    return { username: user.username, attributes: { ...user.attributes }, authnInstant: this.now() };
  }

  // ---- users --------------------------------------------------------------------------------------
  async listUsers(): Promise<UserView[]> {
    const users = await this.db.em().find(UserEntity, {}, { orderBy: { username: 'asc' } });
    return users.map(toView);
  }

  async getUser(id: string): Promise<UserView | null> {
    const u = await this.db.em().findOne(UserEntity, { id });
    return u ? toView(u) : null;
  }

  async findByUsername(username: string): Promise<UserView | null> {
    const u = await this.findUser(username);
    return u ? toView(u) : null;
  }

  async countAdmins(): Promise<number> {
    const users = await this.db.em().find(UserEntity, {});
    return users.filter((u) => u.roles.includes('admin')).length;
  }

  async createUser(input: { username: unknown; password: unknown; roles?: unknown; attributes?: unknown }): Promise<UserView> {
    const username = input.username;
    if (typeof username !== 'string' || !USERNAME_PATTERN.test(username)) {
      throw new BadUserInputError('must be 1–128 characters of letters, digits, . _ @ - and start with a letter or digit', 'input.username');
    }
    validatePassword(input.password as string, 'input.password');
    let roles: string[] = [];
    if (input.roles !== undefined && input.roles !== null) {
      if (!Array.isArray(input.roles) || input.roles.length > 32) throw new BadUserInputError('must be a list of at most 32 roles', 'input.roles');
      for (const r of input.roles) {
        if (typeof r !== 'string' || !ROLE_PATTERN.test(r)) throw new BadUserInputError(`role "${String(r).slice(0, 64)}" must match ${ROLE_PATTERN}`, 'input.roles');
      }
      roles = [...new Set(input.roles as string[])];
    }
    const attributes = validateAttributes(input.attributes);
    const usernameKey = foldUsername(username);
    const em = this.db.em();
    const taken = async (): Promise<UserEntity | null> => em.findOne(UserEntity, { $or: [{ username }, { usernameKey }] });
    const conflict = (existing: UserEntity): ConflictError =>
      new ConflictError(existing.username === username ? `User ${username} already exists.` : `User ${username} already exists as ${existing.username} (usernames are compared without regard to case).`);
    const existing = await taken();
    if (existing) throw conflict(existing);
    const now = this.now();
    const user: UserEntity = Object.assign(new UserEntity(), {
      id: randomUUID(),
      username,
      usernameKey,
      passwordHash: await hashPassword(input.password as string, this.scryptParams),
      roles,
      attributes,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await em.insert(UserEntity, { ...user });
    } catch (e) {
      // A concurrent insert of the same (folded) name lost the race against the unique indexes.
      const raced = await this.db.em().findOne(UserEntity, { $or: [{ username }, { usernameKey }] });
      if (raced) throw conflict(raced);
      throw e;
    }
    return toView(user);
  }

  /**
   * Deletes the user with exactly this name (as `users` lists it): an irreversible operation does not guess, and
   * the caller's own name, which the door refuses to delete, cannot come back in another case.
   */
  async deleteUser(username: string): Promise<UserView> {
    const user = isLookupName(username) ? await this.db.em().findOne(UserEntity, { username }) : null;
    if (!user) throw new NotFoundError(`User ${isLookupName(username) ? username : '(invalid name)'} does not exist.`);
    await this.db.transaction(async (tx) => {
      await tx.nativeUpdate(SessionEntity, { userId: user.id, endedAt: null }, { endedAt: this.now() });
      await tx.nativeDelete(UserEntity, { id: user.id });
    });
    return toView(user);
  }

  async changePassword(caller: Caller, oldPassword: string, newPassword: string, address: string): Promise<void> {
    validatePassword(newPassword, 'newPassword');
    const user = await this.checkPassword(caller.username, oldPassword, address);
    if (!user) throw new UnauthenticatedError('The current password is wrong.');
    await this.db.em().nativeUpdate(UserEntity, { id: user.id }, { passwordHash: await hashPassword(newPassword, this.scryptParams), updatedAt: this.now() });
    // Other sessions of this user end: a password change is how people evict a stolen session.
    await this.db.em().nativeUpdate(SessionEntity, { userId: user.id, endedAt: null, id: { $ne: caller.sessionId } }, { endedAt: this.now() });
  }

  /**
   * Sets a user's password without the old one (the operator's recovery, `tessera admin reset-password`, run on
   * the database): every session of the user ends. The user is named as at login (case-insensitive).
   */
  async resetPassword(username: string, newPassword: string): Promise<UserView> {
    const user = await this.findUser(username);
    if (!user) throw new NotFoundError(`User ${isLookupName(username) ? username : '(invalid name)'} does not exist.`);
    validatePassword(newPassword, 'password');
    const now = this.now();
    await this.db.transaction(async (tx) => {
      await tx.nativeUpdate(UserEntity, { id: user.id }, { passwordHash: await hashPassword(newPassword, this.scryptParams), updatedAt: now });
      await tx.nativeUpdate(SessionEntity, { userId: user.id, endedAt: null }, { endedAt: now });
    });
    return toView(user);
  }

  /**
   * Restores a user from an export: name, roles, attributes and creation time, without a password (exports carry
   * none; NO_PASSWORD). Validated like createUser; CONFLICT when the name (folded) is taken.
   */
  async restoreUser(input: { username: unknown; roles?: unknown; attributes?: unknown; createdAt?: unknown }): Promise<UserView> {
    const placeholder = randomBytes(16).toString('hex');
    const created = await this.createUser({ username: input.username, password: placeholder, roles: input.roles, attributes: input.attributes });
    const createdAt = typeof input.createdAt === 'string' && !Number.isNaN(Date.parse(input.createdAt)) ? new Date(input.createdAt) : created.createdAt;
    await this.db.em().nativeUpdate(UserEntity, { id: created.id }, { passwordHash: NO_PASSWORD, createdAt });
    return { ...created, createdAt };
  }

  /** Sets a password directly (admin bootstrap). */
  async ensureAdmin(password: string): Promise<boolean> {
    validatePassword(password, 'TESSERA_ADMIN_PASSWORD');
    const em = this.db.em();
    const existing = await em.find(UserEntity, {});
    if (existing.some((u) => u.roles.includes('admin'))) return false;
    // "Admin" from before names were folded is the same user as "admin": promote it rather than clash with it.
    const u = existing.find((x) => x.username === 'admin') ?? existing.find((x) => foldUsername(x.username) === 'admin');
    if (u) {
      await em.nativeUpdate(UserEntity, { id: u.id }, { roles: [...new Set([...u.roles, 'admin'])], passwordHash: await hashPassword(password, this.scryptParams), updatedAt: this.now() });
      return true;
    }
    await this.createUser({ username: 'admin', password, roles: ['admin'], attributes: {} });
    return true;
  }

  async purgeExpired(): Promise<void> {
    const now = this.now();
    const em = this.db.em();
    await em.nativeDelete(SessionEntity, { $or: [{ expiresAt: { $lt: now } }, { endedAt: { $ne: null } }] });
    await em.nativeDelete(AuthFailureEntity, { windowStart: { $lt: new Date(now.getTime() - this.opts.authWindowSeconds * 1000) } });
  }
}

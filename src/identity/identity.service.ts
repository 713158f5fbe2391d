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
 *
 * Rows live behind IdentityRecords (persistence/identity-records.ts). What people do with identities — log in
 * and out, change or reset a password, create and delete users — is audited here, once, whichever door asked.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  BadUserInputError,
  ConflictError,
  NotFoundError,
  publicCode,
  RateLimitedError,
  sanitizeMessage,
  UnauthenticatedError,
} from '../engine/errors.js';
import type { Attributes, AuditSink, Caller, IdentityProvider } from '../engine/types.js';
import { UserNameTaken, type IdentityRecords, type SessionRecord, type UserRecord } from './identity-records.js';
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
  /** Where logins, logouts and user changes are recorded (absent: not recorded, for tools and unit tests). */
  audit?: AuditSink;
}

/** Who asks for a change and from where, for the audit trail; `detail` says which door (e.g. `{ door: 'am' }`). */
export interface IdentityContext {
  actor?: string;
  clientAddress?: string;
  detail?: Record<string, unknown>;
}

/** A name as the audit trail may hold it: at most 128 characters, no control characters. */
function auditName(v: unknown): string | undefined {
  return typeof v === 'string' ? sanitizeMessage(v, 128) : undefined;
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function toView(u: UserRecord): UserView {
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
    private readonly records: IdentityRecords,
    private readonly opts: IdentityOptions,
  ) {
    this.scryptParams = opts.scrypt ?? DEFAULT_SCRYPT;
    this.now = opts.now ?? (() => new Date());
  }

  /** Runs an action and records its one outcome. `target` may depend on the result (the name as stored). */
  private async audited<T>(action: string, ctx: IdentityContext, target: (result?: T) => unknown, fn: () => Promise<T>, actorOf?: (result: T) => string | undefined): Promise<T> {
    const write = (outcome: string, actor: string | undefined, t: unknown) =>
      this.opts.audit?.record({ action, actor: auditName(actor), target: auditName(t), outcome, clientAddress: ctx.clientAddress, ...(ctx.detail ? { detail: ctx.detail } : {}) });
    let result: T;
    try {
      result = await fn();
    } catch (e) {
      await write(publicCode(e), ctx.actor, target());
      throw e;
    }
    await write('OK', actorOf ? actorOf(result) : ctx.actor, target(result));
    return result;
  }

  /** A refused login the door decided on before reaching the password check (e.g. no credentials sent). */
  async loginRefused(username: unknown, error: unknown, ctx: IdentityContext = {}): Promise<void> {
    await this.opts.audit?.record({ action: 'login', target: auditName(username), outcome: publicCode(error), clientAddress: ctx.clientAddress, ...(ctx.detail ? { detail: ctx.detail } : {}) });
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
  private async findUser(username: string): Promise<UserRecord | null> {
    if (!isLookupName(username)) return null;
    const found = await this.records.usersNamed(username, foldUsername(username));
    return found.find((u) => u.username === username) ?? found[0] ?? null;
  }

  /** After this attempt was counted (the upsert restarts an expired window): refused beyond the allowed number. */
  private async assertWithinLimit(key: string): Promise<void> {
    const row = await this.records.failures(key);
    if (!row || row.failures <= this.opts.authMaxFailures) return;
    const windowEnd = row.windowStart.getTime() + this.opts.authWindowSeconds * 1000;
    throw new RateLimitedError(Math.max(1, Math.ceil((windowEnd - this.now().getTime()) / 1000)));
  }

  private async recordFailure(key: string): Promise<void> {
    const now = this.now();
    await this.records.countFailure(key, now, new Date(now.getTime() - this.opts.authWindowSeconds * 1000));
  }

  private async clearFailures(key: string): Promise<void> {
    await this.records.clearFailures(key);
  }

  /**
   * Checks a password under the throttle. Unknown users and wrong passwords take the same path and time;
   * a correct password while throttled is refused too.
   */
  private async checkPassword(username: string, password: string, address: string): Promise<UserRecord | null> {
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

  private async checkPasswordSerialised(key: string, username: string, password: string): Promise<UserRecord | null> {
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
  /** Logs in (GraphQL `login`, PingAM's /json/authenticate): a new session, audited with the door's `ctx.detail`. */
  async login(username: string, password: string, address: string, ctx: Omit<IdentityContext, 'clientAddress'> = {}): Promise<{ session: SessionView; sessionId: string }> {
    return this.audited(
      'login',
      { ...ctx, clientAddress: address },
      (r) => r?.session.user.username ?? username,
      async () => {
        const user = await this.checkPassword(username, password, address);
        if (!user) throw new UnauthenticatedError(LOGIN_FAILED_MESSAGE);
        const token = SESSION_PREFIX + randomBytes(32).toString('base64url');
        const now = this.now();
        const expiresAt = new Date(now.getTime() + this.opts.sessionTtlSeconds * 1000);
        const id = randomUUID();
        await this.records.insertSession({ id, tokenHash: sha256Hex(token), userId: user.id, createdAt: now, expiresAt, endedAt: null, clientAddress: address.slice(0, 64) });
        return { session: { token, expiresAt, user: toView(user) }, sessionId: id };
      },
      (r) => r.session.user.username,
    );
  }

  /** Ends the caller's session (GraphQL `logout`, PingAM's sessions?_action=logout). */
  async logout(caller: Caller, ctx: IdentityContext = {}): Promise<void> {
    await this.audited('logout', { ...ctx, actor: caller.username }, () => caller.username, async () => {
      if (caller.sessionId) await this.endSession(caller.sessionId);
    });
  }

  /** Resolves a bearer session token to the caller; null when unknown, ended or expired. */
  async authenticate(token: string): Promise<Caller | null> {
    const s = await this.liveSession(token);
    if (!s) return null;
    return { userId: s.user.id, username: s.user.username, roles: [...s.user.roles], sessionId: s.session.id };
  }

  private async liveSession(token: string): Promise<{ session: SessionRecord; user: UserRecord } | null> {
    if (typeof token !== 'string' || !token.startsWith(SESSION_PREFIX) || token.length > 128) return null;
    const found = await this.records.sessionWithUser(sha256Hex(token));
    if (!found) return null;
    const { session, user } = found;
    if (session.endedAt || session.expiresAt.getTime() <= this.now().getTime()) return null;
    return { session, user };
  }

  async resolveSession(token: string): Promise<{ sessionId: string; username: string; attributes: Attributes; createdAt: Date } | null> {
    const s = await this.liveSession(token);
    if (!s) return null;
    return { sessionId: s.session.id, username: s.user.username, attributes: { ...s.user.attributes }, createdAt: s.session.createdAt };
  }

  /** Ends a live session; true when this call ended it (false when it had already ended). */
  async endSession(sessionId: string): Promise<boolean> {
    return this.records.endSession(sessionId, this.now());
  }

  // ---- engine's USERNAME validator ----------------------------------------------------------------
  async verifyPassword(username: string, password: string, clientAddress: string): Promise<{ username: string; attributes: Attributes; authnInstant: Date } | null> {
    const user = await this.checkPassword(username, password, clientAddress);
    if (!user) return null;
    return { username: user.username, attributes: { ...user.attributes }, authnInstant: this.now() };
  }

  // ---- users --------------------------------------------------------------------------------------
  async listUsers(): Promise<UserView[]> {
    return (await this.records.listUsers()).map(toView);
  }

  async getUser(id: string): Promise<UserView | null> {
    const u = await this.records.userById(id);
    return u ? toView(u) : null;
  }

  async findByUsername(username: string): Promise<UserView | null> {
    const u = await this.findUser(username);
    return u ? toView(u) : null;
  }

  async countAdmins(): Promise<number> {
    return (await this.records.listUsers()).filter((u) => u.roles.includes('admin')).length;
  }

  /** Creates a user (admin): audited with `ctx.actor`. */
  async createUser(input: { username: unknown; password: unknown; roles?: unknown; attributes?: unknown }, ctx: IdentityContext = {}): Promise<UserView> {
    return this.audited('createUser', ctx, () => input?.username, () => this.insertUser(input));
  }

  private async insertUser(input: { username: unknown; password: unknown; roles?: unknown; attributes?: unknown }): Promise<UserView> {
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
    const now = this.now();
    const user: UserRecord = {
      id: randomUUID(),
      username,
      usernameKey: foldUsername(username),
      passwordHash: await hashPassword(input.password as string, this.scryptParams),
      roles,
      attributes,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.records.insertUser(user);
    } catch (e) {
      if (e instanceof UserNameTaken) {
        const existing = e.existing;
        throw new ConflictError(existing.username === username ? `User ${username} already exists.` : `User ${username} already exists as ${existing.username} (usernames are compared without regard to case).`);
      }
      throw e;
    }
    return toView(user);
  }

  /**
   * Deletes the user with exactly this name (as `users` lists it): an irreversible operation does not guess, and
   * the caller's own name, which the door refuses to delete, cannot come back in another case.
   */
  async deleteUser(username: string, ctx: IdentityContext = {}): Promise<UserView> {
    return this.audited('deleteUser', ctx, () => username, async () => {
      if (ctx.actor !== undefined && username === ctx.actor) throw new BadUserInputError('you cannot delete yourself', 'username');
      const user = isLookupName(username) ? await this.records.userByExactName(username) : null;
      if (!user) throw new NotFoundError(`User ${isLookupName(username) ? username : '(invalid name)'} does not exist.`);
      await this.records.deleteUser(user.id, this.now());
      return toView(user);
    });
  }

  /** Changes the caller's own password; the caller's other sessions end (how people evict a stolen session). */
  async changePassword(caller: Caller, oldPassword: string, newPassword: string, address: string): Promise<void> {
    await this.audited('changePassword', { actor: caller.username, clientAddress: address }, () => caller.username, async () => {
      validatePassword(newPassword, 'newPassword');
      const user = await this.checkPassword(caller.username, oldPassword, address);
      if (!user) throw new UnauthenticatedError('The current password is wrong.');
      await this.records.setPassword(user.id, await hashPassword(newPassword, this.scryptParams), this.now(), caller.sessionId ?? '');
    });
  }

  /**
   * Sets a user's password without the old one (the operator's recovery, `tessera admin reset-password`, run on
   * the database): every session of the user ends. The user is named as at login (case-insensitive).
   */
  async resetPassword(username: string, newPassword: string, ctx: IdentityContext = {}): Promise<UserView> {
    return this.audited('resetPassword', ctx, (u) => u?.username ?? username, async () => {
      const user = await this.findUser(username);
      if (!user) throw new NotFoundError(`User ${isLookupName(username) ? username : '(invalid name)'} does not exist.`);
      validatePassword(newPassword, 'password');
      await this.records.setPassword(user.id, await hashPassword(newPassword, this.scryptParams), this.now());
      return toView(user);
    });
  }

  /**
   * Restores a user from an export: name, roles, attributes and creation time, without a password (exports carry
   * none; NO_PASSWORD). Validated like createUser; CONFLICT when the name (folded) is taken.
   */
  async restoreUser(input: { username: unknown; roles?: unknown; attributes?: unknown; createdAt?: unknown }): Promise<UserView> {
    const placeholder = randomBytes(16).toString('hex');
    const created = await this.insertUser({ username: input.username, password: placeholder, roles: input.roles, attributes: input.attributes });
    const createdAt = typeof input.createdAt === 'string' && !Number.isNaN(Date.parse(input.createdAt)) ? new Date(input.createdAt) : created.createdAt;
    await this.records.updateUser(created.id, { passwordHash: NO_PASSWORD, createdAt });
    return { ...created, createdAt };
  }

  /** Sets a password directly (admin bootstrap). */
  async ensureAdmin(password: string): Promise<boolean> {
    validatePassword(password, 'TESSERA_ADMIN_PASSWORD');
    const existing = await this.records.listUsers();
    if (existing.some((u) => u.roles.includes('admin'))) return false;
    // "Admin" from before names were folded is the same user as "admin": promote it rather than clash with it.
    const u = existing.find((x) => x.username === 'admin') ?? existing.find((x) => foldUsername(x.username) === 'admin');
    if (u) {
      await this.records.updateUser(u.id, { roles: [...new Set([...u.roles, 'admin'])], passwordHash: await hashPassword(password, this.scryptParams), updatedAt: this.now() });
      return true;
    }
    await this.insertUser({ username: 'admin', password, roles: ['admin'], attributes: {} });
    return true;
  }

  async purgeExpired(): Promise<void> {
    const now = this.now();
    await this.records.purge(now, new Date(now.getTime() - this.opts.authWindowSeconds * 1000));
  }
}

/**
 * What the identity service keeps, behind one interface (the database implementation is
 * persistence/identity-records.ts): users, sessions stored by the hash of their token, and the failed-attempt
 * counts of the password throttle. Every method that changes two things changes them together.
 */
import type { Attributes } from '../engine/types.js';

export interface UserRecord {
  id: string;
  username: string;
  /** The folded name (text.ts), unique; null only for a case-twin created before names were folded. */
  usernameKey: string | null;
  passwordHash: string;
  roles: string[];
  attributes: Attributes;
  createdAt: Date;
  updatedAt: Date;
}

export interface SessionRecord {
  id: string;
  tokenHash: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  clientAddress: string | null;
}

export interface IdentityRecords {
  /** Users whose exact name is `username` or whose folded name is `usernameKey` (at most two). */
  usersNamed(username: string, usernameKey: string): Promise<UserRecord[]>;
  userByExactName(username: string): Promise<UserRecord | null>;
  userById(id: string): Promise<UserRecord | null>;
  /** Ordered by name. */
  listUsers(): Promise<UserRecord[]>;
  /** Throws UserNameTaken when the name or the folded name is taken (also when a concurrent insert won). */
  insertUser(user: UserRecord): Promise<void>;
  updateUser(id: string, patch: Partial<Pick<UserRecord, 'passwordHash' | 'roles' | 'createdAt' | 'updatedAt'>>): Promise<void>;
  /** Sets the password hash and ends the user's live sessions, except `keepSession`, in one transaction. */
  setPassword(id: string, passwordHash: string, at: Date, keepSession?: string): Promise<void>;
  /** Ends the user's live sessions and deletes the user, in one transaction. */
  deleteUser(id: string, at: Date): Promise<void>;

  insertSession(session: SessionRecord): Promise<void>;
  sessionByTokenHash(tokenHash: string): Promise<SessionRecord | null>;
  /** The session with this token hash and its user, in one look-up (every SESSION translation makes it). */
  sessionWithUser(tokenHash: string): Promise<{ session: SessionRecord; user: UserRecord } | null>;
  /** True when this call ended the session (false when it had already ended or does not exist). */
  endSession(id: string, at: Date): Promise<boolean>;

  /**
   * Counts one failed attempt for `key` in one statement: a window that started at or before `windowCutoff`
   * restarts at `now` with a count of 1.
   */
  countFailure(key: string, now: Date, windowCutoff: Date): Promise<void>;
  failures(key: string): Promise<{ failures: number; windowStart: Date } | null>;
  clearFailures(key: string): Promise<void>;
  /** Drops expired and ended sessions and throttle windows that started before `windowCutoff`. */
  purge(now: Date, windowCutoff: Date): Promise<void>;
}

export class UserNameTaken extends Error {
  constructor(readonly existing: UserRecord) {
    super(`user name taken by ${existing.username}`);
    this.name = 'UserNameTaken';
  }
}

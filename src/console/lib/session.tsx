/**
 * The admin's session: the token from `login`, kept in sessionStorage (this tab only, gone when it closes; never
 * a cookie, so no request carries it unless the console adds the header itself).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, graphql, onSessionRejected } from './api';

export interface Session {
  token: string;
  expiresAt: string;
  username: string;
  roles: string[];
}

const STORAGE_KEY = 'tessera.console.session';

function load(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (typeof s.token !== 'string' || Date.parse(s.expiresAt) <= Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

function store(s: Session | null): void {
  try {
    if (s) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(s));
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled; the session then lives in memory for this page only.
  }
}

interface SessionApi {
  session: Session | null;
  /** Why the last session ended without a logout, shown on the sign-in page. */
  endedBecause: string | null;
  signIn(username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

const SessionContext = createContext<SessionApi | null>(null);

const LOGIN = `mutation Login($username: String!, $password: String!) {
  login(username: $username, password: $password) { token expiresAt user { username roles } }
}`;

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(load);
  const [endedBecause, setEndedBecause] = useState<string | null>(null);

  const end = useCallback((why: string | null) => {
    store(null);
    setSession(null);
    setEndedBecause(why);
  }, []);

  useEffect(() => onSessionRejected(() => end('Your session has ended. Sign in again.')), [end]);

  useEffect(() => {
    if (!session) return;
    const left = Date.parse(session.expiresAt) - Date.now();
    // setTimeout holds at most 2^31-1 ms; a longer session is checked again when that much has passed.
    const t = setTimeout(() => end('Your session expired. Sign in again.'), Math.min(Math.max(left, 0), 2 ** 31 - 1));
    return () => clearTimeout(t);
  }, [session, end]);

  const signIn = useCallback(async (username: string, password: string) => {
    const r = await graphql<{ login: { token: string; expiresAt: string; user: { username: string; roles: string[] } } }>(LOGIN, { username, password });
    const s: Session = { token: r.login.token, expiresAt: r.login.expiresAt, username: r.login.user.username, roles: r.login.user.roles };
    if (!s.roles.includes('admin')) {
      // The console manages configuration, which needs the admin role; end the session rather than keep it.
      await graphql('mutation { logout }', {}, s.token).catch(() => undefined);
      throw new ApiError([{ code: 'FORBIDDEN', message: `${s.username} does not have the admin role, which the console needs.` }]);
    }
    store(s);
    setEndedBecause(null);
    setSession(s);
  }, []);

  const signOut = useCallback(async () => {
    const token = session?.token;
    end(null);
    if (token) await graphql('mutation Logout { logout }', {}, token).catch(() => undefined);
  }, [session, end]);

  const request = useCallback(
    <T,>(query: string, variables?: Record<string, unknown>) => graphql<T>(query, variables ?? {}, session?.token ?? null),
    [session],
  );

  const value = useMemo(() => ({ session, endedBecause, signIn, signOut, request }), [session, endedBecause, signIn, signOut, request]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The request function of the signed-in admin. */
export function useApi(): SessionApi['request'] {
  return useSession().request;
}

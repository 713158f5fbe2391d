/**
 * PingAM-style authentication (API.md §9), free of any HTTP framework:
 * - `POST /json[/<realm>]/authenticate` with `X-OpenAM-Username` and `X-OpenAM-Password` — AM's zero-page login,
 *   which PingGateway's TokenTransformationFilter (HeadlessAuthenticationFilter) and AM's REST clients use —
 *   answers `{"tokenId", "successUrl", "realm"}`. The tokenId is a Tessera session, made by the same
 *   IdentityService.login as the GraphQL `login`, under the same throttle;
 * - `POST /json[/<realm>]/sessions?_action=logout` ends the session presented in `iPlanetDirectoryPro` (header or
 *   cookie, or `Authorization: Bearer`); `?_action=validate` tells whether it is live.
 *
 * The realm may be written every way AM clients write it: none (`/json/authenticate`), PingGateway's
 * `json{realm}/authenticate` (`/json//authenticate` for the root realm, `/json/alpha/authenticate`), and AM 6+'s
 * `/json/realms/root/realms/alpha/authenticate`. Tessera's users belong to no realm: the realm only comes back in
 * the answer, as AM echoes the realm logged in to.
 */
import { UnauthenticatedError, BadUserInputError } from '../engine/errors.js';
import { realmFromSegments, realmName } from '../engine/realm.js';
import type { Caller } from '../engine/types.js';
import type { Services } from '../services.js';
import { NO_STORE, restError, type HttpAnswer } from './errors.js';

/** Where the admin console is: AM's successUrl points at its console too. */
export const SUCCESS_URL = '/admin';

export interface AmJsonRoute {
  endpoint: 'authenticate' | 'sessions';
  /** `/` for the root realm. */
  realm: string;
}

/** The endpoint and realm of a `/json/…` path, or null when it is not one of them. */
export function amJsonRoute(path: string): AmJsonRoute | null {
  if (!path.startsWith('/json/')) return null;
  // Empty segments are dropped: PingGateway writes the root realm as `json//authenticate`, AM `sessions/?_action`.
  const segments = path.slice('/json/'.length).split('/').filter((s) => s !== '');
  const endpoint = segments.pop();
  if (endpoint !== 'authenticate' && endpoint !== 'sessions') return null;
  let names: string[] = segments;
  if (segments[0] === 'realms') {
    // AM 6+: realms/root/realms/alpha — every other segment is "realms".
    if (segments.length % 2 !== 0) return null;
    names = [];
    for (let i = 0; i < segments.length; i += 2) {
      if (segments[i] !== 'realms') return null;
      names.push(segments[i + 1]!);
    }
  }
  const realm = realmFromSegments(names);
  return realm === null ? null : { endpoint, realm: realmName(realm) };
}

/**
 * A credential header's value: AM (5.5 and later) takes non-ASCII usernames and passwords as RFC 2047
 * encoded-words (`=?UTF-8?B?…?=`); anything else is the value itself. Null for an encoded-word in a charset
 * other than UTF-8, ISO-8859-1 or US-ASCII.
 */
export function decodeCredentialHeader(value: string): string | null {
  const m = /^=\?([^?]+)\?([BbQq])\?([^?]*)\?=$/.exec(value.trim());
  if (!m) return value;
  const charset = m[1]!.toLowerCase();
  if (!['utf-8', 'utf8', 'iso-8859-1', 'latin1', 'us-ascii'].includes(charset)) return null;
  const text = m[3]!;
  const bytes =
    m[2]!.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : // RFC 2047 §4.2: "_" is a space, "=XX" a byte.
        Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  return bytes.toString(charset.startsWith('utf') ? 'utf8' : 'latin1');
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? undefined : v;
}

function ok(body: unknown): HttpAnswer {
  return { status: 200, headers: { ...NO_STORE }, body };
}

export interface AmAuthenticateRequest {
  realm: string;
  headers: Record<string, string | string[] | undefined>;
  clientAddress: string;
  services: Pick<Services, 'identity' | 'audit'>;
}

/** Zero-page login. Never throws: every outcome is a status and PingAM's JSON. */
export async function handleAmAuthenticate(r: AmAuthenticateRequest): Promise<HttpAnswer> {
  const rawUser = header(r.headers, 'x-openam-username');
  const rawPassword = header(r.headers, 'x-openam-password');
  const username = rawUser === undefined ? undefined : decodeCredentialHeader(rawUser);
  const password = rawPassword === undefined ? undefined : decodeCredentialHeader(rawPassword);
  const { identity } = r.services;
  const detail = { door: 'am', realm: r.realm };
  let reachedLogin = false;
  try {
    if (username === undefined || password === undefined) {
      // AM would start a callback conversation; Tessera takes the zero-page form only.
      throw new UnauthenticatedError('Send the credentials as X-OpenAM-Username and X-OpenAM-Password headers (zero-page login; authentication callbacks are not supported).');
    }
    if (username === null || password === null) {
      throw new BadUserInputError('X-OpenAM-Username and X-OpenAM-Password must be plain text or RFC 2047 encoded-words in UTF-8.');
    }
    reachedLogin = true;
    // The identity service audits the login, with this door named in the event's detail.
    const { session } = await identity.login(username, password, r.clientAddress, { detail });
    return ok({ tokenId: session.token, successUrl: SUCCESS_URL, realm: r.realm });
  } catch (e) {
    if (!reachedLogin) await identity.loginRefused(username, e, { clientAddress: r.clientAddress, detail });
    return restError(e);
  }
}

export interface AmSessionsRequest {
  realm: string;
  action: string | null | string[];
  caller: Caller | null;
  /** The session was presented but is not live: why. */
  badSession?: string;
  /** TESSERA_AM_COOKIE_NAME. */
  cookieName: string;
  clientAddress: string;
  services: Pick<Services, 'identity' | 'audit'>;
}

/** `_action=logout` and `_action=validate` on the presented session. Never throws. */
export async function handleAmSessions(r: AmSessionsRequest): Promise<HttpAnswer> {
  try {
    if (Array.isArray(r.action)) throw new BadUserInputError('The _action query parameter must be given once.', '_action');
    if (r.action === 'validate') {
      // AM answers 200 with valid false for a session that is not live.
      return ok(r.caller ? { valid: true, uid: r.caller.username, realm: r.realm } : { valid: false });
    }
    if (r.action !== 'logout') {
      throw new BadUserInputError(r.action === null || r.action === '' ? 'The _action query parameter is required: logout or validate.' : 'Unknown _action: use logout or validate.', '_action');
    }
    if (r.badSession) throw new UnauthenticatedError(r.badSession);
    if (!r.caller?.sessionId) throw new UnauthenticatedError(`Send the session to end in the ${r.cookieName} header or cookie (or as Authorization: Bearer).`);
    await r.services.identity.logout(r.caller, { clientAddress: r.clientAddress, detail: { door: 'am' } });
    return ok({ result: 'Successfully logged out' });
  } catch (e) {
    return restError(e);
  }
}

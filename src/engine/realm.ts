/**
 * Realms: PingAM's partition of STS instances (AM-STS-NOTES §1: an instance answers at
 * `rest-sts/<realm path>/<deployment-url-element>`). In Tessera a realm is an optional core field of an instance
 * (absent = the root realm); names stay unique across realms, so the realm only decides where an instance
 * answers, never which instance a name means.
 *
 * One form everywhere: the root realm is absent in configuration and `/` in a request; any other realm is
 * `/` followed by its segments (`/fred/bobo`), as AM writes `deployment-realm`. `root` names the root realm on
 * every door: a leading `root` segment is dropped (`root` = `/`, `root/alpha` = `/alpha`), and one leading and
 * one trailing slash are ignored, as AM's DeploymentPathNormalizationImpl strips them.
 */
import { BadUserInputError, NotFoundError } from './errors.js';

export const ROOT_REALM = '/';
/** A realm segment: what AM realm names are in practice, and safe in a URL path without encoding. */
export const REALM_SEGMENT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_REALM_DEPTH = 16;

/**
 * The canonical realm of a list of path segments: `undefined` for the root realm, `/a/b` otherwise, or null when
 * a segment is not a realm name.
 */
export function realmFromSegments(segments: readonly string[]): string | undefined | null {
  const parts = segments[0] === 'root' ? segments.slice(1) : [...segments];
  if (parts.length > MAX_REALM_DEPTH) return null;
  if (!parts.every((p) => REALM_SEGMENT_PATTERN.test(p))) return null;
  return parts.length === 0 ? undefined : `/${parts.join('/')}`;
}

/**
 * A realm as configured (GraphQL `InstanceInput.realm`, AM's `deployment-realm`): null, `''`, `/` and `root`
 * are the root realm (`undefined`); anything else is normalised to `/a/b`. Throws BadUserInputError naming
 * `field`.
 */
export function parseRealm(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new BadUserInputError('must be a realm path such as "/" or "/alpha" (a string).', field);
  if (v.length > 1024) throw new BadUserInputError('must be at most 1024 characters.', field);
  const trimmed = v.replace(/^\//, '').replace(/\/$/, '');
  const realm = realmFromSegments(trimmed === '' ? [] : trimmed.split('/'));
  if (realm === null) {
    throw new BadUserInputError(
      `must be a realm path such as "/" (the root realm, also "root") or "/alpha/beta": at most ${MAX_REALM_DEPTH} segments of letters, digits, ".", "_" and "-", each starting with a letter or digit.`,
      field,
    );
  }
  return realm;
}

/** The realm as a request names it: `/` for the root realm. */
export function realmName(realm: string | undefined): string {
  return realm ?? ROOT_REALM;
}

/** The realm's part of a URL path: `''` for the root realm, `fred/bobo` otherwise. */
export function realmPath(realm: string | undefined): string {
  return realm === undefined || realm === ROOT_REALM ? '' : realm.slice(1);
}

/** Whether an instance configured in `configured` answers a request for `requested` (`/` = root). */
export function inRealm(configured: string | undefined, requested: string): boolean {
  return realmName(configured) === requested;
}

/** NOT_FOUND for an instance asked for in a realm it is not in, saying where it is (what would work). */
export function notInRealm(name: string, requested: string, configured: string | undefined): NotFoundError {
  const where = configured === undefined ? 'the root realm' : `the realm ${configured}`;
  return new NotFoundError(`No STS instance named ${name} in the realm ${requested}: ${name} is published in ${where}.`);
}

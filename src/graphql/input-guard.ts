/**
 * The GraphQL door's check of string arguments, before any resolver runs: no argument that can reach a query
 * or a stored configuration carries a control character. SQLite cuts a statement's text at a NUL and
 * PostgreSQL refuses a NUL in text and jsonb alike, so such a value used to end as INTERNAL; here it is
 * BAD_USER_INPUT naming the argument (`name`, `input.saml2.issuer`, `input.attributes.mail[1]`).
 *
 * - Top-level String arguments (names, usernames, subjects, kids, cursors) are single values: no control
 *   character (Cc) and no lone surrogate at all.
 * - Strings inside input objects and JSON (configuration, attributes, keys) may span lines (PEM certificates,
 *   metadata XML): TAB, LF and CR pass, every other control character does not (XML 1.0 §2.2).
 * - Credentials are left to the service that checks them, which answers as it does for any wrong credential:
 *   `login`'s password and `changePassword`'s and `createUser`'s passwords (the identity service), the token
 *   input of `translateToken` (its validator: INVALID_TOKEN), and the token of `validateToken` (valid: false,
 *   MALFORMED) and `cancelToken` (INVALID_TOKEN).
 * - `login` with such a username answers exactly as for an unknown user, before the resolver writes the
 *   attempted name into the audit trail: no user can have that name.
 *
 * Every argument, credentials included, is refused when JSON in it nests deeper than MAX_JSON_DEPTH, so
 * nothing downstream recurses through a value built to exhaust the stack.
 */
import type { MiddlewareFn } from 'type-graphql';
import { BadUserInputError, UnauthenticatedError } from '../engine/errors.js';
import { LOGIN_FAILED_MESSAGE } from '../identity/identity.service.js';
import { hasControlCharacters, hasControlCharactersBesidesLineBreaks } from '../identity/text.js';
import type { GqlContext } from './context.js';

/** Deepest nesting of lists and objects inside one argument (a JWK Set needs 3, an InstanceInput about 5). */
export const MAX_JSON_DEPTH = 32;

type Policy = 'line' | 'text' | 'credential';

/** Argument paths whose strings are credentials, checked by the service that verifies them. */
const CREDENTIALS: Readonly<Record<string, readonly string[]>> = {
  'Mutation.login': ['password'],
  'Mutation.changePassword': ['oldPassword', 'newPassword'],
  'Mutation.createUser': ['input.password'],
  'Mutation.translateToken': ['input'],
  'Mutation.validateToken': ['token'],
  'Mutation.cancelToken': ['token'],
};

function isCredential(operation: string, path: string): boolean {
  const list = CREDENTIALS[operation];
  return !!list && list.some((p) => path === p || path.startsWith(p + '.') || path.startsWith(p + '['));
}

function refuse(path: string, message: string): never {
  throw new BadUserInputError(message, path);
}

/** Walks one argument without recursion; throws BadUserInputError naming the first offending path. */
export function checkArgument(operation: string, name: string, value: unknown): void {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: name, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const policy: Policy = isCredential(operation, path) ? 'credential' : depth === 0 ? 'line' : 'text';
      if (policy === 'line' && hasControlCharacters(v)) refuse(path, 'must not contain control characters');
      if (policy === 'text' && hasControlCharactersBesidesLineBreaks(v)) refuse(path, 'must not contain control characters other than TAB, LF and CR');
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) refuse(path, `is nested more than ${MAX_JSON_DEPTH} levels deep`);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    const entries = Object.entries(v as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i];
      const childPath = `${path}.${key}`;
      // A key names a setting or an attribute: one line, whatever its value may hold.
      if (!isCredential(operation, childPath) && hasControlCharacters(key)) refuse(path, 'has a key with control characters');
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
}

/** Registered next to badBearerMiddleware (schema.ts); it runs for every field, and acts where there are arguments. */
export const inputGuardMiddleware: MiddlewareFn<GqlContext> = async ({ args, info }, next) => {
  const names = Object.keys(args);
  if (names.length === 0) return next();
  const operation = `${info.parentType.name}.${info.fieldName}`;
  if (operation === 'Mutation.login' && typeof args.username === 'string' && hasControlCharacters(args.username)) {
    throw new UnauthenticatedError(LOGIN_FAILED_MESSAGE);
  }
  for (const name of names) checkArgument(operation, name, args[name]);
  return next();
};

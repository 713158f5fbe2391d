/**
 * Errors with stable codes. One table maps each code to what every door shows: GraphQL `extensions.code`
 * (the code itself), the REST status and PingAM reason phrase, and the OAuth 2.0 `error` (RFC 6749 §5.2,
 * RFC 8693 §2.2.2) of the token endpoint. A new door is a mapping of this table, not new logic. Anything that
 * is not a TesseraError is reported to clients as INTERNAL with a generic message (http/errors.ts,
 * graphql/format-error.ts).
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNSUPPORTED_TRANSFORM'
  | 'UNAUTHENTICATED'
  | 'INVALID_TOKEN'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOKEN_PERSISTENCE_DISABLED'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** RFC 6749 §5.2 and RFC 8693 §2.2.2 error codes. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'server_error'
  | 'temporarily_unavailable';

export interface ErrorTableEntry {
  /** HTTP status of the REST doors. */
  status: number;
  /** PingAM's CREST reason phrase. */
  reason: string;
  /** The token endpoint's `error`. */
  oauth: OAuthErrorCode;
}

export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorTableEntry>> = {
  BAD_USER_INPUT: { status: 400, reason: 'Bad Request', oauth: 'invalid_request' },
  // RFC 8693 §2.2.2: a token type or transformation the server does not support is invalid_request.
  UNSUPPORTED_TRANSFORM: { status: 400, reason: 'Bad Request', oauth: 'invalid_request' },
  UNAUTHENTICATED: { status: 401, reason: 'Unauthorized', oauth: 'invalid_client' },
  // RFC 8693 §2.2.2: a subject or actor token that is not valid is invalid_grant.
  INVALID_TOKEN: { status: 401, reason: 'Unauthorized', oauth: 'invalid_grant' },
  FORBIDDEN: { status: 403, reason: 'Forbidden', oauth: 'unauthorized_client' },
  NOT_FOUND: { status: 404, reason: 'Not Found', oauth: 'invalid_target' },
  CONFLICT: { status: 409, reason: 'Conflict', oauth: 'invalid_request' },
  TOKEN_PERSISTENCE_DISABLED: { status: 409, reason: 'Conflict', oauth: 'invalid_request' },
  RATE_LIMITED: { status: 429, reason: 'Too Many Requests', oauth: 'temporarily_unavailable' },
  UNAVAILABLE: { status: 503, reason: 'Service Unavailable', oauth: 'temporarily_unavailable' },
  INTERNAL: { status: 500, reason: 'Internal Server Error', oauth: 'server_error' },
};

export const INTERNAL_MESSAGE = 'An internal error occurred.';

export class TesseraError extends Error {
  readonly code: ErrorCode;
  /** The offending input field, when there is one (e.g. `input.saml2.spEntityId`). */
  readonly field?: string;
  /** Seconds until a throttled caller may retry (RATE_LIMITED, UNAVAILABLE). */
  readonly retryAfter?: number;
  /**
   * A finer OAuth error than the table's (e.g. invalid_target or invalid_scope for a BAD_USER_INPUT about
   * `audience` or `scope`); the other doors still show `code`.
   */
  readonly oauthError?: OAuthErrorCode;

  constructor(code: ErrorCode, message: string, opts: { field?: string; retryAfter?: number; cause?: unknown; oauthError?: OAuthErrorCode } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'TesseraError';
    this.code = code;
    this.field = opts.field;
    this.retryAfter = opts.retryAfter;
    this.oauthError = opts.oauthError;
  }

  get status(): number {
    return ERROR_TABLE[this.code].status;
  }
}

export class BadUserInputError extends TesseraError {
  /** `oauthError`: a finer RFC 6749 error than invalid_request for the token endpoint (invalid_target, invalid_scope). */
  constructor(message: string, field?: string, oauthError?: OAuthErrorCode) {
    super('BAD_USER_INPUT', field ? `${field}: ${message}` : message, { field, oauthError });
    this.name = 'BadUserInputError';
  }
}

export class UnsupportedTransformError extends TesseraError {
  constructor(input: string, output: string) {
    super('UNSUPPORTED_TRANSFORM', `The transformation from ${input} to ${output} is not offered by this instance.`);
    this.name = 'UnsupportedTransformError';
  }
}

export class UnauthenticatedError extends TesseraError {
  constructor(message = 'Authentication required.') {
    super('UNAUTHENTICATED', message);
    this.name = 'UnauthenticatedError';
  }
}

export class InvalidTokenError extends TesseraError {
  constructor(message = 'The token is not valid.', cause?: unknown) {
    super('INVALID_TOKEN', message, { cause });
    this.name = 'InvalidTokenError';
  }
}

export class ForbiddenError extends TesseraError {
  constructor(message = 'Not allowed.') {
    super('FORBIDDEN', message);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends TesseraError {
  constructor(message: string) {
    super('NOT_FOUND', message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends TesseraError {
  constructor(message: string) {
    super('CONFLICT', message);
    this.name = 'ConflictError';
  }
}

export class TokenPersistenceDisabledError extends TesseraError {
  constructor(instance: string) {
    super(
      'TOKEN_PERSISTENCE_DISABLED',
      `Instance ${instance} does not persist issued tokens, which validation and cancellation require.`,
    );
    this.name = 'TokenPersistenceDisabledError';
  }
}

export class RateLimitedError extends TesseraError {
  constructor(retryAfter: number, message = 'Too many failed attempts; try again later.') {
    super('RATE_LIMITED', message, { retryAfter });
    this.name = 'RateLimitedError';
  }
}

/** The database or another dependency is down: fail fast, and tell the caller when to try again. */
export class UnavailableError extends TesseraError {
  /**
   * What failed, for the operator's log (e.g. `SQLite: SQLITE_FULL`): never the driver's message, which may
   * quote a statement with its values.
   */
  readonly detail?: string;

  constructor(message = 'The service is temporarily unavailable; try again shortly.', cause?: unknown, retryAfter = 5, detail?: string) {
    super('UNAVAILABLE', message, { cause, retryAfter });
    this.name = 'UnavailableError';
    this.detail = detail;
  }
}

/** The log fields of an UNAVAILABLE answer: the fault as classified, never the driver's text. */
export function faultFields(e: unknown): Record<string, unknown> {
  const te = asTesseraError(e);
  return { fault: te instanceof UnavailableError && te.detail ? te.detail : 'unavailable' };
}

/** An error whose message must never reach a client. */
export class InternalError extends TesseraError {
  constructor(detail: string, cause?: unknown) {
    super('INTERNAL', detail, { cause });
    this.name = 'InternalError';
  }
}

export function isTesseraError(e: unknown): e is TesseraError {
  return e instanceof TesseraError;
}

/**
 * Faults: thrown values that are not TesseraErrors but that a caller must see as something better than
 * INTERNAL — a database that does not answer, a full disk, a read-only file. A classifier looks at a value (and
 * the engine walks its `cause` chain) and returns the TesseraError it stands for, or undefined when it does not
 * know it. The persistence layer registers the database classifiers (persistence/faults.ts); a plugin with a
 * dependency of its own may register one too. Classifiers must be cheap and must never throw.
 */
export type FaultClassifier = (e: unknown) => TesseraError | undefined;

const CLASSIFIERS: FaultClassifier[] = [];

export function registerFaultClassifier(c: FaultClassifier): void {
  if (!CLASSIFIERS.includes(c)) CLASSIFIERS.push(c);
}

/** The value and what it wraps: `cause` chains, MikroORM's `previous`, GraphQL's `originalError`, AggregateError. */
function* causes(e: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  const stack: unknown[] = [e];
  while (stack.length > 0 && seen.size < 16) {
    const cur = stack.shift();
    if (cur === null || cur === undefined || seen.has(cur)) continue;
    seen.add(cur);
    yield cur;
    if (typeof cur !== 'object') continue;
    const o = cur as { cause?: unknown; previous?: unknown; originalError?: unknown; errors?: unknown };
    stack.push(o.cause, o.previous, o.originalError);
    if (Array.isArray(o.errors)) stack.push(...o.errors.slice(0, 4));
  }
}

/**
 * What any thrown value means to a client: a TesseraError as it is (the first one found along its causes),
 * a classified fault as its TesseraError, anything else undefined (INTERNAL, masked).
 */
export function asTesseraError(e: unknown): TesseraError | undefined {
  if (e instanceof TesseraError) return e;
  for (const cur of causes(e)) {
    if (cur instanceof TesseraError) return cur;
    for (const c of CLASSIFIERS) {
      try {
        const te = c(cur);
        if (te) return te;
      } catch {
        /* a classifier never decides by throwing */
      }
    }
  }
  return undefined;
}

/** The message a client may see for any thrown value. */
export function publicMessage(e: unknown): string {
  const te = asTesseraError(e);
  return te && te.code !== 'INTERNAL' ? te.message : INTERNAL_MESSAGE;
}

export function publicCode(e: unknown): ErrorCode {
  return asTesseraError(e)?.code ?? 'INTERNAL';
}

/** Plugin- or peer-supplied text shown to clients: length-capped, control characters removed. */
export function sanitizeMessage(text: unknown, max = 200): string {
  const s = typeof text === 'string' ? text : String(text ?? '');
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').trim();
  return clean.length > max ? clean.slice(0, max) + '…' : clean;
}

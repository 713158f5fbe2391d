/**
 * The console's only way to the server: GraphQL over POST /graphql with a JSON body (Apollo's CSRF prevention
 * accepts nothing else, and a cross-site form cannot send JSON), the session as a Bearer header, never a cookie.
 */

export interface ApiProblem {
  message: string;
  code: string;
  /** The input field the server names (`input.saml2.spEntityId`), when it names one. */
  field?: string;
}

export class ApiError extends Error {
  readonly code: string;
  readonly field?: string;
  constructor(readonly problems: ApiProblem[]) {
    super(problems[0]?.message ?? 'The request failed.');
    this.name = 'ApiError';
    this.code = problems[0]?.code ?? 'INTERNAL';
    this.field = problems[0]?.field;
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message?: string; extensions?: { code?: unknown; field?: unknown } }>;
}

// graphql-js names the offending part of a variable in coercion errors: `Variable "$input" got invalid value
// "x" at "input.saml2.lifetimeSeconds"; Int cannot represent…`. Variables are named like the server's field
// paths, so that path lands on the same form control as the server's own field-named errors.
const VARIABLE_PATH = /^Variable "\$(\w+)" got invalid value .*? at "([^"]+)"/;

function toProblem(e: { message?: string; extensions?: { code?: unknown; field?: unknown } }): ApiProblem {
  const message = typeof e.message === 'string' ? e.message : 'The request failed.';
  const code = typeof e.extensions?.code === 'string' ? e.extensions.code : 'INTERNAL';
  const field = typeof e.extensions?.field === 'string' ? e.extensions.field : undefined;
  if (field) return { message, code, field };
  const m = VARIABLE_PATH.exec(message);
  if (m) {
    // The part after "; " says what is wrong with the value; the rest repeats it and names the variable.
    const why = message.slice(message.indexOf('; ') + 2);
    const text = /^Int cannot represent/.test(why) ? 'must be a whole number.' : /^(String|Boolean) cannot represent/.test(why) ? `must be a ${why.split(' ')[0]!.toLowerCase()}.` : why;
    return { message: text, code, field: m[2] };
  }
  return { message, code };
}

type Listener = () => void;
const unauthenticatedListeners = new Set<Listener>();

/** Called when the server no longer accepts the session (expired, logged out elsewhere, user deleted). */
export function onSessionRejected(fn: Listener): () => void {
  unauthenticatedListeners.add(fn);
  return () => unauthenticatedListeners.delete(fn);
}

export async function graphql<T>(query: string, variables: Record<string, unknown> = {}, token?: string | null): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiError([{ code: 'NETWORK', message: 'Tessera did not answer. Check that the server is running, then try again.' }]);
  }
  let body: GraphQLResponse<T>;
  try {
    body = (await res.json()) as GraphQLResponse<T>;
  } catch {
    throw new ApiError([{ code: 'INTERNAL', message: `Tessera answered HTTP ${res.status} without a GraphQL result.` }]);
  }
  if (body.errors && body.errors.length > 0) {
    const problems = body.errors.map(toProblem);
    if (token && problems.some((p) => p.code === 'UNAUTHENTICATED')) for (const fn of unauthenticatedListeners) fn();
    throw new ApiError(problems);
  }
  if (!body.data) throw new ApiError([{ code: 'INTERNAL', message: 'Tessera answered without data.' }]);
  return body.data;
}

/** The server's message without the leading `input.x.y: ` that repeats the field's name. */
export function messageForField(problem: { message: string; field?: string }): string {
  const text = problem.field && problem.message.startsWith(`${problem.field}: `) ? problem.message.slice(problem.field.length + 2) : problem.message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A sentence for a person, for errors that have no field to sit next to. */
export function describeProblem(e: unknown): string {
  if (!(e instanceof ApiError)) return e instanceof Error ? e.message : String(e);
  switch (e.code) {
    case 'FORBIDDEN':
      return 'Your account may not do this (it needs the admin role).';
    case 'RATE_LIMITED':
      return 'Too many failed attempts. Wait a few minutes, then try again.';
    case 'INTERNAL':
      return 'Tessera hit an internal error; the server log has the detail.';
    default:
      return e.message;
  }
}

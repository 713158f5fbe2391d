/**
 * The one place where errors become what GraphQL clients see. TesseraErrors keep their code and message;
 * GraphQL's own request errors (parse, validation, variable coercion) are BAD_USER_INPUT; anything else is
 * INTERNAL with a generic message, logged here with its detail.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { asTesseraError, INTERNAL_MESSAGE, TesseraError } from '../engine/errors.js';
import { logFault } from '../http/errors.js';
import { describeError, type Logger } from '../log.js';

const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_FOUND',
]);

function findTesseraError(e: unknown): TesseraError | undefined {
  // A TesseraError along the wrapping chain, or a classified fault (a database that does not answer).
  return asTesseraError(e);
}

export function makeFormatError(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const te = findTesseraError(error);
    const base = { locations: formatted.locations, path: formatted.path };
    if (te && te.code !== 'INTERNAL') {
      const extensions: Record<string, unknown> = { code: te.code };
      if (te.field) extensions.field = te.field;
      if (te.retryAfter !== undefined) extensions.retryAfter = te.retryAfter;
      if (te.code === 'UNAVAILABLE') logFault(log, te, 'graphql');
      return { ...base, message: te.message, extensions };
    }
    const original = error instanceof GraphQLError ? error.originalError : undefined;
    const code = formatted.extensions?.code;
    // Errors GraphQL itself raises about the request carry no internal detail. Apollo wraps parse, validation
    // and variable-coercion errors around graphql-js's own error (so they do have an originalError), but they
    // arise before execution and never carry a path; errors from resolvers always do.
    if (!te && (!original || formatted.path === undefined) && typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) {
      return { ...base, message: formatted.message, extensions: { code: 'BAD_USER_INPUT', reason: code } };
    }
    // type-graphql argument coercion and GraphQL validation errors arrive without an originalError above;
    // everything else is internal.
    log.error('internal error', { ...describeError(original ?? te ?? error), path: formatted.path });
    return { ...base, message: INTERNAL_MESSAGE, extensions: { code: 'INTERNAL' } };
  };
}

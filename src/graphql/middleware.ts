import type { MiddlewareFn } from 'type-graphql';
import { UnauthenticatedError } from '../engine/errors.js';
import type { GqlContext } from './context.js';

/**
 * API.md §2: an Authorization header that is present but invalid or expired gives UNAUTHENTICATED on every
 * operation except `login` — never a silent downgrade to anonymous.
 */
export const badBearerMiddleware: MiddlewareFn<GqlContext> = async ({ context, info }, next) => {
  const root = info.parentType.name === 'Query' || info.parentType.name === 'Mutation';
  if (root && context.badBearer && !(info.parentType.name === 'Mutation' && info.fieldName === 'login')) {
    throw new UnauthenticatedError(context.badSessionMessage ?? 'The session in the Authorization header is invalid or expired.');
  }
  return next();
};

import type { Caller, RequestContext } from '../engine/types.js';
import { ForbiddenError, UnauthenticatedError } from '../engine/errors.js';
import type { Services } from '../services.js';

export interface GqlContext {
  services: Services;
  caller: Caller | null;
  /** An Authorization header was present but did not name a live session. */
  badBearer: boolean;
  /** Why the session was refused, naming where it was presented (http/kit.ts badSessionMessage). */
  badSessionMessage?: string;
  clientAddress: string;
  headers: Record<string, string | string[] | undefined>;
}

export function requireCaller(ctx: GqlContext): Caller {
  if (!ctx.caller) throw new UnauthenticatedError();
  return ctx.caller;
}

export function requireAdmin(ctx: GqlContext): Caller {
  const c = requireCaller(ctx);
  if (!c.roles.includes('admin')) throw new ForbiddenError('This operation needs the admin role.');
  return c;
}

export function requestContext(ctx: GqlContext): RequestContext {
  return { caller: ctx.caller, clientAddress: ctx.clientAddress, headers: ctx.headers, door: 'graphql' };
}

/** The PingAM-compatible REST STS over HTTP: `POST /rest-sts/<instance>?_action=…` (the mapping is rest-sts.ts). */
import { describeError } from '../../log.js';
import type { RequestContext } from '../../engine/types.js';
import type { Services } from '../../services.js';
import { restErrorBody } from '../errors.js';
import { authenticate, BodyError, clientAddress, methodNotAllowed, readJson, sendJson, type Door } from '../kit.js';
import { handleRestSts } from '../rest-sts.js';

export function createRestStsDoor(services: Services): Door {
  return {
    name: 'rest-sts',
    match(path) {
      const m = /^\/rest-sts\/([a-z0-9][a-z0-9-]{0,62})\/?$/.exec(path);
      return m ? { instance: m[1]! } : null;
    },
    async handle(req, res, url, params) {
      if (req.method !== 'POST') {
        methodNotAllowed(res, 'POST', 'Use POST with ?_action=translate|validate|cancel.');
        return;
      }
      let body: unknown;
      let rawBodyError: BodyError['kind'] | undefined;
      try {
        body = await readJson(req);
      } catch (e) {
        if (e instanceof BodyError) rawBodyError = e.kind;
        else throw e;
      }
      const auth = await authenticate(services, req);
      if (auth.badSession) {
        sendJson(res, 401, restErrorBody('UNAUTHENTICATED', 'The session in the Authorization header is invalid or expired.'));
        return;
      }
      const request: RequestContext = { caller: auth.caller, clientAddress: clientAddress(req), headers: req.headers, door: 'rest' };
      const actions = url.searchParams.getAll('_action');
      const action = actions.length === 0 ? null : actions.length === 1 ? actions[0]! : actions;
      const r = await handleRestSts({ instanceName: params.instance!, action, body, rawBodyError, request, engine: services.engine, registry: services.registry });
      if (r.internalError) services.log.error('internal error', { ...describeError(r.internalError), door: 'rest' });
      sendJson(res, r.status, r.body, r.headers ?? {});
    },
  };
}

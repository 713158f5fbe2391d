/**
 * The PingAM-compatible REST STS over HTTP: `POST /rest-sts/<realm path>/<instance>?_action=…` (the mapping is
 * rest-sts.ts). As in PingAM, the path is the instance's realm followed by its name; no realm path (or `root`)
 * is the root realm, so `/rest-sts/<instance>` serves root-realm instances only (the engine checks the realm).
 */
import { realmFromSegments, realmName } from '../../engine/realm.js';
import type { RequestContext } from '../../engine/types.js';
import type { Services } from '../../services.js';
import { logAnswer, restErrorBody } from '../errors.js';
import { authenticate, badSessionMessage, clientAddress, methodNotAllowed, readJsonBody, sendJson, type Door } from '../kit.js';
import { handleRestSts } from '../rest-sts.js';

export function createRestStsDoor(services: Services): Door {
  return {
    name: 'rest-sts',
    match(path) {
      const m = /^\/rest-sts\/((?:[^/]+\/){0,17})([a-z0-9][a-z0-9-]{0,62})\/?$/.exec(path);
      if (!m) return null;
      const realm = realmFromSegments(m[1] ? m[1].slice(0, -1).split('/') : []);
      return realm === null ? null : { instance: m[2]!, realm: realmName(realm) };
    },
    async handle(req, res, url, params) {
      if (req.method !== 'POST') {
        methodNotAllowed(res, 'POST', 'Use POST with ?_action=translate|validate|cancel.');
        return;
      }
      const { body, rawBodyError } = await readJsonBody(req);
      const auth = await authenticate(services, req);
      if (auth.badSession) {
        sendJson(res, 401, restErrorBody('UNAUTHENTICATED', badSessionMessage(auth, services.config.amCookieName)));
        return;
      }
      const request: RequestContext = { caller: auth.caller, clientAddress: clientAddress(req), headers: req.headers, door: 'rest', realm: params.realm };
      const actions = url.searchParams.getAll('_action');
      const action = actions.length === 0 ? null : actions.length === 1 ? actions[0]! : actions;
      const r = await handleRestSts({ instanceName: params.instance!, action, body, rawBodyError, request, engine: services.engine, registry: services.registry });
      logAnswer(services.log, r, 'rest');
      sendJson(res, r.status, r.body, r.headers ?? {});
    },
  };
}

/** PingAM's publish service over HTTP: `/sts-publish/rest[/<realm path>/<instance>]` (the mapping is am-publish.ts). */
import type { Services } from '../../services.js';
import { logAnswer } from '../errors.js';
import { handleAmPublish } from '../am-publish.js';
import { authenticate, badSessionMessage, clientAddress, readJsonBody, sendJson, type Door } from '../kit.js';

export function createAmPublishDoor(services: Services): Door {
  return {
    name: 'am-publish',
    match(path) {
      const m = /^\/sts-publish\/rest(\/.*)?$/.exec(path);
      if (!m) return null;
      // CREST ignores a trailing slash; the instance id is the rest of the path.
      return { rest: (m[1] ?? '').replace(/^\/+|\/+$/g, '') };
    },
    async handle(req, res, url, params) {
      const { body, rawBodyError } = await readJsonBody(req);
      const auth = await authenticate(services, req);
      const actions = url.searchParams.getAll('_action');
      const r = await handleAmPublish({
        method: req.method ?? 'GET',
        segments: params.rest ? params.rest!.split('/') : [],
        action: actions.length === 0 ? null : actions.length === 1 ? actions[0]! : actions,
        query: url.searchParams.has('_queryFilter') || url.searchParams.has('_queryId'),
        body,
        rawBodyError,
        caller: auth.caller,
        badSession: auth.badSession ? badSessionMessage(auth, services.config.amCookieName) : undefined,
        cookieName: services.config.amCookieName,
        clientAddress: clientAddress(req),
        services,
      });
      logAnswer(services.log, r, 'am-publish');
      sendJson(res, r.status, r.body, r.headers);
    },
  };
}

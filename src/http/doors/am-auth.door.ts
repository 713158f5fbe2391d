/** PingAM-style login and sessions over HTTP: `/json[/<realm>]/authenticate|sessions` (the logic is am-auth.ts). */
import type { Services } from '../../services.js';
import { amJsonRoute, handleAmAuthenticate, handleAmSessions } from '../am-auth.js';
import { logAnswer, type HttpAnswer } from '../errors.js';
import { authenticate, badSessionMessage, BodyError, clientAddress, mediaType, methodNotAllowed, readBody, sendJson, type Door } from '../kit.js';
import { rawBodyResponse } from '../rest-sts.js';

export function createAmAuthDoor(services: Services): Door {
  const cookieName = services.config.amCookieName;
  return {
    name: 'am-auth',
    match(path) {
      const route = amJsonRoute(path);
      return route ? { endpoint: route.endpoint, realm: route.realm } : null;
    },
    async handle(req, res, url, params) {
      const write = (r: HttpAnswer): void => {
        logAnswer(services.log, r, 'am-auth');
        sendJson(res, r.status, r.body, r.headers);
      };
      if (req.method !== 'POST') {
        methodNotAllowed(res, 'POST', params.endpoint === 'authenticate' ? 'Use POST with X-OpenAM-Username and X-OpenAM-Password.' : 'Use POST with ?_action=logout.');
        return;
      }
      // The body is read (bounded) and not used: zero-page login takes its credentials from headers, and logout
      // and validate act on the session the request presents.
      try {
        await readBody(req);
      } catch (e) {
        if (!(e instanceof BodyError)) throw e;
        write(rawBodyResponse(e.kind));
        return;
      }
      const address = clientAddress(req);
      if (params.endpoint === 'authenticate') {
        write(await handleAmAuthenticate({ realm: params.realm!, headers: req.headers, clientAddress: address, services }));
        return;
      }
      const auth = await authenticate(services, req);
      const actions = url.searchParams.getAll('_action');
      // A browser sends the cookie with any cross-site form POST; a form cannot send a JSON content type without
      // a CORS preflight. So a session presented in the cookie is ended only by a JSON request — as AM's own
      // clients send it (`Content-Type: application/json`) — and a hostile page cannot log the user out.
      const type = mediaType(req);
      if (auth.source === 'am-cookie' && actions.includes('logout') && type !== 'application/json' && !type.endsWith('+json')) {
        write(rawBodyResponse('BAD_CONTENT_TYPE', `A session sent in the ${cookieName} cookie is ended only by a request with Content-Type: application/json (or send it in the ${cookieName} header).`));
        return;
      }
      write(
        await handleAmSessions({
          realm: params.realm!,
          action: actions.length === 0 ? null : actions.length === 1 ? actions[0]! : actions,
          caller: auth.caller,
          badSession: auth.badSession ? badSessionMessage(auth, cookieName) : undefined,
          cookieName,
          clientAddress: address,
          services,
        }),
      );
    },
  };
}

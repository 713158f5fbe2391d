/** The RFC 8693 token endpoint over HTTP: `POST /sts/<instance>/token` and `POST /token` (token-exchange.ts maps). */
import type { Services } from '../../services.js';
import { logAnswer } from '../errors.js';
import { BodyError, clientAddress, mediaType, readBody, sendJson, type Door } from '../kit.js';
import { handleTokenRequest } from '../token-exchange.js';

export function createTokenDoor(services: Services): Door {
  const deps = {
    engine: services.engine,
    registry: services.registry,
    instances: services.instances,
    clientAuth: services.clientAuth,
    clock: services.clock,
    publicUrl: services.config.publicUrl,
  };
  return {
    name: 'token',
    match(path): Record<string, string> | null {
      if (path === '/token') return {};
      const m = /^\/sts\/([a-z0-9][a-z0-9-]{0,62})\/token$/.exec(path);
      return m ? { instance: m[1]! } : null;
    },
    async handle(req, res, _url, params) {
      if (req.method !== 'POST') {
        // RFC 6749 §3.2: the token endpoint takes POST only.
        sendJson(res, 405, { error: 'invalid_request', error_description: 'The token endpoint takes POST (RFC 6749 §3.2).' }, { allow: 'POST', pragma: 'no-cache' });
        return;
      }
      let body: Buffer | 'TOO_LARGE';
      try {
        body = await readBody(req);
      } catch (e) {
        if (!(e instanceof BodyError)) throw e;
        body = 'TOO_LARGE';
      }
      const answer = await handleTokenRequest(deps, {
        ...(params.instance !== undefined ? { instanceName: params.instance } : {}),
        contentType: mediaType(req),
        body,
        authorization: req.headers.authorization,
        clientAddress: clientAddress(req),
        headers: req.headers,
      });
      logAnswer(services.log, answer, 'oauth');
      sendJson(res, answer.status, answer.body, answer.headers);
    },
  };
}

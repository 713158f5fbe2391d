/** Per-instance metadata over HTTP: /sts/<instance>/jwks.json, …/.well-known/openid-configuration, …/saml-metadata.xml. */
import type { Services } from '../../services.js';
import { methodNotAllowed, send, type Door } from '../kit.js';
import { metadataRoute } from '../metadata.js';

export function createMetadataDoor(services: Services): Door {
  return {
    name: 'metadata',
    match(path) {
      const m = /^\/sts\/([a-z0-9][a-z0-9-]{0,62})\/(jwks\.json|\.well-known\/openid-configuration|saml-metadata\.xml|saml-sp-metadata\.xml)$/.exec(path);
      return m ? { instance: m[1]!, what: m[2]! } : null;
    },
    async handle(req, res, _url, params) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        methodNotAllowed(res, 'GET, HEAD', 'Use GET.');
        return;
      }
      const r = await metadataRoute(services, params.instance!, params.what!);
      send(res, r.status, r.body, r.type, { 'cache-control': r.status === 200 ? 'public, max-age=60' : 'no-store', 'access-control-allow-origin': '*' });
    },
  };
}

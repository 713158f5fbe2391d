/** /readyz: 200 when this process can serve (ops/readiness.ts), else 503 with Retry-After. */
import type { Services } from '../../services.js';
import { methodNotAllowed, sendJson, type Door } from '../kit.js';
import { readiness } from '../../ops/readiness.js';

export function createReadyDoor(services: Services): Door {
  return {
    name: 'ready',
    match: (path) => (path === '/readyz' ? {} : null),
    async handle(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        methodNotAllowed(res, 'GET, HEAD', 'Use GET.');
        return;
      }
      // A door exists only once start-up is done, plugins included: start fails when a plugin does not load.
      const r = await readiness(services, { loaded: true });
      sendJson(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'unavailable', checks: r.checks, ...(r.problems.length ? { problems: r.problems } : {}) }, r.ready ? {} : { 'retry-after': '5' });
    },
  };
}

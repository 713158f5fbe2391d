/** /healthz: liveness and whether the database answers. */
import type { Services } from '../../services.js';
import { sendJson, type Door } from '../kit.js';

export function createHealthDoor(services: Services): Door {
  return {
    name: 'health',
    match: (path) => (path === '/healthz' ? {} : null),
    async handle(_req, res) {
      const up = await services.db.ping();
      sendJson(res, up ? 200 : 503, { status: up ? 'ok' : 'unavailable', database: up ? 'up' : 'down' });
    },
  };
}

/**
 * /metrics: the Prometheus text exposition (metrics/metrics.ts), summed over the cluster's workers when there
 * are several. Open unless TESSERA_METRICS_TOKEN is set; then `Authorization: Bearer <it>` (compared in
 * constant time).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Services } from '../../services.js';
import { restErrorBody } from '../errors.js';
import { methodNotAllowed, send, sendJson, type Door } from '../kit.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function createMetricsDoor(services: Services): Door {
  const { metricsToken } = services.config;
  const expected = metricsToken ? digest(metricsToken) : undefined;
  const allowed = (req: IncomingMessage): boolean => {
    if (!expected) return true;
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    // Hashes of equal length, so the comparison leaks neither the token nor its length.
    return !!m && timingSafeEqual(digest(m[1]!), expected);
  };
  return {
    name: 'metrics',
    match: (path) => (path === '/metrics' ? {} : null),
    async handle(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        methodNotAllowed(res, 'GET, HEAD', 'Use GET.');
        return;
      }
      if (!allowed(req)) {
        sendJson(res, 401, restErrorBody('UNAUTHENTICATED', 'Send the metrics token as Authorization: Bearer <TESSERA_METRICS_TOKEN>.'), { 'www-authenticate': 'Bearer realm="metrics"' });
        return;
      }
      const text = await services.metrics.exposition();
      send(res, 200, text, services.metrics.contentType, { 'cache-control': 'no-store' });
    },
  };
}

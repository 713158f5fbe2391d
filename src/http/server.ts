/**
 * One node:http server on one port, answering through its doors (http/doors/): each door names the paths it
 * answers; the first that matches handles the request. A new door is a module and a line in the list below.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INTERNAL_MESSAGE } from '../engine/errors.js';
import { describeError } from '../log.js';
import type { Services } from '../services.js';
import { createAmAuthDoor } from './doors/am-auth.door.js';
import { createAmPublishDoor } from './doors/am-publish.door.js';
import { createGraphqlDoor } from './doors/graphql.door.js';
import { createHealthDoor } from './doors/health.door.js';
import { createMetricsDoor } from './doors/metrics.door.js';
import { createReadyDoor } from './doors/ready.door.js';
import { createMetadataDoor } from './doors/metadata.door.js';
import { consoleDoor, graphiqlDoor, rootDoor } from './doors/pages.door.js';
import { createRestStsDoor } from './doors/rest-sts.door.js';
import { createTokenDoor } from './doors/token.door.js';
import { logAnswer, restError, restErrorBody } from './errors.js';
import { sendJson, type Door } from './kit.js';

export { clientAddress, MAX_BODY_BYTES } from './kit.js';
export { restErrorBody } from './errors.js';

export interface HttpApp {
  server: Server;
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

export async function createHttpApp(services: Services): Promise<HttpApp> {
  const { log } = services;
  const doors: Door[] = [
    await createGraphqlDoor(services),
    createHealthDoor(services),
    createReadyDoor(services),
    createMetricsDoor(services),
    graphiqlDoor,
    consoleDoor,
    rootDoor,
    createRestStsDoor(services),
    createTokenDoor(services),
    createAmPublishDoor(services),
    createAmAuthDoor(services),
    createMetadataDoor(services),
  ];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const started = performance.now();
    let answered: Promise<void> | undefined;
    let doorName = 'none';
    for (const door of doors) {
      const params = door.match(url.pathname);
      if (params) {
        answered = door.handle(req, res, url, params);
        doorName = door.name;
        break;
      }
    }
    (answered ?? Promise.resolve(sendJson(res, 404, restErrorBody('NOT_FOUND', 'No such endpoint.')))).catch((e: unknown) => {
      const answer = restError(e);
      if (answer.status !== 500) {
        logAnswer(log, answer, doorName);
        if (!res.headersSent) sendJson(res, answer.status, answer.body, answer.headers);
        return;
      }
      log.error('internal error', { ...describeError(e), path: req.url?.slice(0, 200) });
      sendJson(res, 500, restErrorBody('INTERNAL', INTERNAL_MESSAGE));
    }).finally(() => {
      // Request latency per door (its name in the list above), from dispatch until its answer is written.
      services.metrics.request(doorName, res.statusCode, (performance.now() - started) / 1000);
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;

  return {
    server,
    listen(port: number, host: string): Promise<string> {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const a = server.address() as AddressInfo;
          const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
          resolve(`http://${h}:${a.port}`);
        });
      });
    },
    async close(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      for (const d of doors) await d.close?.();
    },
  };
}

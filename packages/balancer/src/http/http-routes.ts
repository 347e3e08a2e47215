// The balancer's HTTP endpoints, served on the same port as client WebSockets: the dashboard
// at / (static files, see dashboard-files.ts), /healthz (200 once the balancer knows the
// cluster and reaches a node, else 503), /status and /activity (JSON) and /metrics
// (Prometheus text). Anything else is 404; methods other than GET/HEAD are 405.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@troupe/runtime';
import { dashboardHeaders, type StaticFile } from './dashboard-files.js';

export interface HttpSource {
  healthy(): { ok: boolean; reason: string };
  status(): unknown;
  activity(): unknown;
  metrics(): Promise<{ contentType: string; body: string }>;
}

const notFound = 'not found: try /, /healthz, /status, /activity or /metrics\n';

function send(res: ServerResponse, code: number, type: string, body: string | Buffer): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function sendFile(res: ServerResponse, file: StaticFile): void {
  res.writeHead(200, {
    'content-type': file.contentType,
    'content-length': file.body.length,
    // The page and its script change together with the balancer; a stale mix would break it.
    'cache-control': 'no-store',
    ...dashboardHeaders,
  });
  res.end(file.body);
}

function sendMetrics(source: HttpSource, res: ServerResponse, logger: Logger): void {
  source.metrics().then(
    (metrics) => send(res, 200, metrics.contentType, metrics.body),
    (error: unknown) => {
      logger.error({ err: error }, 'metrics collection failed');
      send(res, 500, 'text/plain', 'metrics collection failed\n');
    },
  );
}

export function httpHandler(
  source: HttpSource,
  logger: Logger,
  files: ReadonlyMap<string, StaticFile> = new Map(),
) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', 'method not allowed\n');
    }
    switch (path) {
      case '/healthz': {
        const health = source.healthy();
        return send(res, health.ok ? 200 : 503, 'text/plain', `${health.reason}\n`);
      }
      case '/status':
        return send(res, 200, 'application/json', JSON.stringify(source.status()));
      case '/activity':
        return send(res, 200, 'application/json', JSON.stringify(source.activity()));
      case '/metrics':
        return sendMetrics(source, res, logger);
      case '/favicon.ico':
        // Browsers ask for it unprompted; an empty answer keeps their consoles quiet.
        res.writeHead(204, { 'cache-control': 'no-store' }).end();
        return;
      default: {
        const file = files.get(path);
        return file === undefined ? send(res, 404, 'text/plain', notFound) : sendFile(res, file);
      }
    }
  };
}

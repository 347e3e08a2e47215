// The balancer's HTTP endpoints, served on the same port as client WebSockets: /healthz
// (200 once the balancer knows the cluster and reaches a node, else 503), /status (JSON) and
// /metrics (Prometheus text). Anything else is 404; methods other than GET/HEAD are 405.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@troupe/runtime';

export interface HttpSource {
  healthy(): { ok: boolean; reason: string };
  status(): unknown;
  metrics(): Promise<{ contentType: string; body: string }>;
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

export function httpHandler(source: HttpSource, logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
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
      case '/metrics':
        source.metrics().then(
          (metrics) => send(res, 200, metrics.contentType, metrics.body),
          (error: unknown) => {
            logger.error({ err: error }, 'metrics collection failed');
            send(res, 500, 'text/plain', 'metrics collection failed\n');
          },
        );
        return;
      default:
        return send(res, 404, 'text/plain', 'not found: try /healthz, /status or /metrics\n');
    }
  };
}

// The node's HTTP endpoints, served on its listen port beside peer WebSockets: /healthz (200
// once the node serves, 503 while it starts or stops), /status (the admin status as JSON) and
// /metrics (Prometheus text). Anything else is 404; methods other than GET/HEAD are 405. The
// listener exists before the node does (it starts with the actor system, before a joining node
// knows its cluster), so the routes answer 503 until the node hands them its source.
import type { ServerResponse } from 'node:http';
import type { HttpHandler, Logger } from '@troupe/runtime';

export interface NodeHttpSource {
  status(): unknown;
  metrics(): Promise<{ contentType: string; body: string }>;
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

export class NodeHttp {
  private source: NodeHttpSource | null = null;
  private state: 'starting' | 'serving' | 'stopping' = 'starting';

  constructor(private readonly logger: Logger) {}

  /** The node is up: endpoints answer from `source` from now on. */
  serve(source: NodeHttpSource): void {
    if (this.state === 'stopping') return;
    this.source = source;
    this.state = 'serving';
  }

  /** The node is stopping: its store may close at any moment, so nothing reads it any more. */
  stop(): void {
    this.source = null;
    this.state = 'stopping';
  }

  readonly handler: HttpHandler = (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', 'method not allowed\n');
    }
    if (path !== '/healthz' && path !== '/status' && path !== '/metrics') {
      return send(res, 404, 'text/plain', 'not found: try /healthz, /status or /metrics\n');
    }
    const source = this.source;
    if (source === null) return send(res, 503, 'text/plain', `${this.state}\n`);
    if (path === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
    if (path === '/status') {
      return send(res, 200, 'application/json', JSON.stringify(source.status()));
    }
    source.metrics().then(
      (metrics) => send(res, 200, metrics.contentType, metrics.body),
      (error: unknown) => {
        this.logger.error({ err: error }, 'metrics collection failed');
        send(res, 500, 'text/plain', 'metrics collection failed\n');
      },
    );
  };
}

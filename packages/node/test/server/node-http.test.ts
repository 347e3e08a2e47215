// The node's HTTP routes on a plain node:http server: 503 before the node serves and once it
// stops, 200 with the right content while it serves, 404 for unknown paths, 405 (with Allow)
// for other methods, HEAD without a body, and 500 when collecting metrics fails.
import { createServer, type Server } from 'node:http';
import { silentLogger } from '@troupe/runtime';
import { afterEach, expect, test } from 'vitest';
import { NodeHttp, type NodeHttpSource } from '../../src/server/node-http.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(routes: NodeHttp): Promise<string> {
  const server = createServer(routes.handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

const source: NodeHttpSource = {
  status: () => ({ nodeId: 'n1', groups: [] }),
  metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'troupe_node_x 1\n' }),
};

test('503 while starting, 200 while serving, 503 once stopping', async () => {
  const routes = new NodeHttp(silentLogger());
  const base = await serve(routes);
  for (const path of ['/healthz', '/status', '/metrics']) {
    const response = await fetch(`${base}${path}`);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('starting\n');
  }
  routes.serve(source);
  const health = await fetch(`${base}/healthz`);
  expect([health.status, await health.text()]).toEqual([200, 'ok\n']);
  const status = await fetch(`${base}/status`);
  expect(status.headers.get('content-type')).toBe('application/json');
  expect(await status.json()).toEqual({ nodeId: 'n1', groups: [] });
  const metrics = await fetch(`${base}/metrics?x=1`);
  expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4');
  expect(await metrics.text()).toBe('troupe_node_x 1\n');
  routes.stop();
  routes.serve(source); // a late serve after stop must not revive the routes
  const stopped = await fetch(`${base}/healthz`);
  expect([stopped.status, await stopped.text()]).toEqual([503, 'stopping\n']);
});

test('404 for unknown paths, 405 for other methods, HEAD without a body', async () => {
  const routes = new NodeHttp(silentLogger());
  routes.serve(source);
  const base = await serve(routes);
  expect((await fetch(`${base}/`)).status).toBe(404);
  expect((await fetch(`${base}/metrics/extra`)).status).toBe(404);
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const response = await fetch(`${base}/metrics`, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  }
  const head = await fetch(`${base}/status`, { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(await head.text()).toBe('');
});

test('a failing metrics collection answers 500', async () => {
  const routes = new NodeHttp(silentLogger());
  routes.serve({ ...source, metrics: () => Promise.reject(new Error('collect failed')) });
  const base = await serve(routes);
  expect((await fetch(`${base}/metrics`)).status).toBe(500);
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
});

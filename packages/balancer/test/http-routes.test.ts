// The balancer's HTTP routes on a real HTTP server with a fake source: the dashboard files
// at / (content types, no caching, a strict content-security-policy, no inline script and no
// HTML built from strings), /activity and /status as JSON, /healthz, /metrics, HEAD, and the
// 404 and 405 answers; a dashboard file missing at start is logged and answers 404.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { silentLogger } from '@troupe/runtime';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dashboardDir, loadDashboardFiles } from '../src/http/dashboard-files.js';
import { type HttpSource, httpHandler } from '../src/http/http-routes.js';

const source: HttpSource = {
  healthy: () => ({ ok: true, reason: 'ok: 3 nodes up' }),
  status: () => ({ balancerId: 'b1', members: [] }),
  activity: () => ({ nowMs: 5, windowSeconds: 120, seconds: [], failovers: [] }),
  metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'x_total 1\n' }),
};

async function serve(files: ReturnType<typeof loadDashboardFiles>): Promise<Server> {
  const server = createServer(httpHandler(source, silentLogger(), files));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function originOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let server: Server;
let origin = '';

beforeAll(async () => {
  server = await serve(loadDashboardFiles(silentLogger()));
  origin = originOf(server);
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the dashboard files', () => {
  test.each([
    ['/', 'index.html', 'text/html; charset=utf-8'],
    ['/dashboard.js', 'dashboard.js', 'text/javascript; charset=utf-8'],
    ['/dashboard.css', 'dashboard.css', 'text/css; charset=utf-8'],
  ])('%s is %s as %s, uncached, under a strict CSP', async (path, file, type) => {
    const response = await fetch(`${origin}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await response.text()).toBe(readFileSync(join(dashboardDir, file), 'utf8'));
  });

  test('the page loads its script and stylesheet from files and has no inline code', () => {
    const page = readFileSync(join(dashboardDir, 'index.html'), 'utf8');
    const scripts = page.match(/<script[^>]*>/g) ?? [];
    expect(scripts).toEqual(['<script type="module" src="dashboard.js">']);
    expect(page).toMatch(/<link rel="stylesheet" href="dashboard.css">/);
    expect(page).not.toMatch(/<style|style=|\son[a-z]+=/i);
  });

  test('the script builds the page with DOM calls, never from HTML strings', () => {
    const script = readFileSync(join(dashboardDir, 'dashboard.js'), 'utf8');
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(script).toMatch(/getJson\('status'\)/);
    expect(script).toMatch(/getJson\('activity'\)/);
  });

  test('HEAD / answers the headers without a body', async () => {
    const response = await fetch(`${origin}/`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toBe('');
  });

  test('a missing file is left out: its path answers 404', async () => {
    const empty = await serve(loadDashboardFiles(silentLogger(), join(dashboardDir, 'nope')));
    try {
      expect((await fetch(`${originOf(empty)}/`)).status).toBe(404);
    } finally {
      await new Promise<void>((resolve) => empty.close(() => resolve()));
    }
  });
});

describe('the JSON and text endpoints', () => {
  test('/activity and /status are JSON from the source', async () => {
    const activity = await fetch(`${origin}/activity`);
    expect(activity.headers.get('content-type')).toBe('application/json');
    expect(activity.headers.get('cache-control')).toBe('no-store');
    expect(await activity.json()).toEqual(source.activity());
    const status = await fetch(`${origin}/status?pretty=1`);
    expect(await status.json()).toEqual(source.status());
  });

  test('/healthz and /metrics', async () => {
    const health = await fetch(`${origin}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok: 3 nodes up\n']);
    const metrics = await fetch(`${origin}/metrics`);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await metrics.text()).toBe('x_total 1\n');
  });

  test('favicon is empty, unknown paths are 404 naming the endpoints, POST is 405', async () => {
    expect((await fetch(`${origin}/favicon.ico`)).status).toBe(204);
    const missing = await fetch(`${origin}/index.html`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe(
      'not found: try /, /healthz, /status, /activity or /metrics\n',
    );
    const post = await fetch(`${origin}/activity`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

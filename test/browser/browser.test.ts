// The SDK in a real browser: builds the browser bundle, serves it with a tiny page from an
// in-process HTTP server, and has headless Chromium (/usr/bin/chromium, which .ci/run installs)
// write and read a key through a balancer in front of a real three-node cluster. The page uses
// the platform's WebSocket; `ws` is never loaded.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildBrowserBundle } from '../../packages/client/scripts/build-browser.js';
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { stopAll } from '../harness/processes.js';

const bundleName = 'troupe-client.browser.js';

// Loads the bundle as docs/client.md shows, then writes and reads one key. What it reports is
// JSON-safe: a Date read back is reported as whether it is one, and its time.
const page = `<!doctype html>
<meta charset="utf-8">
<title>troupe browser test</title>
<script type="module">
  import { createClient } from './${bundleName}';
  const balancer = new URLSearchParams(location.search).get('balancer');
  async function run() {
    const client = createClient({ balancers: [balancer] });
    try {
      const written = await client.update('browser-key', { n: 1, when: new Date(0) });
      const read = await client.get('browser-key');
      const when = read.value.when;
      return {
        ok: true,
        written: { version: written.version, prevVersion: written.prevVersion },
        read: { exists: read.exists, version: read.version, n: read.value.n },
        when: { isDate: when instanceof Date, time: when instanceof Date ? when.getTime() : null },
      };
    } finally {
      await client.close();
    }
  }
  run().then(
    (outcome) => { window.outcome = outcome; },
    (error) => { window.outcome = { ok: false, error: String(error?.stack ?? error) }; },
  );
</script>
`;

interface Outcome {
  ok: boolean;
  error?: string;
  written?: { version: number; prevVersion: number };
  read?: { exists: boolean; version: number; n: number };
  when?: { isDate: boolean; time: number | null };
}

let cluster: TestCluster | undefined;
let balancers: TestBalancers | undefined;
let server: Server | undefined;
let browser: Browser | undefined;
let origin = '';
const requested: string[] = [];

/** Serves the page at / and the bundle beside it; anything else is a 404. */
async function serve(bundle: Uint8Array): Promise<Server> {
  const http = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    requested.push(path);
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else if (path === `/${bundleName}`) {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else if (path === '/favicon.ico') {
      response.writeHead(204).end();
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return http;
}

beforeAll(async () => {
  const [bundle] = await Promise.all([
    buildBrowserBundle({ outfile: null }),
    (async () => {
      cluster = await TestCluster.create({ size: 3 });
      await cluster.startAll();
      balancers = await TestBalancers.create(cluster, 1);
      await balancers.startAll();
    })(),
  ]);
  server = await serve(bundle.code);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await balancers?.killAll();
  await cluster?.destroy();
  await stopAll();
});

test('a page writes and reads a key through a balancer with the browser bundle', async () => {
  const tab = await browser!.newPage();
  const problems: string[] = [];
  tab.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  tab.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  const balancer = balancers!.urls[0]!;
  await tab.goto(`${origin}/?balancer=${encodeURIComponent(balancer)}`);
  await tab.waitForFunction('window.outcome !== undefined', null, { timeout: 20_000 });
  const outcome = (await tab.evaluate('window.outcome')) as Outcome;

  expect(outcome.error).toBeUndefined();
  expect(outcome.ok).toBe(true);
  expect(outcome.written!.prevVersion).toBe(0);
  expect(outcome.written!.version).toBeGreaterThan(0);
  expect(outcome.read).toEqual({ exists: true, version: outcome.written!.version, n: 1 });
  expect(outcome.when).toEqual({ isDate: true, time: 0 });
  expect(problems).toEqual([]);
  // The page fetched only itself and the bundle: nothing tried to load `ws`.
  expect(requested.filter((path) => path !== '/favicon.ico')).toEqual(['/', `/${bundleName}`]);
}, 30_000);

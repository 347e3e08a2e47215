// Plain HTTP on the transport's listen port: an `httpHandler` answers requests while peers
// still connect over WebSocket on the same port; a handler that throws costs one request (500);
// without a handler ws answers 426; shutdown closes the HTTP listener even with a keep-alive
// connection open; a port in use fails start either way. Also the read-only accessors metrics
// use (outbound queues, mailboxes).
import { request } from 'node:http';
import { afterEach, expect, test } from 'vitest';
import {
  type Actor,
  ActorSystem,
  type ActorSystemOptions,
  type HttpHandler,
  silentLogger,
} from '../../src/index.js';

const systems: ActorSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.map((s) => s.shutdown({ timeoutMs: 200 })));
  systems.length = 0;
});

async function start(nodeId: string, options: Partial<ActorSystemOptions> = {}) {
  const system = await ActorSystem.start({
    nodeId,
    listen: { port: 0 },
    logger: silentLogger(),
    ...options,
  });
  systems.push(system);
  return system;
}

function httpUrl(system: ActorSystem, path: string): string {
  return `${(system.listenUrl as string).replace('ws://', 'http://')}${path}`;
}

const hello: HttpHandler = (req, res) => {
  if (req.url === '/boom') throw new Error('handler bug');
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`hello ${req.method} ${req.url}`);
};

test('an httpHandler answers plain HTTP while peers connect over WebSocket', async () => {
  const a = await start('node-a', { httpHandler: hello });
  a.spawn('echo', (): Actor => ({ receive: (m) => m }));
  const response = await fetch(httpUrl(a, '/metrics'));
  expect(response.status).toBe(200);
  expect(await response.text()).toBe('hello GET /metrics');
  const b = await start('node-b');
  expect(await b.connect(a.listenUrl as string)).toBe('node-a');
  expect(await b.ref('node-a', 'echo').ask('ping', { timeoutMs: 2_000 })).toBe('ping');
});

test('a handler that throws answers 500 and the listener keeps serving', async () => {
  const a = await start('node-a', { httpHandler: hello });
  expect((await fetch(httpUrl(a, '/boom'))).status).toBe(500);
  expect((await fetch(httpUrl(a, '/ok'))).status).toBe(200);
});

test('a port in use fails start with the listen error, handler or not', async () => {
  const a = await start('node-a', { httpHandler: hello });
  const port = Number(new URL(a.listenUrl as string).port);
  for (const httpHandler of [hello, undefined]) {
    const options = { nodeId: 'node-b', listen: { port }, logger: silentLogger() };
    await expect(
      ActorSystem.start(httpHandler === undefined ? options : { ...options, httpHandler }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  }
});

test('without a handler plain HTTP gets 426 Upgrade Required', async () => {
  const a = await start('node-a');
  expect((await fetch(httpUrl(a, '/metrics'))).status).toBe(426);
});

test('shutdown closes the HTTP listener despite a keep-alive connection', async () => {
  const a = await start('node-a', { httpHandler: hello });
  const url = httpUrl(a, '/x');
  // fetch keeps its connection alive: shutdown must not wait for the client to drop it.
  expect((await fetch(url)).status).toBe(200);
  await a.shutdown({ timeoutMs: 200 });
  const refused = await new Promise<string>((resolve) => {
    const req = request(url, () => resolve('answered'));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.end();
  });
  expect(refused).toBe('ECONNREFUSED');
});

test('outbound queues and mailbox depths are readable for metrics', async () => {
  const a = await start('node-a');
  const b = await start('node-b');
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  a.spawn('slow', (): Actor => ({ receive: () => gate }));
  const slow = a.ref('node-a', 'slow');
  for (let i = 0; i < 3; i++) slow.tell(i);
  expect(a.mailboxDepths()).toEqual([{ path: 'slow', depth: 3 }]);
  await new Promise((resolve) => setImmediate(resolve));
  // The first message is being handled; the other two wait in the mailbox.
  expect(a.mailboxDepths()).toEqual([{ path: 'slow', depth: 2 }]);
  release();
  await b.connect(a.listenUrl as string);
  const queues = b.outboundQueues();
  expect(queues.map((q) => q.nodeId)).toEqual(['node-a']);
  expect(queues[0]?.queuedMessages).toBeGreaterThanOrEqual(0);
  expect(queues[0]?.bufferedBytes).toBeGreaterThanOrEqual(0);
});

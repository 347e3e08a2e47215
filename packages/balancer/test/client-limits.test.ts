// The client listener's connection limits against hostile sockets, on a listener with a fake
// router: sockets past the per-address limit get HTTP 503 with a reason, logged once per
// burst; an upgrade request trickled a byte at a time is cut at the hello timeout
// (slowloris); a frame trickled in after the hello and never finished is closed with 4010 and
// the socket cut; a client that stops answering pings is closed as idle, while a quiet client
// whose WebSocket answers pings (as every stack does by default), the SDK included, stays.
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createClient } from '@troupe/client';
import { ClientCloseCode, kvLimits } from '@troupe/client/protocol';
import { Packr } from 'msgpackr';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import type { ClientConnectionDeps } from '../src/client/client-connection.js';
import { ClientListener } from '../src/client/client-listener.js';

interface LogLine {
  msg: string;
  code?: number;
}

const logLines: LogLine[] = [];
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk, _encoding, done) {
      logLines.push(JSON.parse(String(chunk)) as LogLine);
      done();
    },
  }),
);

const packr = new Packr({ useRecords: false });
const helloTimeoutMs = 400;
const idleTimeoutMs = 600;
const rejections: string[] = [];
const deps: ClientConnectionDeps = {
  // Every key is absent: enough for an SDK to complete a get.
  route: async (request) =>
    request.op === 'get'
      ? { ok: true, op: 'get', value: null, version: 0 }
      : { ok: false, code: 'TROUPE_ERR_UNAVAILABLE', message: 'no cluster here' },
  welcome: () => ({
    type: 'welcome',
    proto: 1,
    balancerId: 'b-test',
    shardCount: 1,
    inflightMax: 16,
    requestsPerFrameMax: 1_024,
    frameBytesMax: 64 * 1024,
    keyBytesMax: 1_024,
    valueBytesMax: 1_024,
  }),
  tokenKey: null,
  limits: {
    inflightMax: 16,
    handshakeTimeoutMs: helloTimeoutMs,
    requestTimeoutMsDefault: 1_000,
    outboundPauseBytes: 64 * 1024,
    slowConsumerBytes: 1024 * 1024,
    idleTimeoutMs,
    keyBytesMax: kvLimits.keyBytesMax,
    valueBytesMax: kvLimits.valueBytesMax,
  },
  logger,
  hooks: {
    requestFinished: () => {},
    rejected: (reason) => void rejections.push(reason),
    inflightChanged: () => {},
  },
};

let listener: ClientListener;
let port: number;

beforeAll(async () => {
  const options = {
    host: '127.0.0.1',
    port: 0,
    frameBytesMax: 64 * 1024,
    connectionsMax: 100,
    connectionsPerAddressMax: 3,
    upgradeTimeoutMs: helloTimeoutMs,
  };
  listener = new ClientListener(options, deps, (_req, res) => res.end('ok'), logger);
  port = await listener.listen();
});

afterAll(async () => {
  await listener.close();
});

beforeEach(() => {
  logLines.length = 0;
  rejections.length = 0;
});

function openTcp(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closedAfterMs(socket: Socket): Promise<number> {
  const startMs = performance.now();
  return new Promise((resolve) => socket.once('close', () => resolve(performance.now() - startMs)));
}

const upgradeRequest =
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** One masked binary client frame (payloads under 126 bytes). */
function clientFrame(payload: Buffer): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.from([0x82, 0x80 | payload.length]), mask, masked]);
}

/** Opens a connection and completes the hello; returns the socket and everything it reads. */
async function rawHelloed(): Promise<{ socket: Socket; received: Buffer[] }> {
  const socket = await openTcp();
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => {});
  socket.write(upgradeRequest);
  socket.write(clientFrame(packr.pack({ type: 'hello', proto: 1 })));
  // The welcome (a binary frame) follows the 101.
  await expect.poll(() => Buffer.concat(received).includes(Buffer.from('balancerId'))).toBe(true);
  return { socket, received };
}

function dial(options: { autoPong: boolean }): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, options);
    ws.once('open', () => {
      ws.send(packr.pack({ type: 'hello', proto: 1 }));
      ws.once('message', () => resolve(ws));
    });
    ws.once('error', reject);
  });
}

function closeCodeOf(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

describe('client listener limits', () => {
  test('sockets past the per-address limit get 503 with a reason, logged once', async () => {
    const held = await Promise.all([openTcp(), openTcp(), openTcp()]);
    const statuses = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<[number, unknown]>((resolve) => {
            const ws = new WebSocket(`ws://127.0.0.1:${port}`);
            ws.on('error', () => {});
            ws.once('unexpected-response', (_req, res) => {
              resolve([res.statusCode ?? -1, res.headers['x-troupe-reason']]);
              ws.terminate();
            });
          }),
      ),
    );
    for (const s of statuses) expect(s).toEqual([503, 'too many connections from this address']);
    const logged = logLines.filter((l) => l.msg === 'connections refused: per-address limit');
    expect(logged).toHaveLength(1);
    expect(rejections.filter((r) => r === 'connections-per-address')).toHaveLength(4);
    expect(listener.guardStats.refusedPerAddress).toBeGreaterThanOrEqual(4);
    for (const socket of held) socket.destroy();
    // Released: a client connects and is answered again.
    const dialled = async (): Promise<boolean> => {
      const ws = await dial({ autoPong: true });
      const closed = closeCodeOf(ws);
      ws.close();
      await closed;
      return true;
    };
    await expect.poll(dialled, { timeout: 2_000 }).toBe(true);
    await expect.poll(() => listener.connections.size).toBe(0);
  });

  test('an upgrade request trickled a byte at a time is cut at the hello timeout', async () => {
    const socket = await openTcp();
    socket.on('error', () => {});
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < upgradeRequest.length && !socket.destroyed)
        socket.write(upgradeRequest.charAt(sent++));
    }, 25);
    const afterMs = await closedAfterMs(socket);
    clearInterval(drip);
    expect(sent).toBeLessThan(upgradeRequest.length);
    expect(afterMs).toBeGreaterThanOrEqual(helloTimeoutMs - 50);
    expect(afterMs).toBeLessThan(helloTimeoutMs + 1_000);
    expect(rejections).toContain('upgrade-timeout');
  });

  test('a frame trickled in after the hello and never finished is closed 4010 and cut', async () => {
    const { socket, received } = await rawHelloed();
    // A 100-byte frame's header, then one byte of its mask every 150 ms: never complete.
    socket.write(Buffer.from([0x82, 0x80 | 100]));
    let dripped = 0;
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(Buffer.from([dripped++ % 256]));
    }, 150);
    const afterMs = await closedAfterMs(socket);
    clearInterval(drip);
    expect(afterMs).toBeGreaterThanOrEqual(idleTimeoutMs - 200);
    expect(afterMs).toBeLessThan(idleTimeoutMs + 2_500);
    // The close frame the server sent first: opcode 0x88, then code 4010 (0x0faa).
    const bytes = Buffer.concat(received);
    const at = bytes.indexOf(Buffer.from([0x0f, 0xaa]));
    expect(at).toBeGreaterThan(0);
    expect(bytes[at - 2]).toBe(0x88);
    expect(logLines.some((l) => l.msg === 'client connection closed' && l.code === 4010)).toBe(
      true,
    );
  });

  test('a quiet client that answers pings stays; one that does not is closed 4010', async () => {
    const quiet = await dial({ autoPong: true });
    const deaf = await dial({ autoPong: false });
    const deafClosed = closeCodeOf(deaf);
    let quietClosed = false;
    quiet.once('close', () => {
      quietClosed = true;
    });
    expect(await deafClosed).toBe(ClientCloseCode.idle);
    await new Promise((resolve) => setTimeout(resolve, 3 * idleTimeoutMs));
    expect(quietClosed).toBe(false);
    // Still served: a ping request is answered on the same connection.
    const reply = new Promise<unknown>((resolve) =>
      quiet.once('message', (data) => resolve(packr.unpack(data as Buffer))),
    );
    quiet.send(packr.pack([[7, { op: 'ping' }]]));
    expect(await reply).toEqual([[7, { ok: true, op: 'ping' }]]);
    quiet.close();
  });

  test('an SDK client left idle for several idle timeouts keeps its one connection', async () => {
    const client = createClient({ balancers: [`ws://127.0.0.1:${port}`], requestTimeoutMs: 2_000 });
    try {
      await client.get('k').catch(() => undefined);
      expect(listener.connections.size).toBe(1);
      const [first] = [...listener.connections];
      await new Promise((resolve) => setTimeout(resolve, 4 * idleTimeoutMs));
      await client.get('k').catch(() => undefined);
      expect([...listener.connections]).toEqual([first]);
      expect(logLines.filter((l) => l.code === ClientCloseCode.idle)).toEqual([]);
    } finally {
      await client.close();
    }
  });
});

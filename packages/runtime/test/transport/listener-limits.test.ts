// The transport listener's limits against hostile sockets: too many sockets from one address
// get HTTP 503 with a reason (logged once per burst) and the listener keeps serving; an
// upgrade request trickled a byte at a time is cut at the handshake timeout (slowloris); a
// peer link that delivers no complete message for the idle timeout is closed with 4010, while
// heartbeats keep a healthy link open.
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { ActorSystem, AddressLimiter, silentLogger } from '../../src/internal.js';

interface LogLine {
  level: number;
  msg: string;
  silentMs?: number;
  peer?: string;
  closeCode?: number;
  alsoSinceLastLog?: number;
}

const logLines: LogLine[] = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    logLines.push(JSON.parse(String(chunk)) as LogLine);
    done();
  },
});

const handshakeTimeoutMs = 400;
const idleTimeoutMs = 600;
let server: ActorSystem;
let port: number;

beforeAll(async () => {
  server = await ActorSystem.start({
    nodeId: 'server',
    listen: { port: 0 },
    handshakeTimeoutMs,
    // The detector would suspect a silent peer first; these tests are about the idle bound.
    phi: { threshold: 1e9 },
    limits: { connectionsPerAddressMax: 3, idleTimeoutMs },
    logger: pino({ level: 'warn' }, logStream),
  });
  port = Number(new URL(server.listenUrl ?? '').port);
});

afterAll(async () => {
  await server.shutdown();
});

beforeEach(() => {
  logLines.length = 0;
});

function openTcp(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: Socket): Promise<number> {
  const startMs = performance.now();
  return new Promise((resolve) => socket.once('close', () => resolve(performance.now() - startMs)));
}

/** Resolves with the HTTP status a WebSocket dial got instead of an upgrade (0: it opened). */
function dialStatus(): Promise<{ status: number; reason: string | undefined }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? -1, reason: res.headers['x-troupe-reason'] as string });
      ws.terminate();
    });
    ws.once('open', () => {
      resolve({ status: 0, reason: undefined });
      ws.terminate();
    });
    ws.once('error', (error) => {
      if (!String(error.message).includes('Unexpected server response')) reject(error);
    });
  });
}

describe('AddressLimiter', () => {
  test('counts sockets per address and refuses beyond the limit without counting', () => {
    const limiter = new AddressLimiter(2);
    expect(limiter.tryAcquire('a')).toBe(true);
    expect(limiter.tryAcquire('a')).toBe(true);
    expect(limiter.tryAcquire('a')).toBe(false);
    expect(limiter.tryAcquire('b')).toBe(true);
    expect(limiter.count('a')).toBe(2);
    limiter.release('a');
    expect(limiter.tryAcquire('a')).toBe(true);
    limiter.release('a');
    limiter.release('a');
    limiter.release('b');
    expect(limiter.addresses).toBe(0);
  });
});

describe('transport listener limits', () => {
  test('sockets past the per-address limit get 503 with a reason, logged once', async () => {
    const held = await Promise.all([openTcp(), openTcp(), openTcp()]);
    const refused = await Promise.all(Array.from({ length: 5 }, () => dialStatus()));
    for (const r of refused) {
      expect(r).toEqual({ status: 503, reason: 'too many connections from this address' });
    }
    const logged = logLines.filter((l) => l.msg === 'connections refused: per-address limit');
    expect(logged).toHaveLength(1);
    for (const socket of held) socket.destroy();
    await Promise.all(held.map((socket) => (socket.destroyed ? null : closed(socket))));
    // Released: the listener serves again, and a real peer links up.
    await expect.poll(async () => (await dialStatus()).status, { timeout: 2_000 }).toBe(0);
    const peer = await ActorSystem.start({ nodeId: 'peer-a', logger: silentLogger() });
    await expect(peer.connect(server.listenUrl ?? '')).resolves.toBe('server');
    await peer.shutdown();
  });

  test('sockets past the per-address rate wait unread, in order, then are served', async () => {
    const slow = await ActorSystem.start({
      nodeId: 'rate-limited',
      listen: { port: 0 },
      limits: { connectionRatePerAddressPerS: 5 },
      logger: pino({ level: 'warn' }, logStream),
    });
    const url = slow.listenUrl ?? '';
    const startMs = performance.now();
    const openedAfterMs = await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          new Promise<number>((resolve, reject) => {
            const ws = new WebSocket(url);
            ws.once('open', () => {
              resolve(performance.now() - startMs);
              ws.terminate();
            });
            ws.once('error', reject);
          }),
      ),
    );
    openedAfterMs.sort((a, b) => a - b);
    // A burst of one second's worth (5) at once, then one every 200 ms.
    expect(openedAfterMs[4]).toBeLessThan(500);
    expect(openedAfterMs[9]).toBeGreaterThanOrEqual(900);
    expect(openedAfterMs[9]).toBeLessThan(3_000);
    const held = logLines.filter((l) => l.msg === 'connections held: per-address rate');
    expect(held).toHaveLength(1);
    await slow.shutdown();
  });

  test('an upgrade request trickled a byte at a time is cut at the handshake timeout', async () => {
    const socket = await openTcp();
    const request = Buffer.from(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < request.length && !socket.destroyed) socket.write(request.subarray(sent, ++sent));
    }, 25);
    socket.on('error', () => {});
    const afterMs = await closed(socket);
    clearInterval(drip);
    expect(sent).toBeLessThan(request.length);
    expect(afterMs).toBeGreaterThanOrEqual(handshakeTimeoutMs - 50);
    expect(afterMs).toBeLessThan(handshakeTimeoutMs + 1_000);
    expect(logLines.map((l) => l.msg)).toContain('connections cut: no complete upgrade in time');
  });

  test('a linked peer that sends nothing is closed as idle (4010); heartbeats keep links', async () => {
    // This peer heartbeats once a minute: after its hello, the server hears nothing.
    const muteLines: LogLine[] = [];
    const muteStream = new Writable({
      write(chunk, _encoding, done) {
        muteLines.push(JSON.parse(String(chunk)) as LogLine);
        done();
      },
    });
    const mute = await ActorSystem.start({
      nodeId: 'mute',
      heartbeatIntervalMs: 60_000,
      logger: pino({ level: 'debug' }, muteStream),
    });
    const chatty = await ActorSystem.start({ nodeId: 'chatty', logger: silentLogger() });
    await mute.connect(server.listenUrl ?? '');
    await chatty.connect(server.listenUrl ?? '');
    const startMs = performance.now();
    // (Its link redials at once, so the close shows in the server's log, not as a gap.)
    const idleLines = (): LogLine[] => logLines.filter((l) => l.msg === 'peer idle');
    await expect.poll(() => idleLines().length, { timeout: 3_000 }).toBeGreaterThan(0);
    expect(performance.now() - startMs).toBeGreaterThanOrEqual(idleTimeoutMs - 250);
    expect(idleLines()[0]?.peer).toBe('mute');
    expect(idleLines()[0]?.silentMs).toBeGreaterThan(idleTimeoutMs);
    // The mute side learns why: the close carries 4010 and a reason.
    await expect
      .poll(() => muteLines.find((l) => l.msg === 'peer connection closed')?.closeCode)
      .toBe(4010);
    await mute.shutdown();
    // Three idle timeouts later the heartbeating peer is still linked.
    await new Promise((resolve) => setTimeout(resolve, 3 * idleTimeoutMs));
    expect(chatty.isConnected('server')).toBe(true);
    expect(idleLines().every((l) => l.peer === 'mute')).toBe(true);
    await chatty.shutdown();
  });
});

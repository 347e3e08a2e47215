// The chaos harness's link proxy over real loopback sockets (plain `node:net` servers and one
// `ws` WebSocket): it forwards both ways; each fault (drop, dropOneWay either way, refuse,
// delay) acts on connections already open and on new ones; heal resets what lived through a
// cut; delay keeps each direction's order and a lifted delay still delivers what it held first;
// the queue bound and a far side that stops reading both pause the reader; counters add up;
// close() releases every socket, held bytes and the port; socket errors never escape. Absence
// ("nothing arrived") is asserted only once the proxy's own counters show the bytes were read
// and discarded, so no test waits on a clock.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { eventually } from '../../harness/eventually.js';
import { freePort } from '../../harness/ports.js';
import { LinkProxy, type LinkProxyOptions } from './link-proxy.js';

/** Everything a test opened, closed after it whatever happened. */
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One end of a TCP connection as the test sees it: what it received and how it ended. */
class Peer {
  private readonly chunks: Buffer[] = [];
  ended = false;
  closed = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (bytes: Buffer) => this.chunks.push(bytes));
    socket.on('end', () => {
      this.ended = true;
    });
    socket.on('close', () => {
      this.closed = true;
    });
    // A reset peer is an expected outcome here, asserted through `closed`.
    socket.on('error', () => {});
  }

  /** The other side finished or reset: these test sockets half-close, so FIN alone ends. */
  get gone(): boolean {
    return this.ended || this.closed;
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get text(): string {
    return this.bytes.toString();
  }
}

/** A target server that records every connection; `echo` sends each byte straight back. */
class Target {
  readonly peers: Peer[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(echo: boolean): Promise<Target> {
    const server = createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no port');
    const target = new Target(server, address.port);
    server.on('connection', (socket) => {
      target.peers.push(new Peer(socket));
      if (!echo) return;
      socket.on('data', (bytes: Buffer) => socket.write(bytes));
      socket.on('end', () => socket.end());
    });
    cleanups.push(() => target.close());
    return target;
  }

  close(): Promise<void> {
    for (const peer of this.peers) peer.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function startProxy(
  target: Target | number,
  options: Partial<LinkProxyOptions> = {},
): Promise<LinkProxy> {
  const targetPort = typeof target === 'number' ? target : target.port;
  const proxy = await LinkProxy.start({ name: 'a->b', targetPort, ...options });
  cleanups.push(() => proxy.close());
  return proxy;
}

/** Test sockets half-close by default, so a FIN from the proxy is seen apart from a reset. */
async function dial(port: number, allowHalfOpen = true): Promise<Peer> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
  const peer = new Peer(socket);
  cleanups.push(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return peer;
}

/** A connection through the proxy whose target side the test can also write on. */
async function connected(
  proxy: LinkProxy,
  target: Target,
  allowHalfOpen = true,
): Promise<[Peer, Peer]> {
  const known = new Set(target.peers);
  const client = await dial(proxy.port, allowHalfOpen);
  client.socket.write('hi');
  const arrived = (): Peer | undefined =>
    target.peers.find((peer) => !known.has(peer) && peer.text === 'hi');
  await eventually(() => arrived() !== undefined, 5_000);
  return [client, arrived()!];
}

describe('LinkProxy forwarding', () => {
  test('forwards bytes both ways, in order, and counts them', async () => {
    const proxy = await startProxy(await Target.start(true));
    expect(proxy.url).toBe(`ws://127.0.0.1:${proxy.port}`);
    const client = await dial(proxy.port);
    const expected = Array.from({ length: 100 }, (_, i) => `<${i}>`).join('');
    for (let i = 0; i < 100; i++) client.socket.write(`<${i}>`);
    await eventually(() => client.text === expected, 5_000);
    expect(proxy.mode).toEqual({ kind: 'heal' });
    const counters = proxy.counters;
    expect(counters.forwardedBytes).toEqual({
      toTarget: expected.length,
      fromTarget: expected.length,
    });
    expect(counters.droppedBytes).toEqual({ toTarget: 0, fromTarget: 0 });
    expect(counters.connectionsAccepted).toBe(1);
    expect(counters.connectionsOpen).toBe(1);
  });

  test('a half-close crosses after the bytes sent before it, even under delay', async () => {
    const target = await Target.start(false);
    const proxy = await startProxy(target);
    const [client, server] = await connected(proxy, target);
    proxy.delay(30);
    client.socket.end('-last');
    await eventually(() => server.ended, 5_000);
    expect(server.text).toBe('hi-last');
    // The other direction still works after the client's FIN, then ends the same way.
    server.socket.end('reply');
    await eventually(() => client.closed && server.closed, 5_000);
    expect(client.text).toBe('reply');
    await eventually(() => proxy.counters.connectionsOpen === 0, 5_000);
    expect(proxy.counters.connectionsDestroyed).toBe(0);
  });
});

describe('LinkProxy drop', () => {
  test('discards both directions of an open connection and keeps it open', async () => {
    const target = await Target.start(false);
    const proxy = await startProxy(target);
    const [client, server] = await connected(proxy, target);
    proxy.drop();
    expect(proxy.mode).toEqual({ kind: 'drop' });
    client.socket.write('lost');
    server.socket.write('lost too');
    await eventually(() => proxy.counters.droppedBytes.fromTarget === 8, 5_000);
    await eventually(() => proxy.counters.droppedBytes.toTarget === 4, 5_000);
    expect(server.text).toBe('hi');
    expect(client.text).toBe('');
    expect([client.closed, server.closed]).toEqual([false, false]);
    expect(proxy.counters.connectionsOpen).toBe(1);
    expect(proxy.counters.forwardedBytes).toEqual({ toTarget: 2, fromTarget: 0 });
  });

  test('a connection opened during drop is accepted but never reaches the target', async () => {
    const target = await Target.start(true);
    const proxy = await startProxy(target);
    proxy.drop();
    const client = await dial(proxy.port);
    client.socket.write('knock');
    await eventually(() => proxy.counters.droppedBytes.toTarget === 5, 5_000);
    expect(target.peers).toHaveLength(0);
    expect(client.closed).toBe(false);
    expect(proxy.counters.connectionsAccepted).toBe(1);
  });

  test('heal resets every connection that lived through it; new ones forward', async () => {
    const target = await Target.start(true);
    const proxy = await startProxy(target);
    const before = await dial(proxy.port);
    before.socket.write('x');
    await eventually(() => before.text === 'x', 5_000);
    proxy.drop();
    const during = await dial(proxy.port);
    during.socket.write('y');
    await eventually(() => proxy.counters.droppedBytes.toTarget === 1, 5_000);
    proxy.heal();
    await eventually(() => before.closed && during.closed && target.peers[0]!.closed, 5_000);
    expect(proxy.counters.connectionsDestroyed).toBe(2);
    expect(before.text).toBe('x');
    const after = await dial(proxy.port);
    after.socket.write('z');
    await eventually(() => after.text === 'z', 5_000);
    // Healing a healthy link resets nothing.
    proxy.heal();
    after.socket.write('z');
    await eventually(() => after.text === 'zz', 5_000);
    expect(proxy.counters.connectionsDestroyed).toBe(2);
  });

  test('drop discards what a delay was holding', async () => {
    const target = await Target.start(false);
    const proxy = await startProxy(target);
    const [client, server] = await connected(proxy, target);
    proxy.delay(60_000);
    client.socket.write('held');
    await eventually(() => proxy.counters.queuedBytes === 4, 5_000);
    proxy.drop();
    expect(proxy.counters.queuedBytes).toBe(0);
    expect(proxy.counters.droppedBytes.toTarget).toBe(4);
    proxy.heal();
    await eventually(() => server.closed, 5_000);
    expect(server.text).toBe('hi');
  });
});

describe('LinkProxy dropOneWay', () => {
  test('toTarget: requests vanish, replies still arrive; new ones never dial', async () => {
    const target = await Target.start(false);
    const proxy = await startProxy(target);
    const [client, server] = await connected(proxy, target);
    proxy.dropOneWay('toTarget');
    expect(proxy.mode).toEqual({ kind: 'dropOneWay', direction: 'toTarget' });
    client.socket.write('lost');
    server.socket.write('reply');
    await eventually(() => client.text === 'reply', 5_000);
    await eventually(() => proxy.counters.droppedBytes.toTarget === 4, 5_000);
    expect(server.text).toBe('hi');
    const late = await dial(proxy.port);
    late.socket.write('late');
    await eventually(() => proxy.counters.droppedBytes.toTarget === 8, 5_000);
    expect(target.peers).toHaveLength(1);
    proxy.heal();
    await eventually(() => client.closed && late.closed && server.closed, 5_000);
    expect(proxy.counters.connectionsDestroyed).toBe(2);
  });

  test('fromTarget: requests arrive, replies vanish, on old and new connections', async () => {
    const target = await Target.start(false);
    const proxy = await startProxy(target);
    const [client, server] = await connected(proxy, target);
    proxy.dropOneWay('fromTarget');
    client.socket.write('-more');
    server.socket.write('lost');
    await eventually(() => server.text === 'hi-more', 5_000);
    await eventually(() => proxy.counters.droppedBytes.fromTarget === 4, 5_000);
    const late = await dial(proxy.port);
    late.socket.write('late');
    await eventually(() => target.peers[1]?.text === 'late', 5_000);
    target.peers[1]!.socket.write('lost');
    await eventually(() => proxy.counters.droppedBytes.fromTarget === 8, 5_000);
    expect([client.text, late.text]).toEqual(['', '']);
    proxy.heal();
    await eventually(() => client.closed && late.closed && target.peers[1]!.closed, 5_000);
    expect(proxy.counters.connectionsDestroyed).toBe(2);
  });

  test('one way then the other cuts both, and still resets on heal', async () => {
    const target = await Target.start(true);
    const proxy = await startProxy(target);
    const client = await dial(proxy.port);
    proxy.dropOneWay('toTarget');
    proxy.dropOneWay('fromTarget');
    client.socket.write('gone');
    await eventually(() => proxy.counters.droppedBytes.toTarget === 4, 5_000);
    expect(client.text).toBe('');
    proxy.delay(1);
    await eventually(() => client.closed, 5_000);
  });
});

describe('LinkProxy refuse', () => {
  test('resets open connections and every new one until healed', async () => {
    // Not an echo: no reply may be in flight when the reset comes (see the robustness test).
    const target = await Target.start(false);
    const proxy = await startProxy(target);
    const [client, server] = await connected(proxy, target);
    proxy.refuse();
    expect(proxy.mode).toEqual({ kind: 'refuse' });
    await eventually(() => client.closed && server.closed, 5_000);
    const refused = new Peer(connect({ port: proxy.port, host: '127.0.0.1' }));
    cleanups.push(() => refused.socket.destroy());
    refused.socket.write('anyone?');
    await eventually(() => refused.closed, 5_000);
    expect(refused.text).toBe('');
    expect(target.peers).toHaveLength(1);
    const counters = proxy.counters;
    expect([counters.connectionsRefused, counters.connectionsDestroyed]).toEqual([1, 1]);
    proxy.heal();
    const after = await dial(proxy.port);
    after.socket.write('back');
    await eventually(() => target.peers[1]?.text === 'back', 5_000);
  });
});

describe('LinkProxy delay', () => {
  test('holds bytes of open and new connections and keeps each direction in order', async () => {
    const target = await Target.start(true);
    const proxy = await startProxy(target);
    const before = await dial(proxy.port);
    proxy.delay(40);
    expect(proxy.mode).toEqual({ kind: 'delay', delayMs: 40 });
    const after = await dial(proxy.port);
    before.socket.write('first');
    // The proxy holds it: the target cannot have it while it sits in the queue.
    await eventually(() => proxy.counters.queuedBytes > 0, 5_000);
    const expected = ['first'];
    for (let i = 0; i < 200; i++) {
      // Separate turns of the event loop, so the proxy sees many chunks, not one.
      await new Promise((resolve) => setImmediate(resolve));
      for (const peer of [before, after]) peer.socket.write(`<${i}>`);
      expected.push(`<${i}>`);
    }
    await eventually(() => before.text === expected.join(''), 10_000);
    await eventually(() => after.text === expected.slice(1).join(''), 10_000);
    expect(proxy.counters.queuedBytes).toBe(0);
    expect(proxy.counters.connectionsDestroyed).toBe(0);
  });

  test('lifting a delay delivers what it held before anything newer', async () => {
    const target = await Target.start(false);
    const proxy = await startProxy(target);
    const [client, server] = await connected(proxy, target);
    proxy.delay(200);
    client.socket.write('-A');
    await eventually(() => proxy.counters.queuedBytes === 2, 5_000);
    proxy.heal();
    client.socket.write('-B');
    await eventually(() => server.text.length === 6, 5_000);
    expect(server.text).toBe('hi-A-B');
    expect(proxy.counters.connectionsDestroyed).toBe(0);
  });

  test('refuses a delay that is not a finite number of ms >= 0', async () => {
    const proxy = await startProxy(await Target.start(true));
    expect(() => proxy.delay(-1)).toThrow(RangeError);
    expect(() => proxy.delay(Number.NaN)).toThrow(RangeError);
    expect(proxy.mode).toEqual({ kind: 'heal' });
  });
});

describe('LinkProxy bounded memory', () => {
  test('a full queue pauses the reader instead of growing', async () => {
    const queueBytesMax = 64 * 1024;
    const target = await Target.start(false);
    const proxy = await startProxy(target, { queueBytesMax });
    const [client, server] = await connected(proxy, target);
    proxy.delay(5);
    const payload = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 12)) & 0xff;
    client.socket.write(payload);
    await eventually(() => server.bytes.length === payload.length + 2, 15_000);
    expect(server.bytes.subarray(2).equals(payload)).toBe(true);
    const counters = proxy.counters;
    expect(counters.readerPauses).toBeGreaterThan(0);
    // The queue did fill, and held at most the bound plus the one read that crossed it (a
    // socket reads <= 64 KiB at a time).
    expect(counters.queuedBytesHighWater).toBeGreaterThan(queueBytesMax);
    expect(counters.queuedBytesHighWater).toBeLessThanOrEqual(queueBytesMax + 64 * 1024);
    expect(counters.forwardedBytes.toTarget).toBe(payload.length + 2);
  });

  test('a far side that stops reading pauses the reader instead of buffering', async () => {
    const target = await Target.start(false);
    const proxy = await startProxy(target);
    const [client, server] = await connected(proxy, target);
    server.socket.pause();
    // Far more than the socket buffers between the proxy and a target that reads nothing
    // (Linux's default send buffer tops out at 4 MiB; a silent receiver's window stays small).
    const payload = Buffer.alloc(32 * 1024 * 1024, 'p');
    client.socket.write(payload);
    await eventually(() => proxy.counters.readerPauses > 0, 10_000);
    // The proxy took in only what the far side's buffers accepted, and queued nothing of it.
    const pausedAt = proxy.counters;
    expect(pausedAt.forwardedBytes.toTarget).toBeLessThan(payload.length);
    expect(pausedAt.queuedBytesHighWater).toBeLessThanOrEqual(64 * 1024);
    server.socket.resume();
    await eventually(() => server.bytes.length === payload.length + 2, 15_000);
    expect(server.bytes.subarray(2).equals(payload)).toBe(true);
  });
});

describe('LinkProxy robustness', () => {
  test('close() releases every connection, held bytes and the port', async () => {
    const target = await Target.start(true);
    const proxy = await startProxy(target);
    const plain = await dial(proxy.port);
    proxy.delay(60_000);
    const held = await dial(proxy.port);
    held.socket.write('held');
    await eventually(() => proxy.counters.queuedBytes === 4, 5_000);
    await proxy.close();
    // The held bytes were discarded with their timer, not delivered after close.
    expect(proxy.counters.droppedBytes.toTarget).toBe(4);
    await eventually(() => plain.gone && held.gone, 5_000);
    await eventually(() => target.peers.every((peer) => peer.gone), 5_000);
    expect(proxy.counters.connectionsOpen).toBe(0);
    expect(proxy.counters.queuedBytes).toBe(0);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ port: proxy.port, host: '127.0.0.1' });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? ''));
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
    });
    expect(refused).toBe('ECONNREFUSED');
    // Idempotent, and faults after close are ignored rather than thrown.
    await proxy.close();
    proxy.drop();
    proxy.heal();
  });

  test('resets, abrupt closes and a dead target never escape as errors', async () => {
    const target = await Target.start(true);
    const proxy = await startProxy(target);
    // An RST right behind data can reach the proxy as a plain EOF (libuv reports a hang-up
    // after a partial read as EOF), which it passes on as a FIN; these clients do not
    // half-close, so either way every connection ends.
    const resetting = await dial(proxy.port, false);
    resetting.socket.write('x'.repeat(10_000));
    resetting.socket.resetAndDestroy();
    const [, server] = await connected(proxy, target, false);
    server.socket.resetAndDestroy();
    await eventually(() => proxy.counters.connectionsOpen === 0, 5_000);
    const after = await dial(proxy.port);
    after.socket.write('still here');
    await eventually(() => after.text === 'still here', 5_000);
    // A link whose target is down: the connection is accepted, then closed.
    const deadLink = await startProxy(await freePort());
    const orphan = await dial(deadLink.port);
    orphan.socket.write('anyone?');
    await eventually(() => orphan.closed, 5_000);
    expect(orphan.ended).toBe(false);
    expect(deadLink.counters.connectionsOpen).toBe(0);
  });
});

describe('LinkProxy with a WebSocket', () => {
  test('survives a delay in order and is cut by drop then heal', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    wss.on('connection', (socket) => {
      socket.on('error', () => {});
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    const address = wss.address();
    if (typeof address !== 'object' || address === null) throw new Error('no port');
    const proxy = await startProxy(address.port);
    const ws = await openWebSocket(proxy.url);
    const echoes: string[] = [];
    ws.on('message', (data) => echoes.push(String(data)));
    proxy.delay(20);
    const sent = Array.from({ length: 50 }, (_, i) => `m${i}`);
    for (const message of sent) ws.send(message);
    await eventually(() => echoes.length === sent.length, 10_000);
    expect(echoes).toEqual(sent);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    proxy.drop();
    ws.send('into the void');
    await eventually(() => proxy.counters.droppedBytes.toTarget > 0, 5_000);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    proxy.heal();
    expect(await closed).toBe(1006);
    const again = await openWebSocket(proxy.url);
    const reply = new Promise<string>((resolve) => again.once('message', (d) => resolve(`${d}`)));
    again.send('again');
    expect(await reply).toBe('again');
  });
});

async function openWebSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  ws.on('error', () => {});
  cleanups.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', () => reject(new Error('closed before open')));
  });
  return ws;
}

// The WebSocket transport between in-process systems: one connection when both sides dial at
// once, back-pressure from a full mailbox instead of loss, a bounded block, fail-fast dialling.
import { afterEach, describe, expect, test } from 'vitest';
import { eventually } from '../../../test/harness/eventually.js';
import {
  type Actor,
  ActorSystem,
  type ActorSystemOptions,
  EncodeError,
  OverloadedError,
  PayloadTooLargeError,
  PeerUnavailableError,
  silentLogger,
} from '../src/index.js';

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

/** An actor that parks every message until `open()` is called, then handles them in order. */
function gatedActor(handled: number[]) {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const factory = (): Actor<number, number> => ({
    async receive(n) {
      await gate;
      handled.push(n);
      return n;
    },
  });
  return { factory, open: () => open() };
}

describe('connections', () => {
  test('when both sides dial at once they keep exactly one connection and both work', async () => {
    const a = await start('node-a');
    const b = await start('node-b');
    a.spawn('echo', (): Actor => ({ receive: (m) => m }));
    b.spawn('echo', (): Actor => ({ receive: (m) => m }));
    const downs: string[] = [];
    a.onNodeDown((nodeId) => downs.push(nodeId));
    b.onNodeDown((nodeId) => downs.push(nodeId));
    const [toB, toA] = await Promise.all([a.connect(b.listenUrl!), b.connect(a.listenUrl!)]);
    expect([toB, toA]).toEqual(['node-b', 'node-a']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(a.peers().map((p) => p.nodeId)).toEqual(['node-b']);
    expect(b.peers().map((p) => p.nodeId)).toEqual(['node-a']);
    expect(await a.ref('node-b', 'echo').ask('to b')).toBe('to b');
    expect(await b.ref('node-a', 'echo').ask('to a')).toBe('to a');
    expect(downs).toEqual([]);
  });

  test('dialling an address where nothing listens rejects with PeerUnavailableError', async () => {
    const a = await start('node-a');
    const error = await a.connect('ws://127.0.0.1:1', { timeoutMs: 300 }).catch((e) => e);
    expect(error).toBeInstanceOf(PeerUnavailableError);
  });
});

describe('back-pressure', () => {
  test('tells to a full mailbox wait at the connection and all arrive, in order', async () => {
    const receiver = await start('receiver');
    const handled: number[] = [];
    const gated = gatedActor(handled);
    receiver.spawn('gated', gated.factory, { mailboxDepthMax: 5 });
    const sender = await start('sender');
    await sender.connect(receiver.listenUrl!);
    const ref = sender.ref('receiver', 'gated');
    for (let n = 0; n < 200; n++) ref.tell(n);
    await new Promise((resolve) => setTimeout(resolve, 100));
    gated.open();
    await eventually(() => handled.length === 200);
    expect(handled).toEqual(Array.from({ length: 200 }, (_, n) => n));
  });

  test('an ask to a full mailbox is answered at once with OverloadedError', async () => {
    const receiver = await start('receiver');
    const handled: number[] = [];
    const gated = gatedActor(handled);
    const local = receiver.spawn('gated', gated.factory, { mailboxDepthMax: 2 });
    local.tell(0);
    await new Promise((resolve) => setImmediate(resolve));
    local.tell(1);
    local.tell(2);
    const sender = await start('sender');
    await sender.connect(receiver.listenUrl!);
    await expect(sender.ref('receiver', 'gated').ask(99)).rejects.toBeInstanceOf(OverloadedError);
    gated.open();
    await eventually(() => handled.length === 3);
  });

  test('a block longer than inboundBlockedMsMax drops the stuck tell and the connection lives on', async () => {
    const receiver = await start('receiver', { limits: { inboundBlockedMsMax: 100 } });
    const handled: number[] = [];
    const gated = gatedActor(handled);
    receiver.spawn('gated', gated.factory, { mailboxDepthMax: 1 });
    receiver.spawn('echo', (): Actor => ({ receive: (m) => m }));
    const sender = await start('sender');
    await sender.connect(receiver.listenUrl!);
    for (let n = 0; n < 10; n++) sender.ref('receiver', 'gated').tell(n);
    expect(await sender.ref('receiver', 'echo').ask('alive', { timeoutMs: 5_000 })).toBe('alive');
    gated.open();
    await eventually(() => handled.length >= 2);
    expect(handled.length).toBeLessThan(10);
    expect(handled[0]).toBe(0);
  });
});

describe('messages that cannot be sent', () => {
  test('an ask too large for envelopeBytesMax rejects with PayloadTooLargeError; others flow', async () => {
    const receiver = await start('receiver');
    receiver.spawn('echo', (): Actor => ({ receive: (m) => m }));
    const sender = await start('sender', { limits: { envelopeBytesMax: 10_000 } });
    await sender.connect(receiver.listenUrl!);
    const echo = sender.ref('receiver', 'echo');
    const big = echo.ask('x'.repeat(20_000));
    const small = echo.ask('fine');
    await expect(big).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await small).toBe('fine');
  });

  test('an ask that cannot be encoded rejects with EncodeError', async () => {
    const receiver = await start('receiver');
    receiver.spawn('echo', (): Actor => ({ receive: (m) => m }));
    const sender = await start('sender');
    await sender.connect(receiver.listenUrl!);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(sender.ref('receiver', 'echo').ask(cyclic)).rejects.toBeInstanceOf(EncodeError);
  });

  test('a reply too large to send reaches the asker as PayloadTooLargeError', async () => {
    const receiver = await start('receiver', { limits: { envelopeBytesMax: 10_000 } });
    receiver.spawn('inflate', (): Actor<number, string> => ({ receive: (n) => 'z'.repeat(n) }));
    const sender = await start('sender');
    await sender.connect(receiver.listenUrl!);
    const inflate = sender.ref<number, string>('receiver', 'inflate');
    await expect(inflate.ask(50_000)).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await inflate.ask(3)).toBe('zzz');
  });
});

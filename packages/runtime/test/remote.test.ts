// Remote tell and ask between two OS processes over loopback: same semantics as local (order,
// deadlines, typed errors), remote watch, node-down on a kill or a freeze, and reconnection
// after the peer process is SIGKILLed and restarted on the same address.
import { afterEach, describe, expect, test } from 'vitest';
import { eventually } from '../../../test/harness/eventually.js';
import { freePort } from '../../../test/harness/ports.js';
import { type SpawnedProcess, spawnTs, stopAll } from '../../../test/harness/processes.js';
import {
  type Actor,
  ActorFailedError,
  ActorNotFoundError,
  type ActorRef,
  ActorSystem,
  type ActorSystemOptions,
  OverloadedError,
  PeerUnavailableError,
  type Signal,
  silentLogger,
  TimeoutError,
} from '../src/index.js';

const fixture = 'packages/runtime/test/fixtures/peer-process.ts';
const systems: ActorSystem[] = [];

afterEach(async () => {
  await Promise.all(systems.map((s) => s.shutdown({ timeoutMs: 500 })));
  systems.length = 0;
  await stopAll();
});

async function startPeer(id: string, port = 0): Promise<{ process: SpawnedProcess; url: string }> {
  const child = spawnTs(fixture, ['--id', id, '--port', String(port)]);
  const ready = await child.waitForEvent<{ url: string }>('ready');
  return { process: child, url: ready.url };
}

async function startLocal(options: Partial<ActorSystemOptions> = {}): Promise<ActorSystem> {
  const system = await ActorSystem.start({
    nodeId: 'tester',
    listen: { port: 0 },
    logger: silentLogger(),
    ...options,
  });
  systems.push(system);
  return system;
}

function signalCollector(
  system: ActorSystem,
  name: string,
  setup: (ctx: { watch(r: ActorRef): void; watchNode(n: string): void }) => void,
) {
  const signals: Signal[] = [];
  system.spawn(
    name,
    (): Actor => ({
      preStart: (context) => setup(context),
      receive: () => undefined,
      onSignal: (signal) => void signals.push(signal),
    }),
  );
  return signals;
}

describe('between two processes', () => {
  test('ask returns the reply and keeps msgpack types', async () => {
    const peer = await startPeer('peer-1');
    const local = await startLocal();
    expect(await local.connect(peer.url)).toBe('peer-1');
    const value = {
      text: 'héllo',
      n: 42,
      list: [1, 'two', null],
      bytes: new Uint8Array([1, 2, 3]),
    };
    const reply = (await local.ref('peer-1', 'echo').ask(value)) as typeof value;
    expect(reply.text).toBe('héllo');
    expect(reply.list).toEqual([1, 'two', null]);
    expect([...reply.bytes]).toEqual([1, 2, 3]);
  });

  test('20,000 tells arrive in the order sent', async () => {
    const peer = await startPeer('peer-1');
    const local = await startLocal();
    await local.connect(peer.url);
    const sequence = local.ref('peer-1', 'sequence');
    for (let seq = 0; seq < 20_000; seq++) sequence.tell({ seq });
    expect(await sequence.ask({ type: 'report' })).toEqual({ received: 20_000, outOfOrder: 0 });
  });

  test('remote asks fail with the same typed errors as local ones', async () => {
    const peer = await startPeer('peer-1');
    const local = await startLocal();
    await local.connect(peer.url);
    await expect(local.ref('peer-1', 'nobody').ask(1)).rejects.toBeInstanceOf(ActorNotFoundError);
    await expect(local.ref('peer-1', 'crash').ask(1)).rejects.toBeInstanceOf(ActorFailedError);
    const late = local.ref('peer-1', 'blackhole').ask(1, { timeoutMs: 200 });
    await expect(late).rejects.toBeInstanceOf(TimeoutError);
  });

  test('a send to a node with no connection fails fast with PeerUnavailableError', async () => {
    const local = await startLocal();
    expect(() => local.ref('ghost', 'echo').tell(1)).toThrow(PeerUnavailableError);
    await expect(local.ref('ghost', 'echo').ask(1)).rejects.toBeInstanceOf(PeerUnavailableError);
  });

  test('the peer tells back over the same connection, with a sender ref', async () => {
    const peer = await startPeer('peer-1');
    const local = await startLocal();
    await local.connect(peer.url);
    const received: Array<{ payload: unknown; sender: string | undefined }> = [];
    local.spawn(
      'inbox',
      (): Actor => ({
        receive: (payload, context) =>
          void received.push({ payload, sender: context.sender?.toString() }),
      }),
    );
    local.ref('peer-1', 'relay').tell({ to: { nodeId: 'tester', path: 'inbox' }, payload: 'hi' });
    await eventually(() => received.length === 1);
    expect(received[0]).toEqual({ payload: 'hi', sender: 'relay@peer-1' });
  });

  test('watching a remote actor: told when it stops', async () => {
    const peer = await startPeer('peer-1');
    const local = await startLocal();
    await local.connect(peer.url);
    const mortal = local.ref('peer-1', 'mortal');
    const signals = signalCollector(local, 'watcher', (context) => context.watch(mortal));
    expect(await mortal.ask('ping')).toBe('ping');
    mortal.tell('die');
    await eventually(() => signals.length === 1);
    expect(signals[0]).toMatchObject({ type: 'terminated', reason: 'stopped' });
    expect(String((signals[0] as { ref: ActorRef }).ref)).toBe('mortal@peer-1');
  });
});

describe('dialling', () => {
  test('a dial-only process keeps retrying (and stays alive) until its peer comes up', async () => {
    const port = await freePort();
    const dialler = spawnTs(fixture, [
      '--id',
      'dialler',
      '--dial-only',
      '--connect',
      `ws://127.0.0.1:${port}`,
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(dialler.child.exitCode).toBe(null);
    await startPeer('peer-1', port);
    const connected = await dialler.waitForEvent<{ peer: string }>('connected');
    expect(connected.peer).toBe('peer-1');
  });
});

describe('peer failure', () => {
  test('SIGKILL: node watchers are told, asks in flight fail at once, then it reconnects after a restart', async () => {
    const port = await freePort();
    const first = await startPeer('peer-1', port);
    const local = await startLocal({ reconnectBackoff: { initialMs: 20, maxMs: 200 } });
    await local.connect(first.url);
    const nodeSignals = signalCollector(local, 'node-watcher', (context) =>
      context.watchNode('peer-1'),
    );
    const actorSignals = signalCollector(local, 'actor-watcher', (context) =>
      context.watch(local.ref('peer-1', 'echo')),
    );
    const ups: string[] = [];
    local.onNodeUp((nodeId) => ups.push(nodeId));
    const inFlight = local.ref('peer-1', 'blackhole').ask(1, { timeoutMs: 60_000 });
    expect(await local.ref('peer-1', 'echo').ask('before')).toBe('before');

    first.process.kill('SIGKILL');
    await expect(inFlight).rejects.toBeInstanceOf(PeerUnavailableError);
    await eventually(() => nodeSignals.length === 1 && actorSignals.length === 1);
    expect(nodeSignals[0]).toMatchObject({ type: 'node-down', nodeId: 'peer-1' });
    expect(actorSignals[0]).toMatchObject({ type: 'terminated', reason: 'node-down' });

    await startPeer('peer-1', port);
    await eventually(() => ups.length === 1, 15_000);
    expect(await local.ref('peer-1', 'echo').ask('after')).toBe('after');
  });

  test('SIGSTOP: the phi accrual detector suspects the frozen peer and the node is reported down', async () => {
    const peer = await startPeer('peer-1');
    const local = await startLocal({
      heartbeatIntervalMs: 50,
      phi: { acceptablePauseMs: 200, minStdDevMs: 20, firstHeartbeatEstimateMs: 50 },
    });
    await local.connect(peer.url);
    const downs: string[] = [];
    local.onNodeDown((nodeId, reason) => downs.push(`${nodeId}: ${reason}`));
    await new Promise((resolve) => setTimeout(resolve, 300));
    peer.process.kill('SIGSTOP');
    try {
      await eventually(() => downs.length === 1);
      expect(downs[0]).toMatch(/^peer-1: no heartbeat \(phi/);
    } finally {
      peer.process.kill('SIGCONT');
    }
  });

  test('a frozen peer: the outbound queue fills and tells throw OverloadedError', async () => {
    const peer = await startPeer('peer-1');
    const local = await startLocal({
      limits: { peerQueueMessagesMax: 5_000, socketBufferedBytesHigh: 256 * 1024 },
      phi: { acceptablePauseMs: 60_000 },
    });
    await local.connect(peer.url);
    peer.process.kill('SIGSTOP');
    try {
      const ref = local.ref('peer-1', 'sequence');
      let refused: unknown;
      const pad = 'x'.repeat(1_000);
      for (let seq = 0; seq < 1_000_000 && refused === undefined; seq++) {
        try {
          ref.tell({ seq, pad });
        } catch (error) {
          refused = error;
        }
        if (seq % 1_000 === 999) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(refused).toBeInstanceOf(OverloadedError);
    } finally {
      peer.process.kill('SIGCONT');
    }
  });
});

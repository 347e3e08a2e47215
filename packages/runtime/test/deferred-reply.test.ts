// deferReply: an actor answers an ask later without blocking its mailbox, the way a Raft
// replica answers a write once it commits. Covers settle-once, ordering and stop.
import { afterEach, describe, expect, test } from 'vitest';
import {
  type Actor,
  ActorStoppedError,
  ActorSystem,
  type DeferredReply,
  silentLogger,
} from '../src/index.js';

const systems: ActorSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.map((s) => s.shutdown({ timeoutMs: 200 })));
  systems.length = 0;
});

async function localSystem(): Promise<ActorSystem> {
  const system = await ActorSystem.start({ nodeId: 'local', logger: silentLogger() });
  systems.push(system);
  return system;
}

type Msg = { type: 'park'; id: number } | { type: 'release'; id: number; value: string };

/** Parks asks and releases them on a later message: the replica's propose/commit shape. */
function parkingActor(parked: Map<number, DeferredReply<string>>): Actor<Msg, unknown> {
  return {
    receive(message, context) {
      if (message.type === 'park') {
        parked.set(message.id, context.deferReply<string>());
        return 'ignored: the reply was deferred';
      }
      parked.get(message.id)?.resolve(message.value);
      return 'released';
    },
  };
}

describe('deferReply', () => {
  test('an ask is answered by the deferred reply, not the return value', async () => {
    const system = await localSystem();
    const parked = new Map<number, DeferredReply<string>>();
    const ref = system.spawn('parker', () => parkingActor(parked));
    const first = ref.ask({ type: 'park', id: 1 }, { timeoutMs: 1_000 });
    // The mailbox keeps flowing while the first ask is parked.
    await expect(ref.ask({ type: 'release', id: 1, value: 'one' })).resolves.toBe('released');
    await expect(first).resolves.toBe('one');
  });

  test('asks can be answered out of order', async () => {
    const system = await localSystem();
    const parked = new Map<number, DeferredReply<string>>();
    const ref = system.spawn('parker', () => parkingActor(parked));
    const a = ref.ask({ type: 'park', id: 1 });
    const b = ref.ask({ type: 'park', id: 2 });
    ref.tell({ type: 'release', id: 2, value: 'two' });
    await expect(b).resolves.toBe('two');
    ref.tell({ type: 'release', id: 1, value: 'one' });
    await expect(a).resolves.toBe('one');
  });

  test('only the first settle counts', async () => {
    const system = await localSystem();
    const parked = new Map<number, DeferredReply<string>>();
    const ref = system.spawn('parker', () => parkingActor(parked));
    const asked = ref.ask({ type: 'park', id: 1 });
    await ref.ask({ type: 'release', id: 1, value: 'first' });
    const reply = parked.get(1);
    expect(reply?.settled).toBe(true);
    reply?.reject(new Error('too late'));
    await expect(asked).resolves.toBe('first');
  });

  test('stopping the actor rejects unsettled replies with ActorStoppedError', async () => {
    const system = await localSystem();
    const parked = new Map<number, DeferredReply<string>>();
    const ref = system.spawn('parker', () => parkingActor(parked));
    const asked = ref.ask({ type: 'park', id: 1 }, { timeoutMs: 5_000 });
    await new Promise((resolve) => setImmediate(resolve));
    await system.stop(ref);
    await expect(asked).rejects.toBeInstanceOf(ActorStoppedError);
  });
});

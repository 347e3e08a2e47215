// Local actor semantics: ordering, one-message-at-a-time across awaits, asks with deadlines,
// bounded mailboxes, lifecycle hooks, supervision (restart and give up), children and watch.
import { afterEach, describe, expect, test } from 'vitest';
import {
  type Actor,
  ActorFailedError,
  ActorNotFoundError,
  ActorStoppedError,
  ActorSystem,
  DuplicateActorError,
  InvalidMessageError,
  ManualClock,
  OverloadedError,
  type Signal,
  silentLogger,
  TimeoutError,
} from '../src/index.js';

const systems: ActorSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.map((s) => s.shutdown({ timeoutMs: 200 })));
  systems.length = 0;
});

async function localSystem(clock?: ManualClock): Promise<ActorSystem> {
  const system = await ActorSystem.start({
    nodeId: 'local',
    logger: silentLogger(),
    ...(clock ? { clock } : {}),
  });
  systems.push(system);
  return system;
}

/** Lets queued microtasks and immediates run. */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('ordering', () => {
  test('tells from one sender are handled in the order sent', async () => {
    const system = await localSystem();
    const seen: number[] = [];
    const ref = system.spawn('log', (): Actor<number> => ({ receive: (n) => void seen.push(n) }));
    for (let i = 0; i < 5_000; i++) ref.tell(i);
    await settle(10);
    expect(seen).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
  });

  test('asks and tells interleave in send order and each ask gets its own reply', async () => {
    const system = await localSystem();
    const ref = system.spawn('acc', (): Actor<number, number> => {
      let total = 0;
      return { receive: (n) => (total += n) };
    });
    ref.tell(1);
    const first = ref.ask(10);
    ref.tell(100);
    const second = ref.ask(1_000);
    expect(await Promise.all([first, second])).toEqual([11, 1_111]);
  });

  test('an async handler that awaits does not interleave with the next message', async () => {
    const system = await localSystem();
    const events: string[] = [];
    const ref = system.spawn(
      'slow',
      (): Actor<string, string> => ({
        async receive(name) {
          events.push(`start ${name}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
          await Promise.resolve();
          events.push(`end ${name}`);
          return name;
        },
      }),
    );
    const replies = await Promise.all(['a', 'b', 'c'].map((n) => ref.ask(n)));
    expect(replies).toEqual(['a', 'b', 'c']);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});

describe('ask', () => {
  test('rejects with TimeoutError when no reply comes before the deadline', async () => {
    const system = await localSystem();
    const ref = system.spawn('silent', (): Actor => ({ receive: () => new Promise(() => {}) }));
    const error = await ref.ask('x', { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).code).toBe('TROUPE_ERR_TIMEOUT');
  });

  test('rejects with ActorNotFoundError for a path with no actor', async () => {
    const system = await localSystem();
    await expect(system.ref('local', 'nobody').ask('x')).rejects.toBeInstanceOf(ActorNotFoundError);
    expect(() => system.ref('local', 'nobody').tell('x')).toThrow(ActorNotFoundError);
  });

  test('rejects with ActorFailedError when the handler throws', async () => {
    const system = await localSystem();
    const ref = system.spawn(
      'bad',
      (): Actor => ({
        receive: () => {
          throw new Error('boom');
        },
      }),
    );
    const error = await ref.ask('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActorFailedError);
    expect((error as Error).message).toContain('boom');
  });

  test('a message the actor does not accept is refused with InvalidMessageError', async () => {
    const system = await localSystem();
    const ref = system.spawn(
      'typed',
      (): Actor<number, number> => ({
        accepts: (m): m is number => typeof m === 'number',
        receive: (n) => n * 2,
      }),
    );
    expect(await ref.ask(21)).toBe(42);
    await expect(system.ref('local', 'typed').ask('nope')).rejects.toBeInstanceOf(
      InvalidMessageError,
    );
  });
});

describe('bounded mailbox', () => {
  test('a full mailbox refuses with OverloadedError and keeps what it holds', async () => {
    const system = await localSystem();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: number[] = [];
    const ref = system.spawn(
      'gated',
      (): Actor<number> => ({
        async receive(n) {
          await gate;
          handled.push(n);
        },
      }),
      { mailboxDepthMax: 3 },
    );
    ref.tell(0);
    await settle();
    for (let i = 1; i <= 3; i++) ref.tell(i);
    expect(() => ref.tell(4)).toThrow(OverloadedError);
    release();
    await settle();
    expect(handled).toEqual([0, 1, 2, 3]);
  });
});

describe('lifecycle and supervision', () => {
  test('hooks run in order: preStart, receive, postStop', async () => {
    const system = await localSystem();
    const events: string[] = [];
    const ref = system.spawn(
      'hooks',
      (): Actor<string> => ({
        preStart: () => void events.push('preStart'),
        receive: (m) => void events.push(`receive ${m}`),
        postStop: () => void events.push('postStop'),
      }),
    );
    ref.tell('a');
    await settle();
    await system.stop(ref);
    expect(events).toEqual(['preStart', 'receive a', 'postStop']);
  });

  test('a throwing actor is restarted with fresh state and keeps its mailbox', async () => {
    const clock = new ManualClock();
    const system = await localSystem(clock);
    let instances = 0;
    const events: string[] = [];
    const ref = system.spawn(
      'flaky',
      (): Actor<string, number> => {
        const instance = ++instances;
        let count = 0;
        return {
          preRestart: (error) => void events.push(`preRestart ${String(error)}`),
          receive(message) {
            if (message === 'fail') throw new Error('asked to fail');
            return ++count * 100 + instance;
          },
        };
      },
      { supervision: { backoffInitialMs: 50, backoffMaxMs: 50 } },
    );
    expect(await ref.ask('inc')).toBe(101);
    ref.tell('fail');
    const afterRestart = ref.ask('inc', { timeoutMs: 10_000 });
    await settle();
    expect(instances).toBe(1);
    clock.advance(50);
    expect(await afterRestart).toBe(102);
    expect(instances).toBe(2);
    expect(events).toEqual(['preRestart Error: asked to fail']);
  });

  test('after maxRestarts inside the window the actor stops and watchers are told', async () => {
    const clock = new ManualClock();
    const system = await localSystem(clock);
    const signals: Signal[] = [];
    const ref = system.spawn(
      'doomed',
      (): Actor => ({
        receive() {
          throw new Error('always');
        },
      }),
      { supervision: { maxRestarts: 2, withinMs: 10_000, backoffInitialMs: 1, backoffMaxMs: 1 } },
    );
    system.spawn(
      'watcher',
      (): Actor => ({
        preStart: (context) => context.watch(ref),
        receive: () => undefined,
        onSignal: (signal) => void signals.push(signal),
      }),
    );
    for (let failure = 0; failure < 3; failure++) {
      ref.tell('x');
      await settle();
      clock.advance(1);
      await settle();
    }
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ type: 'terminated', reason: 'failed' });
    expect(() => ref.tell('x')).toThrow(ActorNotFoundError);
  });

  test('an ask queued behind a stop is rejected with ActorStoppedError', async () => {
    const system = await localSystem();
    const ref = system.spawn(
      'stopper',
      (): Actor<string, string> => ({
        receive(message, context) {
          if (message === 'stop') context.stop();
          return message;
        },
      }),
    );
    const stopReply = ref.ask('stop');
    const queued = ref.ask('after');
    expect(await stopReply).toBe('stop');
    await expect(queued).rejects.toBeInstanceOf(ActorStoppedError);
  });

  test('children stop with their parent, children first', async () => {
    const system = await localSystem();
    const stopped: string[] = [];
    const parent = system.spawn(
      'parent',
      (): Actor<string, string> => ({
        receive(name, context) {
          const child = context.spawn(
            name,
            (): Actor => ({
              receive: () => undefined,
              postStop: () => void stopped.push(name),
            }),
          );
          return child.path;
        },
        postStop: () => void stopped.push('parent'),
      }),
    );
    expect(await parent.ask('kid')).toBe('parent/kid');
    await system.stop(parent);
    expect(stopped).toEqual(['kid', 'parent']);
  });

  test('names are unique and validated', async () => {
    const system = await localSystem();
    system.spawn('one', (): Actor => ({ receive: () => undefined }));
    expect(() => system.spawn('one', (): Actor => ({ receive: () => undefined }))).toThrow(
      DuplicateActorError,
    );
    expect(() => system.spawn('bad name', (): Actor => ({ receive: () => undefined }))).toThrow(
      InvalidMessageError,
    );
  });

  test('watching an actor that does not exist signals not-found at once', async () => {
    const system = await localSystem();
    const signals: Signal[] = [];
    system.spawn(
      'watcher',
      (): Actor => ({
        preStart: (context) => context.watch(system.ref('local', 'ghost')),
        receive: () => undefined,
        onSignal: (signal) => void signals.push(signal),
      }),
    );
    await settle();
    expect(signals).toEqual([expect.objectContaining({ type: 'terminated', reason: 'not-found' })]);
  });
});

// The Router with a fake `ask` and fake timers: a request goes to its shard's leader (a stale
// read to the fastest up replica), follows NotLeader hints, waits in the hold queue while the
// shard has no leader, and retries only what is safe to retry. An unsessioned write that may
// have been applied is answered Indeterminate and never sent again; a sessioned write that
// may have been applied never ends as a plain Unavailable. With the unsafe debug option, a
// linearizable get goes to a follower as a stale read (the leader only when no follower is up).
import type { KvReply, KvRequest } from '@troupe/client/protocol';
import { shardOf } from '@troupe/client/protocol';
import { OverloadedError, PeerUnavailableError, TimeoutError } from '@troupe/runtime';
import { afterEach, beforeEach, describe, expect, type Mock, test, vi } from 'vitest';
import { HoldQueue } from '../src/routing/hold-queue.js';
import { LatencyTracker } from '../src/routing/latency.js';
import { type NodeAsk, Router } from '../src/routing/router.js';
import { type Beats, groupBeat, metaView, upView } from './fixtures.js';

const value = new Uint8Array([0xa1, 0x78]);
const unsessioned: KvRequest = { op: 'update', key: 'k', value };
const sessioned: KvRequest = { op: 'update', key: 'k', value, session: { id: 'c1', seq: 7 } };
const linearRead: KvRequest = { op: 'get', key: 'k' };
const staleRead: KvRequest = { op: 'get', key: 'k', consistency: 'stale' };
const written: KvReply = { ok: true, op: 'update', version: 3, prevVersion: 2 };
const read: KvReply = { ok: true, op: 'get', value: null, version: 0 };

function errorReply(code: string, extra: object = {}): KvReply {
  return { ok: false, code, message: code, ...extra };
}

interface Setup {
  router: Router;
  ask: Mock<NodeAsk>;
  /** Nodes whose connection is closed (the router must not send to them). */
  disconnected: Set<string>;
  hold: HoldQueue;
  latency: LatencyTracker;
  beats: Beats;
  view: ReturnType<typeof upView>['view'];
}

/** One shard on n1, n2, n3 (all up); led by `leader` at term 1, or leaderless. */
function setup(
  leader: string | null = 'n1',
  placements = [['n1', 'n2', 'n3']],
  unsafeLinearizableReadsFromFollowers = false,
): Setup {
  const { view, beats } = upView(metaView(placements), ['n1', 'n2', 'n3', 'n4'], leader);
  const hold = new HoldQueue(100);
  const latency = new LatencyTracker();
  const ask = vi.fn<NodeAsk>();
  const hooks = { attempted: () => {}, retried: () => {} };
  const disconnected = new Set<string>();
  const isConnected = (nodeId: string) => !disconnected.has(nodeId);
  const deps = { view, hold, latency, ask, isConnected, nowMs: () => Date.now(), hooks };
  const options = { attemptTimeoutMs: 1_000, retryDelayMs: 20, attemptsMax: 50 };
  const router = new Router(deps, { ...options, unsafeLinearizableReadsFromFollowers });
  return { router, ask, disconnected, hold, latency, beats, view };
}

/** n1 beats again as the leader of s0 and the balancer releases whoever waits for it. */
function leaderBack(s: Setup, leader = 'n1'): void {
  s.beats.send(leader, [groupBeat('s0', 'leader', 1, leader)], Date.now());
  s.hold.release('s0');
}

/** Runs the clock until `reply` settles (every route ends by its own deadline). */
async function settle(reply: Promise<KvReply>, ms = 10_000): Promise<KvReply> {
  await vi.advanceTimersByTimeAsync(ms);
  return reply;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('Router: where a request goes', () => {
  test("a request goes to its shard's leader and its reply comes back", async () => {
    const placements = [
      ['n1', 'n2', 'n3'],
      ['n2', 'n3', 'n4'],
    ];
    const s = setup(null, placements);
    s.beats.send('n1', [groupBeat('s0', 'leader', 1, 'n1')]);
    s.beats.send('n2', [groupBeat('s1', 'leader', 1, 'n2')]);
    s.ask.mockResolvedValue(written);
    const key = ['a', 'b', 'c', 'd', 'e'].find((k) => shardOf(k, 2) === 1) ?? '';
    const reply = await settle(s.router.route({ ...unsessioned, key }, 1_000));
    expect(reply).toEqual(written);
    expect(s.ask.mock.calls).toEqual([['n2', { ...unsessioned, key }, 1_000]]);
  });

  test('before the cluster is known, requests are answered Unavailable', async () => {
    const s = setup();
    s.view.meta = null;
    const reply = await s.router.route(linearRead, 1_000);
    expect(reply).toMatchObject({ ok: false, code: 'TROUPE_ERR_UNAVAILABLE' });
    expect(s.ask).not.toHaveBeenCalled();
  });

  test('a NotLeader hint naming an up node is followed at once', async () => {
    const s = setup('n1');
    s.ask.mockImplementation(async (nodeId) =>
      nodeId === 'n1'
        ? errorReply('TROUPE_ERR_NOT_LEADER', { leader: { nodeId: 'n2', url: null } })
        : written,
    );
    const reply = s.router.route(unsessioned, 1_000);
    await vi.advanceTimersByTimeAsync(0);
    await expect(reply).resolves.toEqual(written);
    expect(s.ask.mock.calls.map(([nodeId]) => nodeId)).toEqual(['n1', 'n2']);
    expect(s.view.leaderOf('s0')).toBe('n2');
  });

  test('stale reads go to the fastest up replica, with or without a leader', async () => {
    const s = setup(null);
    s.latency.record('n1', 50);
    s.latency.record('n2', 5);
    s.latency.record('n3', 20);
    s.ask.mockResolvedValue(read);
    expect(await settle(s.router.route(staleRead, 1_000))).toEqual(read);
    s.view.nodeDown('n2', Date.now(), true);
    expect(await settle(s.router.route(staleRead, 1_000))).toEqual(read);
    expect(s.ask.mock.calls.map(([nodeId]) => nodeId)).toEqual(['n2', 'n3']);
  });

  test('a stale read that fails at a follower does not unseat the leader', async () => {
    const s = setup('n1');
    s.latency.record('n1', 50);
    s.latency.record('n2', 5);
    s.ask.mockRejectedValueOnce(new TimeoutError('no answer')).mockResolvedValue(read);
    expect(await settle(s.router.route(staleRead, 5_000))).toEqual(read);
    expect(s.view.leaderOf('s0')).toBe('n1');
  });
});

describe('Router: the unsafe linearizable-reads-from-followers option', () => {
  const unsafeSetup = (): Setup => setup('n1', [['n1', 'n2', 'n3']], true);

  test('off, a linearizable get goes to the leader as it was sent', async () => {
    const s = setup('n1');
    s.latency.record('n1', 50);
    s.latency.record('n2', 5);
    s.ask.mockResolvedValue(read);
    expect(await settle(s.router.route(linearRead, 1_000))).toEqual(read);
    expect(s.ask.mock.calls).toEqual([['n1', linearRead, 1_000]]);
  });

  test('on, a linearizable get goes to the fastest follower as a stale read', async () => {
    const s = unsafeSetup();
    s.latency.record('n1', 1);
    s.latency.record('n2', 30);
    s.latency.record('n3', 10);
    s.ask.mockResolvedValue(read);
    expect(await settle(s.router.route(linearRead, 1_000))).toEqual(read);
    expect(s.ask.mock.calls).toEqual([['n3', { ...linearRead, consistency: 'stale' }, 1_000]]);
  });

  test('on, an explicit linearizable get is rewritten too', async () => {
    const s = unsafeSetup();
    s.ask.mockResolvedValue(read);
    const explicit: KvRequest = { op: 'get', key: 'k', consistency: 'linearizable' };
    expect(await settle(s.router.route(explicit, 1_000))).toEqual(read);
    const [nodeId, request] = s.ask.mock.calls[0] ?? [];
    expect(nodeId).not.toBe('n1');
    expect(request).toEqual({ ...explicit, consistency: 'stale' });
  });

  test('on, with no follower up, the leader serves it linearizably', async () => {
    const s = unsafeSetup();
    s.view.nodeDown('n2', Date.now(), true);
    s.view.nodeDown('n3', Date.now(), true);
    s.ask.mockResolvedValue(read);
    expect(await settle(s.router.route(linearRead, 1_000))).toEqual(read);
    expect(s.ask.mock.calls).toEqual([['n1', linearRead, 1_000]]);
  });

  test('on, writes and stale reads are routed as before', async () => {
    const s = unsafeSetup();
    s.latency.record('n1', 1);
    s.latency.record('n2', 30);
    s.latency.record('n3', 10);
    s.ask.mockImplementation(async (_nodeId, request) => (request.op === 'get' ? read : written));
    expect(await settle(s.router.route(unsessioned, 1_000))).toEqual(written);
    expect(await settle(s.router.route(staleRead, 1_000))).toEqual(read);
    expect(s.ask.mock.calls).toEqual([
      ['n1', unsessioned, 1_000],
      ['n1', staleRead, 1_000],
    ]);
  });
});

describe('Router: what is retried', () => {
  test('an unsessioned write whose ask timed out is Indeterminate and not sent again', async () => {
    const s = setup();
    s.ask.mockRejectedValue(new TimeoutError('no answer within 1000 ms'));
    const reply = await settle(s.router.route(unsessioned, 5_000));
    expect(reply).toMatchObject({ ok: false, code: 'TROUPE_ERR_INDETERMINATE' });
    expect(s.ask).toHaveBeenCalledTimes(1);
  });

  test('a sessioned write whose ask timed out is sent again', async () => {
    const s = setup();
    s.ask.mockRejectedValueOnce(new TimeoutError('no answer')).mockResolvedValue(written);
    const reply = s.router.route(sessioned, 5_000);
    await vi.advanceTimersByTimeAsync(50);
    leaderBack(s);
    expect(await settle(reply)).toEqual(written);
    expect(s.ask.mock.calls.map(([nodeId, request]) => [nodeId, request])).toEqual([
      ['n1', sessioned],
      ['n1', sessioned],
    ]);
  });

  test('an unsessioned write refused before sending (queue full) is retried', async () => {
    const s = setup();
    s.ask.mockRejectedValueOnce(new OverloadedError('outbound full')).mockResolvedValue(written);
    const reply = s.router.route(unsessioned, 5_000);
    await vi.advanceTimersByTimeAsync(50);
    leaderBack(s);
    expect(await settle(reply)).toEqual(written);
    expect(s.ask).toHaveBeenCalledTimes(2);
  });

  test('an unsessioned write whose connection dropped in flight is Indeterminate', async () => {
    const s = setup();
    s.ask.mockRejectedValue(new PeerUnavailableError('connection closed with an ask waiting'));
    const reply = await settle(s.router.route(unsessioned, 5_000));
    expect(reply).toMatchObject({ ok: false, code: 'TROUPE_ERR_INDETERMINATE' });
    expect(s.ask).toHaveBeenCalledTimes(1);
  });

  test('nothing is sent to a node whose connection is closed; it goes out once back', async () => {
    const s = setup();
    s.disconnected.add('n1');
    s.ask.mockResolvedValue(written);
    const reply = s.router.route(unsessioned, 5_000);
    await vi.advanceTimersByTimeAsync(50);
    expect(s.ask).not.toHaveBeenCalled();
    s.disconnected.delete('n1');
    leaderBack(s);
    expect(await settle(reply)).toEqual(written);
    expect(s.ask).toHaveBeenCalledTimes(1);
  });

  test('a write never sent anywhere ends Unavailable, not Indeterminate', async () => {
    const s = setup();
    s.ask.mockRejectedValue(new OverloadedError('outbound full'));
    const reply = await settle(s.router.route(unsessioned, 1_000));
    expect(reply).toMatchObject({ ok: false, code: 'TROUPE_ERR_UNAVAILABLE' });
  });

  test('a non-retryable error reply is returned as it came', async () => {
    const s = setup();
    const mismatch = errorReply('TROUPE_ERR_VERSION_CONFLICT', { currentVersion: 4 });
    s.ask.mockResolvedValue(mismatch);
    expect(await settle(s.router.route(sessioned, 1_000))).toBe(mismatch);
    expect(s.ask).toHaveBeenCalledTimes(1);
  });

  test('an Indeterminate reply to an unsessioned write is returned, not retried', async () => {
    const s = setup();
    const indeterminate = errorReply('TROUPE_ERR_INDETERMINATE');
    s.ask.mockResolvedValue(indeterminate);
    expect(await settle(s.router.route(unsessioned, 1_000))).toBe(indeterminate);
    expect(s.ask).toHaveBeenCalledTimes(1);
  });

  test('Unavailable replies are retried after a pause', async () => {
    const s = setup();
    s.ask.mockResolvedValueOnce(errorReply('TROUPE_ERR_UNAVAILABLE')).mockResolvedValue(written);
    const reply = s.router.route(unsessioned, 1_000);
    await vi.advanceTimersByTimeAsync(19);
    expect(s.ask).toHaveBeenCalledTimes(1);
    expect(await settle(reply)).toEqual(written);
    expect(s.ask).toHaveBeenCalledTimes(2);
  });

  test('a sessioned write answered Indeterminate till its deadline ends so', async () => {
    const s = setup();
    s.ask.mockResolvedValue(errorReply('TROUPE_ERR_INDETERMINATE'));
    const reply = await settle(s.router.route(sessioned, 200));
    expect(reply).toMatchObject({ ok: false, code: 'TROUPE_ERR_INDETERMINATE' });
    expect(s.ask.mock.calls.length).toBeGreaterThan(1);
  });

  test('a sessioned write that timed out, then found no leader, ends Indeterminate', async () => {
    const s = setup();
    s.ask.mockRejectedValue(new TimeoutError('no answer'));
    const reply = await settle(s.router.route(sessioned, 2_000));
    expect(reply).toMatchObject({ ok: false, code: 'TROUPE_ERR_INDETERMINATE' });
    expect(s.ask).toHaveBeenCalledTimes(1);
  });
});

describe('Router: no leader', () => {
  test('a request for a leaderless shard waits, then goes to the leader on release', async () => {
    const s = setup(null);
    s.ask.mockResolvedValue(written);
    const reply = s.router.route(unsessioned, 5_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(s.hold.sizeOf('s0')).toBe(1);
    expect(s.ask).not.toHaveBeenCalled();
    leaderBack(s, 'n2');
    await vi.advanceTimersByTimeAsync(0);
    await expect(reply).resolves.toEqual(written);
    expect(s.ask.mock.calls.map(([nodeId]) => nodeId)).toEqual(['n2']);
    expect(s.hold.size).toBe(0);
  });

  test('a request with no leader until its deadline is answered Unavailable', async () => {
    const s = setup(null);
    const reply = s.router.route(linearRead, 700);
    await vi.advanceTimersByTimeAsync(699);
    expect(s.hold.sizeOf('s0')).toBe(1);
    expect(await settle(reply, 1)).toMatchObject({ ok: false, code: 'TROUPE_ERR_UNAVAILABLE' });
    expect(s.ask).not.toHaveBeenCalled();
  });

  test('a NotLeader reply without a usable hint makes the request wait for a leader', async () => {
    const s = setup('n1');
    s.ask
      .mockResolvedValueOnce(errorReply('TROUPE_ERR_NOT_LEADER', { leader: null }))
      .mockResolvedValue(read);
    const reply = s.router.route(linearRead, 5_000);
    await vi.advanceTimersByTimeAsync(100);
    expect(s.view.leaderOf('s0')).toBeNull();
    expect(s.hold.sizeOf('s0')).toBe(1);
    leaderBack(s, 'n3');
    expect(await settle(reply)).toEqual(read);
    expect(s.ask.mock.calls.map(([nodeId]) => nodeId)).toEqual(['n1', 'n3']);
  });

  test('a full hold queue answers Overloaded', async () => {
    const s = setup(null);
    for (let i = 0; i < 100; i++) void s.hold.hold('s0', 60_000);
    const reply = await s.router.route(linearRead, 1_000);
    expect(reply).toMatchObject({ ok: false, code: 'TROUPE_ERR_OVERLOADED' });
    s.hold.releaseAll();
  });
});

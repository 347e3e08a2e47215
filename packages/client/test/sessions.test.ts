// Exactly-once session lanes. Through the client and a fake balancer: concurrent writes carry
// distinct session ids (one write per session at a time, retries included); after a final
// answer (success or a definite error) the lane carries the next write with seq + 1; a write
// that ended without one (deadline) drops its lane; ids are 21-character nanoids; reads carry
// no session. SessionPool directly, with an injected clock: new lanes, reuse most recent first,
// lanes idle for idleMsMax dropped.
import { describe, expect, test } from 'vitest';
import type { KvRequest, WriteRequest } from '../src/protocol/index.js';
import { SessionPool } from '../src/session.js';
import { act, useHarness } from './fake-balancer.js';

const h = useHarness(13);
const nanoidPattern = /^[A-Za-z0-9_-]{21}$/;

function tag(request: KvRequest): string {
  const session = (request as WriteRequest).session;
  return session === undefined ? 'none' : `${session.id}/${session.seq}`;
}

describe('session lanes of the client', () => {
  test('concurrent writes carry distinct session ids, each at seq 1', async () => {
    const fake = await h.fake({ script: () => act.hold });
    const client = h.client([fake]);
    const writes = [
      ...Array.from({ length: 8 }, (_, i) => client.update(`u${i}`, i)),
      client.create('c', 1),
      client.delete('d'),
    ];
    await fake.waitForRequests(10);
    const sessions = fake.received.map((r) => (r.request as WriteRequest).session);
    expect(new Set(sessions.map((s) => s?.id)).size).toBe(10);
    for (const session of sessions) {
      expect(session?.id).toMatch(nanoidPattern);
      expect(session?.seq).toBe(1);
    }
    fake.release();
    await Promise.all(writes);
  });

  test('sequential writes reuse one session with seq 1, 2, 3', async () => {
    const fake = await h.fake();
    const client = h.client([fake]);
    await client.update('a', 1);
    await client.create('b', 2);
    await client.delete('a');
    const sessions = fake.received.map((r) => (r.request as WriteRequest).session);
    expect(new Set(sessions.map((s) => s?.id)).size).toBe(1);
    expect(sessions.map((s) => s?.seq)).toEqual([1, 2, 3]);
  });

  test('a definite error is a final answer: the lane goes on with seq + 1', async () => {
    const fake = await h.fake();
    const client = h.client([fake]);
    await client.create('k', 1);
    await expect(client.create('k', 2)).rejects.toMatchObject({
      code: 'TROUPE_ERR_ALREADY_EXISTS',
    });
    await client.update('k', 3, { ifVersion: 1 });
    expect(fake.received.map((r) => tag(r.request).split('/')[1])).toEqual(['1', '2', '3']);
  });

  test('a write in retry keeps its lane: a concurrent write gets another', async () => {
    let fastDone = false;
    const fake = await h.fake({
      script: (r) =>
        r.request.key === 'slow' && !fastDone ? act.fail('TROUPE_ERR_UNAVAILABLE') : act.store(),
    });
    const client = h.client([fake]);
    const slow = client.update('slow', 1);
    await fake.waitForRequests(1);
    await client.update('fast', 2);
    await client.update('fast', 3);
    fastDone = true;
    await slow;
    const slowTags = new Set(
      fake
        .requests()
        .filter((r) => r.request.key === 'slow')
        .map((r) => tag(r.request)),
    );
    const fastTags = fake
      .requests()
      .filter((r) => r.request.key === 'fast')
      .map((r) => tag(r.request));
    expect(slowTags.size).toBe(1);
    const slowId = [...slowTags][0]?.split('/')[0];
    expect(fastTags.map((t) => t.split('/')[0])).not.toContain(slowId);
  });

  test('a write that ended at its deadline drops its lane (its seq may still land)', async () => {
    const fake = await h.fake({
      script: (r) => (r.request.key === 'lost' ? act.silent : act.store()),
    });
    const client = h.client([fake]);
    await client.update('before', 1);
    await expect(client.update('lost', 1, { timeoutMs: 80 })).rejects.toMatchObject({
      code: 'TROUPE_ERR_TIMEOUT',
    });
    await client.update('after', 1);
    const [before, lost, after] = fake.received.map((r) => tag(r.request));
    expect(lost?.split('/')[0]).toBe(before?.split('/')[0]); // the lane carried it ...
    expect(after?.split('/')[0]).not.toBe(lost?.split('/')[0]); // ... and was dropped
    expect(after?.split('/')[1]).toBe('1');
  });

  test('reads carry no session', async () => {
    const fake = await h.fake();
    const client = h.client([fake]);
    await client.get('k');
    await client.get('k', { consistency: 'stale' });
    expect(fake.received.map((r) => r.request)).toEqual([
      { op: 'get', key: 'k', consistency: 'linearizable' },
      { op: 'get', key: 'k', consistency: 'stale' },
    ]);
  });
});

describe('SessionPool', () => {
  function pool(idleMsMax = 1_000) {
    const clock = { nowMs: 0 };
    return { clock, sessions: new SessionPool(idleMsMax, () => clock.nowMs) };
  }

  test('a new lane has a 21-character nanoid and seq 1; lanes in use are distinct', () => {
    const { sessions } = pool();
    const lanes = Array.from({ length: 50 }, () => sessions.acquire());
    expect(new Set(lanes.map((l) => l.id)).size).toBe(50);
    for (const lane of lanes) {
      expect(lane.id).toMatch(nanoidPattern);
      expect(lane.seq).toBe(1);
    }
    expect(sessions.created).toBe(50);
    expect(sessions.idle).toBe(0);
  });

  test('a released lane is reused with seq + 1, the most recently released first', () => {
    const { sessions } = pool();
    const a = sessions.acquire();
    const b = sessions.acquire();
    sessions.release(a);
    sessions.release(b);
    expect(sessions.idle).toBe(2);
    expect(sessions.acquire()).toMatchObject({ id: b.id, seq: 2 });
    expect(sessions.acquire()).toMatchObject({ id: a.id, seq: 2 });
    expect(sessions.created).toBe(2);
  });

  test('a lane idle for idleMsMax is dropped, one idle for less is reused', () => {
    const { clock, sessions } = pool(1_000);
    const old = sessions.acquire();
    sessions.release(old);
    clock.nowMs = 500;
    const recent = sessions.acquire();
    expect(recent.id).toBe(old.id);
    clock.nowMs = 600;
    sessions.release(recent);
    clock.nowMs = 1_599;
    const again = sessions.acquire();
    expect(again).toMatchObject({ id: old.id, seq: 3 });
    sessions.release(again);
    clock.nowMs = 1_599 + 1_000;
    const fresh = sessions.acquire();
    expect(fresh.id).not.toBe(old.id);
    expect(fresh.seq).toBe(1);
    expect(sessions.idle).toBe(0);
  });

  test('every expired lane is discarded on the way to a fresh one', () => {
    const { clock, sessions } = pool(100);
    const lanes = [sessions.acquire(), sessions.acquire(), sessions.acquire()];
    for (const lane of lanes) sessions.release(lane);
    clock.nowMs = 100;
    const fresh = sessions.acquire();
    expect(lanes.map((l) => l.id)).not.toContain(fresh.id);
    expect(sessions.idle).toBe(0);
    expect(sessions.created).toBe(4);
  });
});

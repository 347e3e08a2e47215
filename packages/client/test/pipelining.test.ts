// Pipelining on one balancer connection, against a fake balancer: many requests are in flight
// at once on a single connection, never more than min(inflightMax, welcome.inflightMax);
// requests beyond that wait in the queue and go out as replies (or deadlines) free room;
// requests of one event-loop turn leave in one frame, split at welcome.requestsPerFrameMax;
// replies that come back in any order reach the right callers.
import { describe, expect, test } from 'vitest';
import { act, useHarness } from './fake-balancer.js';

const h = useHarness(9);

function keys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `k${i}`);
}

describe('in flight at once', () => {
  test('100 requests are in flight together on one connection', async () => {
    const fake = await h.fake({ script: () => act.hold });
    const client = h.client([fake]);
    const writes = keys(100).map((k) => client.update(k, k));
    await fake.waitForRequests(100);
    expect(fake.maxOutstanding).toBe(100);
    expect(client.status()).toMatchObject({ inflight: 100, queued: 0, connects: 1 });
    fake.release();
    await Promise.all(writes);
    expect(fake.welcomed).toBe(1);
    expect(new Set(fake.received.map((r) => r.conn))).toEqual(new Set([1]));
  });

  test.each([
    ['the client inflightMax', 4, 10, 4],
    ["the balancer's welcome.inflightMax", 10, 3, 3],
  ])('never more than %s (client %i, balancer %i)', async (_, mine, theirs, limit) => {
    const fake = await h.fake({ script: () => act.hold, welcome: { inflightMax: theirs } });
    const client = h.client([fake], { inflightMax: mine });
    const reads = keys(20).map((k) => client.get(k));
    await fake.waitForRequests(limit);
    await new Promise((resolve) => setTimeout(resolve, 30)); // room for a wrong extra send
    expect(fake.received).toHaveLength(limit);
    expect(client.status()).toMatchObject({ inflight: limit, queued: 20 - limit });
    for (let released = 0; released < 20; released += limit) {
      await fake.waitForRequests(Math.min(20, released + limit));
      fake.release();
    }
    await Promise.all(reads);
    expect(fake.maxOutstanding).toBe(limit);
    expect(fake.received).toHaveLength(20);
  });

  test('a queued request goes out as soon as a reply frees room (inflightMax 1)', async () => {
    const fake = await h.fake({ script: () => act.hold });
    const client = h.client([fake], { inflightMax: 1 });
    const first = client.update('a', 1);
    const second = client.update('b', 2);
    await fake.waitForRequests(1);
    expect(client.status()).toMatchObject({ inflight: 1, queued: 1 });
    fake.release();
    await first;
    await fake.waitForRequests(2);
    fake.release();
    await expect(second).resolves.toMatchObject({ prevVersion: 0 });
    expect(fake.received.map((r) => r.request.key)).toEqual(['a', 'b']);
  });

  test('a request that hits its deadline frees its room for the next', async () => {
    const fake = await h.fake({
      script: (r) => (r.request.key === 'lost' ? act.silent : act.store()),
    });
    const client = h.client([fake], { inflightMax: 1 });
    const lost = client.get('lost', { timeoutMs: 100 });
    const next = client.get('next', { timeoutMs: 3_000 });
    await expect(lost).rejects.toMatchObject({ code: 'TROUPE_ERR_TIMEOUT' });
    await expect(next).resolves.toMatchObject({ exists: false });
  });
});

describe('frames', () => {
  test('the requests of one turn share a frame', async () => {
    const fake = await h.fake();
    const client = h.client([fake]);
    await client.get('warm-up');
    await Promise.all(keys(10).map((k) => client.update(k, k)));
    expect(fake.frames).toEqual([1, 10]);
    expect(new Set(fake.received.slice(1).map((r) => r.frame))).toEqual(new Set([2]));
  });

  test('requests queued before the connection opens leave in one frame', async () => {
    const fake = await h.fake();
    const client = h.client([fake]);
    await Promise.all(keys(25).map((k) => client.get(k)));
    expect(fake.frames).toEqual([25]);
  });

  test('a frame carries at most welcome.requestsPerFrameMax requests', async () => {
    const fake = await h.fake({ welcome: { requestsPerFrameMax: 4 } });
    const client = h.client([fake]);
    await Promise.all(keys(10).map((k) => client.get(k)));
    expect(fake.frames).toEqual([4, 4, 2]);
  });
});

describe('replies', () => {
  test('replies in reverse order reach their own callers', async () => {
    const fake = await h.fake();
    const client = h.client([fake]);
    await Promise.all(keys(20).map((k) => client.update(k, `value of ${k}`)));
    fake.script = () => act.hold;
    const reads = keys(20).map((k) => client.get<string>(k));
    await fake.waitForRequests(40);
    fake.release(20, true);
    const values = (await Promise.all(reads)).map((r) => r.value);
    expect(values).toEqual(keys(20).map((k) => `value of ${k}`));
  });

  test('request ids are unique among those in flight', async () => {
    const fake = await h.fake({ script: () => act.hold });
    const client = h.client([fake]);
    const reads = keys(50).map((k) => client.get(k));
    await fake.waitForRequests(50);
    expect(new Set(fake.received.map((r) => r.id)).size).toBe(50);
    fake.release();
    await Promise.all(reads);
  });
});

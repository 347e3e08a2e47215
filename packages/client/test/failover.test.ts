// Failover between balancers, against two in-process fakes sharing one store: when the
// balancer in use is killed or closes the connection, the client moves to the other, requests
// in flight there complete (writes once, with their session), status().connects grows and
// onStatus hears the moves; a balancer refusing with 1013 is skipped; when every balancer is
// down the client keeps trying, with backoff, until one comes back within the deadline; a
// balancer that drops every connection is not hammered; a malformed reply frame (a null reply,
// a reply with no `ok`, an error with no code, not an array) closes that connection (4000) and
// the request is answered on the next, without an exception escaping the socket handler; a
// welcome the client cannot work with (inflightMax or requestsPerFrameMax 0 or missing, another
// type) makes it skip that balancer instead of stalling or spinning.
import { describe, expect, test, vi } from 'vitest';
import type { ClientStatus } from '../src/client.js';
import type { WriteRequest } from '../src/protocol/index.js';
import { act, type FakeBalancer, FakeCluster, useHarness } from './fake-balancer.js';

const h = useHarness(3);

/** Two fakes over one store, and a client that starts on the first (`Math.random` 0). */
async function pair(options: { silentOnFirst?: boolean } = {}) {
  const cluster = new FakeCluster();
  const first = await h.fake({
    cluster,
    script: () => (options.silentOnFirst ? act.silent : act.store()),
  });
  const second = await h.fake({ cluster });
  const statuses: ClientStatus[] = [];
  vi.mocked(Math.random).mockReturnValueOnce(0);
  const client = h.client([first, second], { onStatus: (s) => statuses.push(s) });
  return { cluster, first, second, client, statuses };
}

function sessionKeys(fake: FakeBalancer): string[] {
  return fake.requests('update').map((r) => {
    const { session } = r.request as WriteRequest;
    return `${session?.id}/${session?.seq}`;
  });
}

describe('moving to another balancer', () => {
  test('killing the balancer in use: requests in flight complete on the other', async () => {
    const { cluster, first, second, client } = await pair({ silentOnFirst: true });
    const writes = Array.from({ length: 5 }, (_, i) => client.update(`k${i}`, i));
    const read = client.get('k0');
    await first.waitForRequests(6);
    expect(client.status()).toMatchObject({ balancer: first.url, inflight: 6, connects: 1 });
    await first.stop();
    const written = await Promise.all(writes);
    expect(written.map((w) => w.prevVersion)).toEqual([0, 0, 0, 0, 0]);
    expect((await read).exists).toBe(true);
    expect(client.status()).toMatchObject({ balancer: second.url, connects: 2, inflight: 0 });
    expect(sessionKeys(second).sort()).toEqual(sessionKeys(first).sort());
    expect(cluster.applied).toHaveLength(5);
  });

  test('the balancer closing the connection (1001 going away) moves the client', async () => {
    const { first, second, client } = await pair({ silentOnFirst: true });
    const write = client.update('k', 'v');
    await first.waitForRequests(1);
    first.closeAll(1001);
    await expect(write).resolves.toMatchObject({ version: 1 });
    expect(second.requests('update')).toHaveLength(1);
    expect(client.status()).toMatchObject({ balancer: second.url, connects: 2 });
  });

  test('later requests stay on the new balancer; when it dies the client returns', async () => {
    const { first, second, client } = await pair();
    await client.update('a', 1);
    await first.stop();
    await client.update('b', 2);
    await client.update('c', 3);
    expect(second.requests('update').map((r) => r.request.key)).toEqual(['b', 'c']);
    await first.restart();
    await second.stop();
    await expect(client.get('b')).resolves.toMatchObject({ value: 2 });
    expect(client.status()).toMatchObject({ balancer: first.url, connects: 3 });
  });

  test('onStatus hears connecting, connected and each move', async () => {
    const { first, second, client, statuses } = await pair();
    await client.get('k');
    await first.stop();
    await client.get('k');
    const connected = statuses.filter((s) => s.state === 'connected' && s.inflight === 0);
    expect(statuses[0]?.state).toBe('connecting');
    expect(statuses.map((s) => s.balancer)).toContain(first.url);
    expect(connected.at(-1)).toMatchObject({ balancer: second.url, connects: 2 });
  });

  test('a balancer refusing with 1013 is skipped', async () => {
    const { first, second, client } = await pair();
    first.refuse(1013);
    await expect(client.update('k', 1)).resolves.toMatchObject({ version: 1 });
    expect(first.accepted).toBe(1);
    expect(first.received).toHaveLength(0);
    expect(client.status()).toMatchObject({ balancer: second.url, connects: 1 });
  });
});

describe('every balancer down', () => {
  test('the client keeps trying until one comes back within the deadline', async () => {
    const { first, second, client } = await pair();
    await client.get('k');
    await first.stop();
    await second.stop();
    const write = client.update('k', 'after', { timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(client.status()).toMatchObject({ state: 'connecting', queued: 1, connects: 1 });
    await second.restart();
    await expect(write).resolves.toMatchObject({ prevVersion: 0 });
    expect(client.status()).toMatchObject({ balancer: second.url, connects: 2 });
  });

  test('a balancer that drops every connection at once is retried with backoff', async () => {
    const fake = await h.fake({ script: () => act.cut });
    const client = h.client([fake], { backoff: { initialMs: 20, maxMs: 80 } });
    await expect(client.get('k', { timeoutMs: 400 })).rejects.toMatchObject({
      code: 'TROUPE_ERR_TIMEOUT',
    });
    // 400 ms at >= 10 ms (half of initialMs) per reconnect: a hot loop would do hundreds.
    expect(client.status().connects).toBeLessThan(40);
    expect(client.status().connects).toBeGreaterThan(2);
  });
});

describe('a balancer that breaks the protocol', () => {
  test.each([
    ['a null reply', (id: number) => [[id, null]]],
    ['a number as the reply', (id: number) => [[id, 5]]],
    ['a reply with no ok', (id: number) => [[id, { op: 'get', value: null, version: 0 }]]],
    ['an error reply with no code', (id: number) => [[id, { ok: false, message: 'm' }]]],
    ['an item that is not [id, reply]', (id: number) => [{ id }]],
    ['a frame that is not an array', () => 'hello'],
  ])('%s: the connection is closed and the request answered on the next', async (_, frame) => {
    let broken = true;
    const fake = await h.fake({
      script: (r) => {
        const action = broken ? act.raw(frame(r.id)) : act.store();
        broken = false;
        return action;
      },
    });
    const client = h.client([fake]);
    await expect(client.get('k')).resolves.toEqual({ exists: false, value: undefined, version: 0 });
    expect(fake.requests('get').map((g) => g.conn)).toEqual([1, 2]);
    expect(client.status().connects).toBe(2);
  });
});

describe('a welcome the client cannot work with', () => {
  test.each([
    ['requestsPerFrameMax 0', { requestsPerFrameMax: 0 }],
    ['requestsPerFrameMax missing', { requestsPerFrameMax: undefined }],
    ['inflightMax 0', { inflightMax: 0 }],
    ['inflightMax missing', { inflightMax: undefined }],
    ['inflightMax 1.5', { inflightMax: 1.5 }],
    ['type not welcome', { type: 'hello' }],
  ])('%s: that balancer is skipped', async (_, welcome) => {
    const cluster = new FakeCluster();
    const bad = await h.fake({ cluster, welcome: welcome as object });
    const good = await h.fake({ cluster });
    vi.mocked(Math.random).mockReturnValueOnce(0);
    const client = h.client([bad, good]);
    await expect(client.update('k', 1)).resolves.toMatchObject({ version: 1 });
    expect(bad.accepted).toBe(1);
    expect(bad.received).toHaveLength(0);
    expect(client.status()).toMatchObject({ balancer: good.url, connects: 1 });
  });
});

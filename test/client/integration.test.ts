// The client SDK against a real cluster (3 nodes, 2 balancers): the get / update / create /
// delete / ifVersion matrix with versions and typed errors, values that round-trip through the
// cluster, modify() under contention, and an update whose reply is lost (the connection is cut
// after the balancer answered): the client reconnects, resends it once with the same session,
// and it is applied exactly once. A balancer paused (SIGSTOP) under a write stream: its
// connection stays open, the client's ping goes unanswered, and it moves to the other balancer
// without a write failing.
import {
  AlreadyExistsError,
  createClient,
  type TroupeClient,
  VersionConflictError,
} from '@troupe/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { CutProxy } from '../harness/cut-proxy.js';
import { stopAll } from '../harness/processes.js';
import { parsePrometheus } from '../harness/prometheus.js';

let cluster: TestCluster;
let balancers: TestBalancers;
let client: TroupeClient;

beforeAll(async () => {
  cluster = await TestCluster.create({ size: 3 });
  await cluster.startAll();
  balancers = await TestBalancers.create(cluster, 2);
  await balancers.startAll();
  client = createClient({ balancers: balancers.urls, name: 'integration' });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await balancers?.killAll();
  await cluster?.destroy();
  await stopAll();
});

/** Updates a balancer answered ok so far (its /metrics). */
async function updatesAt(id: string): Promise<number> {
  const scrape = parsePrometheus(await balancers.metrics(id));
  return (
    scrape.find('troupe_balancer_requests_total', { op: 'update', outcome: 'ok' })[0]?.value ?? 0
  );
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('the operation matrix', () => {
  test('get of an absent key: exists false, version 0', async () => {
    expect(await client.get('matrix-absent')).toEqual({
      exists: false,
      value: undefined,
      version: 0,
    });
  });

  test('create, then create again: AlreadyExistsError with the current version', async () => {
    const created = await client.create('matrix-create', 'first');
    expect(created.prevVersion).toBe(0);
    expect(created.version).toBeGreaterThan(0);
    const again = await rejection(client.create('matrix-create', 'second'));
    expect(again).toBeInstanceOf(AlreadyExistsError);
    expect(again).toMatchObject({
      code: 'TROUPE_ERR_ALREADY_EXISTS',
      currentVersion: created.version,
    });
    expect(await client.get('matrix-create')).toEqual({
      exists: true,
      value: 'first',
      version: created.version,
    });
  });

  test('update upserts; each write raises the version and reports the one it replaced', async () => {
    const first = await client.update('matrix-update', 1);
    const second = await client.update('matrix-update', 2);
    expect(first.prevVersion).toBe(0);
    expect(second.prevVersion).toBe(first.version);
    expect(second.version).toBeGreaterThan(first.version);
    expect((await client.get('matrix-update')).value).toBe(2);
  });

  test('update with ifVersion: applied at the current version, refused at another', async () => {
    const base = await client.update('matrix-cas', 'a');
    const next = await client.update('matrix-cas', 'b', { ifVersion: base.version });
    expect(next.prevVersion).toBe(base.version);
    const stale = await rejection(client.update('matrix-cas', 'c', { ifVersion: base.version }));
    expect(stale).toBeInstanceOf(VersionConflictError);
    expect(stale).toMatchObject({
      code: 'TROUPE_ERR_VERSION_CONFLICT',
      currentVersion: next.version,
    });
    expect((await client.get('matrix-cas')).value).toBe('b');
  });

  test('ifVersion 0 means "only if absent"', async () => {
    const created = await client.update('matrix-cas0', 'x', { ifVersion: 0 });
    expect(created.prevVersion).toBe(0);
    const refused = await rejection(client.update('matrix-cas0', 'y', { ifVersion: 0 }));
    expect(refused).toBeInstanceOf(VersionConflictError);
  });

  test('delete with ifVersion: refused at another version, then applied; the key is gone', async () => {
    const written = await client.update('matrix-delete', 'gone soon');
    const refused = await rejection(
      client.delete('matrix-delete', { ifVersion: written.version + 1 }),
    );
    expect(refused).toBeInstanceOf(VersionConflictError);
    const deleted = await client.delete('matrix-delete', { ifVersion: written.version });
    expect(deleted.prevVersion).toBe(written.version);
    expect(await client.get('matrix-delete')).toMatchObject({ exists: false, version: 0 });
    // A create after the delete starts the key again.
    const recreated = await client.create('matrix-delete', 'back');
    expect(recreated.version).toBeGreaterThan(deleted.version);
  });

  test('a stale read returns a committed value', async () => {
    const written = await client.update('matrix-stale', 'v');
    let read = await client.get('matrix-stale', { consistency: 'stale' });
    for (let i = 0; i < 50 && read.version < written.version; i++) {
      read = await client.get('matrix-stale', { consistency: 'stale' });
    }
    expect(read).toEqual({ exists: true, value: 'v', version: written.version });
  });
});

test('values round-trip through the cluster', async () => {
  const value = {
    text: 'héllo ☃',
    int: -42,
    float: 0.5,
    big: 2n ** 64n + 1n,
    bytes: new Uint8Array([0, 255]),
    when: new Date(1_700_000_000_123),
    map: new Map<unknown, unknown>([
      ['a', 1],
      [2, [true, null]],
    ]),
    set: new Set(['x']),
    nested: [{ deep: new Map([['k', new Date(0)]]) }],
  };
  await client.update('values', value);
  expect((await client.get('values')).value).toEqual(value);
});

test('modify() applies every increment exactly once under contention', async () => {
  const increments = 12;
  await Promise.all(
    Array.from({ length: increments }, () =>
      client.modify<number>('counter', (current) => (current ?? 0) + 1),
    ),
  );
  expect((await client.get('counter')).value).toBe(increments);
});

test('an update whose reply is lost is retried once and applied once', async () => {
  const b1 = balancers.balancer('b1');
  const proxy = await CutProxy.start(b1.port);
  // Only the proxy is listed (the client starts at a random entry of its list).
  const viaProxy = createClient({ balancers: [proxy.url] });
  try {
    await viaProxy.get('lost-reply');
    expect(viaProxy.status()).toMatchObject({ balancer: proxy.url, connects: 1 });
    const before = await updatesAt('b1');
    proxy.arm();
    const written = await viaProxy.update('lost-reply', 'once');
    expect(proxy.cuts).toBe(1);
    // Reconnected and sent the same (session, seq) again: the node answered from its session
    // table with the version of the one application.
    expect(viaProxy.status()).toMatchObject({ balancer: proxy.url, connects: 2 });
    expect(await viaProxy.get('lost-reply')).toEqual({
      exists: true,
      value: 'once',
      version: written.version,
    });
    expect(written.prevVersion).toBe(0);
    // Two answers at the balancer: the application (its reply lost) and the resend's.
    expect(await updatesAt('b1')).toBe(before + 2);
  } finally {
    await viaProxy.close();
    await proxy.close();
  }
}, 30_000);

test('a paused balancer is left for the other; no write fails', async () => {
  const moving = createClient({
    balancers: balancers.urls,
    pingAfterMs: 200,
    pingTimeoutMs: 500,
    requestTimeoutMs: 10_000,
  });
  const versions: number[] = [];
  let running = true;
  const writer = (async () => {
    for (let i = 1; running; i++) versions.push((await moving.update('paused-bal', i)).version);
  })();
  try {
    while (versions.length < 20) await new Promise((resolve) => setTimeout(resolve, 20));
    const inUse = balancers.balancers.find((b) => b.url === moving.status().balancer);
    const child = inUse?.process;
    if (inUse === undefined || child == null) throw new Error('client is not connected');
    child.kill('SIGSTOP');
    const pausedAt = versions.length;
    try {
      while (versions.length < pausedAt + 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      child.kill('SIGCONT');
    }
    expect(moving.status().balancer).not.toBe(inUse.url);
    expect(moving.status().connects).toBeGreaterThanOrEqual(2);
  } finally {
    running = false;
    await writer;
    await moving.close();
  }
  // Every write was applied once: versions only grow.
  expect(versions).toEqual([...versions].sort((a, b) => a - b));
  expect(new Set(versions).size).toBe(versions.length);
}, 60_000);

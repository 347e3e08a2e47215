// Re-replication with real processes (4 nodes, replication factor 3, 2 balancers with a short
// grace period): a node down past the grace period has its replicas moved to the live nodes
// through the meta group — the balancers' /status shows every shard back at three live
// replicas, the nodes' own Raft configurations agree, and no data is lost. When the dead node
// comes back later it drops the replicas it no longer holds and the cluster stays healthy.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FailoverTestClient } from '../harness/balancer-client.js';
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { KvTestClient, pack, unpack } from '../harness/kv-test-client.js';
import { stopAll } from '../harness/processes.js';

interface Status {
  configVersion: number;
  members: { id: string; up: boolean; gone: boolean }[];
  shards: {
    groupId: string;
    leader: string | null;
    liveReplicas: number;
    replicas: { node: string; placed: boolean }[];
  }[];
}

interface NodeStatus {
  groups: { groupId: string; role: string; voters: string[]; learners: string[] }[];
}

let cluster: TestCluster;
let balancers: TestBalancers;
let client: FailoverTestClient;

beforeAll(async () => {
  cluster = await TestCluster.create({
    size: 4,
    zones: ['zone-a', 'zone-b', 'zone-c', 'zone-a'],
  });
  await cluster.startAll();
  balancers = await TestBalancers.create(cluster, 2, ['--grace-ms', '2000']);
  await balancers.startAll();
  client = new FailoverTestClient(balancers.urls);
}, 60_000);

afterAll(async () => {
  client?.close();
  await balancers?.killAll();
  await cluster?.destroy();
  await stopAll();
});

async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 45_000,
): Promise<T> {
  const endMs = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < endMs) {
    last = await read().catch(() => undefined);
    if (last !== undefined && done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

function placedOn(status: Status, nodeId: string): string[] {
  return status.shards
    .filter((s) => s.replicas.some((r) => r.placed && r.node === nodeId))
    .map((s) => s.groupId);
}

async function writeAll(prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const session = { id: `rerep-${prefix}`, seq: i + 1 };
    const reply = await client.request({
      op: 'update',
      key: `${prefix}-${i}`,
      value: pack(i),
      session,
    });
    expect(reply.ok, JSON.stringify(reply)).toBe(true);
  }
}

async function expectAll(prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const reply = await client.request({ op: 'get', key: `${prefix}-${i}` });
    if (!reply.ok || reply.op !== 'get' || reply.value === null) {
      throw new Error(`${prefix}-${i}: ${JSON.stringify(reply)}`);
    }
    expect(unpack(reply.value)).toBe(i);
  }
}

test('a node down past the grace period has its replicas moved; it returns cleanly', async () => {
  await writeAll('before', 150);
  const before = await balancers.status<Status>('b1');
  const victim = 'n2';
  expect(placedOn(before, victim).length).toBeGreaterThan(0);
  await cluster.kill(victim);

  // Both balancers see every shard back at three live replicas, none placed on the victim.
  for (const id of ['b1', 'b2']) {
    await waitFor(
      `${id}: replication factor restored`,
      () => balancers.status<Status>(id),
      (s) =>
        placedOn(s, victim).length === 0 &&
        s.shards.every((shard) => shard.liveReplicas === 3 && shard.leader !== null),
    );
  }
  // The nodes' Raft configurations agree: three voters, none of them the victim.
  const admin = await KvTestClient.connect(
    cluster.nodes.filter((n) => n.id !== victim).map((n) => n.url),
    16,
  );
  for (const node of ['n1', 'n3', 'n4']) {
    await waitFor(
      `${node}: groups reconfigured`,
      () => admin.admin<NodeStatus>(node, { type: 'status' }),
      (s) =>
        s.groups
          .filter((g) => g.groupId !== 'meta' && g.role === 'leader')
          .every(
            (g) => g.voters.length === 3 && !g.voters.includes(victim) && g.learners.length === 0,
          ),
    );
  }
  await expectAll('before', 150);
  await writeAll('during', 50);

  // The victim returns: it retires the replicas it no longer holds and rejoins the cluster.
  await cluster.start(victim);
  await admin.addNode(cluster.node(victim).url);
  await waitFor(
    `${victim}: orphaned replicas retired`,
    () => admin.admin<NodeStatus>(victim, { type: 'status' }),
    (s) => s.groups.every((g) => g.groupId === 'meta'),
  );
  await waitFor(
    `b1 sees ${victim} up`,
    () => balancers.status<Status>('b1'),
    (s) => s.members.some((m) => m.id === victim && m.up && !m.gone),
  );
  await expectAll('before', 150);
  await expectAll('during', 50);
  await writeAll('after', 20);
  await admin.close();
}, 120_000);

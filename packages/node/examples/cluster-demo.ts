// The demo behind `pnpm demo`: three `troupe-node` processes on loopback (one per zone), 16
// shards replicated three ways, and two `troupe-balancer` processes in front of them. It writes
// through a balancer, kills the leader of a shard with SIGKILL, writes through the failover,
// kills that balancer too (the client moves to the other), restarts the node, and shows every
// replica converge. Every process it starts is stopped by pid at the end, on Ctrl-C, or on any
// failure.
import { createClient, decodeValue, type TroupeClient } from '@troupe/client';
import { shardOf } from '@troupe/client/protocol';
import { TestBalancers } from '../../../test/harness/balancers.js';
import { TestCluster } from '../../../test/harness/cluster.js';
import { KvTestClient } from '../../../test/harness/kv-test-client.js';
import { stopAll } from '../../../test/harness/processes.js';
import { waitForConvergence } from '../../../test/node/helpers.js';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

interface Status {
  groups: { groupId: string; role: string }[];
}

async function leaderOf(client: KvTestClient, cluster: TestCluster, groupId: string) {
  for (const node of cluster.nodes) {
    const status = await client.admin<Status>(node.id, { type: 'status' });
    if (status.groups.some((g) => g.groupId === groupId && g.role === 'leader')) return node;
  }
  throw new Error(`no leader for ${groupId}`);
}

async function writeKeys(client: TroupeClient, count: number): Promise<number> {
  const startMs = performance.now();
  for (let i = 1; i <= count; i++) await client.update(`user:${i}`, { visits: i });
  return performance.now() - startMs;
}

/** The balancer the client is connected to now: `b1` or `b2`. */
function connectedTo(client: TroupeClient, balancers: TestBalancers): string {
  const url = client.status().balancer;
  return balancers.balancers.find((b) => b.url === url)?.id ?? 'none';
}

async function main(): Promise<void> {
  const cluster = await TestCluster.create({ size: 3 });
  say(`starting 3 nodes: ${cluster.initialCluster}`);
  await cluster.startAll();
  const admin = await KvTestClient.connect(
    cluster.nodes.map((n) => n.url),
    16,
  );
  const balancers = await TestBalancers.create(cluster, 2);
  await balancers.startAll();
  say(`balancers ready: b1 at ${balancers.urls[0]}, b2 at ${balancers.urls[1]}`);
  const client = createClient({ balancers: balancers.urls, name: 'demo' });
  say('cluster ready: 16 shards x 3 replicas, one replica per zone');
  const writeMs = await writeKeys(client, 200);
  const first = connectedTo(client, balancers);
  say(
    `wrote user:1..user:200 through ${first} in ${writeMs.toFixed(0)} ms (each on a majority's disks)`,
  );
  const groupId = `s${shardOf('user:42', 16)}`;
  const victim = await leaderOf(admin, cluster, groupId);
  say(`user:42 lives in shard ${groupId}, led by ${victim.id}: SIGKILL ${victim.id}`);
  await cluster.kill(victim.id);
  const failoverStartMs = performance.now();
  await client.update('user:42', { visits: 4242 });
  const failoverMs = performance.now() - failoverStartMs;
  const newLeader = await leaderOf(admin, cluster, groupId);
  say(
    `write of user:42 succeeded ${failoverMs.toFixed(0)} ms after the kill; ${newLeader.id} leads now`,
  );
  await balancers.kill(first);
  const moved = await client.get('user:42');
  const now = connectedTo(client, balancers);
  say(
    `SIGKILL ${first}: the client moved to ${now} and reads user:42 = ${JSON.stringify(moved.value)}`,
  );
  await cluster.start(victim.id);
  await waitForConvergence(admin, ['n1', 'n2', 'n3'], 30_000);
  say(`${victim.id} restarted and caught up: every shard is identical on all three nodes`);
  const read = await admin.once(victim.id, { op: 'get', key: 'user:42', consistency: 'stale' });
  if (!read.ok || read.op !== 'get' || read.value === null) throw new Error('read failed');
  say(`${victim.id} serves user:42 = ${JSON.stringify(decodeValue(read.value))}`);
  await client.close();
  await admin.close();
  await balancers.killAll();
  await cluster.killAll('SIGTERM');
  await cluster.destroy();
  say('demo finished: all nodes stopped cleanly');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll().then(() => process.exit(130)));
}
main()
  .then(() => process.exit(0))
  .catch(async (error: unknown) => {
    process.stderr.write(`demo failed: ${String(error)}\n`);
    await stopAll();
    process.exit(1);
  });

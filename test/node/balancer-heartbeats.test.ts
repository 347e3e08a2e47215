// Nodes heartbeat every balancer they know: one that connects to them, and one named with
// --balancer. Each heartbeat carries, per group, role, term, leader, commit and applied index.
import { ActorSystem, silentLogger } from '@troupe/runtime';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TestCluster } from '../harness/cluster.js';
import { freePort } from '../harness/ports.js';
import { stopAll } from '../harness/processes.js';

interface Heartbeat {
  type: string;
  nodeId: string;
  seq: number;
  configVersion: number;
  groups: [string, string, number, string | null, number, number][];
}

let cluster: TestCluster;
let balancer: ActorSystem;
const received: Heartbeat[] = [];

beforeAll(async () => {
  const port = await freePort();
  balancer = await ActorSystem.start({
    nodeId: 'balancer-1',
    role: 'balancer',
    listen: { port },
    logger: silentLogger(),
  });
  balancer.spawn('health', () => ({
    receive(message: unknown) {
      received.push(message as Heartbeat);
    },
  }));
  cluster = await TestCluster.create({
    size: 1,
    args: [
      '--replication-factor',
      '1',
      '--balancer',
      `ws://127.0.0.1:${port}`,
      '--balancer-heartbeat-ms',
      '50',
    ],
  });
  await cluster.startAll();
}, 60_000);

afterAll(async () => {
  await balancer?.shutdown({ timeoutMs: 1_000 });
  await cluster?.destroy();
  await stopAll();
});

test('a node heartbeats a balancer given with --balancer, with every group state', async () => {
  const endMs = Date.now() + 10_000;
  while (received.length < 10 && Date.now() < endMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(received.length).toBeGreaterThanOrEqual(10);
  const last = received[received.length - 1] as Heartbeat;
  expect(last).toMatchObject({ type: 'nodeHeartbeat', nodeId: 'n1', configVersion: 1 });
  // Sequence numbers grow, so a balancer can drop reordered or duplicated beats.
  const seqs = received.map((h) => h.seq);
  expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  // 16 shards plus the meta group, all led by the only node once elected.
  expect(last.groups).toHaveLength(17);
  const s0 = last.groups.find((g) => g[0] === 's0');
  expect(s0?.[1]).toBe('leader');
  expect(s0?.[3]).toBe('n1');
  expect(s0?.[4]).toBeGreaterThanOrEqual(1);
});

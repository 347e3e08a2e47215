// Failover through balancers, with real processes (3 nodes, 2 balancers): SIGKILL the node
// that leads a shard while writers stream through both balancers — writes to that shard
// resume through each balancer (the time is measured and printed) and no acknowledged write
// is lost; then kill a balancer under load — its clients move to the other, and again nothing
// acknowledged is lost. A paused (SIGSTOP) leader is caught by the balancers' phi-accrual
// detectors instead of a closed socket. After each fault heals, leadership spreads evenly over
// the nodes again.
import { shardOf } from '@troupe/client/protocol';
import { describe, expect, test } from 'vitest';
import { FailoverTestClient } from '../harness/balancer-client.js';
import { useClusterAndBalancers } from '../harness/use-cluster.js';
import { lostWrites, Writer } from './writers.js';

interface Status {
  members: { id: string; up: boolean }[];
  shards: { groupId: string; leader: string | null }[];
}

const env = useClusterAndBalancers({ size: 3, balancers: 2 });

/** Keys of one shard: `prefix-i` for the i that hash there. */
function keysOfShard(prefix: string, shard: number): (n: number) => string {
  const keys: string[] = [];
  for (let i = 0; keys.length < 500; i++) {
    if (shardOf(`${prefix}-${i}`, 16) === shard) keys.push(`${prefix}-${i}`);
  }
  return (n) => keys[n % keys.length] as string;
}

async function leaderOf(groupId: string): Promise<string> {
  let leader: string | null = null;
  for (let i = 0; i < 100 && leader === null; i++) {
    const status = await env.balancers.status<Status>('b1');
    leader = status.shards.find((s) => s.groupId === groupId)?.leader ?? null;
    if (leader === null) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (leader === null) throw new Error(`no leader for ${groupId}`);
  return leader;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

describe('leader node killed', () => {
  test('writes resume through both balancers and no acknowledged write is lost', async () => {
    const shard = 5;
    const writers = [
      // Probes: one write at a time to the shard whose leader is killed, one per balancer.
      new Writer('b1-shard', [env.balancers.urls[0] as string], keysOfShard('p1', shard)),
      new Writer('b2-shard', [env.balancers.urls[1] as string], keysOfShard('p2', shard)),
      // Background: writes to every shard through each balancer.
      new Writer('b1-all', [env.balancers.urls[0] as string], (n) => `b1-all-${n % 500}`),
      new Writer('b2-all', [env.balancers.urls[1] as string], (n) => `b2-all-${n % 500}`),
    ];
    for (const writer of writers) writer.start();
    await sleep(1_000);
    const victim = await leaderOf(`s${shard}`);
    const killedAtMs = Date.now();
    await env.cluster.kill(victim);
    await sleep(2_500);
    for (const writer of writers) await writer.stop();
    for (const [index, probe] of writers.slice(0, 2).entries()) {
      const resumed = probe.firstAckAfter(killedAtMs);
      expect(resumed, `writes through b${index + 1} resumed`).toBeDefined();
      const failoverMs = probe.stallAfter(killedAtMs);
      console.log(`failover through b${index + 1} after SIGKILL of ${victim}: ${failoverMs} ms`);
    }
    const reader = new FailoverTestClient(env.balancers.urls);
    for (const writer of writers) {
      expect(writer.failures, writer.name).toEqual([]);
      expect(writer.acks.length, writer.name).toBeGreaterThan(10);
      expect(await lostWrites(reader, writer.acks), writer.name).toEqual([]);
    }
    reader.close();
    for (const writer of writers) writer.client.close();
    await env.cluster.start(victim);
    // The restarted node gets its share of leaders back.
    await expectLeadersEven();
  }, 90_000);
});

/** Waits until the 16 shard leaders are spread evenly: at most one apart per node. */
async function expectLeadersEven(): Promise<void> {
  let counts: number[] = [];
  for (let i = 0; i < 150; i++) {
    const status = await env.balancers.status<Status>('b2');
    counts = status.members.map((m) => status.shards.filter((s) => s.leader === m.id).length);
    const even = Math.max(...counts) - Math.min(...counts) <= 1;
    if (even && counts.reduce((a, b) => a + b, 0) === 16) return;
    await sleep(200);
  }
  expect(counts, 'shard leaders per node').toEqual('spread evenly');
}

describe('leader node paused', () => {
  test('phi suspects it, writes resume, nothing acknowledged is lost', async () => {
    const shard = 9;
    const probes = [
      new Writer('b1-paused', [env.balancers.urls[0] as string], keysOfShard('q1', shard)),
      new Writer('b2-paused', [env.balancers.urls[1] as string], keysOfShard('q2', shard)),
    ];
    for (const probe of probes) probe.start();
    await sleep(1_000);
    const victim = await leaderOf(`s${shard}`);
    const child = env.cluster.node(victim).process;
    if (child === null) throw new Error(`${victim} is not running`);
    const pausedAtMs = Date.now();
    child.kill('SIGSTOP');
    try {
      await sleep(3_000);
    } finally {
      child.kill('SIGCONT');
    }
    for (const probe of probes) await probe.stop();
    for (const [index, probe] of probes.entries()) {
      expect(probe.firstAckAfter(pausedAtMs + 100), probe.name).toBeDefined();
      const stallMs = probe.stallAfter(pausedAtMs);
      console.log(`failover through b${index + 1} after SIGSTOP of ${victim}: ${stallMs} ms`);
      expect(probe.failures, probe.name).toEqual([]);
    }
    const reader = new FailoverTestClient(env.balancers.urls);
    for (const probe of probes) {
      expect(await lostWrites(reader, probe.acks), probe.name).toEqual([]);
      probe.client.close();
    }
    reader.close();
    await expectLeadersEven();
  }, 60_000);
});

describe('balancer killed', () => {
  test('its clients move to the other balancer and no acknowledged write is lost', async () => {
    const writers = [1, 2, 3].map(
      (i) => new Writer(`moving-${i}`, env.balancers.urls, (n) => `moving-${i}-${n % 300}`),
    );
    for (const writer of writers) writer.start();
    await sleep(1_000);
    const killedAtMs = Date.now();
    await env.balancers.kill('b1');
    await sleep(2_000);
    for (const writer of writers) await writer.stop();
    const reader = new FailoverTestClient([env.balancers.urls[1] as string]);
    for (const writer of writers) {
      expect(writer.client.moves, writer.name).toBeGreaterThan(0);
      expect(writer.firstAckAfter(killedAtMs), writer.name).toBeDefined();
      expect(writer.failures, writer.name).toEqual([]);
      expect(await lostWrites(reader, writer.acks), writer.name).toEqual([]);
    }
    reader.close();
    for (const writer of writers) writer.client.close();
    await env.balancers.start('b1');
  }, 60_000);
});

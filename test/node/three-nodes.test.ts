// Three real node processes on loopback: a write is readable from every replica after commit;
// SIGKILL any one node and writes continue; restart it and it catches up; every replica of
// every shard converges to the same state (per-shard state hashes compared).
import { describe, expect, test } from 'vitest';
import { expectOk, getValue, put, useCluster, waitForConvergence } from './helpers.js';

const ctx = useCluster({ size: 3 });

const session = { id: 'three-nodes', seq: 0 };
function nextSession(): { id: string; seq: number } {
  session.seq++;
  return { ...session };
}

describe('three nodes', () => {
  test('a committed write is readable from every replica', async () => {
    const reply = await put(ctx.client, 'greeting', { hello: 'world' }, nextSession());
    expectOk(reply);
    // A stale read is served by whichever replica is asked: all three must have it.
    await waitForConvergence(ctx.client, ['n1', 'n2', 'n3']);
    for (const id of ['n1', 'n2', 'n3']) {
      const read = await getValue(ctx.client, id, 'greeting', 'stale');
      expect(read).toEqual({
        value: { hello: 'world' },
        version: reply.ok ? (reply as { version: number }).version : -1,
      });
    }
  });

  for (const victim of ['n1', 'n2', 'n3']) {
    test(`SIGKILL ${victim}: writes continue, and it catches up after a restart`, async () => {
      await ctx.cluster.kill(victim);
      const written: [string, number][] = [];
      for (let i = 0; i < 60; i++) {
        const key = `after-kill-${victim}-${i}`;
        const reply = await put(ctx.client, key, i, nextSession());
        expectOk(reply);
        written.push([key, i]);
      }
      await ctx.cluster.start(victim);
      await waitForConvergence(ctx.client, ['n1', 'n2', 'n3'], 30_000);
      for (const [key, value] of written) {
        expect((await getValue(ctx.client, victim, key, 'stale')).value).toBe(value);
      }
    });
  }

  test('every group of every node reports the same state hash', async () => {
    const hashes = await waitForConvergence(ctx.client, ['n1', 'n2', 'n3']);
    // 16 shards at replication factor 3 over 3 nodes: every node hosts all 16 plus meta.
    for (const groups of hashes.values()) expect(Object.keys(groups)).toHaveLength(17);
  });
});

describe('leaders', () => {
  test('shard leaders spread evenly over the nodes, also after the kills above', async () => {
    // Preferred leaders (5, 5 and 6 of the 16 shards) take leadership back once caught up.
    const endMs = Date.now() + 20_000;
    let counts: number[] = [];
    while (Date.now() < endMs) {
      counts = await leaderCounts();
      if (Math.max(...counts) - Math.min(...counts) <= 1) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(counts.reduce((a, b) => a + b, 0)).toBe(16);
    expect(
      Math.max(...counts) - Math.min(...counts),
      `leaders per node: ${counts}`,
    ).toBeLessThanOrEqual(1);
  }, 30_000);
});

async function leaderCounts(): Promise<number[]> {
  const counts: number[] = [];
  for (const id of ['n1', 'n2', 'n3']) {
    const status = await ctx.client.admin<{ groups: { groupId: string; role: string }[] }>(id, {
      type: 'status',
    });
    counts.push(status.groups.filter((g) => g.groupId !== 'meta' && g.role === 'leader').length);
  }
  return counts;
}

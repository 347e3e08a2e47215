// Crash safety with real processes: while writes stream, SIGKILL one node, and separately all
// nodes; restart; every acknowledged write is present with its acknowledged version.
import { expect, test } from 'vitest';
import { getValue, useCluster } from './helpers.js';
import { type Acknowledged, Writers } from './writers.js';

const ctx = useCluster({ size: 3 });

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function expectAllPresent(acknowledged: readonly Acknowledged[]): Promise<void> {
  for (const write of acknowledged) {
    const read = await getValue(ctx.client, null, write.key);
    expect(read, write.key).toEqual({ value: write.value, version: write.version });
  }
}

test('SIGKILL one node while writes stream: every acknowledged write survives', async () => {
  const writers = new Writers(ctx.client, 4, 'one');
  await sleep(1_500);
  await ctx.cluster.kill('n1');
  await sleep(1_500);
  await ctx.cluster.start('n1');
  await sleep(500);
  await writers.stop();
  expect(writers.acknowledged.length).toBeGreaterThan(50);
  await expectAllPresent(writers.acknowledged);
}, 90_000);

test('SIGKILL all nodes while writes stream: every acknowledged write survives', async () => {
  const writers = new Writers(ctx.client, 4, 'all');
  await sleep(1_500);
  await ctx.cluster.killAll();
  const acknowledgedBeforeKill = writers.acknowledged.length;
  await Promise.all(ctx.cluster.nodes.map((n) => ctx.cluster.start(n.id)));
  await sleep(1_000);
  await writers.stop();
  expect(acknowledgedBeforeKill).toBeGreaterThan(50);
  await expectAllPresent(writers.acknowledged);
}, 120_000);

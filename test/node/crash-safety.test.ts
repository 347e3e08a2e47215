// Crash safety with real processes: while writes stream, SIGKILL one node, and separately all
// nodes; restart; every acknowledged write is present with its acknowledged version.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TestCluster } from '../harness/cluster.js';
import type { KvTestClient } from '../harness/kv-test-client.js';
import { stopAll } from '../harness/processes.js';
import { connectClient, getValue } from './helpers.js';
import { type Acknowledged, Writers } from './writers.js';

let cluster: TestCluster;
let client: KvTestClient;

beforeAll(async () => {
  cluster = await TestCluster.create({ size: 3 });
  await cluster.startAll();
  client = await connectClient(cluster);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cluster?.destroy();
  await stopAll();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function expectAllPresent(acknowledged: readonly Acknowledged[]): Promise<void> {
  for (const write of acknowledged) {
    const read = await getValue(client, null, write.key);
    expect(read, write.key).toEqual({ value: write.value, version: write.version });
  }
}

test('SIGKILL one node while writes stream: every acknowledged write survives', async () => {
  const writers = new Writers(client, 4, 'one');
  await sleep(1_500);
  await cluster.kill('n1');
  await sleep(1_500);
  await cluster.start('n1');
  await sleep(500);
  await writers.stop();
  expect(writers.acknowledged.length).toBeGreaterThan(50);
  await expectAllPresent(writers.acknowledged);
}, 90_000);

test('SIGKILL all nodes while writes stream: every acknowledged write survives', async () => {
  const writers = new Writers(client, 4, 'all');
  await sleep(1_500);
  await cluster.killAll();
  const acknowledgedBeforeKill = writers.acknowledged.length;
  await Promise.all(cluster.nodes.map((n) => cluster.start(n.id)));
  await sleep(1_000);
  await writers.stop();
  expect(acknowledgedBeforeKill).toBeGreaterThan(50);
  await expectAllPresent(writers.acknowledged);
}, 120_000);

// Disk full with real processes: nodes with a small store limit take writes until the leader
// refuses them with StorageFullError (a typed, definite error); reads go on; every write that
// was acknowledged before is still there with its version.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TestCluster } from '../harness/cluster.js';
import { type KvTestClient, pack } from '../harness/kv-test-client.js';
import { stopAll } from '../harness/processes.js';
import { connectClient, getValue } from './helpers.js';

let cluster: TestCluster;
let client: KvTestClient;

beforeAll(async () => {
  const storageBytesMax = String(16 * 1024 * 1024);
  cluster = await TestCluster.create({ size: 3, args: ['--storage-bytes-max', storageBytesMax] });
  await cluster.startAll();
  client = await connectClient(cluster);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cluster?.destroy();
  await stopAll();
});

test('a full store refuses writes with a typed error, serves reads and loses nothing', async () => {
  const acknowledged = new Map<string, number>();
  const value = pack('v'.repeat(100_000));
  let refusal: { code: string } | null = null;
  for (let i = 1; i <= 1_000 && refusal === null; i++) {
    const key = `big-${i}`;
    const reply = await client.request({
      op: 'update',
      key,
      value,
      session: { id: 'filler', seq: i },
    });
    if (reply.ok) acknowledged.set(key, reply.version);
    else refusal = reply;
  }
  expect(refusal).toMatchObject({ code: 'TROUPE_ERR_STORAGE_FULL' });
  expect(acknowledged.size).toBeGreaterThan(10);
  // Every node is still up and serving reads.
  for (const node of cluster.nodes) expect(node.process).not.toBeNull();
  for (const [key, version] of acknowledged) {
    expect((await getValue(client, null, key)).version, key).toBe(version);
  }
  // Still refused, still typed: nothing changed by trying again.
  const again = await client.request({
    op: 'update',
    key: 'one-more',
    value,
    session: { id: 'filler2', seq: 1 },
  });
  expect(again).toMatchObject({ ok: false, code: 'TROUPE_ERR_STORAGE_FULL' });
}, 120_000);

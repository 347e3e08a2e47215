// Disk full with real processes: nodes with a small store limit take writes until the leader
// refuses them with StorageFullError (a typed, definite error); reads go on; every write that
// was acknowledged before is still there with its version.
import { expect, test } from 'vitest';
import { pack } from '../harness/kv-test-client.js';
import { getValue, useCluster } from './helpers.js';

const storageBytesMax = String(16 * 1024 * 1024);
const ctx = useCluster({ size: 3, args: ['--storage-bytes-max', storageBytesMax] });

test('a full store refuses writes with a typed error, serves reads and loses nothing', async () => {
  const acknowledged = new Map<string, number>();
  const value = pack('v'.repeat(100_000));
  let refusal: { code: string } | null = null;
  for (let i = 1; i <= 1_000 && refusal === null; i++) {
    const key = `big-${i}`;
    const reply = await ctx.client.request({
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
  for (const node of ctx.cluster.nodes) expect(node.process).not.toBeNull();
  for (const [key, version] of acknowledged) {
    expect((await getValue(ctx.client, null, key)).version, key).toBe(version);
  }
  // Still refused, still typed: nothing changed by trying again.
  const again = await ctx.client.request({
    op: 'update',
    key: 'one-more',
    value,
    session: { id: 'filler2', seq: 1 },
  });
  expect(again).toMatchObject({ ok: false, code: 'TROUPE_ERR_STORAGE_FULL' });
}, 120_000);

// Snapshots and compaction keep disk bounded: three real nodes take a workload that overwrites
// a fixed key set forever; the data dirs stop growing once the first snapshots are taken.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { pack } from '../harness/kv-test-client.js';
import { useCluster } from './helpers.js';

const ctx = useCluster({
  size: 3,
  // Short snapshot cycles (each shard snapshots about twice per phase) so the test reaches the
  // steady state quickly; the mechanism is the same at the defaults, only slower to show.
  args: ['--snapshot-entries', '50', '--log-keep-entries', '10'],
});

function dataDirBytes(): number {
  let total = 0;
  for (const node of ctx.cluster.nodes) total += statSync(join(node.dataDir, 'store.mdb')).size;
  return total;
}

const keyCount = 40;
const value = pack('x'.repeat(2_000));

/** Overwrites every key `rounds` times from 8 concurrent sessions. */
async function overwrite(phase: number, rounds: number): Promise<void> {
  const writers = Array.from({ length: 8 }, async (_, w) => {
    const sessionId = `disk-p${phase}-w${w}`;
    let seq = 0;
    for (let round = 0; round < rounds; round++) {
      for (let k = w; k < keyCount; k += 8) {
        seq++;
        const request = {
          op: 'update' as const,
          key: `key-${k}`,
          value,
          session: { id: sessionId, seq },
        };
        const reply = await ctx.client.request(request);
        if (!reply.ok) throw new Error(`write failed: ${reply.code}`);
      }
    }
  });
  await Promise.all(writers);
}

test('the data dir stops growing under an overwrite workload', async () => {
  const sizes: number[] = [];
  for (let phase = 0; phase < 8; phase++) {
    await overwrite(phase, 40);
    sizes.push(dataDirBytes());
  }
  // 8 phases x 1,600 writes of 2 kB: unbounded, the log alone would reach ~25 MB per node.
  // After a warm-up of two phases the files must not grow by more than lmdb's free-page slack.
  const warm = sizes[2] ?? 0;
  const last = sizes[sizes.length - 1] ?? 0;
  expect(last, `bytes per phase: ${sizes.join(', ')}`).toBeLessThanOrEqual(warm * 1.1);
  expect(last).toBeLessThan(3 * 10 * 1024 * 1024);
}, 240_000);

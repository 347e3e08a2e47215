// The recovery benchmark at a small scale: every figure is produced and the restarted node
// really holds the data (read back from it alone, state hashes equal on all nodes). Nodes
// snapshot every 100 entries here so that, as with 1M keys at the defaults, the leaders have
// compacted past the stopped node's log and it must install snapshots. Nothing about the
// figures' size is asserted: speed is the benchmark's business, not the tests'.
import { afterAll, expect, test } from 'vitest';
import { livePids, stopAll } from '../harness/processes.js';
import { measureRecovery, recoveryGaps, recoveryTable } from './recovery.js';

afterAll(() => stopAll());

const positive = (n: number): boolean => Number.isFinite(n) && n > 0;

test('a node that missed 5,000 writes catches up; every figure is produced', async () => {
  const lines: string[] = [];
  const result = await measureRecovery({
    writes: 5_000,
    seed: 7,
    progress: (line) => lines.push(line),
    nodeArgs: ['--snapshot-entries', '100', '--log-keep-entries', '10'],
  });
  expect(result.fill.written).toBe(5_000);
  expect(result.fill.failed).toBe(0);
  expect(positive(result.fill.writesPerS)).toBe(true);
  const r = result.recovery;
  for (const figure of [r.spawnToReadyMs, r.fromSpawnMs, r.entriesBehind, r.polls]) {
    expect(positive(figure)).toBe(true);
  }
  expect(Number.isFinite(r.fromReadyMs)).toBe(true);
  // 16 shards and the meta group, each reached its leader's commit index.
  expect(result.groups).toHaveLength(17);
  for (const g of result.groups) expect(Number.isFinite(g.caughtUpMs), g.groupId).toBe(true);
  expect(r.snapshotGroups).toBeGreaterThan(0);
  expect(result.footprint.map((n) => n.role)).toEqual(['survivor', 'survivor', 'recovered']);
  for (const n of result.footprint) {
    const sizes = [n.disk.apparentBytes, n.disk.allocatedBytes, n.storeUsedBytes];
    const memory = [n.memory.rssBytes, n.memory.rssAnonBytes, n.memory.peakRssBytes];
    for (const figure of [...sizes, ...memory]) expect(positive(figure), n.nodeId).toBe(true);
  }
  expect(result.spotCheck).toEqual({ keys: 1_000, found: 1_000 });
  expect(result.replicasAgree).toBe(true);
  expect(recoveryGaps(result)).toEqual([]);
  expect(recoveryTable(result)).toContain('spawn -> caught up');
  expect(lines.some((l) => l.includes('caught up'))).toBe(true);
  // measureRecovery stopped every process it started.
  expect(livePids()).toEqual([]);
}, 60_000);

test('recoveryGaps names each figure that is missing or each proof that failed', () => {
  const memory = { rssBytes: 1, rssAnonBytes: 1, rssFileBytes: 1, peakRssBytes: 1 };
  const node = (nodeId: string) => ({
    nodeId,
    role: 'survivor' as const,
    pid: 1,
    disk: { apparentBytes: 1, allocatedBytes: 1, files: 1 },
    storeUsedBytes: 1,
    memory,
  });
  const fill = { written: 9, failed: 1, retries: 0, concurrency: 1, clients: 1, ms: 1 };
  const result = {
    writes: 10,
    valueBytes: 100,
    fill: { ...fill, writesPerS: 9_000, errorSamples: [] },
    recovery: {
      nodeId: 'n3',
      signal: 'SIGKILL' as const,
      spawnToReadyMs: 1,
      fromSpawnMs: Number.NaN,
      fromReadyMs: Number.NaN,
      entriesBehind: 10,
      snapshotGroups: 0,
      replayedEntries: 10,
      pollMs: 25,
      polls: 1,
    },
    groups: [],
    footprint: [node('n1'), node('n2'), { ...node('n3'), storeUsedBytes: 0 }],
    spotCheck: { keys: 100, found: 99 },
    replicasAgree: false,
  };
  expect(recoveryGaps(result)).toEqual([
    'fill: 1 failed',
    'recovery time',
    'footprint of n3',
    'read back 99 of 100 keys',
    'state hashes differ',
  ]);
});

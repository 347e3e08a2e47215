// The failover part of `pnpm bench`, one try of each fault: against Troupe (crash, hang,
// partition) and against a real 3-member etcd (crash), every figure is produced and no
// acknowledged write is lost. Nothing about the figures' size is asserted (speed is measured
// by the benchmark, not by tests). The etcd test needs Debian's etcd-server: without it, it
// fails saying so rather than skipping. The pure figures are checked on hand-made writes.
import { afterAll, describe, expect, test } from 'vitest';
import { stopAll } from '../harness/processes.js';
import { EtcdCluster, etcdMissingMessage } from './etcd/etcd-cluster.js';
import {
  type FailoverKind,
  type FailoverResults,
  failoverKinds,
  failoverTable,
  measureEtcdFailover,
  measureFailover,
} from './failover.js';
import { longestGap, spread, tryFigures } from './failover-stats.js';

afterAll(() => stopAll());

function expectEveryFigure(results: FailoverResults, kinds: readonly FailoverKind[]): void {
  expect(results.kinds.map((k) => k.kind)).toEqual(kinds);
  for (const k of results.kinds) {
    expect(k.tries, k.kind).toHaveLength(1);
    const figures = [
      ...Object.values(k.firstAckMs),
      ...Object.values(k.longestGapMs),
      ...k.tries.flatMap((t) => [t.firstAckMs, t.longestGapMs]),
    ];
    for (const figure of figures) expect(Number.isFinite(figure) && figure > 0, k.kind).toBe(true);
    expect(k.writesAcknowledged, k.kind).toBeGreaterThan(0);
    expect(k.writesLost, `${k.kind}: ${k.lostSamples.join('; ')}`).toBe(0);
    expect(k.tries[0]?.victim, k.kind).toMatch(/\S/);
  }
  const table = failoverTable(results);
  for (const kind of kinds) expect(table).toContain(kind);
}

describe('failover benchmark', () => {
  test('Troupe: one crash, one hang and one partition of the busiest leader', async () => {
    const lines: string[] = [];
    const results = await measureFailover({
      tries: 1,
      kinds: failoverKinds,
      seed: 1,
      progress: (line) => lines.push(line),
    });
    expect(results.system).toBe('troupe');
    expectEveryFigure(results, failoverKinds);
    for (const k of results.kinds) expect(k.tries[0]?.shards.length, k.kind).toBeGreaterThan(0);
    expect(lines.some((line) => line.includes('crash 1/1'))).toBe(true);
  }, 90_000);

  test('etcd: one crash of the leader, through etcd3 with its defaults', async () => {
    if (!EtcdCluster.available()) throw new Error(etcdMissingMessage);
    const results = await measureEtcdFailover({ tries: 1, progress: () => {} });
    expect(results.system).toBe('etcd');
    expectEveryFigure(results, ['crash']);
  }, 60_000);
});

describe('failover figures', () => {
  test('first ack counts only writes issued at or after the fault; the gap spans it', () => {
    const figures = tryFigures(
      {
        acked: [
          [90, 95, 'a'],
          [96, 160, 'b'], // issued before the fault, acknowledged after it
          [101, 170, 'c'],
          [165, 175, 'd'],
          [176, 400, 'f'], // acknowledged after the undo began: not in the gap
        ],
        failed: [[97, 150, 'e', 'TimeoutError']],
      },
      100,
      300,
    );
    expect(figures).toEqual({
      firstAckMs: 70,
      longestGapMs: 65,
      steadyWriteMs: 5,
      writesAcknowledged: 5,
      writesFailed: 1,
      failureSamples: ['TimeoutError'],
    });
    expect(() => tryFigures({ acked: [[1, 2, 'a']], failed: [] }, 5, 10)).toThrow(
      /after the fault/,
    );
  });

  test('spread and longest gap', () => {
    expect(spread([5, 1, 3])).toEqual({ min: 1, median: 3, max: 5 });
    expect(spread([4, 1, 3, 2])).toEqual({ min: 1, median: 2.5, max: 4 });
    expect(longestGap([10, 1, 4])).toBe(6);
    expect(longestGap([1])).toBe(0);
  });
});

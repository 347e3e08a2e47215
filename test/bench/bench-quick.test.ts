// `pnpm bench --quick --compare etcd` as CI runs it: it must finish, exit 0 and produce every
// figure — ops/s and p50/p99/p99.9 for each workload at concurrency 1, 16 and 256, for Troupe
// and for a 3-member etcd, and their ratios; a failover try of each kind (etcd: crash) with no
// acknowledged write lost; the recovery time and each node's disk and RSS. Nothing about the
// figures' size is asserted (speed is measured by the benchmark, not by tests).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { repoRoot } from '../harness/processes.js';
import type { ClosedLoopResult } from './closed-loop.js';
import type { FailoverResults } from './failover.js';
import { type RecoveryResult, recoveryGaps } from './recovery.js';
import { benchWorkloads } from './workloads.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bench(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'test/bench-cli.ts', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 290_000,
  });
}

function expectEveryFigure(results: readonly ClosedLoopResult[]): void {
  const produced = results.map((r) => `${r.workload} x${r.concurrency}`).sort();
  const wanted = benchWorkloads.flatMap((w) => [1, 16, 256].map((c) => `${w} x${c}`)).sort();
  expect(produced).toEqual(wanted);
  for (const r of results) {
    expect(r.ops, `${r.workload} x${r.concurrency}`).toBeGreaterThan(0);
    for (const figure of [r.opsPerS, r.p50Ms, r.p99Ms, r.p999Ms]) {
      expect(Number.isFinite(figure) && figure > 0).toBe(true);
    }
  }
}

test('every workload at every concurrency produces its figures, for Troupe and etcd', () => {
  const out = join(dir, 'quick.json');
  const run = bench('--quick', '--compare', 'etcd', '--out', out);
  expect(run.status, run.stderr).toBe(0);
  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    format: string;
    throughput: ClosedLoopResult[];
    etcd: { throughput: ClosedLoopResult[] };
    ratios: Array<{ throughputRatio: number; p99Ratio: number }>;
    failover: FailoverResults[];
    recovery: RecoveryResult;
  };
  expect(report.format).toBe('troupe-bench/2');
  expectEveryFigure(report.throughput);
  expectEveryFigure(report.etcd.throughput);
  expect(report.ratios).toHaveLength(12);
  for (const r of report.ratios) {
    expect(r.throughputRatio > 0 && r.p99Ratio > 0).toBe(true);
  }
  expect(run.stdout).toContain('troupe/etcd');
  expect(report.failover.map((f) => [f.system, f.kinds.map((k) => k.kind)])).toEqual([
    ['troupe', ['crash', 'hang', 'partition']],
    ['etcd', ['crash']],
  ]);
  for (const kind of report.failover.flatMap((f) => f.kinds)) {
    expect(kind.tries).toHaveLength(1);
    expect(Number.isFinite(kind.firstAckMs.median) && kind.firstAckMs.median > 0).toBe(true);
    expect(kind.writesLost).toBe(0);
  }
  expect(recoveryGaps(report.recovery)).toEqual([]);
  expect(report.recovery.footprint).toHaveLength(3);
}, 300_000);

test('--compare with anything but etcd exits 2', () => {
  const run = bench('--compare', 'redis');
  expect(run.status).toBe(2);
  expect(run.stderr).toContain('--compare takes only etcd, got redis');
});

// `pnpm bench --quick` as CI runs it: it must finish, exit 0 and produce every figure —
// ops/s and p50/p99/p99.9 for each workload at concurrency 1, 16 and 256. Nothing about the
// figures' size is asserted (speed is measured by the benchmark, not by tests).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { repoRoot } from '../harness/processes.js';
import type { ClosedLoopResult } from './closed-loop.js';
import { benchWorkloads } from './workloads.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('every workload at every concurrency produces its figures', () => {
  const out = join(dir, 'quick.json');
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'test/bench-cli.ts', '--quick', '--out', out],
    { cwd: repoRoot, encoding: 'utf8', timeout: 170_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    format: string;
    throughput: ClosedLoopResult[];
  };
  expect(report.format).toBe('troupe-bench/1');
  const produced = report.throughput.map((r) => `${r.workload} x${r.concurrency}`).sort();
  const wanted = benchWorkloads.flatMap((w) => [1, 16, 256].map((c) => `${w} x${c}`)).sort();
  expect(produced).toEqual(wanted);
  for (const r of report.throughput) {
    expect(r.ops, `${r.workload} x${r.concurrency}`).toBeGreaterThan(0);
    for (const figure of [r.opsPerS, r.p50Ms, r.p99Ms, r.p999Ms]) {
      expect(Number.isFinite(figure) && figure > 0).toBe(true);
    }
  }
}, 180_000);

// Text for the throughput part of `pnpm bench`: one table per system, the Troupe/etcd ratios
// (throughput, where higher is better for Troupe, and p99, where lower is), and the check that
// every workload at every concurrency produced a figure.
import type { ClosedLoopResult } from './closed-loop.js';
import { benchWorkloads } from './workloads.js';

export interface RatioRow {
  readonly workload: string;
  readonly concurrency: number;
  readonly troupeOpsPerS: number;
  readonly etcdOpsPerS: number;
  readonly throughputRatio: number;
  readonly p99Ratio: number;
}

export function throughputTable(results: readonly ClosedLoopResult[]): string {
  const head = 'workload      conc      ops/s    p50 ms    p99 ms  p99.9 ms   errors';
  const rows = results.map(
    (r) =>
      `${r.workload.padEnd(12)} ${String(r.concurrency).padStart(5)} ` +
      `${r.opsPerS.toFixed(0).padStart(10)} ${r.p50Ms.toFixed(2).padStart(9)} ` +
      `${r.p99Ms.toFixed(2).padStart(9)} ${r.p999Ms.toFixed(2).padStart(9)} ` +
      `${String(r.errors).padStart(8)}`,
  );
  return [head, ...rows].join('\n');
}

export function ratioRows(
  troupe: readonly ClosedLoopResult[],
  etcd: readonly ClosedLoopResult[],
): RatioRow[] {
  const rows: RatioRow[] = [];
  for (const t of troupe) {
    const e = etcd.find((x) => x.workload === t.workload && x.concurrency === t.concurrency);
    if (e === undefined || e.opsPerS === 0 || e.p99Ms === 0) continue;
    rows.push({
      workload: t.workload,
      concurrency: t.concurrency,
      troupeOpsPerS: t.opsPerS,
      etcdOpsPerS: e.opsPerS,
      throughputRatio: t.opsPerS / e.opsPerS,
      p99Ratio: t.p99Ms / e.p99Ms,
    });
  }
  return rows;
}

export function ratioTable(rows: readonly RatioRow[]): string {
  const head = 'workload      conc   troupe ops/s   etcd ops/s  troupe/etcd  p99 troupe/etcd';
  const lines = rows.map(
    (r) =>
      `${r.workload.padEnd(12)} ${String(r.concurrency).padStart(5)} ` +
      `${r.troupeOpsPerS.toFixed(0).padStart(14)} ${r.etcdOpsPerS.toFixed(0).padStart(12)} ` +
      `${r.throughputRatio.toFixed(2).padStart(12)} ${r.p99Ratio.toFixed(2).padStart(16)}`,
  );
  return [head, ...lines].join('\n');
}

/** `workload xN` for every workload and concurrency without a figure from one operation. */
export function missingFigures(
  results: readonly ClosedLoopResult[],
  concurrencies: readonly number[],
): string[] {
  const gaps: string[] = [];
  for (const workload of benchWorkloads) {
    for (const concurrency of concurrencies) {
      const r = results.find((x) => x.workload === workload && x.concurrency === concurrency);
      if (r === undefined || r.ops === 0) gaps.push(`${workload} x${concurrency}`);
    }
  }
  return gaps;
}

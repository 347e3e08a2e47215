// The throughput-and-latency part of `pnpm bench`: a three-node cluster (16 shards, RF 3,
// acknowledged only when a majority fsynced) behind one balancer, driven by a separate
// load-generator process through the SDK, closed loop, for each workload at each concurrency.
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { spawnTs } from '../harness/processes.js';
import type { ClosedLoopResult } from './closed-loop.js';
import type { LoadLine, LoadPlan } from './loadgen.js';
import { type BenchWorkload, benchWorkloads } from './workloads.js';

export interface ThroughputOptions {
  readonly concurrencies: readonly number[];
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly seed: number;
  readonly progress: (line: string) => void;
}

export interface ThroughputResults {
  readonly preloadMs: number;
  readonly results: readonly ClosedLoopResult[];
}

/** Runs the plan in a load-generator process and returns its result lines. */
async function runLoad(plan: LoadPlan, progress: (line: string) => void): Promise<LoadLine[]> {
  const child = spawnTs('test/bench/loadgen.ts', [JSON.stringify(plan)], {
    env: { TROUPE_LOG_LEVEL: 'warn' },
  });
  const lines: LoadLine[] = [];
  child.onLine((text) => {
    const line = JSON.parse(text) as LoadLine;
    lines.push(line);
    if (line.event === 'result') {
      const r = line.result;
      progress(`${r.workload} x${r.concurrency}: ${r.opsPerS.toFixed(0)} ops/s`);
    }
  });
  const perRunMs = plan.warmupMs + plan.durationMs + 30_000;
  await child.waitForEvent('done', 120_000 + plan.runs.length * perRunMs);
  return lines;
}

export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResults> {
  const cluster = await TestCluster.create({ size: 3 });
  const balancers = await TestBalancers.create(cluster, 1);
  try {
    options.progress('starting 3 nodes and 1 balancer');
    await cluster.startAll();
    await balancers.startAll();
    const runs = benchWorkloads.flatMap((workload: BenchWorkload) =>
      options.concurrencies.map((concurrency) => ({ workload, concurrency })),
    );
    const lines = await runLoad(
      {
        target: { kind: 'troupe', balancers: balancers.urls },
        preload: true,
        runs,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        seed: options.seed,
      },
      options.progress,
    );
    const preloaded = lines.find((l) => l.event === 'preloaded');
    return {
      preloadMs: preloaded?.event === 'preloaded' ? preloaded.ms : 0,
      results: lines.flatMap((l) => (l.event === 'result' ? [l.result] : [])),
    };
  } finally {
    await balancers.killAll();
    await cluster.destroy();
  }
}

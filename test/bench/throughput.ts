// The throughput-and-latency part of `pnpm bench`: a three-node cluster (16 shards, RF 3,
// acknowledged only when a majority fsynced) behind one balancer, driven by a separate
// load-generator process through the SDK, closed loop, for each workload at each concurrency.
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { spawnTs } from '../harness/processes.js';
import type { ClosedLoopResult } from './closed-loop.js';
import { EtcdCluster } from './etcd/etcd-cluster.js';
import type { LoadLine, LoadPlan } from './loadgen.js';
import type { TargetSpec } from './target-spec.js';
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
    } else if (line.event === 'preloaded') {
      progress(`preloaded ${line.keys} keys in ${(line.ms / 1_000).toFixed(1)} s`);
    }
  });
  const perRunMs = plan.warmupMs + plan.durationMs + 30_000;
  await child.waitForEvent('done', 120_000 + plan.runs.length * perRunMs);
  return lines;
}

/** Every workload at every concurrency against `target`, from one load-generator process. */
async function measureTarget(
  target: TargetSpec,
  options: ThroughputOptions,
): Promise<ThroughputResults> {
  const runs = benchWorkloads.flatMap((workload: BenchWorkload) =>
    options.concurrencies.map((concurrency) => ({ workload, concurrency })),
  );
  const progress = (line: string): void => options.progress(`${target.kind}: ${line}`);
  const lines = await runLoad(
    {
      target,
      preload: true,
      runs,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      seed: options.seed,
    },
    progress,
  );
  const preloaded = lines.find((l) => l.event === 'preloaded');
  return {
    preloadMs: preloaded?.event === 'preloaded' ? preloaded.ms : 0,
    results: lines.flatMap((l) => (l.event === 'result' ? [l.result] : [])),
  };
}

export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResults> {
  const cluster = await TestCluster.create({ size: 3 });
  const balancers = await TestBalancers.create(cluster, 1);
  try {
    options.progress('starting 3 nodes and 1 balancer');
    await cluster.startAll();
    await balancers.startAll();
    return await measureTarget({ kind: 'troupe', balancers: balancers.urls }, options);
  } finally {
    await balancers.killAll();
    await cluster.destroy();
  }
}

/** The same workloads against a 3-member etcd (heartbeat 100 ms, election 1000 ms). */
export async function measureEtcdThroughput(
  options: ThroughputOptions,
): Promise<ThroughputResults> {
  options.progress('starting a 3-member etcd');
  const etcd = await EtcdCluster.start({ members: 3, heartbeatMs: 100, electionMs: 1_000 });
  try {
    return await measureTarget({ kind: 'etcd', clientUrls: etcd.clientUrls }, options);
  } finally {
    await etcd.stop();
  }
}

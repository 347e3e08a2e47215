// The benchmark's load generator, a process of its own so that its CPU is not the cluster's
// or the orchestrator's: it reads a plan (target — Troupe or etcd —, runs, timings) as JSON
// from argv, runs each workload closed-loop in turn, and prints one JSON line per result,
// then `done`.
import type { BenchTarget } from './bench-target.js';
import { type ClosedLoopResult, runClosedLoop } from './closed-loop.js';
import { openTarget, type TargetSpec } from './target-spec.js';
import { type BenchWorkload, benchValue, keyCount, keyName } from './workloads.js';

export interface LoadPlan {
  readonly target: TargetSpec;
  readonly preload: boolean;
  readonly runs: ReadonlyArray<{ readonly workload: BenchWorkload; readonly concurrency: number }>;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly seed: number;
}

export type LoadLine =
  | { readonly event: 'preloaded'; readonly keys: number; readonly ms: number }
  | { readonly event: 'result'; readonly result: ClosedLoopResult }
  | { readonly event: 'done' };

function say(line: LoadLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Writes every key once, 64 at a time, so reads find values of the real size. */
async function preload(target: BenchTarget): Promise<void> {
  const startMs = performance.now();
  let nextKey = 0;
  const worker = async (): Promise<void> => {
    while (nextKey < keyCount) await target.write(keyName(nextKey++), benchValue);
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  say({ event: 'preloaded', keys: keyCount, ms: performance.now() - startMs });
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2] ?? '') as LoadPlan;
  const target = openTarget(plan.target);
  try {
    if (plan.preload) await preload(target);
    for (const run of plan.runs) {
      const result = await runClosedLoop(target, { ...run, ...plan });
      say({ event: 'result', result });
    }
    say({ event: 'done' });
  } finally {
    await target.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`loadgen: ${String(error)}\n`);
  process.exitCode = 1;
});

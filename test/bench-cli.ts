// `pnpm bench`: Troupe measured on this machine — throughput and latency per workload and
// concurrency, from a separate load-generator process through the SDK — printed as a table
// and written as JSON to bench/results/<time>.json. `--quick` (what CI runs) finishes in
// under a minute and checks only that every figure was produced. Exit status: 0 done,
// 1 a figure is missing or a run failed, 2 bad arguments. Ctrl-C stops every process.
//
//   pnpm bench             the full run
//   pnpm bench --quick     short warm-up and runs
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ClosedLoopResult } from './bench/closed-loop.js';
import { measureThroughput } from './bench/throughput.js';
import { benchWorkloads } from './bench/workloads.js';
import { benchArgs, runBench } from './harness/bench-results.js';
import { repoRoot } from './harness/processes.js';

const { values } = benchArgs({
  quick: { type: 'boolean', default: false },
  out: { type: 'string' },
  seed: { type: 'string', default: '1' },
});

const concurrencies = [1, 16, 256];

function table(results: readonly ClosedLoopResult[]): string {
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

/** Every workload at every concurrency produced a figure from at least one operation. */
function missing(results: readonly ClosedLoopResult[]): string[] {
  const gaps: string[] = [];
  for (const workload of benchWorkloads) {
    for (const concurrency of concurrencies) {
      const r = results.find((x) => x.workload === workload && x.concurrency === concurrency);
      if (r === undefined || r.ops === 0) gaps.push(`${workload} x${concurrency}`);
    }
  }
  return gaps;
}

runBench(async () => {
  const quick = values.quick;
  const say = (line: string): boolean => process.stdout.write(`bench: ${line}\n`);
  const startedAt = new Date().toISOString();
  const throughput = await measureThroughput({
    concurrencies,
    warmupMs: quick ? 300 : 2_000,
    durationMs: quick ? 1_000 : 10_000,
    seed: Number(values.seed),
    progress: say,
  });
  process.stdout.write(`\n${table(throughput.results)}\n`);
  const out =
    values.out ?? join(repoRoot, 'bench', 'results', `${startedAt.replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  const cpu = cpus();
  const report = {
    format: 'troupe-bench/1',
    startedAt,
    command: `pnpm bench ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpu: cpu[0]?.model ?? 'unknown',
      cpus: cpu.length,
      memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
      node: process.version,
      linux: release(),
    },
    cluster: { nodes: 3, balancers: 1, shards: 16, replicationFactor: 3, acks: 'majority fsync' },
    preloadMs: throughput.preloadMs,
    throughput: throughput.results,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nresults: ${out}\n`);
  const gaps = missing(throughput.results);
  if (gaps.length > 0) throw new Error(`figures missing: ${gaps.join(', ')}`);
});

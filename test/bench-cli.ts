// `pnpm bench`: Troupe measured on this machine — throughput and latency per workload and
// concurrency, from a separate load-generator process through the SDK — printed as a table
// and written as JSON to bench/results/<time>.json. `--quick` (what CI runs) finishes in
// under a minute and checks only that every figure was produced. Exit status: 0 done,
// 1 a figure is missing or a run failed, 2 bad arguments. Ctrl-C stops every process.
//
//   pnpm bench                  the full run
//   pnpm bench --quick          short warm-up and runs
//   pnpm bench --compare etcd   the same workloads against a 3-member etcd, and the ratios
//   ... --write                 also record the tables in bench/RESULTS.md
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ClosedLoopResult } from './bench/closed-loop.js';
import { profileTable } from './bench/profile/profile-table.js';
import { profileWritePath } from './bench/profile/profile-write-path.js';
import { measureEtcdThroughput, measureThroughput } from './bench/throughput.js';
import { benchWorkloads } from './bench/workloads.js';
import { benchArgs, machineFacts, recordSection, runBench } from './harness/bench-results.js';
import { repoRoot } from './harness/processes.js';

const { values } = benchArgs({
  quick: { type: 'boolean', default: false },
  compare: { type: 'string' },
  write: { type: 'boolean', default: false },
  out: { type: 'string' },
  seed: { type: 'string', default: '1' },
  profile: { type: 'boolean', default: false },
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

/** Troupe / etcd for throughput (higher is better for Troupe) and for p99 (lower is). */
function ratioTable(
  troupe: readonly ClosedLoopResult[],
  etcd: readonly ClosedLoopResult[],
): { text: string; rows: RatioRow[] } {
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
  const head = 'workload      conc   troupe ops/s   etcd ops/s  troupe/etcd  p99 troupe/etcd';
  const lines = rows.map(
    (r) =>
      `${r.workload.padEnd(12)} ${String(r.concurrency).padStart(5)} ` +
      `${r.troupeOpsPerS.toFixed(0).padStart(14)} ${r.etcdOpsPerS.toFixed(0).padStart(12)} ` +
      `${r.throughputRatio.toFixed(2).padStart(12)} ${r.p99Ratio.toFixed(2).padStart(16)}`,
  );
  return { text: [head, ...lines].join('\n'), rows };
}

interface RatioRow {
  readonly workload: string;
  readonly concurrency: number;
  readonly troupeOpsPerS: number;
  readonly etcdOpsPerS: number;
  readonly throughputRatio: number;
  readonly p99Ratio: number;
}

/** The throughput section of bench/RESULTS.md: machine, command, tables. */
function record(
  command: string,
  troupe: readonly ClosedLoopResult[],
  etcd: readonly ClosedLoopResult[] | null,
  ratios: { text: string } | null,
): void {
  const setup =
    '- setup: 3 nodes (16 shards, RF 3, acknowledged once a majority fsynced) and 1 balancer, ' +
    'on loopback; load from a separate process through the SDK, closed loop, 100-byte values ' +
    'over 10,000 preloaded keys; etcd 3.4.23 (3 members, heartbeat 100 ms, election 1000 ms, ' +
    'fsync) through etcd3 1.1.2 from the same kind of process, in the same run';
  const body = [
    machineFacts([setup, `- command: \`${command}\``]),
    '',
    'Troupe:',
    '```',
    table(troupe),
    '```',
    ...(etcd === null ? [] : ['', 'etcd:', '```', table(etcd), '```']),
    ...(ratios === null ? [] : ['', 'Troupe / etcd:', '```', ratios.text, '```']),
  ].join('\n');
  recordSection('bench', 'pnpm bench: throughput and latency (Troupe beside etcd)', body);
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

/** `--profile`: the write path under --cpu-prof, summarized per process and layer. */
async function profileRun(say: (line: string) => void): Promise<void> {
  const outDir = join(
    repoRoot,
    'bench',
    'profiles',
    new Date().toISOString().replace(/[:.]/g, '-'),
  );
  const durationMs = values.quick ? 2_000 : 10_000;
  const profile = await profileWritePath({
    concurrency: 16,
    warmupMs: values.quick ? 500 : 2_000,
    durationMs,
    seed: Number(values.seed),
    outDir,
    progress: say,
  });
  const text = profileTable(profile);
  process.stdout.write(`\n${text}\n\nprofiles: ${outDir}\n`);
  if (profile.processes.length !== 5) throw new Error('a process wrote no profile');
  if (values.write) {
    const command = `pnpm bench ${process.argv.slice(2).join(' ')}`.trim();
    const body = [machineFacts([`- command: \`${command}\``]), '', '```', text, '```'].join('\n');
    recordSection('profile', 'pnpm bench --profile: where a write spends CPU', body);
  }
}

runBench(async () => {
  const say = (line: string): boolean => process.stdout.write(`bench: ${line}\n`);
  if (values.profile) return profileRun(say);
  if (values.compare !== undefined && values.compare !== 'etcd') {
    process.stderr.write(`bench: --compare takes only etcd, got ${values.compare}\n`);
    process.exit(2);
  }
  const quick = values.quick;
  const startedAt = new Date().toISOString();
  const throughput = await measureThroughput({
    concurrencies,
    warmupMs: quick ? 300 : 2_000,
    durationMs: quick ? 1_000 : 10_000,
    seed: Number(values.seed),
    progress: say,
  });
  process.stdout.write(`\n${table(throughput.results)}\n`);
  const etcd =
    values.compare === 'etcd'
      ? await measureEtcdThroughput({
          concurrencies,
          warmupMs: quick ? 300 : 2_000,
          durationMs: quick ? 1_000 : 10_000,
          seed: Number(values.seed),
          progress: say,
        })
      : null;
  const ratios = etcd === null ? null : ratioTable(throughput.results, etcd.results);
  if (etcd !== null && ratios !== null) {
    process.stdout.write(`\netcd 3.4, 3 members\n${table(etcd.results)}\n`);
    process.stdout.write(`\n${ratios.text}\n`);
  }
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
    ...(etcd === null || ratios === null
      ? {}
      : { etcd: { preloadMs: etcd.preloadMs, throughput: etcd.results }, ratios: ratios.rows }),
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nresults: ${out}\n`);
  if (values.write) record(report.command, throughput.results, etcd?.results ?? null, ratios);
  const gaps = [
    ...missing(throughput.results),
    ...(etcd === null ? [] : missing(etcd.results).map((gap) => `etcd ${gap}`)),
  ];
  if (gaps.length > 0) throw new Error(`figures missing: ${gaps.join(', ')}`);
});

// `pnpm bench`: Troupe measured on this machine, printed as tables and written as JSON to
// bench/results/<time>.json. Three parts, each beside etcd with `--compare etcd`:
//   throughput  each workload at concurrency 1/16/256 from a separate load process, closed loop
//   failover    SIGKILL, SIGSTOP and a partition of the busiest leader under a write stream
//   recovery    a node that missed N writes (1M; --quick 20k) rejoins; disk and RSS per node
// `--quick` (what CI runs) uses short runs and small counts and checks only that every figure
// was produced. Exit status: 0 done, 1 a figure is missing or a run failed (or an
// acknowledged write was lost), 2 bad arguments. Ctrl-C stops every process.
//
//   pnpm bench                      the full run
//   pnpm bench --quick              short runs, small counts
//   pnpm bench --compare etcd       the same against a 3-member etcd, and the ratios
//   pnpm bench --only failover      some parts only (throughput, failover, recovery)
//   pnpm bench --profile            the write path under --cpu-prof, per process and layer
//   ... --write                     also record the tables in bench/RESULTS.md
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  type FailoverResults,
  failoverKinds,
  failoverTable,
  measureEtcdFailover,
  measureFailover,
} from './bench/failover.js';
import { profileTable } from './bench/profile/profile-table.js';
import { profileWritePath } from './bench/profile/profile-write-path.js';
import {
  measureRecovery,
  type RecoveryResult,
  recoveryGaps,
  recoveryTable,
} from './bench/recovery.js';
import {
  measureEtcdThroughput,
  measureThroughput,
  type ThroughputResults,
} from './bench/throughput.js';
import {
  missingFigures,
  type RatioRow,
  ratioRows,
  ratioTable,
  throughputTable,
} from './bench/throughput-report.js';
import { benchArgs, machineFacts, recordSection, runBench } from './harness/bench-results.js';
import { repoRoot } from './harness/processes.js';

const { values } = benchArgs({
  quick: { type: 'boolean', default: false },
  compare: { type: 'string' },
  only: { type: 'string', default: 'throughput,failover,recovery' },
  write: { type: 'boolean', default: false },
  out: { type: 'string' },
  seed: { type: 'string', default: '1' },
  profile: { type: 'boolean', default: false },
});

const parts = ['throughput', 'failover', 'recovery'] as const;
type Part = (typeof parts)[number];
const concurrencies = [1, 16, 256];
const quick = values.quick;
const seed = Number(values.seed);
const command = `pnpm bench ${process.argv.slice(2).join(' ')}`.trim();
const say = (line: string): void => void process.stdout.write(`bench: ${line}\n`);
const print = (text: string): void => void process.stdout.write(`\n${text}\n`);

function chosenParts(): Set<Part> {
  const chosen = (values.only ?? '').split(',').filter(Boolean);
  const unknown = chosen.filter((p) => !(parts as readonly string[]).includes(p));
  if (values.compare !== undefined && values.compare !== 'etcd') {
    usageError(`--compare takes only etcd, got ${values.compare}`);
  }
  if (unknown.length > 0 || chosen.length === 0) {
    usageError(`--only takes ${parts.join(', ')}; got ${values.only}`);
  }
  if (!Number.isSafeInteger(seed)) usageError(`--seed takes an integer, got ${values.seed}`);
  return new Set(chosen as Part[]);
}

function usageError(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

interface ThroughputPart {
  readonly troupe: ThroughputResults;
  readonly etcd: ThroughputResults | null;
  readonly ratios: readonly RatioRow[] | null;
}

async function throughputPart(compare: boolean): Promise<ThroughputPart> {
  const timing = {
    concurrencies,
    warmupMs: quick ? 200 : 2_000,
    durationMs: quick ? 500 : 10_000,
    seed,
    progress: say,
  };
  const troupe = await measureThroughput(timing);
  print(throughputTable(troupe.results));
  const etcd = compare ? await measureEtcdThroughput(timing) : null;
  const ratios = etcd === null ? null : ratioRows(troupe.results, etcd.results);
  if (etcd !== null && ratios !== null) {
    print(`etcd 3.4, 3 members\n${throughputTable(etcd.results)}`);
    print(ratioTable(ratios));
  }
  return { troupe, etcd, ratios };
}

async function failoverPart(compare: boolean): Promise<FailoverResults[]> {
  const tries = quick ? 1 : 5;
  const results = [await measureFailover({ tries, kinds: failoverKinds, seed, progress: say })];
  if (compare) results.push(await measureEtcdFailover({ tries, progress: say }));
  print(failoverTable(results));
  return results;
}

async function recoveryPart(): Promise<RecoveryResult> {
  const result = await measureRecovery({ writes: quick ? 20_000 : 1_000_000, seed, progress: say });
  print(recoveryTable(result));
  return result;
}

/** Every figure the run was to produce is there, and no acknowledged write was lost. */
function problems(
  throughput: ThroughputPart | null,
  failover: readonly FailoverResults[] | null,
  recovery: RecoveryResult | null,
): string[] {
  const found: string[] = [];
  if (throughput !== null) {
    found.push(...missingFigures(throughput.troupe.results, concurrencies));
    if (throughput.etcd !== null) {
      found.push(...missingFigures(throughput.etcd.results, concurrencies).map((g) => `etcd ${g}`));
    }
  }
  for (const system of failover ?? []) {
    for (const kind of system.kinds) {
      const where = `${system.system} ${kind.kind}`;
      if (kind.tries.length === 0) found.push(`${where}: no try`);
      if (kind.writesLost > 0) found.push(`${where}: ${kind.writesLost} acknowledged writes lost`);
    }
  }
  if (recovery !== null) found.push(...recoveryGaps(recovery).map((g) => `recovery ${g}`));
  return found;
}

function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cpus: cpu.length,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    linux: release(),
  };
}

const setup =
  '- setup: 3 nodes (16 shards, RF 3, acknowledged once a majority fsynced) and 1 balancer, ' +
  'on loopback; load from separate processes through the SDK; etcd 3.4.23 (3 members, ' +
  'heartbeat 100 ms, election 1000 ms, fsync) through etcd3 1.1.2, in the same run';

function record(
  throughput: ThroughputPart | null,
  failover: readonly FailoverResults[] | null,
  recovery: RecoveryResult | null,
): void {
  const facts = machineFacts([setup, `- command: \`${command}\``]);
  const block = (title: string, text: string): string[] => ['', `${title}:`, '```', text, '```'];
  if (throughput !== null) {
    const body = [
      facts,
      ...block('Troupe', throughputTable(throughput.troupe.results)),
      ...(throughput.etcd === null ? [] : block('etcd', throughputTable(throughput.etcd.results))),
      ...(throughput.ratios === null ? [] : block('Troupe / etcd', ratioTable(throughput.ratios))),
    ];
    recordSection(
      'bench',
      'pnpm bench: throughput and latency (Troupe beside etcd)',
      body.join('\n'),
    );
  }
  if (failover !== null) {
    const body = [facts, ...block('Failover', failoverTable(failover))];
    recordSection('failover', 'pnpm bench: failover (Troupe beside etcd)', body.join('\n'));
  }
  if (recovery !== null) {
    const body = [facts, ...block('Recovery and footprint', recoveryTable(recovery))];
    recordSection(
      'recovery',
      'pnpm bench: recovery of missed writes, disk and RSS',
      body.join('\n'),
    );
  }
}

/** `--profile`: the write path under --cpu-prof, summarized per process and layer. */
async function profileRun(): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = join(repoRoot, 'bench', 'profiles', stamp);
  const profile = await profileWritePath({
    concurrency: 16,
    warmupMs: quick ? 500 : 2_000,
    durationMs: quick ? 2_000 : 10_000,
    seed,
    outDir,
    progress: say,
  });
  const text = profileTable(profile);
  print(`${text}\n\nprofiles: ${outDir}`);
  if (profile.processes.length !== 5) throw new Error('a process wrote no profile');
  if (values.write) {
    const body = [machineFacts([`- command: \`${command}\``]), '', '```', text, '```'];
    recordSection('profile', 'pnpm bench --profile: where a write spends CPU', body.join('\n'));
  }
}

runBench(async () => {
  const chosen = chosenParts();
  if (values.profile) return profileRun();
  const compare = values.compare === 'etcd';
  const startedAt = new Date().toISOString();
  const throughput = chosen.has('throughput') ? await throughputPart(compare) : null;
  const failover = chosen.has('failover') ? await failoverPart(compare) : null;
  const recovery = chosen.has('recovery') ? await recoveryPart() : null;
  const out =
    values.out ?? join(repoRoot, 'bench', 'results', `${startedAt.replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  const report = {
    format: 'troupe-bench/2',
    startedAt,
    command,
    machine: machine(),
    cluster: { nodes: 3, balancers: 1, shards: 16, replicationFactor: 3, acks: 'majority fsync' },
    ...(throughput === null
      ? {}
      : {
          preloadMs: throughput.troupe.preloadMs,
          throughput: throughput.troupe.results,
          ...(throughput.etcd === null
            ? {}
            : {
                etcd: { preloadMs: throughput.etcd.preloadMs, throughput: throughput.etcd.results },
              }),
          ...(throughput.ratios === null ? {} : { ratios: throughput.ratios }),
        }),
    ...(failover === null ? {} : { failover }),
    ...(recovery === null ? {} : { recovery }),
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  print(`results: ${out}`);
  if (values.write) record(throughput, failover, recovery);
  const found = problems(throughput, failover, recovery);
  if (found.length > 0) throw new Error(`figures missing or wrong: ${found.join('; ')}`);
});

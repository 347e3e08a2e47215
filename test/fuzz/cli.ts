// `pnpm fuzz [--runs N] [--seed S] [--only a,b] [--path P] [--jobs J]`: runs N cases IN TOTAL,
// split evenly over every fuzz target (or those named), on J worker processes (default 2); prints
// per target the cases, failures, slowest case and time. Exits 1 on any failure, printing the
// counterexample and the command that replays it (seed + path, one case).
import { fork } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type FuzzReport, runTarget } from './runner.js';
import { cleanupFuzzScratch, fuzzTargets } from './targets/index.js';

interface Job {
  readonly name: string;
  readonly runs: number;
  readonly seed: number;
  readonly path?: string;
  readonly shrink: boolean;
}

const usage = `usage: pnpm fuzz [--runs N] [--seed S] [--only a,b] [--path P] [--jobs J]
  --runs N   cases in total, split evenly over the targets (default 150000)
  --seed S   base seed (default 20261127); chunk i of a target uses S + i
  --only     comma-separated target names (default: all)
  --path P   with --seed and one --only target: replay one counterexample
  --jobs J   worker processes (default: min(2, cores))
  --shrink   shrink a failing input before reporting it (slow on big inputs)
targets: ${fuzzTargets.map((t) => t.name).join(', ')}`;

function parse() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      seed: { type: 'string' },
      only: { type: 'string' },
      path: { type: 'string' },
      jobs: { type: 'string' },
      shrink: { type: 'boolean' },
      worker: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const int = (text: string | undefined, fallback: number, name: string): number => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be an integer`);
    return value;
  };
  const names = values.only?.split(',').filter(Boolean) ?? fuzzTargets.map((t) => t.name);
  for (const name of names) {
    if (!fuzzTargets.some((t) => t.name === name)) throw new Error(`unknown target ${name}`);
  }
  return {
    help: values.help === true,
    worker: values.worker === true,
    runs: int(values.runs, 150_000, '--runs'),
    seed: int(values.seed, 20_261_127, '--seed'),
    path: values.path,
    jobs: Math.max(1, int(values.jobs, Math.min(2, cpus().length), '--jobs')),
    names,
    shrink: values.shrink === true,
  };
}

/** A worker: runs the jobs its parent sends, one at a time, and sends each report back. */
function serveJobs(): void {
  process.on('message', (job: Job) => {
    const target = fuzzTargets.find((t) => t.name === job.name)!;
    const progress = (cases: number) => process.send?.({ progress: job.name, cases });
    runTarget(target, { ...job, onProgress: progress })
      .then((report) => process.send?.({ report }))
      .catch((error: unknown) => process.send?.({ crash: job.name, error: String(error) }));
  });
  process.on('disconnect', () => {
    cleanupFuzzScratch();
    process.exit(0);
  });
}

type WorkerMessage =
  | { report: FuzzReport }
  | { progress: string; cases: number }
  | { crash: string; error: string };

/** Hands targets to `jobs` workers as they free up; resolves with every report. */
function runAll(jobs: Job[], workers: number): Promise<FuzzReport[]> {
  const script = fileURLToPath(import.meta.url);
  const queue = [...jobs];
  const reports: FuzzReport[] = [];
  return new Promise((resolve) => {
    let live = Math.min(workers, queue.length);
    for (let i = 0; i < Math.min(workers, queue.length); i++) {
      const child = fork(script, ['--worker'], { execArgv: ['--import', 'tsx'] });
      let current: Job | undefined;
      const next = (): void => {
        current = queue.shift();
        if (current !== undefined) return void child.send(current);
        child.disconnect();
        if (--live === 0) resolve(reports);
      };
      // A worker that dies takes its target with it: that target fails, the rest go on.
      child.on('exit', (code) => {
        if (current === undefined) return;
        reports.push(crashReport(current.name, `worker exited with ${code} (see stderr)`));
        printReport(reports[reports.length - 1]!);
        current = undefined;
        if (--live === 0) resolve(reports);
      });
      child.on('message', (message: WorkerMessage) => {
        if ('progress' in message) return logProgress(message.progress, message.cases);
        if ('crash' in message) reports.push(crashReport(message.crash, message.error));
        else reports.push(message.report);
        printReport(reports[reports.length - 1]!);
        next();
      });
      next();
    }
  });
}

const lastLogged = new Map<string, number>();
function logProgress(name: string, cases: number): void {
  const nowMs = performance.now();
  if (nowMs - (lastLogged.get(name) ?? 0) < 30_000) return;
  lastLogged.set(name, nowMs);
  process.stderr.write(`  … ${name}: ${cases.toLocaleString('en-US')} cases\n`);
}

function crashReport(name: string, error: string): FuzzReport {
  const failure = { seed: 0, path: '', counterexample: '?', error, replay: '' };
  return { name, cases: 0, roundTrips: 0, failures: 1, slowestMs: 0, elapsedMs: 0, failure };
}

function printReport(r: FuzzReport): void {
  const cells = [
    r.name.padEnd(24),
    r.cases.toLocaleString('en-US').padStart(12),
    String(r.roundTrips).padStart(7),
    String(r.failures).padStart(8),
    r.slowestMs.toFixed(1).padStart(10),
    (r.elapsedMs / 1_000).toFixed(1).padStart(8),
  ];
  console.log(cells.join(' '));
  if (r.failure === undefined) return;
  console.log(`  FAILURE: ${r.failure.error}`);
  console.log(`  input (hex): ${r.failure.counterexample}`);
  console.log(`  replay: ${r.failure.replay}`);
}

async function main(): Promise<number> {
  const options = parse();
  if (options.help) {
    console.log(usage);
    return 0;
  }
  if (options.worker) {
    serveJobs();
    return -1;
  }
  const { runs, seed, path, names, shrink } = options;
  const each = path ? 1 : Math.ceil(runs / names.length);
  const jobs = names.map((name): Job => ({ name, runs: each, seed, path, shrink }));
  const split = `${names.length} targets x ${each.toLocaleString('en-US')} cases`;
  console.log(`fuzz: ${runs.toLocaleString('en-US')} cases in total: ${split}, seed ${seed}`);
  console.log(
    `${'target'.padEnd(24)} ${'cases'.padStart(12)} ${'trips'.padStart(7)} ` +
      `${'failures'.padStart(8)} ${'slowest ms'.padStart(10)} ${'s'.padStart(8)}`,
  );
  const startMs = performance.now();
  const reports = await runAll(jobs, options.jobs);
  const cases = reports.reduce((sum, r) => sum + r.cases, 0);
  const failures = reports.reduce((sum, r) => sum + r.failures, 0);
  const seconds = ((performance.now() - startMs) / 1_000).toFixed(0);
  console.log(
    `total: ${cases.toLocaleString('en-US')} cases over ${reports.length} targets, ` +
      `${failures} failing, ${seconds} s`,
  );
  return failures === 0 && reports.length === jobs.length ? 0 : 1;
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`fuzz: ${error instanceof Error ? error.message : String(error)}\n${usage}`);
    process.exitCode = 2;
  },
);

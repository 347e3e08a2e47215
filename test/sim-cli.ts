// `pnpm sim`: runs the deterministic simulator over a range of seeds, in parallel worker
// processes, and prints for every failing seed its parameters, the violation, the trace tail
// and the one-line command that replays it exactly. Exit status 1 when any seed fails.
//
//   pnpm sim --seeds 1000              seeds 1..1000
//   pnpm sim --seeds 100000 --from 5e5 a long run
//   pnpm sim --seed 42 --trace         replay one seed, printing every event as it happens
//   pnpm sim --seeds 200 --fault voteWithoutLogCheck   prove the checkers catch a bug
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkSimHistory } from './sim/history-check.js';
import { describeOptions, type SimOptions, swarm } from './sim/options.js';
import { Simulator } from './sim/simulator.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    trace: { type: 'boolean', default: false },
    fault: { type: 'string' },
    jobs: { type: 'string', default: String(Math.max(1, cpus().length)) },
    worker: { type: 'boolean', default: false },
  },
});

interface SeedOutcome {
  seed: number;
  violation?: string;
  options?: string;
  trace?: string[];
  ok: number;
}

function optionsFor(seed: number): SimOptions {
  const faults = values.fault ? { [values.fault]: true } : {};
  return swarm(seed, { faults });
}

function runSeed(seed: number, liveTrace?: (line: string) => void): SeedOutcome {
  const options = optionsFor(seed);
  const result = new Simulator(options, {
    checkHistory: checkSimHistory,
    ...(liveTrace ? { liveTrace } : {}),
  }).runToEnd();
  if (!result.violation) return { seed, ok: result.operations.ok };
  return {
    seed,
    ok: result.operations.ok,
    violation: result.violation,
    options: describeOptions(options),
    trace: result.trace.slice(-40),
  };
}

function replayCommand(seed: number): string {
  const fault = values.fault ? ` --fault ${values.fault}` : '';
  return `npx -y pnpm@12.4.2 sim --seed ${seed} --trace${fault}`;
}

function report(outcome: SeedOutcome): void {
  if (!outcome.violation) return;
  process.stdout.write(
    [
      `FAIL ${outcome.options}`,
      `  violation: ${outcome.violation}`,
      `  replay:    ${replayCommand(outcome.seed)}`,
      ...(outcome.trace ?? []).map((line) => `  | ${line}`),
      '',
    ].join('\n'),
  );
}

function replayOne(seed: number): number {
  process.stdout.write(`${describeOptions(optionsFor(seed))}\n`);
  const outcome = runSeed(seed, (line) => process.stdout.write(`${line}\n`));
  process.stdout.write(
    outcome.violation ? `VIOLATION ${outcome.violation}\n` : `SEED=${seed} passed\n`,
  );
  return outcome.violation ? 1 : 0;
}

/** Worker mode: run a slice of seeds and print one JSON line per seed. */
function runWorker(from: number, count: number): void {
  for (let seed = from; seed < from + count; seed++) {
    process.stdout.write(`${JSON.stringify(runSeed(seed))}\n`);
  }
}

function spawnWorker(
  from: number,
  count: number,
  onOutcome: (o: SeedOutcome) => void,
): Promise<number> {
  const script = fileURLToPath(import.meta.url);
  const args = [
    '--import',
    'tsx',
    script,
    '--worker',
    '--from',
    String(from),
    '--seeds',
    String(count),
  ];
  if (values.fault) args.push('--fault', values.fault);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout }).on('line', (line) =>
    onOutcome(JSON.parse(line) as SeedOutcome),
  );
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

async function runMany(from: number, count: number): Promise<number> {
  const jobs = Math.max(1, Math.min(Number(values.jobs), count));
  const startMs = Date.now();
  let done = 0;
  let failed = 0;
  let okOps = 0;
  process.stdout.write(`sim: seeds ${from}..${from + count - 1} in ${jobs} processes\n`);
  const slice = Math.ceil(count / jobs);
  const exits = await Promise.all(
    Array.from({ length: jobs }, (_, j) => {
      const start = from + j * slice;
      const n = Math.min(slice, from + count - start);
      return spawnWorker(start, n, (outcome) => {
        done++;
        okOps += outcome.ok;
        if (outcome.violation) failed++;
        report(outcome);
      });
    }),
  );
  const seconds = ((Date.now() - startMs) / 1000).toFixed(1);
  process.stdout.write(
    `sim: ${done} seeds, ${failed} failed, ${okOps} client operations acknowledged, ${seconds} s\n`,
  );
  return failed > 0 || done !== count || exits.some((code) => code !== 0) ? 1 : 0;
}

async function main(): Promise<number> {
  if (values.seed !== undefined) return replayOne(Number(values.seed));
  const from = Number(values.from);
  const count = Number(values.seeds);
  if (values.worker) {
    runWorker(from, count);
    return 0;
  }
  return runMany(from, count);
}

main().then((code) => process.exit(code));

// `pnpm chaos`: a chaos run against a real cluster on this machine, or the checks re-run on a
// saved history. Prints a summary and writes history.jsonl, report.json and report.html.
// Exit status: 0 every check passed, 1 a check failed, 2 bad arguments, 3 the harness failed.
// Ctrl-C (or SIGTERM) stops every process the run started, by pid, and exits 130.
//
//   pnpm chaos --time 300 --nemesis all                 the full run
//   pnpm chaos --time 30 --nemesis kill,isolate-leader  chosen nemeses
//   pnpm chaos --check chaos-runs/<run>/history.jsonl   re-check a saved history
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ChaosCluster } from './chaos/chaos-cluster.js';
import { checkHistory, passed } from './chaos/checks.js';
import { readHistory } from './chaos/history-file.js';
import { nemesisKinds, parseNemeses } from './chaos/nemesis.js';
import { renderReportHtml } from './chaos/report-html.js';
import type { ChaosReport, CheckVerdicts } from './chaos/report-types.js';
import { type ChaosOptions, runChaos } from './chaos/run-chaos.js';
import { parseMix } from './chaos/workload.js';
import { repoRoot, stopAll } from './harness/processes.js';

const usage = `usage: pnpm chaos [options]
  --time S            seconds of workload (default 60)
  --nemesis LIST      all, none, or a comma list of: ${nemesisKinds.join(', ')} (default all)
  --clients K         concurrent clients (default 10)
  --nodes N           nodes (default 3)
  --balancers B       balancers (default 2)
  --seed N            workload seed (default 1)
  --down-ms MS        how long each fault lasts (default 3000)
  --gap-ms MS         quiet time before each fault (default 3000)
  --hot-keys N        keys most operations go to (default 4)
  --cold-keys N       other keys (default 32)
  --timeout-ms MS     per-operation deadline; later = unknown outcome (default 5000)
  --mix W             operation weights (default get=40,update=30,cas=10,create=10,delete=10)
  --stale-reads F     fraction of gets that are stale reads, 0..1 (default 0.25)
  --rate N            most operations per second per client (default: as fast as answered)
  --out DIR           where the history and reports go (default chaos-runs/<time>)
  --unsafe-follower-reads   start balancers with --unsafe-linearizable-reads-from-followers,
                      a deliberately broken system the checker must catch
  --check FILE        only re-run the checks on a saved history.jsonl
  --render FILE       only render a saved report.json again, as report.html beside it
`;

class UsageError extends Error {
  readonly code = 'TROUPE_ERR_CHAOS_USAGE';
}

function fraction(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text === '' || !(value >= 0 && value <= 1)) throw new UsageError(`--${name} must be 0..1`);
  return value;
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`--${name} must be > 0`);
  return value;
}

const { values } = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2).filter((a) => a !== '--'),
      options: {
        time: { type: 'string' },
        nemesis: { type: 'string', default: 'all' },
        clients: { type: 'string' },
        nodes: { type: 'string' },
        balancers: { type: 'string' },
        seed: { type: 'string' },
        'down-ms': { type: 'string' },
        'gap-ms': { type: 'string' },
        'hot-keys': { type: 'string' },
        'cold-keys': { type: 'string' },
        'timeout-ms': { type: 'string' },
        mix: { type: 'string' },
        'stale-reads': { type: 'string' },
        rate: { type: 'string' },
        out: { type: 'string' },
        'unsafe-follower-reads': { type: 'boolean', default: false },
        check: { type: 'string' },
        render: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
})();

function printChecks(checks: CheckVerdicts): void {
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(
    `linearizable:              ${checks.linearizable} (checked in ${checks.checkMs.toFixed(0)} ms)`,
  );
  out(`acknowledged writes lost:  ${checks.lostWrites.length}`);
  out(`version/CAS violations:    ${checks.versionOrderViolations.length}`);
  for (const line of [...checks.lostWrites, ...checks.versionOrderViolations].slice(0, 20)) {
    out(`  ${line}`);
  }
  if (checks.detail !== undefined) out(`\n${checks.detail}`);
  if (checks.failingWindow !== undefined) {
    out('\nsmallest failing window:');
    for (const line of checks.failingWindow) out(`  ${line}`);
  }
}

function percent(ratio: number | null): string {
  return ratio === null ? '—' : `${(ratio * 100).toFixed(3)}%`;
}

function printReport(report: ChaosReport): void {
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  const { counts } = report;
  out(
    `\n${report.faults.length} faults in ${(report.durationMs / 1_000).toFixed(1)} s; ` +
      `${counts.invoked} operations: ${counts.ok} ok, ${counts.fail} fail, ${counts.info} unknown; ` +
      `${report.leaderChanges.length} leader changes seen`,
  );
  out('\navailability     during faults   outside faults  predicted (p)   predicted (schedule)');
  for (const row of report.availability) {
    out(
      `${row.kind.padEnd(16)} ${percent(row.duringFaults.ratio).padEnd(15)} ` +
        `${percent(row.outsideFaults.ratio).padEnd(15)} ` +
        `${percent(row.predictedIndependent).padEnd(15)} ${percent(row.predictedSchedule)}`,
    );
  }
  out('\nlatency ms               completed  unknown     p50     p99   p99.9     max');
  for (const row of report.latency) {
    const ms = (v: number | null): string => (v === null ? '—' : v.toFixed(0)).padStart(8);
    out(
      `${row.label.padEnd(24)} ${String(row.completed).padStart(9)} ` +
        `${String(row.unknown).padStart(8)}${ms(row.p50Ms)}${ms(row.p99Ms)}` +
        `${ms(row.p999Ms)}${ms(row.maxMs)}`,
    );
  }
  out('');
  printChecks(report.checks);
}

/** The optional workload flags, only those given. */
function workloadShape(): Pick<ChaosOptions, 'mix' | 'staleReadFraction' | 'ratePerClient'> {
  const stale = fraction('stale-reads', values['stale-reads']);
  return {
    ...(values.mix === undefined ? {} : { mix: parseMix(values.mix) }),
    ...(stale === undefined ? {} : { staleReadFraction: stale }),
    ...(values.rate === undefined ? {} : { ratePerClient: positive('rate', values.rate, 1) }),
  };
}

async function checkFile(file: string): Promise<number> {
  const events = await readHistory(file);
  const checks = checkHistory(events);
  process.stdout.write(`${file}: ${events.length} events\n`);
  printChecks(checks);
  return passed(checks) ? 0 : 1;
}

function renderFile(file: string): number {
  const report = JSON.parse(readFileSync(file, 'utf8')) as ChaosReport;
  if (report.format !== 'troupe-chaos-report/1') {
    throw new UsageError(`${file} is not a chaos report (format ${String(report.format)})`);
  }
  const out = join(dirname(file), 'report.html');
  writeFileSync(out, renderReportHtml(report));
  process.stdout.write(`${out}\n`);
  return 0;
}

async function run(): Promise<number> {
  if (values.check !== undefined) return checkFile(values.check);
  if (values.render !== undefined) return renderFile(values.render);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = values.out ?? join(repoRoot, 'chaos-runs', stamp);
  const unsafe = values['unsafe-follower-reads'];
  const { report } = await runChaos({
    timeS: positive('time', values.time, 60),
    nemesis: parseNemeses(values.nemesis),
    clients: positive('clients', values.clients, 10),
    nodes: positive('nodes', values.nodes, 3),
    balancers: positive('balancers', values.balancers, 2),
    seed: positive('seed', values.seed, 1),
    downMs: positive('down-ms', values['down-ms'], 3_000),
    gapMs: positive('gap-ms', values['gap-ms'], 3_000),
    hotKeys: positive('hot-keys', values['hot-keys'], 4),
    coldKeys: positive('cold-keys', values['cold-keys'], 32),
    requestTimeoutMs: positive('timeout-ms', values['timeout-ms'], 5_000),
    ...workloadShape(),
    ...(unsafe ? { balancerArgs: ['--unsafe-linearizable-reads-from-followers'] } : {}),
    outDir,
    command: `pnpm chaos ${process.argv
      .slice(2)
      .filter((a) => a !== '--')
      .join(' ')}`.trim(),
    progress: (line) => process.stdout.write(`chaos: ${line}\n`),
  });
  printReport(report);
  process.stdout.write(`\nreport: ${join(outDir, 'report.html')}\n`);
  return passed(report.checks) ? 0 : 1;
}

async function interrupted(signal: NodeJS.Signals): Promise<void> {
  process.stderr.write(`chaos: ${signal}, stopping every process started\n`);
  await ChaosCluster.stopEvery();
  await stopAll();
  process.exit(130);
}

process.once('SIGINT', () => void interrupted('SIGINT'));
process.once('SIGTERM', () => void interrupted('SIGTERM'));

if (values.help) {
  process.stdout.write(usage);
} else {
  run().then(
    (code) => {
      process.exitCode = code;
    },
    async (error: unknown) => {
      const code = (error as { code?: unknown }).code;
      const usageCodes = [
        'TROUPE_ERR_CHAOS_USAGE',
        'TROUPE_ERR_CHAOS_NEMESIS',
        'TROUPE_ERR_CHAOS_MIX',
      ];
      const usageError = typeof code === 'string' && usageCodes.includes(code);
      process.stderr.write(`chaos: ${(error as Error).message}\n`);
      if (usageError) process.stderr.write(usage);
      await stopAll();
      process.exitCode = usageError ? 2 : 3;
    },
  );
}

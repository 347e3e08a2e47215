// The `troupe` CLI end to end, as a user runs it: `troupe up` in a temp dir until ready, then
// update/create/get/delete/status/bench as separate CLI processes, SIGINT stops every child,
// and a second `troupe up` on the same dir comes back with the data. A `troupe up` killed with
// SIGKILL leaves its children running: the next one stops them and starts. `availability`
// prints the model's figures, `chaos` passes flags and exit codes to the chaos harness. Bad
// arguments exit 2 and an unreachable cluster exits 3, each with one line on stderr.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availabilityTable } from '@troupe/runtime/availability';
import { afterAll, describe, expect, test } from 'vitest';
import { writeHistory } from '../chaos/history-file.js';
import { freePort } from '../harness/ports.js';
import { repoRoot, type SpawnedProcess, spawnTs, stopAll } from '../harness/processes.js';
import type { HistoryEvent } from '../sim/checkers/history.js';

const cliMain = 'packages/cli/src/main.ts';
const dir = mkdtempSync(join(tmpdir(), 'troupe-cli-'));
/** A second data dir, for the `troupe up` that is killed with SIGKILL. */
const killedDir = mkdtempSync(join(tmpdir(), 'troupe-cli-killed-'));
/** Every cluster child seen: killed in afterAll if a failed assertion left one behind. */
const childPids = new Set<number>();

interface ReadyEvent {
  client: string[];
  dashboard: string;
  pids: Record<string, number>;
}

interface BenchJson {
  op: string;
  ops: number;
  opsPerS: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number; mean: number };
  errors: number;
}

interface LeftoversEvent {
  holderPid: number;
  stopped: { kind: string; id: string; pid: number }[];
  killed: string[];
  skipped: unknown[];
}

interface AvailabilityJson {
  rows: {
    kind: string;
    formula: string;
    probability: number;
    percent: number;
    nines: number;
    downtimePerYearS: number;
  }[];
}

/** p0 writes a then b; p1 then reads `read` (a stale read when it is `a`). */
function chaosHistory(read: string): HistoryEvent[] {
  return [
    { process: 0, type: 'invoke', f: 'update', key: 'k', value: 'a', time: 0 },
    { process: 0, type: 'ok', f: 'update', key: 'k', version: 5, time: 1 },
    { process: 0, type: 'invoke', f: 'update', key: 'k', value: 'b', time: 2 },
    { process: 0, type: 'ok', f: 'update', key: 'k', version: 9, time: 3 },
    { process: 1, type: 'invoke', f: 'get', key: 'k', time: 4 },
    { process: 1, type: 'ok', f: 'get', key: 'k', value: read, version: 9, time: 5 },
    { process: 'final', type: 'invoke', f: 'get', key: 'k', time: 6 },
    { process: 'final', type: 'ok', f: 'get', key: 'k', value: 'b', version: 9, time: 7 },
  ];
}

interface Run {
  code: number | null;
  stdout: string[];
  stderr: string;
}

afterAll(async () => {
  for (const pid of childPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
  rmSync(killedDir, { recursive: true, force: true });
});

/** Runs one CLI command to completion. */
async function troupe(args: string[]): Promise<Run> {
  const run = spawnTs(cliMain, args);
  let stderr = '';
  run.child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => {
    run.child.once('close', (exitCode) => resolve(exitCode));
  });
  return { code, stdout: run.lines, stderr };
}

/** Running: a zombie has exited (an orphan's zombie waits for init to reap it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Remembers every child pid `troupe up` reports, as soon as it reports it. */
function collectPids(up: SpawnedProcess): number[] {
  const pids: number[] = [];
  const see = (line: string): void => {
    const match = /"event":"child-ready".*"pid":(\d+)|^\w+ \w+ ready \(pid (\d+), /.exec(line);
    if (match === null) return;
    const pid = Number(match[1] ?? match[2]);
    pids.push(pid);
    childPids.add(pid);
  };
  up.lines.forEach(see);
  up.onLine(see);
  return pids;
}

async function interrupt(up: SpawnedProcess, pids: number[]): Promise<void> {
  up.kill('SIGINT');
  expect(await up.exited).toEqual({ code: 0, signal: null });
  expect(pids.filter(alive)).toEqual([]);
}

describe('troupe CLI', () => {
  test('up, kv, status and bench through the CLI, SIGINT, the data survives a second up', async () => {
    const basePort = await freePort();
    const upArgs = ['up', '--data', dir, '--shards', '4', '--base-port', String(basePort)];
    const up = spawnTs(cliMain, [...upArgs, '--nodes', '3', '--json']);
    const pids = collectPids(up);
    const ready = await up.waitForEvent<ReadyEvent>('ready', 45_000);
    expect(Object.values(ready.pids).sort()).toEqual([...pids].sort());
    expect(Object.keys(ready.pids).sort()).toEqual(['b1', 'n1', 'n2', 'n3']);
    expect(ready.client[0]).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.dashboard).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const value = '{"name":"Ada","visits":1}';
    const updated = await troupe(['update', 'user:1', value, '--data', dir]);
    expect(updated).toMatchObject({ code: 0, stderr: '' });
    expect(updated.stdout).toEqual([expect.stringMatching(/^updated "user:1" at version \d+$/)]);
    const got = await troupe(['get', 'user:1', '--data', dir]);
    expect(got).toMatchObject({ code: 0, stdout: [value] });

    expect((await troupe(['create', 'tmp', '"x"', '--data', dir])).code).toBe(0);
    const again = await troupe(['create', 'tmp', '"y"', '--data', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^troupe: .*\(TROUPE_ERR_ALREADY_EXISTS\)\n$/);
    const deleted = await troupe(['delete', 'tmp', '--data', dir, '--json']);
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout[0] ?? '')).toMatchObject({ key: 'tmp' });
    const gone = await troupe(['get', 'tmp', '--data', dir]);
    expect(gone).toMatchObject({ code: 1, stdout: [] });
    expect(gone.stderr).toBe('troupe: "tmp" not found (TROUPE_ERR_CLI_NOT_FOUND)\n');

    const status = await troupe(['status', '--data', dir]);
    expect(status.code).toBe(0);
    expect(status.stdout[0]).toMatch(/^balancer b1: 4\/4 shards have a leader$/);
    expect(status.stdout.some((line) => /^n3\s+zone-c\s+up\s/.test(line))).toBe(true);
    const statusJson = await troupe(['status', '--data', dir, '--json']);
    expect(JSON.parse(statusJson.stdout[0] ?? '').members).toHaveLength(3);

    const benchFlags = ['--duration-ms', '1000', '--warmup-ms', '200', '--keys', '20'];
    const bench = await troupe(['bench', '--data', dir, '--op', 'mixed', ...benchFlags, '--json']);
    expect(bench).toMatchObject({ code: 0, stderr: '' });
    expect(bench.stdout).toHaveLength(1);
    const report = JSON.parse(bench.stdout[0] ?? '') as BenchJson;
    expect(report).toMatchObject({
      op: 'mixed',
      concurrency: 16,
      durationMs: 1_000,
      keys: 20,
      balancers: ready.client,
      errors: 0,
      errorsByCode: {},
    });
    expect(report.ops).toBeGreaterThan(0);
    expect(report.opsPerS).toBeCloseTo(report.ops, 6);
    const { p50, p99, p999, max } = report.latencyMs;
    expect(0 < p50 && p50 <= p99 && p99 <= p999 && p999 <= max).toBe(true);
    const benchText = await troupe(['bench', '--data', dir, ...benchFlags]);
    expect(benchText).toMatchObject({ code: 0, stderr: '' });
    expect(benchText.stdout.at(-3)).toMatch(/^ops: +[\d,]+ \([\d,]+ ops\/s\)$/);
    expect(benchText.stdout.at(-1)).toBe('errors:   none');
    expect(await troupe(['get', 'bench:0', '--data', dir])).toMatchObject({ code: 0 });

    await interrupt(up, pids);
    expect(up.lines.some((line) => line.includes('"event":"stopped"'))).toBe(true);
    const layout = readFileSync(join(dir, 'cluster.json'), 'utf8');

    // The second run: text output this time, same ports and stores.
    const up2 = spawnTs(cliMain, upArgs);
    const pids2 = collectPids(up2);
    // The last of the lines printed once ready.
    await up2.waitForLine((line) => line.startsWith('logs: '), 45_000);
    expect(up2.lines).toContain(`client: ${ready.client.join(',')}`);
    expect(up2.lines).toContain(`dashboard: ${ready.dashboard}`);
    expect(readFileSync(join(dir, 'cluster.json'), 'utf8')).toBe(layout);
    expect(pids2).toHaveLength(4);
    expect(await troupe(['get', 'user:1', '--data', dir])).toMatchObject({ stdout: [value] });
    await interrupt(up2, pids2);
    expect(up2.lines.at(-1)).toBe('stopped');
  }, 120_000);

  test('bad arguments exit 2 with one line; an unreachable cluster exits 3', async () => {
    const nobody = `ws://127.0.0.1:${await freePort()}`;
    const [missing, badJson, unreachable, statusDown, benchDown, badBench] = await Promise.all([
      troupe(['get']),
      troupe(['update', 'k', 'not-json']),
      troupe(['get', 'k', '--balancer', nobody, '--timeout-ms', '3000']),
      troupe(['status', '--balancer', nobody]),
      troupe(['bench', '--balancer', nobody, '--timeout-ms', '3000', '--duration', '1s']),
      troupe(['bench', '--op', 'scan']),
    ]);
    expect(missing).toMatchObject({ code: 2, stdout: [] });
    expect(missing.stderr).toBe(
      'troupe: missing KEY: usage: troupe get KEY (TROUPE_ERR_CLI_USAGE)\n',
    );
    expect(badJson.code).toBe(2);
    expect(badJson.stderr.split('\n')).toHaveLength(2);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toBe(
      `troupe: cannot reach the cluster at ${nobody} (TROUPE_ERR_CLI_UNREACHABLE)\n`,
    );
    expect(statusDown.code).toBe(3);
    expect(statusDown.stderr).toMatch(/^troupe: cannot reach a balancer at .* \(refused\)/);
    expect(benchDown).toMatchObject({ code: 3, stdout: [] });
    expect(benchDown.stderr).toBe(
      `troupe: cannot reach the cluster at ${nobody} (TROUPE_ERR_CLI_UNREACHABLE)\n`,
    );
    expect(badBench.code).toBe(2);
    expect(badBench.stderr).toBe(
      'troupe: --op must be one of write, read, stale-read, mixed, got "scan" ' +
        '(TROUPE_ERR_CLI_USAGE)\n',
    );
  }, 30_000);

  test('a troupe up killed with SIGKILL: the next one stops its leftovers and starts', async () => {
    const basePort = await freePort();
    const upArgs = ['up', '--data', killedDir, '--shards', '2', '--base-port', String(basePort)];
    const up = spawnTs(cliMain, [...upArgs, '--json']);
    const pids = collectPids(up);
    const ready = await up.waitForEvent<ReadyEvent>('ready', 45_000);
    const written = await troupe(['update', 'kept', '"across a SIGKILL"', '--data', killedDir]);
    expect(written.code).toBe(0);
    up.kill('SIGKILL');
    expect(await up.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // Its children outlive it: that is the problem the next run must deal with.
    expect(pids.filter(alive).sort()).toEqual([...pids].sort());

    const up2 = spawnTs(cliMain, [...upArgs, '--json']);
    const pids2 = collectPids(up2);
    const leftovers = await up2.waitForEvent<LeftoversEvent>('leftovers', 45_000);
    const stopped = Object.fromEntries(leftovers.stopped.map((c) => [c.id, c.pid]));
    expect(stopped).toEqual(ready.pids);
    expect(leftovers.stopped.map((c) => c.kind)).toEqual(['balancer', 'node', 'node', 'node']);
    expect(leftovers.skipped).toEqual([]);
    expect(pids.filter(alive)).toEqual([]);
    const ready2 = await up2.waitForEvent<ReadyEvent>('ready', 45_000);
    expect(ready2.client).toEqual(ready.client);
    const kept = await troupe(['get', 'kept', '--data', killedDir]);
    expect(kept).toMatchObject({ code: 0, stdout: ['"across a SIGKILL"'] });
    await interrupt(up2, pids2);
    expect([...pids, ...pids2].filter(alive)).toEqual([]);
  }, 150_000);

  test('availability: the model table as JSON and text; bad values exit 2', async () => {
    const [json, tiered, text, badP, badN] = await Promise.all([
      troupe(['availability', '--p', '0.99', '--n', '3', '--json']),
      troupe(['availability', '--p', '0.999', '--n', '5', '--balancers', '2', '--json']),
      troupe(['availability', '--p', '99%', '--n', '3']),
      troupe(['availability', '--p', '1.5', '--n', '3']),
      troupe(['availability', '--p', '0.9', '--n', '0']),
    ]);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(json.stdout[0] ?? '') as AvailabilityJson;
    expect(report).toMatchObject({ p: 0.99, n: 3, majority: 2, tier: null });
    const pick = ({ kind, formula, probability }: AvailabilityJson['rows'][number]) => ({
      kind,
      formula,
      probability,
    });
    expect(report.rows.map(pick)).toEqual(availabilityTable(0.99, 3));
    for (const row of report.rows) {
      expect(row.percent).toBeCloseTo(row.probability * 100, 9);
      expect(row.nines).toBeCloseTo(-Math.log10(1 - row.probability), 9);
      expect(row.downtimePerYearS).toBeCloseTo((1 - row.probability) * 365.25 * 86_400, 3);
    }
    const tier = { balancers: 2, balancerP: 0.999 };
    const tieredReport = JSON.parse(tiered.stdout[0] ?? '') as AvailabilityJson;
    expect(tieredReport.rows.map(pick)).toEqual(availabilityTable(0.999, 5, tier));
    expect(text.code).toBe(0);
    expect(text.stdout.slice(3).map((line) => line.split(/\s+/).slice(0, 4))).toEqual([
      ['get', '99.9702%', '3.53', '2.61'],
      ['stale-get', '99.9999%', '6.00', '31.6'],
      ['update', '99.9702%', '3.53', '2.61'],
      ['create', '99.9702%', '3.53', '2.61'],
      ['delete', '99.9702%', '3.53', '2.61'],
    ]);
    expect(badP).toMatchObject({ code: 2, stdout: [] });
    expect(badP.stderr).toMatch(/^troupe: --p must be a probability in \(0, 1\].*\n$/);
    expect(badN.stderr).toBe(
      'troupe: --n must be between 1 and 999, got 0 (TROUPE_ERR_CLI_USAGE)\n',
    );
  }, 30_000);

  test('chaos: --help lists the harness flags; flags and exit codes pass through', async () => {
    const harness = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'test/chaos-cli.ts', '--help'],
      {
        cwd: repoRoot,
        encoding: 'utf8',
      },
    );
    const flagsIn = (text: string): string[] =>
      [...new Set(text.match(/^ {2}--[a-z-]+/gm)?.map((flag) => flag.trim()))].sort();
    const help = await troupe(['chaos', '--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout[0]).toBe('Usage: troupe chaos [flags]');
    expect(flagsIn(help.stdout.join('\n'))).toEqual(flagsIn(harness.stdout));

    const clean = join(dir, 'clean.jsonl');
    const stale = join(dir, 'stale.jsonl');
    await writeHistory(clean, chaosHistory('b'), 0);
    await writeHistory(stale, chaosHistory('a'), 0);
    const [passed, failed, badFlag, badValue] = await Promise.all([
      troupe(['chaos', '--check', clean]),
      troupe(['chaos', `--check=${stale}`]),
      troupe(['chaos', '--tim', '5']),
      troupe(['chaos', '--time', '0']),
    ]);
    expect(passed).toMatchObject({ code: 0, stderr: '' });
    expect(passed.stdout.join('\n')).toContain('linearizable:              ok');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('smallest failing window:');
    expect(failed.stdout.join('\n')).toContain('linearizable:              violation');
    expect(badFlag).toMatchObject({ code: 2, stdout: [] });
    expect(badFlag.stderr).toBe(
      'troupe: chaos has no flag "--tim": try troupe chaos --help (TROUPE_ERR_CLI_USAGE)\n',
    );
    // A bad value is the harness's to refuse: its exit code comes through.
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toMatch(/^chaos: --time must be > 0\n/);
  }, 60_000);
});

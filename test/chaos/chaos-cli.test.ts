// `pnpm chaos` as a user meets it without starting a cluster: --help, bad arguments (exit 2
// with a one-line reason and the usage), and `--check` on saved histories: a clean one exits
// 0, one with a stale read exits 1 and prints the smallest failing window.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { repoRoot } from '../harness/processes.js';
import type { HistoryEvent } from '../sim/checkers/history.js';
import { writeHistory } from './history-file.js';
import type { ChaosReport } from './report-types.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-chaos-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chaos(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/chaos-cli.ts', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** p0 writes a then b; p1 reads after the write of b completed: `read` is what it saw. */
function history(read: string): HistoryEvent[] {
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

test('--help prints the usage and exits 0', () => {
  const run = chaos('--help');
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('--nemesis LIST');
});

test('an unknown nemesis exits 2 naming it', () => {
  const run = chaos('--nemesis', 'kill,flood');
  expect(run.status).toBe(2);
  expect(run.stderr).toContain("unknown nemesis 'flood'");
});

test('a bad number exits 2', () => {
  const run = chaos('--time', '0');
  expect(run.status).toBe(2);
  expect(run.stderr).toContain('--time must be > 0');
});

test('a bad mix or stale-read fraction exits 2', () => {
  const mix = chaos('--mix', 'get=1,put=2');
  expect(mix.status).toBe(2);
  expect(mix.stderr).toContain("unknown kind 'put'");
  const stale = chaos('--stale-reads', '1.5');
  expect(stale.status).toBe(2);
  expect(stale.stderr).toContain('--stale-reads must be 0..1');
});

test('an unknown flag exits 2', () => {
  expect(chaos('--frobnicate').status).toBe(2);
});

test('--check on a clean history exits 0', async () => {
  const file = join(dir, 'clean.jsonl');
  await writeHistory(file, history('b'), 0);
  const run = chaos('--check', file);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('linearizable:              ok');
});

test('--check on a history with a stale read exits 1 with the failing window', async () => {
  const file = join(dir, 'stale.jsonl');
  await writeHistory(file, history('a'), 0);
  const run = chaos('--check', file);
  expect(run.status).toBe(1);
  expect(run.stdout).toContain('linearizable:              violation');
  expect(run.stdout).toContain('smallest failing window:');
  expect(run.stdout).toMatch(/p1 get k .* ok "a"/);
});

test('--render writes report.html beside a saved report.json; a non-report exits 2', () => {
  const run = join(dir, 'run');
  mkdirSync(run);
  const report: Partial<ChaosReport> = {
    format: 'troupe-chaos-report/1',
    startedAt: '2026-01-01T00:00:00.000Z',
    command: 'pnpm chaos',
    machine: { cpus: 2, cpuModel: 'cpu', node: 'v20' },
    options: { timeS: 1, nemesis: [], clients: 1, nodes: 3, balancers: 1, seed: 1 },
    durationMs: 1_000,
    faults: [],
    leaderChanges: [],
    perSecond: [],
    reachableFraction: {},
    availability: [],
    latency: [],
    counts: { invoked: 0, ok: 0, fail: 0, info: 0 },
    checks: { linearizable: 'ok', lostWrites: [], versionOrderViolations: [], checkMs: 1 },
    historyFile: null,
  };
  writeFileSync(join(run, 'report.json'), JSON.stringify(report));
  const rendered = chaos('--render', join(run, 'report.json'));
  expect(rendered.status).toBe(0);
  expect(readFileSync(join(run, 'report.html'), 'utf8')).toContain('Troupe chaos run');
  writeFileSync(join(run, 'other.json'), '{"format":"something else"}');
  const refused = chaos('--render', join(run, 'other.json'));
  expect(refused.status).toBe(2);
  expect(refused.stderr).toContain('is not a chaos report');
});

test('--check on a file that is not a history exits 3 naming the line', async () => {
  const file = join(dir, 'broken.jsonl');
  writeFileSync(file, 'hello\n');
  const run = chaos('--check', file);
  expect(run.status).toBe(3);
  expect(run.stderr).toContain('broken.jsonl:1: not JSON');
});

// Ctrl-C in the middle of `pnpm chaos` (with a node paused by the nemesis, perhaps) stops
// every process the run started: the CLI exits 130 and none of its node and balancer
// processes is left, checked by pid.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, test } from 'vitest';
import { repoRoot } from '../harness/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-chaos-interrupt-'));
const started: number[] = [];

afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Pids whose parent is `parent`, from /proc (field 4 of /proc/PID/stat). */
function childrenOf(parent: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent) pids.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie has exited; only its parent's wait is missing.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

test('SIGINT mid-run stops every node and balancer and exits 130', async () => {
  const cli = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/chaos-cli.ts', '--time', '120', '--nemesis', 'pause', '--out', dir],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
  );
  started.push(cli.pid as number);
  const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: cli.stdout });
  await new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      if (line.startsWith('chaos: workload:')) resolve();
    });
  });
  // Let the nemesis pause a node (gap 3 s), so a stopped process must be killed too.
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  const children = childrenOf(cli.pid as number);
  started.push(...children);
  expect(children.length).toBe(5);
  cli.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(children.filter(alive)).toEqual([]);
}, 90_000);

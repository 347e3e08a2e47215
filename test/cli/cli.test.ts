// The `troupe` CLI end to end, as a user runs it: `troupe up` in a temp dir until ready, then
// update/create/get/delete/status as separate CLI processes, SIGINT stops every child, and a
// second `troupe up` on the same dir comes back with the data. Also: bad arguments exit 2 and
// an unreachable cluster exits 3, each with one line on stderr.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { freePort } from '../harness/ports.js';
import { type SpawnedProcess, spawnTs, stopAll } from '../harness/processes.js';

const cliMain = 'packages/cli/src/main.ts';
const dir = mkdtempSync(join(tmpdir(), 'troupe-cli-'));
/** Every cluster child seen: killed in afterAll if a failed assertion left one behind. */
const childPids = new Set<number>();

interface ReadyEvent {
  client: string[];
  dashboard: string;
  pids: Record<string, number>;
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
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
  test('up, kv and status through the CLI, SIGINT, and the data survives a second up', async () => {
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
    const [missing, badJson, unreachable, statusDown] = await Promise.all([
      troupe(['get']),
      troupe(['update', 'k', 'not-json']),
      troupe(['get', 'k', '--balancer', nobody, '--timeout-ms', '3000']),
      troupe(['status', '--balancer', nobody]),
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
  }, 30_000);
});

// The data dir's lock and the leftovers of a killed `troupe up`: a live holder refuses a second
// run, a dead one (or a recycled pid) is taken over and its record handed back; recorded
// children are stopped only while their pid is verifiably theirs, balancers first, SIGKILL
// after the bound. Uses real processes (`node -e`), each killed by pid in afterAll.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DataDirError } from '../src/errors.js';
import { isRecordedChild, stopLeftovers } from '../src/leftovers.js';
import { DirLock, type LockRecord, lockName, type RecordedChild } from '../src/lock.js';
import { running, startTicks } from '../src/proc.js';

const root = mkdtempSync(join(tmpdir(), 'troupe-cli-lock-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) {
    if (child.pid !== undefined && running(child.pid)) process.kill(child.pid, 'SIGKILL');
  }
  rmSync(root, { recursive: true, force: true });
});

const idle = 'process.stdout.write("up\\n"); setInterval(() => {}, 1000)';
const stubborn = `process.on('SIGTERM', () => {}); ${idle}`;

/** A `node -e` process, once it has printed that it is up (its handlers are installed). */
async function startProcess(script: string): Promise<{ pid: number; argv: string[] }> {
  const argv = ['-e', script];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(child);
  await new Promise((resolve) => child.stdout?.once('data', resolve));
  return { pid: child.pid as number, argv };
}

function recorded(
  proc: { pid: number; argv: string[] },
  id: string,
  kind: 'node' | 'balancer',
): RecordedChild {
  return { id, kind, pid: proc.pid, startTicks: startTicks(proc.pid), argv: proc.argv };
}

function writeRecord(dir: string, record: LockRecord): void {
  writeFileSync(join(dir, lockName), JSON.stringify(record));
}

describe('data dir lock', () => {
  test('records children as they start and is removed on release', () => {
    const dir = mkdtempSync(join(root, 'a-'));
    const { lock, stale } = DirLock.acquire(dir);
    expect(stale).toBeNull();
    const child = { id: 'n1', kind: 'node', pid: 42, startTicks: '7', argv: ['x'] } as const;
    lock.record(child);
    const record = JSON.parse(readFileSync(join(dir, lockName), 'utf8')) as LockRecord;
    expect(record).toMatchObject({ version: 1, pid: process.pid, children: [child] });
    expect(record.startTicks).toBe(startTicks(process.pid));
    lock.release();
    expect(() => readFileSync(join(dir, lockName))).toThrow();
  });

  test('a live holder refuses the dir', () => {
    const dir = mkdtempSync(join(root, 'b-'));
    writeRecord(dir, {
      version: 1,
      pid: process.ppid,
      startTicks: startTicks(process.ppid),
      children: [],
    });
    expect(() => DirLock.acquire(dir)).toThrow(DataDirError);
    expect(() => DirLock.acquire(dir)).toThrow(
      `is in use by another troupe up (pid ${process.ppid})`,
    );
  });

  test('a dead holder, or a live pid with another start time, is taken over', () => {
    const dir = mkdtempSync(join(root, 'c-'));
    const recycled: LockRecord = { version: 1, pid: process.ppid, startTicks: '1', children: [] };
    writeRecord(dir, recycled);
    const first = DirLock.acquire(dir);
    expect(first.stale).toEqual(recycled);
    first.lock.release();
    writeFileSync(join(dir, lockName), 'not json');
    const second = DirLock.acquire(dir);
    expect(second.stale).toBeNull();
    second.lock.release();
  });
});

describe('leftovers of a killed troupe up', () => {
  test('a child is recognised by its start time and command line', async () => {
    const proc = await startProcess(idle);
    const child = recorded(proc, 'n1', 'node');
    expect(isRecordedChild(child)).toBe(true);
    expect(isRecordedChild({ ...child, startTicks: '1' })).toBe(false);
    expect(isRecordedChild({ ...child, argv: ['-e', 'something else'] })).toBe(false);
    expect(isRecordedChild({ ...child, startTicks: null })).toBe(false);
  });

  test('stops verified children (SIGKILL past the bound), leaves other pids alone', async () => {
    const [node, balancer, stranger] = await Promise.all([
      startProcess(idle),
      startProcess(stubborn),
      startProcess(idle),
    ]);
    const dead = { id: 'n9', kind: 'node', pid: 2 ** 22 + 1, startTicks: '1', argv: [] } as const;
    const stale: LockRecord = {
      version: 1,
      pid: 2 ** 22 + 2,
      startTicks: '1',
      children: [
        recorded(node, 'n1', 'node'),
        recorded(balancer, 'b1', 'balancer'),
        // The stranger's pid, recorded for a process that no longer exists.
        { ...recorded(stranger, 'n2', 'node'), startTicks: '1' },
        dead,
      ],
    };
    const result = await stopLeftovers(stale, 300);
    expect(result).toEqual({
      holderPid: stale.pid,
      stopped: [
        { kind: 'balancer', id: 'b1', pid: balancer.pid },
        { kind: 'node', id: 'n1', pid: node.pid },
      ],
      killed: ['b1'],
      skipped: [{ kind: 'node', id: 'n2', pid: stranger.pid }],
    });
    expect([node.pid, balancer.pid].filter(running)).toEqual([]);
    expect(running(stranger.pid)).toBe(true);
  });
});

// <dir>/troupe.lock: one `troupe up` per data dir, and a record of the processes it started.
// Two supervisors on one dir would fight over the same ports and stores, so the second is
// refused with the first one's pid. The lock also lists each child (id, pid, start time, argv)
// as it starts: a supervisor killed with SIGKILL cannot stop its children, and the next
// `troupe up` reads the list to stop those leftovers (leftovers.ts) instead of failing on ports.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirError } from './errors.js';
import { running, startTicks } from './proc.js';

export const lockName = 'troupe.lock';

export interface RecordedChild {
  readonly id: string;
  readonly kind: 'node' | 'balancer';
  readonly pid: number;
  /** Its start time from /proc; null where there is no /proc (it is then never stopped). */
  readonly startTicks: string | null;
  /** What it was started with after the node binary: `--import tsx <entry> ...args`. */
  readonly argv: readonly string[];
}

export interface LockRecord {
  readonly version: 1;
  readonly pid: number;
  readonly startTicks: string | null;
  readonly children: readonly RecordedChild[];
}

function isChild(value: unknown): value is RecordedChild {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.id === 'string' &&
    (c.kind === 'node' || c.kind === 'balancer') &&
    Number.isSafeInteger(c.pid) &&
    (typeof c.startTicks === 'string' || c.startTicks === null) &&
    Array.isArray(c.argv) &&
    c.argv.every((a) => typeof a === 'string')
  );
}

/** The record in the lock file, or null when there is none or it is not one of ours. */
function readRecord(path: string): LockRecord | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const r = parsed as Record<string, unknown>;
  const ok =
    r.version === 1 &&
    Number.isSafeInteger(r.pid) &&
    (typeof r.startTicks === 'string' || r.startTicks === null) &&
    Array.isArray(r.children) &&
    r.children.every(isChild);
  return ok ? (parsed as LockRecord) : null;
}

/** Alive and the same process: a recycled pid has another start time. */
function holds(record: LockRecord): boolean {
  if (record.pid === process.pid || !running(record.pid)) return false;
  return record.startTicks === null || startTicks(record.pid) === record.startTicks;
}

export class DirLock {
  private readonly children: RecordedChild[] = [];
  private readonly self = { pid: process.pid, startTicks: startTicks(process.pid) };

  private constructor(private readonly path: string) {}

  /**
   * Takes the dir for this process. A lock whose holder is gone is taken over, and its record
   * is returned as `stale` so the caller can stop the children it lists.
   */
  static acquire(dir: string): { lock: DirLock; stale: LockRecord | null } {
    const path = join(dir, lockName);
    const found = readRecord(path);
    if (found !== null && holds(found)) {
      throw new DataDirError(`${dir} is in use by another troupe up (pid ${found.pid})`);
    }
    const lock = new DirLock(path);
    lock.write();
    return { lock, stale: found };
  }

  /** Adds a child that has just been spawned. */
  record(child: RecordedChild): void {
    this.children.push(child);
    this.write();
  }

  release(): void {
    rmSync(this.path, { force: true });
  }

  /** Through a temporary file and a rename, so a reader never sees half a record. */
  private write(): void {
    const record: LockRecord = { version: 1, ...this.self, children: this.children };
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(tmp, this.path);
  }
}

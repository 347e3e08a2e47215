// Stops the children of a `troupe up` that was killed with SIGKILL (and so could not stop
// them), from the record in its lock file. A pid is signalled only while it is verifiably that
// child — the same start time and the same command line as recorded — so a pid the system has
// since given to another process is never touched. Balancers go first, then nodes, as in a
// clean stop: SIGTERM, then SIGKILL for any still running after the bound.
import type { LockRecord, RecordedChild } from './lock.js';
import { commandLine, running, startTicks } from './proc.js';
import { stopTimeoutMs } from './supervisor.js';

export interface Leftover {
  readonly kind: 'node' | 'balancer';
  readonly id: string;
  readonly pid: number;
}

export interface LeftoverResult {
  /** The killed supervisor's pid. */
  readonly holderPid: number;
  /** Stopped, in the order they were signalled. */
  readonly stopped: readonly Leftover[];
  /** Of `stopped`, those that ignored SIGTERM for the bound and got SIGKILL. */
  readonly killed: readonly string[];
  /** Running under a recorded pid but not verifiably that child: left alone. */
  readonly skipped: readonly Leftover[];
}

const pollMs = 50;
/** After SIGKILL a process is gone at once; waiting longer means something else is wrong. */
const afterKillWaitMs = 2_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const brief = ({ kind, id, pid }: RecordedChild): Leftover => ({ kind, id, pid });

/** The same process that was recorded, not a later one under a recycled pid. */
export function isRecordedChild(child: RecordedChild): boolean {
  if (child.startTicks === null || startTicks(child.pid) !== child.startTicks) return false;
  const argv = commandLine(child.pid)?.slice(1);
  if (argv === undefined || argv.length !== child.argv.length) return false;
  return argv.every((arg, i) => arg === child.argv[i]);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone since it was checked.
  }
}

/** Waits until none of `pids` runs or `timeoutMs` passes; returns those still running. */
async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(running);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(pollMs);
    left = left.filter(running);
  }
  return left;
}

/** Stops every verified leftover child of `stale`; resolves once each is gone. */
export async function stopLeftovers(
  stale: LockRecord,
  timeoutMs = stopTimeoutMs,
): Promise<LeftoverResult> {
  const alive = stale.children.filter((c) => running(c.pid));
  const ours = alive.filter(isRecordedChild);
  const skipped = alive.filter((c) => !ours.includes(c));
  const stopped: Leftover[] = [];
  const killed: string[] = [];
  for (const kind of ['balancer', 'node'] as const) {
    const group = ours.filter((c) => c.kind === kind);
    for (const child of group) signal(child.pid, 'SIGTERM');
    const stubborn = await waitGone(
      group.map((c) => c.pid),
      timeoutMs,
    );
    for (const pid of stubborn) signal(pid, 'SIGKILL');
    await waitGone(stubborn, afterKillWaitMs);
    stopped.push(...group.map(brief));
    killed.push(...group.filter((c) => stubborn.includes(c.pid)).map((c) => c.id));
  }
  return { holderPid: stale.pid, stopped, killed, skipped: skipped.map(brief) };
}

// Starts and stops the cluster's child processes for `troupe up`. Each child runs in its own
// process group (so a terminal's Ctrl-C reaches only the supervisor, which then stops the
// children in order), writes stdout and stderr straight to <dir>/logs/<id>.log, and is watched
// for its `ready` JSON line (read back from that file) and for an exit nobody asked for.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { StartupError } from './errors.js';
import { LogTail } from './log-tail.js';

export interface ChildSpec {
  readonly id: string;
  readonly kind: 'node' | 'balancer';
  /** Absolute path of the TypeScript entry point. */
  readonly entry: string;
  readonly args: readonly string[];
  readonly logFile: string;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Child {
  readonly spec: ChildSpec;
  readonly pid: number;
  /** Resolves with the child's `ready` line, rejects if it exits first or times out. */
  ready(timeoutMs: number): Promise<Record<string, unknown>>;
  readonly exited: Promise<ExitInfo>;
}

export interface SupervisorOptions {
  /** Where `--import tsx` resolves: the workspace root. */
  readonly cwd: string;
  /** Told of a child that exits while the supervisor is not stopping. */
  readonly onUnexpectedExit: (child: Child, exit: ExitInfo) => void;
  /** Told of each child as soon as it is spawned, with its argv after the node binary. */
  readonly onSpawn?: (child: Child, argv: readonly string[]) => void;
}

/** A child that ignores SIGTERM this long is killed. */
export const stopTimeoutMs = 10_000;

function readyEvent(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{"event":"ready"')) return null;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

export class Supervisor {
  private readonly children: Child[] = [];
  private readonly processes = new Map<number, ChildProcess>();
  private stopping = false;

  constructor(private readonly options: SupervisorOptions) {
    // A supervisor that dies of an error must not leave its cluster running unseen.
    process.once('exit', () => {
      for (const pid of this.processes.keys()) signal(pid, 'SIGKILL');
    });
  }

  /** Children that have not exited yet. */
  get running(): readonly Child[] {
    return this.children.filter((c) => this.processes.has(c.pid));
  }

  spawn(spec: ChildSpec): Child {
    mkdirSync(dirname(spec.logFile), { recursive: true });
    // The child writes to the file itself: see log-tail.ts for why not through a pipe.
    const logFd = openSync(spec.logFile, 'a');
    const fromOffset = fstatSync(logFd).size;
    const nodeArgs = ['--import', 'tsx', spec.entry, ...spec.args];
    let proc: ChildProcess;
    try {
      proc = spawn(process.execPath, nodeArgs, {
        cwd: this.options.cwd,
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
    } finally {
      closeSync(logFd);
    }
    if (proc.pid === undefined) throw new StartupError(`could not start ${spec.id}`);
    const pid = proc.pid;
    this.processes.set(pid, proc);
    let readyLine: Record<string, unknown> | null = null;
    const readyWaiters = new Set<(event: Record<string, unknown>) => void>();
    const tail = new LogTail(spec.logFile, fromOffset, (line) => {
      const event = readyEvent(line);
      if (event === null) return;
      readyLine = event;
      tail.stop();
      for (const waiter of readyWaiters) waiter(event);
    });
    const exited = new Promise<ExitInfo>((resolve) => {
      proc.once('exit', (code, sig) => {
        this.processes.delete(pid);
        // A ready line written just before the exit is still read, then tailing ends.
        tail.poll();
        tail.stop();
        resolve({ code, signal: sig });
      });
    });
    const ready = (timeoutMs: number): Promise<Record<string, unknown>> =>
      readyLine !== null
        ? Promise.resolve(readyLine)
        : waitReady(spec, exited, readyWaiters, timeoutMs);
    const child: Child = { spec, pid, ready, exited };
    this.children.push(child);
    this.options.onSpawn?.(child, nodeArgs);
    void exited.then((exit) => {
      if (!this.stopping) this.options.onUnexpectedExit(child, exit);
    });
    return child;
  }

  /** SIGTERM to balancers, then to nodes; SIGKILL to whatever is left after the timeout. */
  async stopAll(timeoutMs = stopTimeoutMs): Promise<void> {
    this.stopping = true;
    for (const kind of ['balancer', 'node'] as const) {
      const group = this.children.filter((c) => c.spec.kind === kind);
      for (const child of group) signal(child.pid, 'SIGTERM');
      const all = Promise.all(group.map((c) => c.exited));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([all, late]);
      clearTimeout(timer);
      for (const child of group) if (this.processes.has(child.pid)) signal(child.pid, 'SIGKILL');
      await all;
    }
  }
}

function waitReady(
  spec: ChildSpec,
  exited: Promise<ExitInfo>,
  waiters: Set<(event: Record<string, unknown>) => void>,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const see = `see ${spec.logFile}`;
    const timer = setTimeout(() => {
      waiters.delete(onReady);
      reject(new StartupError(`${spec.kind} ${spec.id} not ready within ${timeoutMs} ms; ${see}`));
    }, timeoutMs);
    const onReady = (event: Record<string, unknown>): void => {
      clearTimeout(timer);
      waiters.delete(onReady);
      resolve(event);
    };
    waiters.add(onReady);
    void exited.then((exit) => {
      clearTimeout(timer);
      waiters.delete(onReady);
      const how = exit.signal ?? `code ${exit.code}`;
      reject(new StartupError(`${spec.kind} ${spec.id} exited (${how}) before ready; ${see}`));
    });
  });
}

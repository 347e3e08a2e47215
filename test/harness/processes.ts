// Spawning real OS processes for multi-process tests and examples. Every process started here
// is tracked by pid and killed by `stopAll` (call it from afterEach/afterAll) and on exit, so
// a failed assertion never leaves a stray process behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The workspace root: children start here so `--import tsx` resolves the root's tsx. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface SpawnedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Resolves with the first stdout line (past or future) that matches. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Calls `listener` with every stdout line from now on. */
  onLine(listener: (line: string) => void): void;
  /** Resolves with the first JSON stdout line whose `event` equals `event`. */
  waitForEvent<T = Record<string, unknown>>(event: string, timeoutMs?: number): Promise<T>;
  kill(signal?: NodeJS.Signals): void;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Map<number, ChildProcess>();
const stderrTailLines = 40;

process.once('exit', () => {
  for (const pid of live.keys()) tryKill(pid, 'SIGKILL');
});

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Tracks a child started some other way (a binary such as etcd) like those spawnTs starts:
 * `stopAll` and the exit handler kill it, and it is forgotten once it exits.
 */
export function track(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  live.set(pid, child);
  child.once('exit', () => live.delete(pid));
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Echo the child's stderr to ours (debugging). */
  inheritStderr?: boolean;
}

/** Runs a TypeScript file in a new Node.js process. */
export function spawnTs(file: string, args: string[], options: SpawnOptions = {}): SpawnedProcess {
  // Node flags NODE_OPTIONS refuses (--cpu-prof) reach children this way: `pnpm bench --profile`.
  const nodeArgs = (process.env.TROUPE_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const argv = [...nodeArgs, '--import', 'tsx', resolve(repoRoot, file), ...args];
  const child = spawn(process.execPath, argv, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', options.inheritStderr ? 'inherit' : 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`failed to spawn ${file}`);
  track(child);
  const lines: string[] = [];
  // A watcher gets each stdout line, then null once the process has closed its output.
  const watchers = new Set<(line: string | null) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const watcher of [...watchers]) watcher(line);
  });
  // The last stderr lines, so that a process that dies before its ready line says why.
  const stderrTail: string[] = [];
  if (!options.inheritStderr && child.stderr) {
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderrTail.push(line);
      if (stderrTail.length > stderrTailLines) stderrTail.shift();
    });
  }
  let closedWith: string | undefined;
  child.once('close', (code, signal) => {
    closedWith = `exited (code ${code}, signal ${signal}); stderr: ${stderrTail.join('\n')}`;
    for (const watcher of [...watchers]) watcher(null);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const waitForLine = (match: (line: string) => boolean, timeoutMs = 15_000): Promise<string> => {
    const seen = lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    const failure = (why: string): Error =>
      new Error(`pid ${pid}: no matching line (${why}); stdout: ${lines.join('\n')}`);
    if (closedWith !== undefined) return Promise.reject(failure(closedWith));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        watchers.delete(watcher);
        reject(failure(`none within ${timeoutMs} ms; stderr: ${stderrTail.join('\n')}`));
      }, timeoutMs);
      const watcher = (line: string | null): void => {
        if (line === null) {
          clearTimeout(timer);
          watchers.delete(watcher);
          reject(failure(closedWith ?? 'exited'));
          return;
        }
        if (!match(line)) return;
        clearTimeout(timer);
        watchers.delete(watcher);
        resolve(line);
      };
      watchers.add(watcher);
    });
  };
  const waitForEvent = async <T>(event: string, timeoutMs?: number): Promise<T> => {
    const line = await waitForLine((l) => parseEvent(l)?.event === event, timeoutMs);
    return parseEvent(line) as T;
  };
  return {
    pid,
    child,
    lines,
    waitForLine,
    waitForEvent,
    onLine: (listener) => void watchers.add((line) => line !== null && listener(line)),
    kill: (signal = 'SIGKILL') => tryKill(pid, signal),
    exited,
  };
}

function parseEvent(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Kills every process this module started that is still alive, and waits for them. */
export async function stopAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const children = [...live.values()];
  const exits = children.map(
    (c) =>
      new Promise<void>((resolve) => {
        if (c.exitCode !== null || c.signalCode !== null) return resolve();
        c.once('exit', () => resolve());
      }),
  );
  for (const child of children) if (child.pid !== undefined) tryKill(child.pid, signal);
  await Promise.all(exits);
}

/** Pids of processes started here and still running. */
export function livePids(): number[] {
  return [...live.keys()];
}

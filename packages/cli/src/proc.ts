// What Linux's /proc says about a process: its start time and its command line, which together
// tell a process from a later one that reuses its pid. `troupe up` records both for each child
// so that after a SIGKILL of the supervisor the next run stops only processes that are really
// its leftovers. Elsewhere (no /proc) every answer is null and nothing is stopped.
import { readFileSync } from 'node:fs';

/** The stat fields after the command name, which may itself hold spaces and parentheses. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Clock ticks since boot when the process started (field 22), or null without /proc. */
export function startTicks(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/** The process's argv, or null when it is gone or there is no /proc. */
export function commandLine(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').slice(0, -1);
  } catch {
    return null;
  }
}

/**
 * Whether the pid is a running process. A zombie counts as gone: it has exited and holds no
 * port, and an orphan's zombie waits on a parent (init, here) that may never reap it.
 */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return statFields(pid)?.[0] !== 'Z';
}

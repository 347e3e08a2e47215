// One process per data dir. lmdb itself lets several processes share an environment, which for
// a Raft replica would mean two nodes voting with one log. A `LOCK` file holds the owner's pid;
// a lock left by a process that is gone (SIGKILL, crash) is taken over, a live one is refused.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirError } from './errors.js';

export const lockFileName = 'LOCK';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else: still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Takes the data dir for this process; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, lockFileName);
  const owner = ownerOf(file);
  if (owner !== null && owner !== process.pid && isAlive(owner)) {
    throw new DataDirError(file, `in use by another running process (pid ${owner})`);
  }
  // Write then rename, so a reader never sees a half-written pid.
  const temporary = `${file}.${process.pid}`;
  writeFileSync(temporary, `${process.pid}\n`);
  renameSync(temporary, file);
  return () => {
    if (ownerOf(file) === process.pid) rmSync(file, { force: true });
  };
}

// <dir>/troupe.pid: one `troupe up` per data dir. Two supervisors on one dir would fight over
// the same ports and stores; the second one is refused with the first one's pid instead.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirError } from './errors.js';

const lockName = 'troupe.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the dir for this process; a lock left by a dead process is taken over. */
export function acquireLock(dir: string): () => void {
  const path = join(dir, lockName);
  let holder = Number.NaN;
  try {
    holder = Number(readFileSync(path, 'utf8').trim());
  } catch {
    // No lock yet.
  }
  if (Number.isSafeInteger(holder) && holder !== process.pid && alive(holder)) {
    throw new DataDirError(`${dir} is in use by another troupe up (pid ${holder})`);
  }
  writeFileSync(path, `${process.pid}\n`);
  return () => rmSync(path, { force: true });
}

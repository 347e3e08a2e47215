// One process per data dir: a lock held by a live process is refused with a DataDirError
// naming the LOCK file; a lock left by a dead process is taken over; release removes it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { lockDataDir } from '../../src/storage/data-dir-lock.js';
import { DataDirError } from '../../src/storage/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-lock-'));
  dirs.push(dir);
  return dir;
}

describe('lockDataDir', () => {
  test('takes a free dir and releases it', () => {
    const dir = freshDir();
    const release = lockDataDir(dir);
    expect(existsSync(join(dir, 'LOCK'))).toBe(true);
    release();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });

  test('refuses a dir locked by a live process, naming the LOCK file', async () => {
    const dir = freshDir();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(join(dir, 'LOCK'), `${holder.pid}\n`);
      let caught: unknown;
      try {
        lockDataDir(dir);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DataDirError);
      expect((caught as DataDirError).file).toBe(join(dir, 'LOCK'));
      expect((caught as DataDirError).message).toContain(`pid ${holder.pid}`);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
  });

  test('takes over a lock left by a process that is gone', async () => {
    const dir = freshDir();
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    writeFileSync(join(dir, 'LOCK'), `${gone.pid}\n`);
    const release = lockDataDir(dir);
    release();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });
});

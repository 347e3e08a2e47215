// Reading a child's log file from where it ended at spawn: only new lines, whole lines, in
// order, and nothing after stop().
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { LogTail } from '../src/log-tail.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-cli-tail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('whole lines appended after the offset, until stopped', () => {
  const path = join(dir, 'n1.log');
  writeFileSync(path, 'from an earlier run\n');
  const lines: string[] = [];
  const tail = new LogTail(path, 20, (line) => lines.push(line));
  appendFileSync(path, '{"level":30}\n{"event":"rea');
  tail.poll();
  expect(lines).toEqual(['{"level":30}']);
  appendFileSync(path, 'dy"}\n');
  tail.poll();
  expect(lines).toEqual(['{"level":30}', '{"event":"ready"}']);
  tail.stop();
  appendFileSync(path, 'later\n');
  tail.poll();
  expect(lines).toHaveLength(2);
});

test('a file that does not exist yet is not an error', () => {
  const tail = new LogTail(join(dir, 'missing.log'), 0, () => {
    throw new Error('no line expected');
  });
  tail.poll();
  tail.stop();
});

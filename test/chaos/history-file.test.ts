// The JSONL history round-trips (times made relative to the run's origin) and a bad line is
// refused with a typed error that names the file, the line and what is wrong.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { HistoryEvent } from '../sim/checkers/history.js';
import { HistoryFileError, readHistory, writeHistory } from './history-file.js';

const dir = mkdtempSync(join(tmpdir(), 'troupe-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const events: HistoryEvent[] = [
  { process: 0, type: 'invoke', f: 'update', key: 'k', value: '0:1', ifVersion: 3, time: 1_000.5 },
  { process: 0, type: 'ok', f: 'update', key: 'k', version: 7, time: 1_002.25 },
  { process: 1, type: 'invoke', f: 'get', key: 'k', stale: true, time: 1_003 },
  { process: 1, type: 'ok', f: 'get', key: 'k', version: null, stale: true, time: 1_004 },
  { process: 'final', type: 'invoke', f: 'delete', key: 'k', time: 1_005 },
  { process: 'final', type: 'info', f: 'delete', key: 'k', error: 'TIMEOUT', time: 1_006 },
];

test('events written relative to the origin read back equal', async () => {
  const file = join(dir, 'ok.jsonl');
  await writeHistory(file, events, 1_000);
  const back = await readHistory(file);
  expect(back).toEqual(events.map((e) => ({ ...e, time: e.time - 1_000 })));
});

describe('a bad line is refused, naming the line', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', '{"process":', /:2: not JSON/],
    ['an array', '[1,2]', /:2: an event must be a JSON object/],
    ['no process', '{"type":"ok","f":"get","key":"k","time":1}', /:2: process missing/],
    ['bad type', '{"process":1,"type":"done","f":"get","key":"k","time":1}', /:2: bad type done/],
    ['bad f', '{"process":1,"type":"ok","f":"put","key":"k","time":1}', /:2: bad f put/],
    ['key not a string', '{"process":1,"type":"ok","f":"get","key":5,"time":1}', /key must/],
    ['no time', '{"process":1,"type":"ok","f":"get","key":"k"}', /:2: time must be a number/],
    [
      'version a string',
      '{"process":1,"type":"ok","f":"get","key":"k","version":"3","time":1}',
      /version must be a number or null/,
    ],
  ];
  test.each(cases)('%s', async (_name, line, message) => {
    const file = join(dir, 'bad.jsonl');
    const good = '{"process":1,"type":"invoke","f":"get","key":"k","time":0}';
    writeFileSync(file, `${good}\n${line}\n`);
    const error = await readHistory(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HistoryFileError);
    expect((error as HistoryFileError).code).toBe('TROUPE_ERR_CHAOS_HISTORY');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('bad.jsonl');
  });
});

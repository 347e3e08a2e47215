// How client histories are read: JSONL events from the chaos harness pair up into operations,
// and the one-line text form used by tests and explanations round-trips.
import { describe, expect, test } from 'vitest';
import { formatOp, type HistoryEvent, historyFromEvents, parseHistory } from './history.js';
import { kvModel } from './kv-model.js';
import { checkLinearizable } from './linearizability.js';

const events: HistoryEvent[] = [
  { process: 1, type: 'invoke', f: 'create', key: 'x', value: 'a', time: 0 },
  { process: 2, type: 'invoke', f: 'get', key: 'x', time: 1 },
  { process: 1, type: 'ok', f: 'create', key: 'x', version: 1, time: 2 },
  { process: 2, type: 'ok', f: 'get', key: 'x', value: 'a', version: 1, time: 3 },
  { process: 1, type: 'invoke', f: 'update', key: 'x', value: 'b', ifVersion: 7, time: 4 },
  { process: 1, type: 'fail', f: 'update', key: 'x', error: 'VersionConflict', time: 5 },
  { process: 2, type: 'invoke', f: 'delete', key: 'x', time: 6 },
  { process: 2, type: 'ok', f: 'delete', key: 'x', deleted: true, version: 1, time: 7 },
  { process: 1, type: 'invoke', f: 'get', key: 'x', time: 8 },
  { process: 1, type: 'ok', f: 'get', key: 'x', value: null, version: null, time: 9 },
  { process: 3, type: 'invoke', f: 'update', key: 'x', value: 'c', time: 10 },
  { process: 3, type: 'info', f: 'update', key: 'x', time: 11 },
  { process: 4, type: 'invoke', f: 'update', key: 'y', value: 'd', time: 12 },
];

describe('historyFromEvents', () => {
  const ops = historyFromEvents(events);

  test('pairs each invoke with its process completion, ids in invoke order', () => {
    expect(ops.map(formatOp)).toEqual([
      '#0 p1 create x "a" @0..2 ok v1',
      '#1 p2 get x @1..3 ok "a" v1',
      '#2 p1 update x "b" if=7 @4..5 fail VersionConflict',
      '#3 p2 delete x @6..7 ok deleted v1',
      '#4 p1 get x @8..9 ok absent',
      '#5 p3 update x "c" @10.. info',
      '#6 p4 update y "d" @12.. info',
    ]);
  });

  test('an info completion and a missing one both complete at +Infinity', () => {
    expect(ops[5]!.complete).toBe(Number.POSITIVE_INFINITY);
    expect(ops[6]).toMatchObject({ complete: Number.POSITIVE_INFINITY, outcome: { type: 'info' } });
  });

  test('a get of a present null value is not a get of an absent key', () => {
    const [read] = historyFromEvents([
      { process: 1, type: 'invoke', f: 'get', key: 'x', time: 0 },
      { process: 1, type: 'ok', f: 'get', key: 'x', value: null, version: 4, time: 1 },
    ]);
    expect(read?.outcome).toEqual({ type: 'ok', output: { value: null, version: 4 } });
  });

  test('the paired history is checkable', () => {
    expect(checkLinearizable(ops, kvModel)).toMatchObject({ ok: true, keys: 2 });
  });
});

describe('historyFromEvents rejects malformed event streams', () => {
  test.each([
    {
      name: 'two invokes outstanding on one process',
      bad: [
        { process: 1, type: 'invoke', f: 'get', key: 'x', time: 0 },
        { process: 1, type: 'invoke', f: 'get', key: 'x', time: 1 },
      ],
      error: /two invokes outstanding/,
    },
    {
      name: 'a completion without an invoke',
      bad: [{ process: 1, type: 'ok', f: 'get', key: 'x', time: 0 }],
      error: /without an invoke/,
    },
    {
      name: 'a completion for another key',
      bad: [
        { process: 1, type: 'invoke', f: 'get', key: 'x', time: 0 },
        { process: 1, type: 'ok', f: 'get', key: 'y', time: 1 },
      ],
      error: /key differs/,
    },
    {
      name: 'a completion before its invoke',
      bad: [
        { process: 1, type: 'invoke', f: 'get', key: 'x', time: 5 },
        { process: 1, type: 'ok', f: 'get', key: 'x', time: 1 },
      ],
      error: /before its invoke/,
    },
  ] satisfies Array<{ name: string; bad: HistoryEvent[]; error: RegExp }>)(
    'rejects $name',
    ({ bad, error }) => {
      expect(() => historyFromEvents(bad)).toThrow(error);
    },
  );
});

describe('the one-line form', () => {
  const lines = [
    '#0 p1 create x {"a":[1,2]} @0..2 ok v1',
    '#1 p2 get x @1..3 ok {"a":[1,2]} v1',
    '#2 p1 update x "b" if=1 @4..5 ok v2',
    '#3 p2 delete x if=2 @6..7 ok deleted',
    '#4 p2 delete x @8..9 ok kept v2',
    '#5 pclient-7 update x 3 @10.. info',
    '#6 p1 get x @11..12 fail NotFound',
    '#7 p1 create x "c" @13..14 ok',
  ];

  test('formatOp prints what parseHistory reads', () => {
    expect(parseHistory(lines).map(formatOp)).toEqual(lines);
  });

  test('ids default to line numbers and process names may be strings', () => {
    const [first, second] = parseHistory(['pa get x @0..1 ok absent', 'p2 get x @1..2 ok absent']);
    expect(first).toMatchObject({ id: 0, process: 'a' });
    expect(second).toMatchObject({ id: 1, process: 2 });
  });
});

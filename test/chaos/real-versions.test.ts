// Checking histories recorded against the real cluster, whose versions are Raft indexes (with
// gaps) rather than the model's per-key counters: with versions and CAS conditions removed,
// a correct history passes the linearizability checker and a stale read or a lost update is
// still caught (values are unique per write); the version order catches an operation that saw
// an older version than one that ended before it began; and the final reads catch an
// acknowledged write that vanished.
import { describe, expect, test } from 'vitest';
import type { HistoryEvent } from '../sim/checkers/history.js';
import { kvModel } from '../sim/checkers/kv-model.js';
import { checkLinearizable } from '../sim/checkers/linearizability.js';
import {
  type FinalRead,
  forLinearizability,
  lostWrites,
  versionOrderViolations,
} from './real-versions.js';

type Call = [
  process: string,
  f: HistoryEvent['f'],
  key: string,
  invoke: number,
  complete: number,
  outcome: Partial<HistoryEvent> & { type: 'ok' | 'fail' | 'info' },
  input?: Partial<HistoryEvent>,
];

/** Invoke and completion events for each call, in time order. */
function events(calls: readonly Call[]): HistoryEvent[] {
  const all: HistoryEvent[] = [];
  for (const [process, f, key, invoke, complete, outcome, input] of calls) {
    all.push({ process, type: 'invoke', f, key, time: invoke, ...input });
    if (outcome.type !== 'info' || complete >= 0) {
      all.push({ process, f, key, time: complete, ...outcome });
    }
  }
  return all.sort((a, b) => a.time - b.time || (a.type === 'invoke' ? 1 : -1));
}

const ok = (version?: number, value?: string) => ({
  type: 'ok' as const,
  ...(version === undefined ? {} : { version }),
  ...(value === undefined ? {} : { value }),
});

describe('forLinearizability', () => {
  test('a correct history with Raft-index versions and a refused CAS passes', () => {
    const history = events([
      ['p1', 'update', 'x', 0, 1, ok(17), { value: 'a' }],
      ['p2', 'get', 'x', 2, 3, ok(17, 'a')],
      ['p1', 'update', 'x', 4, 5, ok(42), { value: 'b', ifVersion: 17 }],
      [
        'p2',
        'update',
        'x',
        6,
        7,
        { type: 'fail', error: 'VersionConflict' },
        { value: 'c', ifVersion: 17 },
      ],
      ['p2', 'get', 'x', 8, 9, ok(42, 'b')],
    ]);
    expect(checkLinearizable(forLinearizability(history), kvModel)).toMatchObject({ ok: true });
  });

  test('a stale read after a completed write is still caught', () => {
    const history = events([
      ['p1', 'update', 'x', 0, 1, ok(17), { value: 'a' }],
      ['p1', 'update', 'x', 2, 3, ok(42), { value: 'b' }],
      ['p2', 'get', 'x', 4, 5, ok(17, 'a')],
    ]);
    expect(checkLinearizable(forLinearizability(history), kvModel)).toMatchObject({ ok: false });
  });

  test('an info write may or may not have happened', () => {
    const history = events([
      ['p1', 'update', 'x', 0, 1, ok(17), { value: 'a' }],
      ['p2', 'update', 'x', 2, -1, { type: 'info' }, { value: 'b' }],
      ['p3', 'get', 'x', 5, 6, ok(50, 'b')],
    ]);
    expect(checkLinearizable(forLinearizability(history), kvModel)).toMatchObject({ ok: true });
  });
});

describe('versionOrderViolations', () => {
  test('a read that began after a write ended must not see an older version', () => {
    const history = events([
      ['p1', 'update', 'x', 0, 1, ok(42), { value: 'b' }],
      ['p2', 'get', 'x', 2, 3, ok(17, 'a')],
    ]);
    expect(versionOrderViolations(history)).toEqual([
      'get x v17 by p2 began after update x v42 by p1 ended',
    ]);
  });

  test('a write must get a strictly newer version; overlapping operations are free', () => {
    const history = events([
      ['p1', 'update', 'x', 0, 10, ok(42), { value: 'b' }],
      ['p2', 'get', 'x', 1, 2, ok(17, 'a')],
      ['p3', 'update', 'x', 11, 12, ok(42), { value: 'c' }],
    ]);
    expect(versionOrderViolations(history)).toEqual([
      'update x v42 by p3 began after update x v42 by p1 ended',
    ]);
  });
});

describe('lostWrites', () => {
  const history = events([
    ['p1', 'update', 'x', 0, 1, ok(42), { value: 'b' }],
    ['p1', 'update', 'y', 2, 3, ok(43), { value: 'c' }],
    ['p1', 'delete', 'z', 4, 5, ok(44)],
    ['p1', 'update', 'w', 6, 7, ok(45), { value: 'd' }],
    ['p2', 'delete', 'w', 8, -1, { type: 'info' }],
  ]);

  test('final reads at or past every acknowledged write, or explained absences, are fine', () => {
    const finals = new Map<string, FinalRead>([
      ['x', { present: true, version: 42 }],
      ['y', { present: true, version: 60 }],
      ['z', { present: false }],
      ['w', { present: false }],
    ]);
    expect(lostWrites(history, finals)).toEqual([]);
  });

  test('an older final version, an unexplained absence and a missing read are reported', () => {
    const finals = new Map<string, FinalRead>([
      ['x', { present: true, version: 17 }],
      ['y', { present: false }],
      ['z', { present: false }],
    ]);
    expect(lostWrites(history, finals)).toEqual([
      'x: final read at v17, older than update x v42 by p1',
      'y: absent at the end, but update y v43 by p1 was acknowledged',
      'w: no final read',
    ]);
  });
});

// The linearizability checker's specification, as tables of hand-made histories: ones a
// correct store may produce must be accepted, and each classic anomaly must be rejected with
// an explanation that names the key and the operation that could not be placed.
import { describe, expect, test } from 'vitest';
import { parseHistory } from './history.js';
import { createKvModel, kvModel } from './kv-model.js';
import { checkLinearizable } from './linearizability.js';

interface Case {
  readonly name: string;
  readonly history: readonly string[];
}

const linearizable: Case[] = [
  {
    name: 'a sequential history',
    history: [
      'p1 get x @0..1 ok absent',
      'p1 create x "a" @2..3 ok v1',
      'p1 get x @4..5 ok "a" v1',
      'p1 update x "b" @6..7 ok v2',
      'p1 delete x @8..9 ok deleted',
      'p1 get x @10..11 ok absent',
    ],
  },
  {
    name: 'concurrent writes, later reads agree on one order',
    history: [
      'p1 update x "a" @0..10 ok v2',
      'p2 update x "b" @0..10 ok v1',
      'p3 get x @11..12 ok "a" v2',
    ],
  },
  {
    name: 'reads overlapping a write may see the old or the new value',
    history: [
      'p1 create x "a" @0..1 ok v1',
      'p2 update x "b" @2..20 ok v2',
      'p3 get x @3..4 ok "b" v2',
      'p4 get x @3..5 ok "a" v1',
      'p5 get x @21..22 ok "b" v2',
    ],
  },
  {
    name: 'a read that sees a write before it completes',
    history: ['p1 update x 7 @0..10 ok v1', 'p2 get x @1..2 ok 7 v1'],
  },
  {
    name: 'an unknown write that took effect',
    history: ['p1 update x "a" @0.. info', 'p2 get x @5..6 ok "a" v1'],
  },
  {
    name: 'an unknown write that never took effect',
    history: [
      'p1 create x "lost" @0.. info',
      'p2 get x @5..6 ok absent',
      'p3 update x "b" @7..8 ok v1',
      'p3 get x @9..10 ok "b" v1',
    ],
  },
  {
    name: 'an unknown write that took effect late, after other writes',
    history: [
      'p1 update x "late" @0.. info',
      'p2 update x "a" @5..6 ok v1',
      'p2 get x @7..8 ok "a" v1',
      'p3 get x @20..21 ok "late" v2',
    ],
  },
  {
    name: 'unknown writes that no read tells apart: either may have happened first',
    history: [
      'p1 update x "a" @0.. info',
      'p2 update x "b" @1.. info',
      'p3 update x "b" @2.. info',
      'p4 get x @5..6 ok "b" v1',
      'p5 create x "c" @7.. info',
      'p6 update x "d" if=1 @8..9 ok v2',
    ],
  },
  {
    name: 'a compare-and-set chain, one winner among concurrent CAS',
    history: [
      'p1 create x 0 @0..1 ok v1',
      'p1 update x 1 if=1 @2..3 ok v2',
      'p2 update x 9 if=1 @4..5 fail VersionConflict',
      'p1 update x 2 if=2 @6..10 ok v3',
      'p2 update x 3 if=2 @6..10 fail VersionConflict',
      'p3 get x @11..12 ok 2 v3',
    ],
  },
  {
    name: 'ifVersion 0 means "only if absent"',
    history: [
      'p1 update x "a" if=0 @0..1 ok v1',
      'p1 update x "b" if=0 @2..3 fail VersionConflict',
      'p1 delete x if=0 @4..5 fail VersionConflict',
    ],
  },
  {
    name: 'create, delete, recreate: versions continue past the deleted one',
    history: [
      'p1 create x "a" @0..1 ok v1',
      'p1 update x "b" @2..3 ok v2',
      'p1 delete x if=2 @4..5 ok deleted',
      'p1 get x @6..7 ok absent',
      'p1 delete x @8..9 ok kept',
      'p1 delete x if=0 @10..11 ok kept',
      'p1 update x "c" if=0 @12..13 ok v3',
      'p1 create x "d" @14..15 fail AlreadyExists',
      'p1 get x @16..17 ok "c" v3',
    ],
  },
  {
    name: 'concurrent creates: one wins, the other already exists',
    history: [
      'p1 create x "a" @0..5 fail AlreadyExists',
      'p2 create x "b" @0..5 ok v1',
      'p3 get x @6..7 ok "b" v1',
    ],
  },
  {
    name: 'failures that say nothing about the key are dropped',
    history: [
      'p1 update x "never" @0..1 fail Unavailable',
      'p1 get x @2..3 fail Timeout',
      'p1 get x @4..5 fail NotFound',
      'p2 get x @6.. info',
      'p1 get x @7..8 ok absent',
    ],
  },
  {
    name: 'reads seeing writes to two keys in opposite orders (each key alone is fine)',
    history: [
      'p1 update x "a" @0..10 ok v1',
      'p2 update y "b" @0..10 ok v1',
      'p3 get x @2..6 ok "a" v1',
      'p4 get y @2..6 ok absent',
      'p5 get y @2..6 ok "b" v1',
      'p6 get x @2..6 ok absent',
    ],
  },
  {
    name: 'an op completing at the instant another is invoked counts as concurrent',
    history: ['p1 get x @0..5 ok "a"', 'p2 update x "a" @5..6 ok v1'],
  },
  {
    name: 'structured values compare by content, not identity or field order',
    history: [
      'p1 update x {"a":[1,2],"b":null} @0..1 ok v1',
      'p2 get x @2..3 ok {"b":null,"a":[1,2]} v1',
    ],
  },
];

const violations: Array<Case & { readonly unplaced: string }> = [
  {
    name: 'a stale read after a completed write',
    history: [
      'p1 update x "a" @0..1 ok v1',
      'p1 update x "b" @2..3 ok v2',
      'p2 get x @4..5 ok "a" v1',
    ],
    unplaced: '#2',
  },
  {
    name: 'a read of a value never written',
    history: ['p1 update x "a" @0..1 ok v1', 'p2 get x @2..3 ok "zzz" v1'],
    unplaced: '#1',
  },
  {
    name: 'two readers seeing two writes to one key in opposite orders',
    history: [
      'p1 update x "a" @0..100 ok',
      'p2 update x "b" @0..100 ok',
      'p3 get x @10..11 ok "a"',
      'p3 get x @20..21 ok "b"',
      'p4 get x @10..11 ok "b"',
      'p4 get x @20..21 ok "a"',
    ],
    unplaced: '#',
  },
  {
    name: 'a lost acknowledged write',
    history: ['p1 create x "a" @0..1 ok v1', 'p2 get x @5..6 ok absent'],
    unplaced: '#1',
  },
  {
    name: 'a lost update: two compare-and-sets on one version both succeed',
    history: [
      'p1 create x 0 @0..1 ok v1',
      'p2 update x 1 if=1 @2..10 ok v2',
      'p3 update x 2 if=1 @2..10 ok v2',
    ],
    unplaced: '#',
  },
  {
    name: 'a version going backwards',
    history: ['p1 update x "a" @0..1 ok v1', 'p1 update x "b" @2..3 ok v1'],
    unplaced: '#1',
  },
  {
    name: 'a read whose version goes backwards',
    history: [
      'p1 update x "a" @0..1 ok v1',
      'p1 update x "a" @2..3 ok v2',
      'p2 get x @4..5 ok "a" v2',
      'p2 get x @6..7 ok "a" v1',
    ],
    unplaced: '#3',
  },
  {
    name: 'versions restarting at 1 after a delete',
    history: [
      'p1 create x "a" @0..1 ok v1',
      'p1 delete x @2..3 ok deleted',
      'p1 create x "b" @4..5 ok v1',
    ],
    unplaced: '#2',
  },
  {
    name: 'VersionConflict reported when the versions matched',
    history: ['p1 create x "a" @0..1 ok v1', 'p1 update x "b" if=1 @2..3 fail VersionConflict'],
    unplaced: '#1',
  },
  {
    name: 'AlreadyExists reported for an absent key',
    history: ['p1 create x "a" @0..1 fail AlreadyExists'],
    unplaced: '#0',
  },
  {
    name: 'a delete of an absent key claiming it deleted something',
    history: ['p1 delete x @0..1 ok deleted'],
    unplaced: '#0',
  },
  {
    name: 'a read from the future (before the write was invoked)',
    history: ['p1 get x @0..1 ok "a" v1', 'p2 update x "a" @5..6 ok v1'],
    unplaced: '#0',
  },
  {
    name: 'an unknown write cannot explain a version it would not produce',
    history: ['p1 update x "a" @0.. info', 'p2 get x @5..6 ok "a" v2'],
    unplaced: '#1',
  },
  {
    name: 'an unknown write invoked later cannot explain an earlier version',
    history: ['p1 update x "b" @0..1 ok v2', 'p2 update x "c" @5.. info'],
    unplaced: '#0',
  },
  {
    name: 'nor can one invoked after the read, tried after backing out another',
    history: [
      'p1 update x "a" @0.. info',
      'p2 update x "c" @5.. info',
      'p3 update x "c" @6.. info',
      'p4 get x @1..2 ok "c" v1',
    ],
    unplaced: '#3',
  },
  {
    name: 'a violation on one key among many',
    history: [
      'p1 update a 1 @0..1 ok v1',
      'p2 update b 1 @0..1 ok v1',
      'p1 get a @2..3 ok 1 v1',
      'p2 get b @2..3 ok absent',
    ],
    unplaced: '#3',
  },
];

describe('linearizable histories are accepted', () => {
  test.each(linearizable)('$name', ({ history }) => {
    expect(checkLinearizable(parseHistory(history), kvModel)).toMatchObject({ ok: true });
  });
});

describe('non-linearizable histories are rejected', () => {
  test.each(violations)('$name', ({ history, unplaced }) => {
    const result = checkLinearizable(parseHistory(history), kvModel);
    expect(result.ok).toBe(false);
    if (result.ok !== false) return;
    expect(result.unplaced.length).toBeGreaterThan(0);
    expect(result.explanation).toContain(`${unplaced}`);
    expect(result.explanation).toContain('must take effect by');
  });
});

describe('explanations', () => {
  test('name the key, the longest prefix, the state after it and the stuck read', () => {
    const history = parseHistory([
      'p1 update x "a" @0..1 ok v1',
      'p1 update x "b" @2..3 ok v2',
      'p2 get x @4..5 ok "a" v1',
    ]);
    const result = checkLinearizable(history, kvModel);
    expect(result).toMatchObject({ ok: false, key: 'x' });
    if (result.ok !== false) return;
    expect(result.prefix.map((op) => op.id)).toEqual([0, 1]);
    expect(result.unplaced.map((op) => op.id)).toEqual([2]);
    expect(result.explanation.split('\n')).toEqual([
      'key "x": not linearizable (3 operations on this key)',
      'longest linearizable prefix (2 operations):',
      '  #0 p1 update x "a" @0..1 ok v1',
      '  #1 p1 update x "b" @2..3 ok v2',
      'state after it: "b" at version 2',
      '#2 p2 get x @4..5 ok "a" v1 must take effect by 5, but nothing can go next:',
      '  #2 p2 get x @4..5 ok "a" v1: contradicts this state',
    ]);
  });

  test('report the first violating key in key order, whatever the input order', () => {
    const history = parseHistory(['p1 get zeta @0..1 ok "never"', 'p1 get alpha @2..3 ok "never"']);
    expect(checkLinearizable(history, kvModel)).toMatchObject({ ok: false, key: 'alpha' });
  });
});

describe('options', () => {
  test('deletes may count as writes (deleteBumpsVersion)', () => {
    const history = parseHistory([
      'p1 create x "a" @0..1 ok v1',
      'p1 delete x @2..3 ok deleted v2',
      'p1 delete x @4..5 ok kept v2',
      'p1 create x "b" @6..7 ok v3',
    ]);
    const bumping = createKvModel({ deleteBumpsVersion: true });
    expect(checkLinearizable(history, bumping)).toMatchObject({ ok: true });
    expect(checkLinearizable(history, kvModel)).toMatchObject({ ok: false });
  });

  test('a custom drop predicate replaces the default', () => {
    const history = parseHistory([
      'p1 create x "a" @0..1 ok v1',
      'p2 get x @2..3 ok "stale-replica" v9',
    ]);
    const options = { drop: (op: { readonly process: number | string }) => op.process === 2 };
    expect(checkLinearizable(history, kvModel, options)).toMatchObject({ ok: true });
  });

  test('a search past its budget answers unknown rather than hanging', () => {
    const history = parseHistory([
      'p1 update x 1 @0..10 ok',
      'p2 update x 2 @0..10 ok',
      'p3 update x 3 @0..10 ok',
      'p4 get x @11..12 ok 4',
    ]);
    const result = checkLinearizable(history, kvModel, { exploredStatesMax: 5 });
    expect(result).toMatchObject({ ok: 'unknown', key: 'x' });
  });

  test('a definite violation on another key wins over an unknown one', () => {
    const history = parseHistory([
      'p1 update a 1 @0..10 ok',
      'p2 update a 2 @0..10 ok',
      'p3 update a 3 @0..10 ok',
      'p4 get a @11..12 ok 4',
      'p5 get b @0..1 ok 4',
    ]);
    const result = checkLinearizable(history, kvModel, { exploredStatesMax: 5 });
    expect(result).toMatchObject({ ok: false, key: 'b' });
  });

  test('without memoisation the verdicts are the same', () => {
    for (const { history } of linearizable) {
      const result = checkLinearizable(parseHistory(history), kvModel, { memoBytesMax: 0 });
      expect(result.ok).toBe(true);
    }
    for (const { history } of violations) {
      const result = checkLinearizable(parseHistory(history), kvModel, { memoBytesMax: 0 });
      expect(result.ok).toBe(false);
    }
  });

  test('malformed histories are programmer errors', () => {
    const [op] = parseHistory(['p1 get x @5..6 ok absent']);
    expect(() => checkLinearizable([op!, op!], kvModel)).toThrow(/duplicate operation id/);
    const backwards = { ...op!, complete: 4 };
    expect(() => checkLinearizable([backwards], kvModel)).toThrow(/completes before invoke/);
  });
});

// The classic anomalies, each as a hand-made history the linearizability checker must judge
// right, by two routes: the text notation checked against the KV model (as the simulator
// does), and Jepsen-style events recorded with Raft-index versions and passed through
// `forLinearizability` (as the chaos harness does against the real cluster). The notation
// cases add what linearizability.test.ts does not already cover; the event cases cover every
// anomaly, since that route strips versions and CAS conditions and so sees less.
import { describe, expect, test } from 'vitest';
import { casViolations, forLinearizability } from '../../chaos/real-versions.js';
import type { HistoryEvent, OpKind, Value } from './history.js';
import { parseHistory } from './history.js';
import { kvModel } from './kv-model.js';
import { checkLinearizable } from './linearizability.js';

interface Case {
  readonly name: string;
  readonly history: readonly string[];
}

const rejected: Case[] = [
  {
    name: 'a read of a value whose write failed definitely (VersionConflict)',
    history: [
      'p1 create x "a" @0..1 ok v1',
      'p2 update x "b" if=7 @2..3 fail VersionConflict',
      'p3 get x @4..5 ok "b" v2',
    ],
  },
  {
    name: 'a read of a value whose write failed definitely (AlreadyExists)',
    history: [
      'p1 create x "a" @0..1 ok v1',
      'p2 create x "b" @2..3 fail AlreadyExists',
      'p3 get x @4..5 ok "b" v2',
    ],
  },
  {
    name: 'a read of a value whose write failed definitely (Unavailable)',
    history: ['p1 update x "b" @0..1 fail Unavailable', 'p2 get x @2..3 ok "b" v1'],
  },
  {
    name: 'a read of a value whose write failed definitely, while it was still in flight',
    history: ['p1 update x "b" @0..10 fail Unavailable', 'p2 get x @2..3 ok "b"'],
  },
  {
    name: 'a read of a value never written, on a key nobody wrote',
    history: ['p1 get x @0..1 ok "ghost"'],
  },
  {
    name: 'a read of a value never written, while writes of unknown outcome are in flight',
    history: [
      'p1 update x "a" @0.. info',
      'p2 create x "b" @1.. info',
      'p3 update x "c" @2..20 ok',
      'p4 get x @5..6 ok "zzz"',
    ],
  },
  {
    name: 'a stale read after an unknown write was already seen',
    history: [
      'p1 update x "a" @0..1 ok v1',
      'p2 update x "b" @2.. info',
      'p3 get x @3..4 ok "b" v2',
      'p3 get x @5..6 ok "a" v1',
    ],
  },
  {
    name: 'a stale read after a completed write, told by values alone (no versions)',
    history: ['p1 update x "a" @0..1 ok', 'p1 update x "b" @2..3 ok', 'p2 get x @4..5 ok "a"'],
  },
  {
    name: 'a lost update: compare-and-sets on one version both succeed, one after the other',
    history: [
      'p1 create x 0 @0..1 ok v1',
      'p2 update x 1 if=1 @2..3 ok v2',
      'p3 update x 2 if=1 @4..5 ok v3',
    ],
  },
  {
    name: 'a lost update: an acknowledged write vanishes and the value it replaced returns',
    history: [
      'p1 update x "a" @0..1 ok',
      'p2 update x "b" @2..3 ok',
      'p3 get x @4..5 ok "b"',
      'p3 get x @6..7 ok "a"',
    ],
  },
];

const accepted: Case[] = [
  {
    name: 'an unknown write whose value is read, and keeps being read',
    history: [
      'p1 update x "a" @0..1 ok v1',
      'p2 update x "b" @2.. info',
      'p3 get x @10..11 ok "b" v2',
      'p3 get x @12..13 ok "b" v2',
    ],
  },
  {
    name: 'an unknown compare-and-set whose value is read later',
    history: [
      'p1 create x "a" @0..1 ok v1',
      'p2 update x "b" if=1 @2.. info',
      'p3 get x @30..31 ok "b" v2',
    ],
  },
  {
    name: 'concurrent overlapping writes, read mid-flight in one order',
    history: [
      'p1 update x "a" @0..30 ok',
      'p2 update x "b" @5..35 ok',
      'p3 update x "c" @10..40 ok',
      'p4 get x @12..13 ok "a"',
      'p4 get x @15..16 ok "c"',
      'p5 get x @20..21 ok "b"',
      'p4 get x @50..51 ok "b"',
    ],
  },
];

describe('anomalies the checker rejects (notation, KV model)', () => {
  test.each(rejected)('$name', ({ history }) => {
    const result = checkLinearizable(parseHistory(history), kvModel);
    expect(result).toMatchObject({ ok: false, key: 'x' });
  });
});

describe('histories like them that the checker accepts (notation, KV model)', () => {
  test.each(accepted)('$name', ({ history }) => {
    expect(checkLinearizable(parseHistory(history), kvModel)).toMatchObject({ ok: true });
  });
});

/** What a call returned; no completion at all means the client never heard back. */
interface Completion {
  readonly type: 'ok' | 'fail' | 'info';
  readonly value?: Value;
  readonly version?: number;
  readonly deleted?: boolean;
  readonly error?: string;
}

/** A client call on key x: who, what, when (invoke, complete), input, completion. */
type Call = [
  client: string,
  f: OpKind,
  invoke: number,
  complete: number,
  input: { readonly value?: Value; readonly ifVersion?: number },
  done: Completion | undefined,
];

/** The events a recorder writes for the calls, in time order (completions first on ties). */
function events(calls: readonly Call[]): HistoryEvent[] {
  const all: HistoryEvent[] = [];
  for (const [client, f, invoke, complete, input, done] of calls) {
    all.push({ process: client, type: 'invoke', f, key: 'x', time: invoke, ...input });
    if (done !== undefined) all.push({ process: client, f, key: 'x', time: complete, ...done });
  }
  return all.sort((a, b) => a.time - b.time || (a.type === 'invoke' ? 1 : -1));
}

const ok = (version: number, value?: Value): Completion =>
  value === undefined ? { type: 'ok', version } : { type: 'ok', value, version };
const none = {};

/** The chaos harness's verdict: versions and CAS conditions stripped, then the KV model. */
function chaosCheck(calls: readonly Call[]) {
  return checkLinearizable(forLinearizability(events(calls)), kvModel);
}

const chaosRejected: Array<{ readonly name: string; readonly calls: readonly Call[] }> = [
  {
    name: 'a stale read after a completed write',
    calls: [
      ['c1', 'update', 0, 1, { value: 'a' }, ok(17)],
      ['c1', 'update', 2, 3, { value: 'b' }, ok(42)],
      ['c2', 'get', 4, 5, none, ok(17, 'a')],
    ],
  },
  {
    name: 'a lost update: an acknowledged write vanishes and the value it replaced returns',
    calls: [
      ['c1', 'update', 0, 1, { value: 'a' }, ok(17)],
      ['c2', 'update', 2, 3, { value: 'b' }, ok(42)],
      ['c3', 'get', 4, 5, none, ok(42, 'b')],
      ['c3', 'get', 6, 7, none, ok(17, 'a')],
    ],
  },
  {
    name: 'a read of a value never written',
    calls: [
      ['c1', 'update', 0, 1, { value: 'a' }, ok(17)],
      ['c2', 'get', 2, 3, none, ok(18, 'zzz')],
    ],
  },
  {
    name: 'a read of a value whose write failed definitely (VersionConflict)',
    calls: [
      ['c1', 'create', 0, 1, { value: 'a' }, ok(17)],
      [
        'c2',
        'update',
        2,
        3,
        { value: 'b', ifVersion: 5 },
        { type: 'fail', error: 'VersionConflict' },
      ],
      ['c3', 'get', 4, 5, none, ok(20, 'b')],
    ],
  },
  {
    name: 'a read of a value whose write failed definitely (Unavailable)',
    calls: [
      ['c1', 'update', 0, 1, { value: 'b' }, { type: 'fail', error: 'Unavailable' }],
      ['c2', 'get', 2, 3, none, ok(20, 'b')],
    ],
  },
];

const chaosAccepted: Array<{ readonly name: string; readonly calls: readonly Call[] }> = [
  {
    name: 'concurrent overlapping writes, read mid-flight in one order',
    calls: [
      ['c1', 'update', 0, 30, { value: 'a' }, ok(17)],
      ['c2', 'update', 5, 35, { value: 'b' }, ok(42)],
      ['c3', 'update', 10, 40, { value: 'c' }, ok(23)],
      ['c4', 'get', 12, 13, none, ok(17, 'a')],
      ['c4', 'get', 15, 16, none, ok(23, 'c')],
      ['c5', 'get', 20, 21, none, ok(42, 'b')],
      ['c4', 'get', 50, 51, none, ok(42, 'b')],
    ],
  },
  {
    name: 'an info write whose value is read later',
    calls: [
      ['c1', 'update', 0, 1, { value: 'a' }, ok(17)],
      ['c2', 'update', 2, 9, { value: 'b' }, { type: 'info' }],
      ['c3', 'get', 10, 11, none, ok(42, 'b')],
    ],
  },
  {
    name: 'a write that never completed (the client died) whose value is read later',
    calls: [
      ['c1', 'update', 0, 1, { value: 'a' }, ok(17)],
      ['c2', 'update', 2, 0, { value: 'b' }, undefined],
      ['c3', 'get', 10, 11, none, ok(42, 'b')],
    ],
  },
];

describe('the same anomalies through the chaos route (events, Raft-index versions)', () => {
  test.each(chaosRejected)('rejected: $name', ({ calls }) => {
    expect(chaosCheck(calls)).toMatchObject({ ok: false, key: 'x' });
  });

  test.each(chaosAccepted)('accepted: $name', ({ calls }) => {
    expect(chaosCheck(calls)).toMatchObject({ ok: true });
  });

  // forLinearizability removes CAS conditions, so two compare-and-sets on one version that
  // both succeed look like two plain writes to the value check; the CAS check catches them.
  test('rejected: a lost update: compare-and-sets on one version both succeed', () => {
    const calls: Call[] = [
      ['c1', 'create', 0, 1, { value: 'a' }, ok(17)],
      ['c2', 'get', 2, 3, none, ok(17, 'a')],
      ['c2', 'update', 4, 5, { value: 'b', ifVersion: 17 }, ok(42)],
      ['c3', 'update', 6, 7, { value: 'c', ifVersion: 17 }, ok(43)],
    ];
    expect(chaosCheck(calls)).toMatchObject({ ok: true });
    expect(casViolations(events(calls))).toEqual([
      'update x if=17 by c3 and by c2 both succeeded: a lost update',
      'update x if=17 by c3 succeeded after update x v42 by c2 ended',
    ]);
  });

  test('accepted: concurrent compare-and-sets on one version where one is refused', () => {
    const calls: Call[] = [
      ['c1', 'create', 0, 1, { value: 'a' }, ok(17)],
      ['c2', 'update', 4, 8, { value: 'b', ifVersion: 17 }, ok(42)],
      [
        'c3',
        'update',
        5,
        9,
        { value: 'c', ifVersion: 17 },
        { type: 'fail', error: 'VersionConflict' },
      ],
      ['c3', 'update', 10, 11, { value: 'd', ifVersion: 42 }, ok(50)],
    ];
    expect(chaosCheck(calls)).toMatchObject({ ok: true });
    expect(casViolations(events(calls))).toEqual([]);
  });
});

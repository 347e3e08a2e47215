// The KV model's sequential semantics, one step at a time: what each operation may return
// from a given state and what state follows; how values compare; and the search aids
// (`matters`, `readOnly`, `infoClasses`, `prepare`) it offers the checker.
import { describe, expect, test } from 'vitest';
import { type Operation, parseHistory, type Value } from './history.js';
import { canonical, createKvModel, type KvState, kvModel, valuesEqual } from './kv-model.js';
import type { Model } from './linearizability.js';

/** Runs `setup` (each step must be accepted), then steps `line` from the state reached. */
function stepAfter(
  setup: readonly string[],
  line: string,
  model: Model<KvState> = kvModel,
): { ok: boolean; before: string; after: string } {
  let state = model.init();
  for (const op of parseHistory(setup)) {
    const stepped = model.step(state, op);
    expect(stepped.ok, `setup step ${op.id}`).toBe(true);
    state = stepped.next;
  }
  const [op] = parseHistory([line]);
  const stepped = model.step(state, op!);
  return { ok: stepped.ok, before: model.describe(state), after: model.describe(stepped.next) };
}

const created = ['p1 create x "a" @0..1 ok v1'];
const deleted = [...created, 'p1 delete x @2..3 ok deleted v1'];

const steps: Array<{ setup: string[]; op: string; ok: boolean; after: string }> = [
  { setup: [], op: 'p get x @0..1 ok absent', ok: true, after: 'absent (last version 0)' },
  { setup: [], op: 'p get x @0..1 fail NotFound', ok: true, after: 'absent (last version 0)' },
  { setup: created, op: 'p get x @0..1 ok "a" v1', ok: true, after: '"a" at version 1' },
  { setup: created, op: 'p get x @0..1 ok "a"', ok: true, after: '"a" at version 1' },
  { setup: created, op: 'p get x @0..1 ok "a" v2', ok: false, after: '"a" at version 1' },
  { setup: created, op: 'p get x @0..1 ok "b" v1', ok: false, after: '"a" at version 1' },
  { setup: created, op: 'p get x @0..1 ok absent', ok: false, after: '"a" at version 1' },
  { setup: [], op: 'p update x "b" @0..1 ok v1', ok: true, after: '"b" at version 1' },
  { setup: created, op: 'p update x "b" @0..1 ok v2', ok: true, after: '"b" at version 2' },
  { setup: created, op: 'p update x "b" @0..1 ok v1', ok: false, after: '"a" at version 1' },
  { setup: created, op: 'p update x "b" if=1 @0..1 ok v2', ok: true, after: '"b" at version 2' },
  {
    setup: created,
    op: 'p update x "b" if=2 @0..1 fail VersionConflict',
    ok: true,
    after: '"a" at version 1',
  },
  {
    setup: created,
    op: 'p update x "b" if=1 @0..1 fail VersionConflict',
    ok: false,
    after: '"a" at version 1',
  },
  { setup: [], op: 'p update x "b" if=0 @0..1 ok v1', ok: true, after: '"b" at version 1' },
  { setup: deleted, op: 'p update x "b" if=0 @0..1 ok v2', ok: true, after: '"b" at version 2' },
  {
    setup: deleted,
    op: 'p update x "b" if=1 @0..1 fail VersionConflict',
    ok: true,
    after: 'absent (last version 1)',
  },
  {
    setup: created,
    op: 'p create x "b" @0..1 fail AlreadyExists',
    ok: true,
    after: '"a" at version 1',
  },
  {
    setup: deleted,
    op: 'p create x "b" @0..1 fail AlreadyExists',
    ok: false,
    after: 'absent (last version 1)',
  },
  { setup: deleted, op: 'p create x "b" @0..1 ok v2', ok: true, after: '"b" at version 2' },
  { setup: deleted, op: 'p create x "b" @0..1 ok v1', ok: false, after: 'absent (last version 1)' },
  {
    setup: created,
    op: 'p delete x @0..1 ok deleted v1',
    ok: true,
    after: 'absent (last version 1)',
  },
  { setup: created, op: 'p delete x @0..1 ok kept', ok: false, after: '"a" at version 1' },
  { setup: [], op: 'p delete x @0..1 ok kept v0', ok: true, after: 'absent (last version 0)' },
  { setup: [], op: 'p delete x @0..1 ok deleted', ok: false, after: 'absent (last version 0)' },
  { setup: [], op: 'p delete x @0..1 fail NotFound', ok: true, after: 'absent (last version 0)' },
  {
    setup: created,
    op: 'p delete x if=0 @0..1 fail VersionConflict',
    ok: true,
    after: '"a" at version 1',
  },
  {
    setup: created,
    op: 'p delete x if=1 @0..1 ok deleted',
    ok: true,
    after: 'absent (last version 1)',
  },
  { setup: created, op: 'p update x "b" @0.. info', ok: true, after: '"b" at version 2' },
  { setup: created, op: 'p create x "b" @0.. info', ok: true, after: '"a" at version 1' },
  { setup: created, op: 'p update x "b" if=5 @0.. info', ok: true, after: '"a" at version 1' },
];

describe('one step of the KV model', () => {
  test.each(steps)('after $setup.length steps: $op -> $ok', ({ setup, op, ok, after }) => {
    expect(stepAfter(setup, op)).toMatchObject({ ok, after });
  });

  test('a delete may count as a write (deleteBumpsVersion)', () => {
    const bumping = createKvModel({ deleteBumpsVersion: true });
    expect(stepAfter(created, 'p delete x @0..1 ok deleted v2', bumping)).toMatchObject({
      ok: true,
      after: 'absent (last version 2)',
    });
    const afterDelete = [...created, 'p delete x @2..3 ok deleted v2'];
    expect(stepAfter(afterDelete, 'p create x "b" @4..5 ok v3', bumping).ok).toBe(true);
    expect(stepAfter(afterDelete, 'p delete x @4..5 ok kept v2', bumping).ok).toBe(true);
  });
});

describe('value equality', () => {
  const equal: Array<[Value, Value]> = [
    [
      { a: 1, b: [true, null] },
      { b: [true, null], a: 1 },
    ],
    [new Uint8Array([1, 2, 255]), new Uint8Array([1, 2, 255])],
    [5n, 5],
    [-0, 0],
    ['', ''],
  ];
  const different: Array<[Value, Value]> = [
    ['1', 1],
    ['a,b', ['a', 'b']],
    [['a', 'b'], ['a,b']],
    [{ a: 'b' }, { a: 'b', c: null }],
    [null, 'null'],
    [new Uint8Array([1]), [1]],
    [2n ** 64n, 2 ** 64],
    ['s1:a', 'a'],
  ];

  test.each(equal)('%o equals %o', (a, b) => {
    expect(valuesEqual(a, b)).toBe(true);
  });

  test.each(different)('%o differs from %o', (a, b) => {
    expect(valuesEqual(a, b)).toBe(false);
  });

  test('only plain data is accepted', () => {
    const notPlain = new Map([['a', 1]]) as unknown as Value;
    expect(() => canonical(notPlain)).toThrow(/plain msgpack data/);
  });
});

describe('search aids', () => {
  const classify = (line: string): { matters: boolean; readOnly: boolean } => {
    const [op] = parseHistory([line]);
    return { matters: kvModel.matters(op!), readOnly: kvModel.readOnly(op!) };
  };

  test.each([
    ['p get x @0..1 ok absent', true, true],
    ['p get x @0.. info', false, true],
    ['p get x @0..1 fail Timeout', false, true],
    ['p update x 1 @0..1 fail Unavailable', false, true],
    ['p update x 1 if=1 @0..1 fail VersionConflict', true, true],
    ['p update x 1 @0..1 ok v1', true, false],
    ['p update x 1 @0.. info', true, false],
    ['p delete x @0..1 ok kept', true, true],
    ['p delete x @0..1 ok', true, false],
    ['p delete x @0.. info', true, false],
  ])('%s: matters %s, read-only %s', (line, matters, readOnly) => {
    expect(classify(line)).toEqual({ matters, readOnly });
  });

  test('unknown writes group by kind and ifVersion while nobody reads their value', () => {
    const ops = parseHistory([
      'p1 update x "a" @0.. info',
      'p2 update x "b" @0.. info',
      'p3 update x "c" if=1 @0.. info',
      'p4 create x "d" @0.. info',
      'p5 update x "e" @0.. info',
      'p6 get x @1..2 ok "e" v1',
      'p7 update x "f" @1..2 ok v2',
    ]);
    const keys = kvModel.infoClasses!(ops);
    expect(keys[0]).toBe(keys[1]);
    expect(new Set(keys.slice(1, 5)).size).toBe(4);
    expect(keys.slice(5)).toEqual([undefined, undefined]);
    const [create, updateIfAbsent] = kvModel.infoClasses!(
      parseHistory(['p1 create x "a" @0.. info', 'p2 update x "b" if=0 @0.. info']),
    );
    expect(create).toBe(updateIfAbsent);
  });

  test('a read of a value only one write wrote gives that write a deadline', () => {
    const ops = parseHistory([
      'p1 update x "a" @0.. info',
      'p2 update x "b" @0..50 ok',
      'p3 update x "c" @0.. info',
      'p4 update x "c" @0.. info',
      'p5 get x @1..9 ok "a"',
      'p6 get x @5..7 ok "a"',
      'p7 get x @1..20 ok "b"',
      'p8 get x @1..3 ok "c"',
    ]);
    const windows = (kvModel.prepare!(ops) as Operation[]).map((op) => op.complete);
    const infinity = Number.POSITIVE_INFINITY;
    expect(windows).toEqual([7, 20, infinity, infinity, 9, 7, 20, 3]);
  });
});

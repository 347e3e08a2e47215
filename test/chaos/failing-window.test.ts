// Tests for the smallest failing window: a stale read planted in a long executed history
// shrinks to the few ops around it; no window of a correct history ever fails (soundness, as
// a seeded property); and every window returned fails from every state the key could have
// been in before it, checked by brute force over those states.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type Cas,
  type Cell,
  execute,
  type Fate,
  fateOf,
  overlappingPlansArb,
  type Plan,
  pick,
  type Recording,
  seeded,
} from '../sim/checkers/generated-histories.js';
import type { GetOp, Operation, OpKind, Value } from '../sim/checkers/history.js';
import { parseHistory } from '../sim/checkers/history.js';
import { type KvState, kvModel } from '../sim/checkers/kv-model.js';
import { checkLinearizable, type Model, type Violation } from '../sim/checkers/linearizability.js';
import { type FailingWindow, smallestFailingWindow, windowOf } from './failing-window.js';

/** String values, and reads that always end ok whatever fate they drew; seven processes. */
const recording: Recording = { valueOf: (id) => `v${id}`, unknownReads: false };
const processOf = (index: number): number => index % 7;

/** `count` ops on key x, 10 ms apart with windows up to ±`spread` ms around their points. */
function longPlans(seed: number, count: number, spread: number, unknownShare = 0): Plan[] {
  const random = seeded(seed);
  const kinds: OpKind[] = ['get', 'get', 'get', 'update', 'update', 'update', 'create', 'delete'];
  return Array.from({ length: count }, (_, i): Plan => {
    const point = 10 * i;
    const roll = random();
    return {
      process: processOf(i),
      key: 'x',
      f: pick(random, kinds),
      cas: random() < 0.2 ? 'current' : 'none',
      fate: fateOf(roll, unknownShare),
      invoke: point - Math.floor(random() * spread),
      point,
      complete: point + Math.floor(random() * spread),
    };
  });
}

interface Planted {
  readonly ops: Operation[];
  /** The stale read and the acknowledged write it missed. */
  readonly read: Operation;
  readonly missed: Operation;
}

/**
 * Makes the first get at or after `from` whose value comes from a write that completed
 * before the get began, and whose predecessor value was written by an op completed before
 * that write began, return the predecessor's value: a stale read no order can explain.
 */
function plantStaleRead(plans: readonly Plan[], from: number): Planted {
  const { ops, found } = execute(plans, recording);
  const writerOf = new Map<Value, Operation>();
  for (const op of ops) if (op.f === 'update' || op.f === 'create') writerOf.set(op.value, op);
  const previous = new Map<Operation, Cell>();
  for (const [i, op] of ops.entries()) if (op.f !== 'get') previous.set(op, found[i]!);
  for (const read of ops.slice(from)) {
    if (read.f !== 'get' || read.outcome.type !== 'ok' || read.outcome.output === null) continue;
    const missed = writerOf.get(read.outcome.output.value)!;
    const before = previous.get(missed)!;
    const older = before.present ? writerOf.get(before.value) : undefined;
    if (missed.complete >= read.invoke || older === undefined) continue;
    if (older.complete >= missed.invoke) continue;
    const output = { value: before.value, version: before.version };
    const stale: Operation = { ...read, outcome: { type: 'ok', output } };
    return { ops: ops.map((op) => (op === read ? stale : op)), read: stale, missed };
  }
  throw new Error('no read to make stale');
}

function violationOf(ops: readonly Operation[]): Violation {
  const result = checkLinearizable(ops, kvModel);
  if (result.ok !== false) throw new Error(`expected a violation, got ${JSON.stringify(result)}`);
  return result;
}

const isPrior = (line: string): boolean => line.startsWith('(prior) ');

/** The window's ops other than the synthetic prior ones. */
function withoutPrior(window: FailingWindow): Operation[] {
  return window.ops.filter((_, i) => !isPrior(window.lines[i]!));
}

/** The state after writing `value` to an empty key, as the model itself computes it. */
function holding(value: Value): KvState {
  const write: Operation = {
    id: 0,
    process: 0,
    key: 'x',
    invoke: 0,
    complete: 0,
    f: 'update',
    value,
    outcome: { type: 'ok', output: {} },
  };
  return kvModel.step(kvModel.init(), write).next;
}

/**
 * Brute force over prior states: the window without its prior ops is rejected starting from
 * absent and from every value an op invoked before the window may have written: the states
 * the key could have been in (a later write, or a failed one, cannot have set them).
 */
function failsFromEveryPriorState(window: FailingWindow, history: readonly Operation[]): void {
  const own = withoutPrior(window);
  const inWindow = new Set(own.map((op) => op.id));
  const key = own[0]!.key;
  const earlier = history.filter(
    (op) => op.key === key && !inWindow.has(op.id) && op.invoke <= window.fromMs,
  );
  const written = earlier.flatMap((op) =>
    (op.f === 'update' || op.f === 'create') && op.outcome.type !== 'fail' ? [op.value] : [],
  );
  const states = [kvModel.init(), ...written.map(holding)];
  for (const state of states) {
    const model: Model<KvState> = { ...kvModel, init: () => state };
    expect(checkLinearizable(own, model).ok, kvModel.describe(state)).toBe(false);
  }
}

describe('smallestFailingWindow', () => {
  test('a stale read in the middle of 600 ops shrinks to it and the write it missed', () => {
    const planted = plantStaleRead(longPlans(3, 600, 25), 300);
    const window = smallestFailingWindow(planted.ops, violationOf(planted.ops), kvModel);
    const own = withoutPrior(window).map((op) => op.id);
    expect(own.length).toBeLessThanOrEqual(5);
    expect(own).toContain(planted.read.id);
    expect(own).toContain(planted.missed.id);
    expect(window.lines.some(isPrior)).toBe(true);
    expect(window.fromMs).toBeGreaterThan(2000);
    expect(window.toMs).toBeLessThan(window.fromMs + 200);
    expect(checkLinearizable(window.ops, kvModel).ok).toBe(false);
    failsFromEveryPriorState(window, planted.ops);
  });

  test('the lines show prior, pending and cut ops for what they are', () => {
    const history = parseHistory([
      'p1 update x "a" @0..10 ok v1',
      'p2 update x "b" @20..30 ok v2',
      'p3 update x "c" @15.. info',
      'p4 get x @40..50 ok "a" v1',
      'p5 update x "d" @45..60 ok',
      'p6 get x @55..56 ok "d"',
    ]);
    const window = smallestFailingWindow(history, violationOf(history), kvModel);
    expect(window.lines).toEqual([
      '(prior) #-1 pprior delete x @19..19 ok',
      '(prior) #-2 pprior update x "a" @19..19 ok',
      '(pending) #2 p3 update x "c" @15.. info',
      '#1 p2 update x "b" @20..30 ok',
      '#3 p4 get x @40..50 ok "a"',
      '(cut) #4 p5 update x "d" @45.. info',
    ]);
    expect([window.fromMs, window.toMs]).toEqual([20, 50]);
    failsFromEveryPriorState(window, history);
  });

  test('pending writes alike are trimmed to one per definite op, and no further', () => {
    // Each delete needs a write to have taken effect just before it: two of the four.
    const history = parseHistory([
      'p1 update x "a" @0.. info',
      'p2 update x "b" @1.. info',
      'p3 update x "c" @2.. info',
      'p4 update x "d" @3.. info',
      'p5 delete x @10..11 ok deleted',
      'p6 delete x @20..21 ok deleted',
    ]);
    const window = windowOf(history, 'x', 4, 5, kvModel);
    expect(window?.lines).toEqual([
      '(prior) #-1 pprior delete x @9..9 ok',
      '(pending) #2 p3 update x "c" @2.. info',
      '(pending) #3 p4 update x "d" @3.. info',
      '#4 p5 delete x @10..11 ok deleted',
      '#5 p6 delete x @20..21 ok deleted',
    ]);
    expect(checkLinearizable(window!.ops, kvModel)).toMatchObject({ ok: true });
  });

  test('a violation only versions reveal keeps its window at the first op, with versions', () => {
    const history = parseHistory([
      'p1 create x 0 @0..1 ok v1',
      'p1 update x 1 @2..3 ok v2',
      'p2 get x @4..5 ok 1 v2',
      'p3 update x 2 if=2 @6..7 ok v3',
      'p4 update x 3 if=2 @8..9 ok v4',
      'p2 get x @10..11 ok 3 v4',
    ]);
    const window = smallestFailingWindow(history, violationOf(history), kvModel);
    expect(window.lines.some(isPrior)).toBe(false);
    expect(window.fromMs).toBe(0);
    expect(window.lines.at(-1)).toBe('#4 p4 update x 3 if=2 @8..9 ok v4');
    expect(checkLinearizable(window.ops, kvModel).ok).toBe(false);
  });

  test('without budget to prove anything smaller, the whole key history is the window', () => {
    const planted = plantStaleRead(longPlans(3, 600, 25), 300);
    const noise = parseHistory(['#1000 p9 update y "other" @0..1 ok v1']);
    const ops = [...planted.ops, ...noise];
    const window = smallestFailingWindow(ops, violationOf(ops), kvModel, { workMax: 1 });
    const kept = planted.ops.filter((op) => kvModel.matters(op));
    expect(window.ops.map((op) => op.id).sort((a, b) => a - b)).toEqual(kept.map((op) => op.id));
    expect(window.lines.every((line) => line.startsWith('#'))).toBe(true);
  });

  test('3000 ops on one key, some of unknown outcome, shrink within the default budget', () => {
    const planted = plantStaleRead(longPlans(11, 3000, 40, 0.02), 1500);
    const window = smallestFailingWindow(planted.ops, violationOf(planted.ops), kvModel);
    // Each earlier unknown write may still take effect, but alike ones are trimmed.
    const own = window.lines.filter((line) => !isPrior(line) && !line.startsWith('(pending)'));
    expect(own.length).toBeLessThanOrEqual(6);
    expect(withoutPrior(window).length).toBeLessThanOrEqual(16);
    expect(withoutPrior(window).map((op) => op.id)).toContain(planted.read.id);
    expect(checkLinearizable(window.ops, kvModel).ok).toBe(false);
  });
});

/** Op specs for one history; `unknown` weighs the fates that end with an unknown outcome. */
function plansArbOf(opsMax: number, unknown: number): fc.Arbitrary<Plan[]> {
  const fates: Fate[] = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok'];
  fates.fill('info', 0, unknown).fill('phantom', 0, Math.floor(unknown / 2));
  const kinds: OpKind[] = ['get', 'get', 'update', 'update', 'create', 'delete'];
  const cas: Cas[] = ['none', 'none', 'current', 'stale'];
  const keys = ['x', 'x', 'x', 'y'];
  return overlappingPlansArb({ kinds, keys, cas, fates, processOf }, opsMax);
}

const plansArb = plansArbOf(12, 1);

/** Checks every window of both keys; none may be rejected, since the history is correct. */
function everyWindowPasses(ops: readonly Operation[]): void {
  for (const key of ['x', 'y']) {
    const count = ops.filter((op) => op.key === key && kvModel.matters(op)).length;
    for (let first = 0; first < count; first++) {
      for (let last = first; last < count; last++) {
        const window = windowOf(ops, key, first, last, kvModel);
        if (window === undefined) continue;
        expect(checkLinearizable(window.ops, kvModel).ok, window.lines.join('\n')).toBe(true);
      }
    }
  }
}

/** A read's new value: another op's value (stale or from the future), absent, or unwritten. */
function corrupt(ops: readonly Operation[], pick: number, choice: number): Operation[] {
  const reads = ops.filter((op): op is GetOp => op.f === 'get' && op.outcome.type === 'ok');
  const victim = reads[pick % reads.length]!;
  const values = ops.flatMap((op) => (op.f === 'update' || op.f === 'create' ? [op.value] : []));
  const choices: Array<{ value: Value } | null> = [
    ...values.map((value) => ({ value })),
    null,
    { value: 'never-written' },
  ];
  const output = choices[choice % choices.length]!;
  const changed: GetOp = { ...victim, outcome: { type: 'ok', output } };
  return ops.map((op) => (op === victim ? changed : op));
}

describe('soundness (seeded properties)', () => {
  test('no window of a history from a sequential execution is rejected', () => {
    fc.assert(
      fc.property(plansArb, (plans) => everyWindowPasses(execute(plans, recording).ops)),
      { seed: 7, numRuns: 400 },
    );
  });

  test('nor when half the outcomes are unknown, so many writes come along pending', () => {
    fc.assert(
      fc.property(plansArbOf(18, 3), (plans) => everyWindowPasses(execute(plans, recording).ops)),
      { seed: 7, numRuns: 200 },
    );
  });

  test('the window of a corrupted history is rejected on its own, from any prior state', () => {
    let shrunk = 0;
    fc.assert(
      fc.property(plansArb, fc.nat(), fc.nat(), (plans, pick, choice) => {
        const { ops } = execute(plans, recording);
        fc.pre(ops.some((op) => op.f === 'get' && op.outcome.type === 'ok'));
        const history = corrupt(ops, pick, choice);
        const result = checkLinearizable(history, kvModel);
        fc.pre(result.ok === false);
        if (result.ok !== false) return;
        const window = smallestFailingWindow(history, result, kvModel);
        expect(checkLinearizable(window.ops, kvModel).ok).toBe(false);
        if (!window.lines.some(isPrior)) return;
        shrunk += 1;
        failsFromEveryPriorState(window, history);
      }),
      { seed: 7, numRuns: 300 },
    );
    // Windows starting mid-history must be exercised, or the brute force proves little.
    expect(shrunk).toBeGreaterThan(50);
  });
});

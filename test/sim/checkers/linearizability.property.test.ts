// Seeded property tests for the linearizability checker: histories made by really running
// operations against a plain map (each op takes effect at a point inside its window) are
// always accepted; corrupting one read is always caught; on small random histories the search
// agrees with a brute-force enumeration of every order; and a busy history stays in budget.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Cas, Plan, Recording } from './generated-histories.js';
import { execute, fateOf, overlappingPlansArb, pick, seeded } from './generated-histories.js';
import type { Operation, OpKind, Outcome, Value } from './history.js';
import { type KvState, kvModel } from './kv-model.js';
import { checkLinearizable, exploredStatesMaxDefault, type Model } from './linearizability.js';

/** Numbered values, and reads that may end unknown like writes. */
const recording: Recording = { valueOf: (id) => id + 1, unknownReads: true };

/** Ops 100 apart, each window widened around its point; each op in a process of its own. */
function plansArbOf(opsMax: number): fc.Arbitrary<Plan[]> {
  const choices = {
    kinds: ['get', 'get', 'update', 'update', 'create', 'delete'],
    keys: ['x', 'y'],
    cas: ['none', 'none', 'current', 'stale', 'zero'],
    fates: ['ok', 'ok', 'ok', 'ok', 'info', 'phantom'],
    processOf: (index: number) => index,
  } as const;
  return overlappingPlansArb(choices, opsMax);
}

const plansArb = plansArbOf(25);

describe('properties', () => {
  test('histories from a real sequential execution are accepted', () => {
    fc.assert(
      fc.property(plansArb, (plans) => {
        const result = checkLinearizable(execute(plans, recording).ops, kvModel);
        expect(result).toMatchObject({ ok: true });
      }),
      { seed: 20_170_601, numRuns: 400 },
    );
  });

  test('one read changed to a value never written is rejected', () => {
    fc.assert(
      fc.property(plansArb, fc.nat(), (plans, pick) => {
        const ops = execute(plans, recording).ops;
        fc.pre(ops.some((op) => op.f === 'get' && op.outcome.type === 'ok'));
        expect(checkLinearizable(corruptRead(ops, pick), kvModel)).toMatchObject({ ok: false });
      }),
      { seed: 1_989_0101, numRuns: 400 },
    );
  });
});

/**
 * The naive check: try every order that respects real time (an op may go next unless another
 * remaining op completed strictly before its invoke), letting each unknown op either take
 * effect or not. Exponential, so only for a handful of ops.
 */
function bruteForce<S>(history: readonly Operation[], model: Model<S>): boolean {
  const keys = [...new Set(history.map((op) => op.key))];
  return keys.every((key) =>
    bruteForceKey(
      history.filter((op) => op.key === key),
      model,
    ),
  );
}

function bruteForceKey<S>(history: readonly Operation[], model: Model<S>): boolean {
  const ops = history.filter((op) => model.matters(op));
  const done = ops.map(() => false);
  const ready = (i: number): boolean =>
    ops.every((other, j) => done[j] || j === i || !(other.complete < ops[i]!.invoke));
  const search = (state: S, placed: number): boolean => {
    if (placed === ops.length) return true;
    for (let i = 0; i < ops.length; i++) {
      if (done[i] || !ready(i)) continue;
      done[i] = true;
      const stepped = model.step(state, ops[i]!);
      if (stepped.ok && search(stepped.next, placed + 1)) return true;
      if (ops[i]!.outcome.type === 'info' && search(state, placed + 1)) return true;
      done[i] = false;
    }
    return false;
  };
  return search(model.init(), 0);
}

const versionArb = fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined });
const smallValueArb = fc.constantFrom<Value>('a', 'b', 'c');
const errorArb = fc.constantFrom('VersionConflict', 'AlreadyExists', 'NotFound', 'Unavailable');

/** Any outcome at all, mostly wrong ones, with small versions so some are right by chance. */
function arbitraryOutcome<O>(output: fc.Arbitrary<O>): fc.Arbitrary<Outcome<O>> {
  return fc.oneof(
    { weight: 4, arbitrary: output.map((o) => ({ type: 'ok' as const, output: o })) },
    { weight: 1, arbitrary: errorArb.map((error) => ({ type: 'fail' as const, error })) },
    { weight: 1, arbitrary: fc.constant({ type: 'info' as const }) },
  );
}

const readArb = fc.option(
  fc
    .record({ value: smallValueArb, version: versionArb })
    .map(({ value, version }) => (version === undefined ? { value } : { value, version })),
  { nil: null },
);
const writtenArb = versionArb.map((version) => (version === undefined ? {} : { version }));
const deletedArb = fc.record({ deleted: fc.boolean(), version: versionArb });

const callArb = fc.oneof(
  fc.record({ f: fc.constant('get' as const), outcome: arbitraryOutcome(readArb) }),
  fc.record({
    f: fc.constant('update' as const),
    value: smallValueArb,
    ifVersion: versionArb,
    outcome: arbitraryOutcome(writtenArb),
  }),
  fc.record({
    f: fc.constant('create' as const),
    value: smallValueArb,
    outcome: arbitraryOutcome(writtenArb),
  }),
  fc.record({
    f: fc.constant('delete' as const),
    ifVersion: versionArb,
    outcome: arbitraryOutcome(deletedArb),
  }),
);

const smallHistoryArb = fc
  .array(fc.tuple(callArb, fc.nat(10), fc.nat(10)), { minLength: 1, maxLength: 6 })
  .map((calls) =>
    calls.map(([call, invoke, length], id): Operation => {
      const complete = call.outcome.type === 'info' ? Number.POSITIVE_INFINITY : invoke + length;
      return { ...call, id, process: id, key: 'x', invoke, complete };
    }),
  );

/** The KV model without its optional search aids, to test the bare search against them. */
const bareModel: Model<KvState> = { ...kvModel, prepare: undefined, infoClasses: undefined };

describe('against brute force', () => {
  test('the search agrees with trying every order on small random histories', () => {
    let accepted = 0;
    fc.assert(
      fc.property(smallHistoryArb, (history) => {
        const expected = bruteForce(history, kvModel);
        if (expected) accepted += 1;
        expect(checkLinearizable(history, kvModel).ok).toBe(expected);
        expect(checkLinearizable(history, bareModel).ok).toBe(expected);
      }),
      { seed: 1_990_0701, numRuns: 3000 },
    );
    // Both verdicts must be exercised, or agreement would prove little.
    expect(accepted).toBeGreaterThan(300);
    expect(accepted).toBeLessThan(2700);
  });
});

/**
 * Clients hammering a few keys: each key has `clients` processes issuing ops back to back
 * with windows of up to 40 ms, so about as many ops overlap at any time. `unknownShare` of
 * the ops end unknown: three in five of them took effect, the rest did not.
 */
function busyPlans(
  seed: number,
  shape: { keys: number; opsPerKey: number; clients: number; unknownShare: number },
): Plan[] {
  const { keys, opsPerKey, clients, unknownShare } = shape;
  const random = seeded(seed);
  const plans: Plan[] = [];
  for (let k = 0; k < keys; k++) {
    const cursors = new Array<number>(clients).fill(0);
    for (let n = 0; n < opsPerKey; n++) {
      const client = n % clients;
      const invoke = cursors[client]! + Math.floor(random() * 5);
      const complete = invoke + 1 + Math.floor(random() * 40);
      const point = invoke + random() * (complete - invoke);
      const fate = fateOf(random(), unknownShare);
      const f = pick<OpKind>(random, ['get', 'get', 'get', 'update', 'update', 'create', 'delete']);
      const cas = pick<Cas>(random, ['none', 'none', 'current', 'stale', 'zero']);
      plans.push({
        process: k * clients + client,
        key: `k${k}`,
        f,
        cas,
        fate,
        invoke,
        point,
        complete,
      });
      cursors[client] = complete;
    }
  }
  return plans;
}

/** Replaces one acknowledged read's value with one nobody wrote. */
function corruptRead(history: readonly Operation[], nth: number): Operation[] {
  const reads = history.filter((op) => op.f === 'get' && op.outcome.type === 'ok');
  const victim = reads[nth % reads.length]!;
  const output = { value: 'never-written', version: 1 };
  return history.map((op) =>
    op === victim ? { ...victim, f: 'get', outcome: { type: 'ok', output } } : op,
  );
}

describe('search budget sanity (step counts, not timings)', () => {
  const shape = { keys: 5, opsPerKey: 200, clients: 12, unknownShare: 0.05 };
  const busy = execute(busyPlans(7, shape), recording).ops;

  test('5 keys x 200 concurrent ops are decided within the default budget', () => {
    const result = checkLinearizable(busy, kvModel);
    expect(result).toMatchObject({ ok: true, keys: 5 });
    if (result.ok !== true) return;
    expect(result.exploredStates).toBeLessThan(exploredStatesMaxDefault / 10);
  });

  test('and a corrupted read in it is found within the default budget', () => {
    expect(checkLinearizable(corruptRead(busy, 150), kvModel)).toMatchObject({ ok: false });
  });

  // Proving a violation means trying every order before it, and each pending unknown write
  // multiplies those; past a few percent of unknown outcomes this can exhaust the budget.
  test('one hot key with 2000 ops from 10 clients (2% unknown) is decided within budget', () => {
    const shape = { keys: 1, opsPerKey: 2000, clients: 10, unknownShare: 0.02 };
    const hot = execute(busyPlans(11, shape), recording).ops;
    expect(checkLinearizable(hot, kvModel)).toMatchObject({ ok: true });
    expect(checkLinearizable(corruptRead(hot, 700), kvModel)).toMatchObject({ ok: false });
  });
});

type Mutation = 'none' | 'version up' | 'version down' | 'absent' | 'unknown';

/** Small, likely-wrong edits to one op of a correct history. */
function mutate(op: Operation, mutation: Mutation): Operation {
  const { outcome } = op;
  if (mutation === 'unknown' && op.f !== 'get') {
    return { ...op, complete: Number.POSITIVE_INFINITY, outcome: { type: 'info' } };
  }
  if (outcome.type !== 'ok') return op;
  if (mutation === 'absent' && op.f === 'get')
    return { ...op, outcome: { type: 'ok', output: null } };
  const shift = mutation === 'version up' ? 1 : mutation === 'version down' ? -1 : 0;
  if (shift === 0 || outcome.output === null || outcome.output.version === undefined) return op;
  const output = { ...outcome.output, version: outcome.output.version + shift };
  return { ...op, outcome: { type: 'ok', output } } as Operation;
}

const mutationArb = fc.constantFrom<Mutation>(
  'none',
  'version up',
  'version down',
  'absent',
  'unknown',
);

describe('against brute force, on executed histories with unique values', () => {
  test('the search agrees after one small edit (or none)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(plansArbOf(7), fc.nat(), mutationArb, (plans, pick, mutation) => {
        const ops = execute(plans, recording).ops;
        const index = pick % ops.length;
        const history = ops.map((op, i) => (i === index ? mutate(op, mutation) : op));
        const expected = bruteForce(history, kvModel);
        if (expected) accepted += 1;
        expect(checkLinearizable(history, kvModel).ok).toBe(expected);
      }),
      { seed: 2_024_0229, numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(200);
    expect(accepted).toBeLessThan(1800);
  });
});

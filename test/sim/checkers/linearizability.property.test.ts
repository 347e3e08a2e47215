// Seeded property tests for the linearizability checker: histories made by really running
// operations against a plain map (each op takes effect at a point inside its window) are
// always accepted; corrupting one read is always caught; on small random histories the search
// agrees with a brute-force enumeration of every order; and a busy history stays in budget.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Operation, OpKind, Outcome, Value } from './history.js';
import { type KvState, kvModel } from './kv-model.js';
import { checkLinearizable, exploredStatesMaxDefault, type Model } from './linearizability.js';

type Cas = 'none' | 'current' | 'stale' | 'zero';
/** `phantom` is an unknown-outcome write that in fact never took effect. */
type Fate = 'ok' | 'info' | 'phantom';

/** An operation to run: it takes effect at `point`, which lies inside [invoke, complete]. */
interface Planned {
  readonly process: number;
  readonly key: string;
  readonly f: OpKind;
  readonly cas: Cas;
  readonly fate: Fate;
  readonly invoke: number;
  readonly point: number;
  readonly complete: number;
}

interface Cell {
  readonly present: boolean;
  readonly version: number;
  readonly value: Value;
}

type Result =
  | {
      readonly ok: true;
      readonly read?: Cell;
      readonly version?: number;
      readonly deleted?: boolean;
    }
  | { readonly ok: false; readonly error: string };

/** The store's rules written out plainly, independent of kv-model.ts. */
function run(cell: Cell, f: OpKind, value: Value, ifVersion?: number): [Cell, Result] {
  const current = cell.present ? cell.version : 0;
  if (f === 'get') return [cell, { ok: true, read: cell }];
  if (ifVersion !== undefined && ifVersion !== current) {
    return [cell, { ok: false, error: 'VersionConflict' }];
  }
  if (f === 'create' && cell.present) return [cell, { ok: false, error: 'AlreadyExists' }];
  if (f === 'delete') {
    const after = { present: false, version: cell.version, value: null };
    return [after, { ok: true, deleted: cell.present, version: cell.version }];
  }
  const written = { present: true, version: cell.version + 1, value };
  return [written, { ok: true, version: written.version }];
}

function ifVersionFor(plan: Planned, cell: Cell): number | undefined {
  const current = cell.present ? cell.version : 0;
  if (plan.f === 'get' || plan.f === 'create' || plan.cas === 'none') return undefined;
  return plan.cas === 'current' ? current : plan.cas === 'stale' ? current + 1 : 0;
}

/** Runs the plans in point order and records what each client was told. */
function execute(plans: readonly Planned[]): Operation[] {
  const cells = new Map<string, Cell>();
  const ops: Operation[] = [];
  const order = plans.map((_, i) => i).sort((a, b) => plans[a]!.point - plans[b]!.point || a - b);
  for (const index of order) {
    const plan = plans[index]!;
    const cell = cells.get(plan.key) ?? { present: false, version: 0, value: null };
    const ifVersion = ifVersionFor(plan, cell);
    const [after, result] = run(cell, plan.f, index + 1, ifVersion);
    const unknown = plan.fate !== 'ok';
    if (plan.fate !== 'phantom') cells.set(plan.key, after);
    ops[index] = record(plan, index, ifVersion, unknown ? undefined : result);
  }
  return ops;
}

function record(plan: Planned, id: number, ifVersion: number | undefined, result?: Result) {
  const base = {
    id,
    process: plan.process,
    key: plan.key,
    invoke: plan.invoke,
    complete: result === undefined ? Number.POSITIVE_INFINITY : plan.complete,
  };
  const cas = ifVersion === undefined ? {} : { ifVersion };
  const outcome = <O>(output: (ok: Result & { ok: true }) => O): Outcome<O> => {
    if (result === undefined) return { type: 'info' };
    if (!result.ok) return { type: 'fail', error: result.error };
    return { type: 'ok', output: output(result) };
  };
  const version = (r: { version?: number }) => ({ version: r.version! });
  switch (plan.f) {
    case 'get':
      return {
        ...base,
        f: plan.f,
        outcome: outcome((r) =>
          r.read?.present ? { value: r.read.value, version: r.read.version } : null,
        ),
      } satisfies Operation;
    case 'update':
      return {
        ...base,
        f: plan.f,
        value: id + 1,
        ...cas,
        outcome: outcome(version),
      } satisfies Operation;
    case 'create':
      return { ...base, f: plan.f, value: id + 1, outcome: outcome(version) } satisfies Operation;
    case 'delete':
      return {
        ...base,
        f: plan.f,
        ...cas,
        outcome: outcome((r) => ({ deleted: r.deleted!, version: r.version! })),
      } satisfies Operation;
  }
}

const specArb = fc.record({
  f: fc.constantFrom<OpKind>('get', 'get', 'update', 'update', 'create', 'delete'),
  key: fc.constantFrom('x', 'y'),
  cas: fc.constantFrom<Cas>('none', 'none', 'current', 'stale', 'zero'),
  fate: fc.constantFrom<Fate>('ok', 'ok', 'ok', 'ok', 'info', 'phantom'),
  before: fc.nat(250),
  after: fc.nat(250),
});

/** Ops 100 apart, each window widened around its point: overlaps of up to five ops. */
function plansArbOf(opsMax: number): fc.Arbitrary<Planned[]> {
  return fc.array(specArb, { minLength: 1, maxLength: opsMax }).map((specs) =>
    specs.map(
      (spec, i): Planned => ({
        ...spec,
        process: i,
        invoke: 100 * i - spec.before,
        point: 100 * i,
        complete: 100 * i + spec.after,
      }),
    ),
  );
}

const plansArb = plansArbOf(25);

describe('properties', () => {
  test('histories from a real sequential execution are accepted', () => {
    fc.assert(
      fc.property(plansArb, (plans) => {
        const result = checkLinearizable(execute(plans), kvModel);
        expect(result).toMatchObject({ ok: true });
      }),
      { seed: 20_170_601, numRuns: 400 },
    );
  });

  test('one read changed to a value never written is rejected', () => {
    fc.assert(
      fc.property(plansArb, fc.nat(), (plans, pick) => {
        const ops = execute(plans);
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

/** mulberry32: a tiny seeded generator, so the busy history is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Clients hammering a few keys: each key has `clients` processes issuing ops back to back
 * with windows of up to 40 ms, so about as many ops overlap at any time. `unknownShare` of
 * the ops end unknown: three in five of them took effect, the rest did not.
 */
function busyPlans(
  seed: number,
  shape: { keys: number; opsPerKey: number; clients: number; unknownShare: number },
): Planned[] {
  const { keys, opsPerKey, clients, unknownShare } = shape;
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const plans: Planned[] = [];
  for (let k = 0; k < keys; k++) {
    const cursors = new Array<number>(clients).fill(0);
    for (let n = 0; n < opsPerKey; n++) {
      const client = n % clients;
      const invoke = cursors[client]! + Math.floor(random() * 5);
      const complete = invoke + 1 + Math.floor(random() * 40);
      const point = invoke + random() * (complete - invoke);
      const roll = random();
      const fate: Fate =
        roll < unknownShare * 0.6 ? 'info' : roll < unknownShare ? 'phantom' : 'ok';
      const f = pick<OpKind>(['get', 'get', 'get', 'update', 'update', 'create', 'delete']);
      const cas = pick<Cas>(['none', 'none', 'current', 'stale', 'zero']);
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
  const busy = execute(busyPlans(7, { keys: 5, opsPerKey: 200, clients: 12, unknownShare: 0.05 }));

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
    const hot = execute(
      busyPlans(11, { keys: 1, opsPerKey: 2000, clients: 10, unknownShare: 0.02 }),
    );
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
        const ops = execute(plans);
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

// Random key-value histories that are linearizable by construction, for property tests of the
// checker and of what is built on it (the chaos harness's smallest failing window). Ops are
// planned with overlapping [invoke, complete] windows and a point inside each where the op
// takes effect; running them one after another in point order against a plain map of cells
// records what every client was told. The store's rules are written out plainly here,
// independent of kv-model.ts, so the checker is tested against a second account of them.
// Pure: randomness comes from fast-check or from a seeded generator; no clock, no I/O.
import fc from 'fast-check';
import type { Operation, OpKind, Outcome, Value } from './history.js';

/** How a write names a version: not at all, the current one, one ahead, or 0 ("if absent"). */
export type Cas = 'none' | 'current' | 'stale' | 'zero';
/** `phantom` is an unknown-outcome write that in fact never took effect. */
export type Fate = 'ok' | 'info' | 'phantom';

/** One op to run: it takes effect at `point`, inside [invoke, complete]. */
export interface Plan {
  readonly process: number;
  readonly key: string;
  readonly f: OpKind;
  readonly cas: Cas;
  readonly fate: Fate;
  readonly invoke: number;
  readonly point: number;
  readonly complete: number;
}

/** One key as the store holds it; `version` survives a delete. */
export interface Cell {
  readonly present: boolean;
  readonly version: number;
  readonly value: Value;
}

export const emptyCell: Cell = { present: false, version: 0, value: null };

/** What the two kinds of callers record differently. */
export interface Recording {
  /** The value op `id` writes (distinct per op, so a read names its writer). */
  readonly valueOf: (id: number) => Value;
  /** Whether a get's fate applies too (an unknown read), or gets always end ok. */
  readonly unknownReads: boolean;
}

function ifVersionFor(plan: Plan, cell: Cell): number | undefined {
  if (plan.f === 'get' || plan.f === 'create' || plan.cas === 'none') return undefined;
  const current = cell.present ? cell.version : 0;
  return plan.cas === 'current' ? current : plan.cas === 'stale' ? current + 1 : 0;
}

/** Applies one op to a key's cell the way the store does, and records what the client saw. */
function runOp(cell: Cell, plan: Plan, id: number, recording: Recording): [Cell, Operation] {
  const known = plan.fate === 'ok' || (plan.f === 'get' && !recording.unknownReads);
  const complete = known ? plan.complete : Number.POSITIVE_INFINITY;
  const at = { id, process: plan.process, key: plan.key, invoke: plan.invoke, complete };
  if (plan.f === 'get') {
    const output = cell.present ? { value: cell.value, version: cell.version } : null;
    const outcome: Outcome<typeof output> = known ? { type: 'ok', output } : { type: 'info' };
    return [cell, { ...at, f: 'get', outcome }];
  }
  const current = cell.present ? cell.version : 0;
  const ifVersion = ifVersionFor(plan, cell);
  const cas = ifVersion === undefined ? {} : { ifVersion };
  const refused =
    (ifVersion !== undefined && ifVersion !== current) || (plan.f === 'create' && cell.present);
  const value = recording.valueOf(id);
  let next = cell;
  if (!refused && plan.f === 'delete')
    next = { present: false, version: cell.version, value: null };
  else if (!refused) next = { present: true, version: cell.version + 1, value };
  const error = plan.f === 'create' ? 'AlreadyExists' : 'VersionConflict';
  const outcome = <O>(output: O): Outcome<O> => {
    if (!known) return { type: 'info' };
    return refused ? { type: 'fail', error } : { type: 'ok', output };
  };
  const after = plan.fate === 'phantom' ? cell : next;
  switch (plan.f) {
    case 'delete': {
      const output = { deleted: cell.present, version: cell.version };
      return [after, { ...at, f: 'delete', ...cas, outcome: outcome(output) }];
    }
    case 'create':
      return [after, { ...at, f: 'create', value, outcome: outcome({ version: next.version }) }];
    case 'update': {
      const written = outcome({ version: next.version });
      return [after, { ...at, f: 'update', value, ...cas, outcome: written }];
    }
  }
}

/** Runs the plans in point order; op `i` is plan `i`'s, and `found[i]` the cell it found. */
export function execute(
  plans: readonly Plan[],
  recording: Recording,
): { ops: Operation[]; found: Cell[] } {
  const cells = new Map<string, Cell>();
  const ops: Operation[] = [];
  const found: Cell[] = [];
  const order = plans.map((_, i) => i).sort((a, b) => plans[a]!.point - plans[b]!.point || a - b);
  for (const index of order) {
    const plan = plans[index]!;
    const cell = cells.get(plan.key) ?? emptyCell;
    const [after, op] = runOp(cell, plan, index, recording);
    cells.set(plan.key, after);
    ops[index] = op;
    found[index] = cell;
  }
  return { ops, found };
}

/** What a planned op may be; each list is drawn from uniformly, so a repeat weighs a choice. */
export interface PlanChoices {
  readonly kinds: readonly OpKind[];
  readonly keys: readonly string[];
  readonly cas: readonly Cas[];
  readonly fates: readonly Fate[];
  /** The process that runs op `index`. */
  readonly processOf: (index: number) => number;
}

/** Up to `opsMax` ops 100 apart, each window widened by up to 250 around its point. */
export function overlappingPlansArb(choices: PlanChoices, opsMax: number): fc.Arbitrary<Plan[]> {
  const specArb = fc.record({
    f: fc.constantFrom(...choices.kinds),
    key: fc.constantFrom(...choices.keys),
    cas: fc.constantFrom(...choices.cas),
    fate: fc.constantFrom(...choices.fates),
    before: fc.nat(250),
    after: fc.nat(250),
  });
  // Overlaps of up to five ops.
  return fc.array(specArb, { minLength: 1, maxLength: opsMax }).map((specs) =>
    specs.map(
      (spec, i): Plan => ({
        ...spec,
        process: choices.processOf(i),
        invoke: 100 * i - spec.before,
        point: 100 * i,
        complete: 100 * i + spec.after,
      }),
    ),
  );
}

/** mulberry32: a tiny seeded generator, so a long history is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One of `items`, drawing once from `random`. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/**
 * The fate for a `roll` in [0, 1): `unknownShare` of the rolls end unknown, three in five of
 * those having taken effect (`info`) and the rest not (`phantom`).
 */
export function fateOf(roll: number, unknownShare: number): Fate {
  return roll < unknownShare * 0.6 ? 'info' : roll < unknownShare ? 'phantom' : 'ok';
}

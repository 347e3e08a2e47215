// Shrinks a linearizability violation to the smallest window of the violating key's history
// that is still non-linearizable on its own, so a chaos report shows the handful of operations
// that cannot be explained instead of thousands. A window [i, j] is the key's operations i..j
// in invoke order (after the checker's drop), checked alone. The hard part is soundness: the
// window must fail only if the whole history does, whatever state the key was in before it.
//
// 1. The end. A plain prefix by invoke order is NOT sound: a get invoked before a write may
//    still return its value, so cutting between them turns a correct history into a
//    violation. A cut in time is sound: with T the invoke of op j+1, a window op that had not
//    completed before T becomes a write of unknown outcome (`(cut)`) or, if it changes nothing
//    (a read, a definite failure), is left out. Proof: in a linearization L of the history,
//    an op ordered before one that completed before T was invoked before T, so it lies in
//    the window; L up to the last definite window op orders the window, and the cut ops are
//    placed as in L or never. Window [0, j] is also the cut of window [0, j+1], so if [0, j]
//    fails so does [0, j+1]: failure is monotone in j and the end is binary searched.
// 2. The start. Let t0 be the first invoke among the window's definite ops. Ops before i that
//    completed before t0 precede every definite window op in any L, so all they leave is the
//    state s0 the window starts in. Ops before i still running at t0 (or of unknown outcome)
//    may take effect inside the window: their writes come along as unknown-outcome ops
//    (`(pending)`), their reads are left out. Of pending writes that no window read can tell
//    apart, only as many of each kind as the window has definite ops are kept (see
//    `fewestPending`), or every long-lost unknown write would join every window.
// 3. The unknown s0. It is absent or holds a value written before the window: by a finished
//    op, or by an unknown-outcome one, which is in the window and can take effect first by
//    itself. Synthetic prior ops
//    stand for it (`(prior)`): one delete and one update per such value, all definite, all
//    concurrent, all completing before t0, so exactly one goes last and sets s0 to any of
//    those states and to nothing else. Unknown-outcome prior writes would be sound too, but
//    one could take effect late, inside the window, and so explain the very stale reads worth
//    showing. Values no window read returns cannot be told apart inside the window, so one
//    stands for all: the prior ops are the values read in the window that finished writes
//    before it left, one unread value and the delete. Being concurrent, each doubles the
//    search; a window needing more than `priorValuesMax` values is not tried.
// 4. Versions. Prior ops cannot recreate the key's version (the model counts writes from 1,
//    the real cluster uses Raft indexes), so a window that starts after the key's first op
//    has versions and compare-and-set conditions removed, as real-versions.ts does: reads and
//    writes report no version, a refused CAS says nothing, an accepted one is a plain write.
//    That only accepts more, so it stays sound; a violation only versions reveal (two CAS
//    on one version both succeed) needs a window from the key's first op, which keeps them.
// The argument relies on the KV model's rules (kv-model.ts).
//
// Search. Proving a violation means exhausting every order before it, which on thousands of
// ops with unknown outcomes can take millions of steps, so the search stays near the op the
// checker got stuck on and grows windows from small to large: for an end at that op (then
// ever further past it) try the windows of 1, 2, 4, ... ops ending there; at the first that
// fails, bisect its start, then its end, then its start again. Failure is monotone in the
// start only roughly, so the window found is small, not provably the smallest. Only if no
// such window fails are windows from the first op tried, by binary search over the end.
// Every check is capped (`exploredStatesMax`, and `workMax` in all); a check that runs out
// counts as "not shown failing", so the answer is always a window the checker rejected, at
// worst the key's whole history, which the checker rejected already.
import { assert } from '@troupe/runtime/assert';
import type { Operation, Value } from '../sim/checkers/history.js';
import { formatOp } from '../sim/checkers/history.js';
import { canonical } from '../sim/checkers/kv-model.js';
import type { Model, Violation } from '../sim/checkers/linearizability.js';
import { checkLinearizable } from '../sim/checkers/linearizability.js';

export interface FailingWindow {
  /** Self-contained: `checkLinearizable(ops, model)` rejects it. Prior ops first. */
  readonly ops: Operation[];
  /** `formatOp` of each op, in `ops` order, prefixed `(prior) `, `(pending) ` or `(cut) `. */
  readonly lines: string[];
  /** The first invoke and last completion among the window's own (not prior/pending) ops. */
  readonly fromMs: number;
  readonly toMs: number;
}

export interface FailingWindowOptions {
  /** Model steps one window check may take; past it the window counts as not failing. */
  readonly exploredStatesMax?: number;
  /**
   * Model steps for the whole shrink. The checker reports no step count for a violation, so
   * a check that does not pass is charged its full cap.
   */
  readonly workMax?: number;
  /** Most values read in a window that a prior op must offer; larger windows are skipped. */
  readonly priorValuesMax?: number;
  /** The drop the violation was found with; default: what the model says does not matter. */
  readonly drop?: (op: Operation) => boolean;
}

export const windowCheckStatesMax = 200_000;
export const windowWorkMax = 4_000_000;
export const priorValuesMaxDefault = 8;

type Role = 'prior' | 'pending' | 'cut' | 'own';

interface Placed {
  readonly op: Operation;
  readonly role: Role;
}

/** The rejected key's ops, in the order windows index them: by invoke, then id. */
function keyHistory<S>(
  ops: readonly Operation[],
  key: string,
  model: Model<S>,
  drop: ((op: Operation) => boolean) | undefined,
): Operation[] {
  const dropped = drop ?? ((op: Operation) => !model.matters(op));
  return ops
    .filter((op) => op.key === key && !dropped(op))
    .sort((a, b) => a.invoke - b.invoke || a.id - b.id);
}

/**
 * Window [first, last] of one key's sorted history, as a history of its own (see the header
 * for why each rule keeps it sound), or undefined when it cannot fail (no definite op) or
 * would need more prior values than allowed.
 */
function buildWindow(
  history: readonly Operation[],
  first: number,
  last: number,
  priorValuesMax: number,
): Placed[] | undefined {
  const cutAt = history[last + 1]?.invoke ?? Number.POSITIVE_INFINITY;
  const own: Placed[] = [];
  for (const op of history.slice(first, last + 1)) {
    // An op from the window's very start keeps its versions: the initial state is known.
    const kept = first === 0 ? op : withoutVersions(op);
    if (kept === undefined) continue;
    if (kept.complete < cutAt || kept.outcome.type === 'info') own.push({ op: kept, role: 'own' });
    else pushUnknown(own, kept, 'cut');
  }
  if (first === 0) return own;
  const definite = own.filter(({ op }) => op.outcome.type !== 'info');
  if (definite.length === 0) return undefined;
  const start = Math.min(...definite.map(({ op }) => op.invoke));
  const earlier = history.slice(0, first);
  const read = readValues(own);
  const prior = priorOps(earlier, own, start, read, priorValuesMax);
  if (prior === undefined) return undefined;
  const pending: Placed[] = [];
  for (const op of earlier) {
    const kept = op.complete >= start ? withoutVersions(op) : undefined;
    if (kept !== undefined) pushUnknown(pending, kept, 'pending');
  }
  return [...prior, ...fewestPending(pending, read, definite.length), ...own];
}

/** The canonical values the window's successful gets returned. */
function readValues(own: readonly Placed[]): Set<string> {
  const read = new Set<string>();
  for (const { op } of own) {
    if (op.f === 'get' && op.outcome.type === 'ok' && op.outcome.output !== null) {
      read.add(canonical(op.outcome.output.value));
    }
  }
  return read;
}

/**
 * Pending writes of a value no window read returns are alike within each kind (update,
 * create, delete): they all start before the window and no read tells their values apart.
 * Between two definite window ops any run of such writes ends in the same state as at most
 * one of each kind (a delete, then a create or an update), so one per kind per definite op
 * covers every order; the latest are kept, the rest only lengthen the window.
 */
function fewestPending(pending: readonly Placed[], read: Set<string>, gaps: number): Placed[] {
  const counts = new Map<string, number>();
  const kept: Placed[] = [];
  for (const placed of [...pending].reverse()) {
    const { op } = placed;
    const readable = (op.f === 'update' || op.f === 'create') && read.has(canonical(op.value));
    const kind = readable ? undefined : op.f;
    const count = kind === undefined ? 0 : (counts.get(kind) ?? 0);
    if (kind !== undefined) counts.set(kind, count + 1);
    if (count < gaps) kept.push(placed);
  }
  return kept.reverse();
}

/** Adds a write as an op of unknown outcome; ops that change nothing are left out. */
function pushUnknown(into: Placed[], op: Operation, role: Role): void {
  if (op.f === 'get' || op.outcome.type === 'fail') return;
  const complete = Number.POSITIVE_INFINITY;
  into.push({ op: { ...op, complete, outcome: { type: 'info' } }, role });
}

/**
 * The synthetic ops that can leave the key in any state the ops before the window could
 * have: concurrent definite writes, one per candidate, and a delete.
 */
function priorOps(
  earlier: readonly Operation[],
  own: readonly Placed[],
  start: number,
  read: Set<string>,
  priorValuesMax: number,
): Placed[] | undefined {
  const values = new Map<string, Value>();
  let unread: Value | undefined;
  for (const op of earlier) {
    // A write still pending at the start needs no prior op: it comes along and can itself
    // take effect first. Leaving it out keeps it the sole writer of its value, which lets
    // the model give it a deadline from the reads of that value.
    const summarized = op.complete < start && op.outcome.type === 'ok';
    if ((op.f !== 'update' && op.f !== 'create') || !summarized) continue;
    const valueKey = canonical(op.value);
    if (read.has(valueKey)) values.set(valueKey, op.value);
    else unread ??= op.value;
  }
  if (values.size > priorValuesMax) return undefined;
  const offered = unread === undefined ? [...values.values()] : [...values.values(), unread];
  // Below every real id, so no id repeats; the times make them precede the window.
  let id = 0;
  for (const op of earlier) id = Math.min(id, op.id);
  for (const { op } of own) id = Math.min(id, op.id);
  const at = { process: 'prior', key: own[0]!.op.key, invoke: start - 1, complete: start - 1 };
  const prior: Placed[] = [
    { op: { ...at, id: --id, f: 'delete', outcome: { type: 'ok', output: {} } }, role: 'prior' },
  ];
  for (const value of offered) {
    const op: Operation = { ...at, id: --id, f: 'update', value, outcome: ok({}) };
    prior.push({ op, role: 'prior' });
  }
  return prior;
}

function ok<O>(output: O): { readonly type: 'ok'; readonly output: O } {
  return { type: 'ok', output };
}

/**
 * The op with versions and CAS conditions gone, or undefined if it then says nothing (a
 * refused CAS). Every order the original allows this allows too, which is what keeps a
 * window that starts mid-history sound.
 */
function withoutVersions(op: Operation): Operation | undefined {
  const { outcome } = op;
  if (outcome.type === 'fail' && outcome.error === 'VersionConflict') return undefined;
  switch (op.f) {
    case 'get': {
      if (op.outcome.type !== 'ok') return op;
      const read = op.outcome.output;
      return { ...op, outcome: ok(read === null ? null : { value: read.value }) };
    }
    case 'update': {
      const { ifVersion: _cas, ...rest } = op;
      return op.outcome.type === 'ok' ? { ...rest, outcome: ok({}) } : rest;
    }
    case 'create':
      return op.outcome.type === 'ok' ? { ...op, outcome: ok({}) } : op;
    case 'delete': {
      const { ifVersion: _cas, ...rest } = op;
      if (op.outcome.type !== 'ok') return rest;
      const { deleted } = op.outcome.output;
      return { ...rest, outcome: ok(deleted === undefined ? {} : { deleted }) };
    }
  }
}

type Verdict = 'fails' | 'passes' | 'unknown';

/** Runs window checks under the per-check and total budgets. */
class Prover<S> {
  work = 0;

  constructor(
    readonly history: readonly Operation[],
    private readonly model: Model<S>,
    readonly limits: Required<Omit<FailingWindowOptions, 'drop'>>,
  ) {}

  /**
   * Whether the checker rejects window [first, last]; `unknown` when it ran out of budget,
   * which says larger windows would too. A window not tried (it has no definite op, or
   * needs too many prior values) counts as passing.
   */
  check(first: number, last: number): [Verdict, Placed[] | undefined] {
    const cap = Math.min(this.limits.exploredStatesMax, this.limits.workMax - this.work);
    if (cap <= 0) return ['unknown', undefined];
    const window = buildWindow(this.history, first, last, this.limits.priorValuesMax);
    if (window === undefined) return ['passes', undefined];
    const ops = window.map(({ op }) => op);
    // The window holds exactly the ops to check: the caller's drop was applied already.
    const result = checkLinearizable(ops, this.model, { exploredStatesMax: cap, drop: never });
    this.work += result.ok === true ? result.exploredStates : cap;
    if (result.ok === 'unknown') return ['unknown', undefined];
    return result.ok ? ['passes', undefined] : ['fails', window];
  }

  /** The window if it fails; anything else counts as not failing. */
  failing(first: number, last: number): Placed[] | undefined {
    return this.check(first, last)[1];
  }
}

const never = (): boolean => false;

/**
 * Window [first, last] of `key`'s history as the shrink checks it (indexes count the key's
 * ops the checker keeps, in invoke order), or undefined if it cannot fail or would need more
 * prior values than allowed. For tests and for reading a window around a known point.
 */
export function windowOf<S>(
  ops: readonly Operation[],
  key: string,
  first: number,
  last: number,
  model: Model<S>,
  options: Pick<FailingWindowOptions, 'drop' | 'priorValuesMax'> = {},
): FailingWindow | undefined {
  const history = keyHistory(ops, key, model, options.drop);
  assert(0 <= first && first <= last && last < history.length, 'window out of range');
  const max = options.priorValuesMax ?? priorValuesMaxDefault;
  const window = buildWindow(history, first, last, max);
  return window === undefined ? undefined : present(window);
}

/**
 * The smallest window of the violating key's history that the checker still rejects on its
 * own, starting from any state the key could have been in (see the header). `ops` is the
 * history the violation was found in; `model` the KV model it was found with.
 */
export function smallestFailingWindow<S>(
  ops: readonly Operation[],
  violation: Violation,
  model: Model<S>,
  options: FailingWindowOptions = {},
): FailingWindow {
  const history = keyHistory(ops, violation.key, model, options.drop);
  assert(history.length > 0, () => `no operations on the violating key ${violation.key}`);
  const limits = {
    exploredStatesMax: options.exploredStatesMax ?? windowCheckStatesMax,
    workMax: options.workMax ?? windowWorkMax,
    priorValuesMax: options.priorValuesMax ?? priorValuesMaxDefault,
  };
  const prover = new Prover(history, model, limits);
  const ends = endCandidates(history, violation);
  // Most of the budget for windows from the middle; the rest for prefixes, the only
  // windows that can show a violation that only versions reveal.
  const share = limits.workMax * 0.75;
  for (const end of ends) {
    if (prover.work >= share) break;
    const found = windowEndingAt(prover, end);
    if (found !== undefined) return present(found);
  }
  return present(smallestPrefix(prover, ends[0]!));
}

/**
 * Where to look for the window's end: the last op invoked before the checker's stuck ops
 * had all returned, then ever further past it (1, 3, 7, ... ops), then the history's end.
 */
function endCandidates(history: readonly Operation[], violation: Violation): number[] {
  const last = history.length - 1;
  const returns = violation.unplaced.map((op) => op.complete).filter(Number.isFinite);
  const stuck = returns.length === 0 ? Number.POSITIVE_INFINITY : Math.max(...returns);
  const found = history.findLastIndex((op) => op.invoke <= stuck);
  const ends = [found < 0 ? last : found];
  for (let step = 1; ends.at(-1)! < last; step = 2 * step + 1) {
    ends.push(Math.min(last, found + step));
  }
  return ends;
}

/**
 * The smallest failing window ending at or before `end`, if a window ending at `end` fails:
 * its start by `shrinkStart`, then its end by bisection with that start, then its start
 * again by bisection for that end (the cut there may allow a later start).
 */
function windowEndingAt<S>(prover: Prover<S>, end: number): Placed[] | undefined {
  const start = shrinkStart(prover, end);
  if (start === undefined) return undefined;
  let [first, window] = start;
  let passed = first - 1;
  let last = end;
  while (last - passed > 1) {
    const mid = Math.floor((passed + last) / 2);
    const found = prover.failing(first, mid);
    if (found === undefined) passed = mid;
    else [last, window] = [mid, found];
  }
  let later = last + 1;
  while (later - first > 1) {
    const mid = Math.floor((first + later) / 2);
    const found = prover.failing(mid, last);
    if (found === undefined) later = mid;
    else [first, window] = [mid, found];
  }
  return window;
}

/**
 * The largest start found such that [start, last] fails: windows of 1, 2, 4, ... ops back
 * from `last` until one fails, then bisection between it and the last one that passed.
 * Stops growing when a check runs out of budget, since larger windows cost more. Start 0 is
 * left to `smallestPrefix`: such a window keeps its versions and needs no prior ops.
 */
function shrinkStart<S>(prover: Prover<S>, last: number): [number, Placed[]] | undefined {
  let passed = last + 1;
  let failed: [number, Placed[]] | undefined;
  for (let size = 1; failed === undefined && passed > 1; size *= 2) {
    const first = Math.max(1, last + 1 - size);
    const [verdict, window] = prover.check(first, last);
    if (verdict === 'unknown') return undefined;
    if (window === undefined) passed = first;
    else failed = [first, window];
  }
  if (failed === undefined) return undefined;
  while (passed - failed[0] > 1) {
    const mid = Math.floor((failed[0] + passed) / 2);
    const window = prover.failing(mid, last);
    if (window === undefined) passed = mid;
    else failed = [mid, window];
  }
  return failed;
}

/**
 * The smallest failing window from the key's first op, by binary search over its end
 * (monotone, see the header), trying `hint` first. Without a rejected one the whole history
 * stands: the checker already rejected it.
 */
function smallestPrefix<S>(prover: Prover<S>, hint: number): Placed[] {
  const { history } = prover;
  let low = 0;
  let high = history.length - 1;
  let found: Placed[] = history.map((op) => ({ op, role: 'own' }));
  const probes = hint < high ? [hint] : [];
  while (low < high) {
    const mid = probes.pop() ?? Math.floor((low + high) / 2);
    const window = prover.failing(0, mid);
    if (window === undefined) {
      low = mid + 1;
    } else {
      high = mid;
      found = window;
    }
  }
  return found;
}

function present(window: readonly Placed[]): FailingWindow {
  const own = window.filter(({ role }) => role === 'own' || role === 'cut');
  const completions = own.map(({ op }) => op.complete).filter(Number.isFinite);
  const fromMs = Math.min(...own.map(({ op }) => op.invoke));
  return {
    ops: window.map(({ op }) => op),
    lines: window.map(({ op, role }) => (role === 'own' ? '' : `(${role}) `) + formatOp(op)),
    fromMs,
    toMs: completions.length === 0 ? fromMs : Math.max(...completions),
  };
}

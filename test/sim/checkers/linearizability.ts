// Linearizability checker for key-value histories, shared by the simulator and the chaos
// harness. It splits the history by key (linearizability is compositional, so each key can be
// checked alone) and runs Wing & Gong's search with Lowe's memoisation on each, as Porcupine
// does: walk the calls in time order, linearize any call invoked before the earliest pending
// return, backtrack at a return nobody linearized, and never revisit a (set of linearized
// ops, model state) pair. An op of unknown outcome (`info`) may take effect at any point after
// its invoke, or never. Bounded: past its budget it answers "unknown" instead of hanging.
import { assert } from '@troupe/runtime/assert';
import type { Operation } from './history.js';
import { formatOp, show } from './history.js';
import { Memo, OpSet } from './search-memo.js';

/** The answer to "could this operation, with this outcome, happen now?" */
export interface StepResult<S> {
  readonly ok: boolean;
  readonly next: S;
}

/**
 * A sequential specification for one key, as the search steps through it (kv-model.ts has
 * the store's). Everything in it must be a pure function of its arguments.
 */
export interface Model<S> {
  init(): S;
  step(state: S, op: Operation): StepResult<S>;
  /** Equal states must give equal ids: the search memoises on them. */
  id(state: S): string;
  describe(state: S): string;
  /** False for operations that neither change nor constrain state, which the checker drops. */
  matters(op: Operation): boolean;
  /**
   * True only if the op, whenever `step` accepts it, leaves the state as it was (a read, a
   * definite failure). The search then places it greedily; false is always safe.
   */
  readOnly(op: Operation): boolean;
  /**
   * Optional: for the info ops of one key's history, a class key each (undefined for none),
   * such that two info ops with the same key step alike from every state, or into states no
   * op in `ops` can tell apart. The search then tries only one per class.
   */
  infoClasses?(ops: readonly Operation[]): ReadonlyArray<string | undefined>;
  /**
   * Optional: one key's history rewritten into one with the same verdict that is quicker to
   * search: the same ops in the same order, windows tightened where the model can prove an op
   * took effect earlier (an info op given a finite `complete` must take effect), and inputs
   * replaced where no op could tell the difference. Explanations still show the originals.
   */
  prepare?(ops: readonly Operation[]): readonly Operation[];
}

export interface CheckOptions {
  /** Model steps the search may take per key before giving up with `unknown`. */
  readonly exploredStatesMax?: number;
  /**
   * Memory for the memo of one key's search. Past it the search stops memoising (still
   * correct, only slower), so memory stays bounded whatever the history.
   */
  readonly memoBytesMax?: number;
  /**
   * Operations to leave out entirely. The default drops what the model says neither changes
   * nor constrains state: reads of unknown outcome and definite failures such as
   * 'Unavailable' whose code says nothing about the key.
   */
  readonly drop?: (op: Operation) => boolean;
}

export const exploredStatesMaxDefault = 5_000_000;
export const memoBytesMaxDefault = 256 * 1024 * 1024;

/** A key whose history no sequential order explains. */
export interface Violation {
  readonly ok: false;
  readonly key: string;
  /** Several lines for a human: the prefix, the state after it, and what could not go next. */
  readonly explanation: string;
  /** The longest linearizable prefix the search found, in linearization order. */
  readonly prefix: readonly Operation[];
  /** The operations that could go next after `prefix`; none of them leads to a full order. */
  readonly unplaced: readonly Operation[];
}

export type CheckResult =
  | { readonly ok: true; readonly keys: number; readonly exploredStates: number }
  | Violation
  | { readonly ok: 'unknown'; readonly key: string; readonly reason: string };

type KeyResult =
  | { readonly ok: true; readonly exploredStates: number }
  | Violation
  | { readonly ok: 'unknown'; readonly key: string; readonly reason: string };

/**
 * Checks every key and reports the first violation in key order. A key that ran out of
 * budget is reported only if no other key has a definite violation, because a violation is
 * the more useful answer.
 */
export function checkLinearizable<S>(
  history: readonly Operation[],
  model: Model<S>,
  options: CheckOptions = {},
): CheckResult {
  validate(history);
  const drop = options.drop ?? ((op: Operation) => !model.matters(op));
  const limits = {
    exploredStatesMax: options.exploredStatesMax ?? exploredStatesMaxDefault,
    memoBytesMax: options.memoBytesMax ?? memoBytesMaxDefault,
  };
  assert(limits.exploredStatesMax > 0, 'exploredStatesMax must be positive');
  assert(limits.memoBytesMax >= 0, 'memoBytesMax must not be negative');
  const byKey = partitionByKey(history.filter((op) => !drop(op)));
  let unknown: CheckResult | undefined;
  let exploredStates = 0;
  for (const [key, ops] of byKey) {
    const result = checkKey(key, ops, model, limits);
    if (result.ok === false) return result;
    if (result.ok === 'unknown') unknown ??= result;
    else exploredStates += result.exploredStates;
  }
  return unknown ?? { ok: true, keys: byKey.size, exploredStates };
}

/** Groups operations by key, keys in sorted order so reports do not depend on input order. */
export function partitionByKey(history: readonly Operation[]): Map<string, Operation[]> {
  const groups = new Map<string, Operation[]>();
  for (const op of history) {
    const group = groups.get(op.key);
    if (group === undefined) groups.set(op.key, [op]);
    else group.push(op);
  }
  const keys = [...groups.keys()].sort();
  return new Map(keys.map((key) => [key, groups.get(key)!]));
}

function validate(history: readonly Operation[]): void {
  const ids = new Set<number>();
  for (const op of history) {
    assert(!ids.has(op.id), () => `duplicate operation id: ${show(op)}`);
    ids.add(op.id);
    assert(Number.isFinite(op.invoke), () => `invoke time must be finite: ${show(op)}`);
    assert(op.complete >= op.invoke, () => `operation completes before invoke: ${show(op)}`);
    const infinite = op.complete === Number.POSITIVE_INFINITY;
    assert(
      infinite === (op.outcome.type === 'info'),
      () => `only an info operation completes at +Infinity, and it must: ${show(op)}`,
    );
  }
}

interface Limits {
  readonly exploredStatesMax: number;
  readonly memoBytesMax: number;
}

/**
 * The search state for one key. Entries live in arrays rather than objects: entry 2i is the
 * call of op i and 2i+1 its return. `next`/`prev` hold two doubly linked lists that lift and
 * unlift edit in place (dancing links), so backtracking costs O(1) per step: from `head`, the
 * calls and returns of definite ops in time order; from `infoHead`, the calls of info ops in
 * invoke order (their returns would all sit at +Infinity, so they get no list entry).
 */
interface Search<S> {
  readonly ops: readonly Operation[];
  readonly model: Model<S>;
  readonly limits: Limits;
  readonly head: number;
  readonly infoHead: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** 1 where the op may never take effect: outcome unknown, no deadline (see `prepare`). */
  readonly info: Uint8Array;
  /** 1 where the model says the op never changes state (see runSearch). */
  readonly readOnly: Uint8Array;
  readonly classes: InfoClasses;
  readonly linearized: OpSet;
  readonly memo: Memo;
  /** Model state ids interned to small numbers, so memo entries hold a number. */
  readonly stateNumbers: Map<string, number>;
  /** Linearized call entries, in order; a forced one (see runSearch) is stored as ~entry. */
  readonly stack: number[];
  readonly stackStates: S[];
  best: number[];
  explored: number;
}

function checkKey<S>(
  key: string,
  ops: readonly Operation[],
  model: Model<S>,
  limits: Limits,
): KeyResult {
  const prepared = model.prepare?.(ops) ?? ops;
  assert(prepared.length === ops.length, 'prepare keeps every operation');
  for (const [index, op] of prepared.entries()) {
    assert(op.id === ops[index]!.id, 'prepare keeps the order of operations');
    assert(op.invoke === ops[index]!.invoke, 'prepare keeps invoke times');
    assert(op.complete <= ops[index]!.complete, 'prepare may only tighten windows');
  }
  const search = newSearch(prepared, model, limits);
  const outcome = runSearch(search);
  if (outcome === 'linearizable') return { ok: true, exploredStates: search.explored };
  if (outcome === 'budget') {
    saveBest(search);
    const reason =
      `search took ${search.explored} model steps (exploredStatesMax) on ${ops.length} ` +
      `operations without deciding; longest prefix found: ${search.best.length}`;
    return { ok: 'unknown', key, reason };
  }
  return explainViolation(key, ops, prepared, model, search.best);
}

function newSearch<S>(ops: readonly Operation[], model: Model<S>, limits: Limits): Search<S> {
  const head = ops.length * 2;
  const infoHead = head + 1;
  const next = new Int32Array(head + 2).fill(-1);
  const prev = new Int32Array(head + 2).fill(-1);
  const info = Uint8Array.from(ops, (op) => (op.complete === Number.POSITIVE_INFINITY ? 1 : 0));
  const order = timeOrder(ops);
  const definite = order.filter((entry) => info[entry >> 1] === 0);
  const infoCalls = order.filter((entry) => info[entry >> 1] === 1 && (entry & 1) === 0);
  chain(next, prev, head, definite);
  chain(next, prev, infoHead, infoCalls);
  return {
    ops,
    model,
    limits,
    head,
    infoHead,
    next,
    prev,
    info,
    readOnly: Uint8Array.from(ops, (op) => (model.readOnly(op) ? 1 : 0)),
    classes: infoClassesOf(ops, model, order),
    linearized: new OpSet(info),
    memo: new Memo(Math.ceil(ops.length / 32), limits.memoBytesMax),
    stateNumbers: new Map(),
    stack: [],
    stackStates: [],
    best: [],
    explored: 0,
  };
}

function chain(next: Int32Array, prev: Int32Array, head: number, entries: number[]): void {
  let last = head;
  for (const entry of entries) {
    next[last] = entry;
    prev[entry] = last;
    last = entry;
  }
}

/**
 * Entries by time. At equal times calls go first, as in Porcupine: an op that completes at
 * the instant another is invoked counts as concurrent with it, which can only accept more
 * histories, never reject a correct one (so recorders should keep times distinct where order
 * is known, e.g. tick plus a sequence number). Op index breaks the remaining ties, so the
 * search is deterministic.
 */
function timeOrder(ops: readonly Operation[]): number[] {
  const timeOf = (entry: number): number => {
    const op = ops[entry >> 1]!;
    return (entry & 1) === 0 ? op.invoke : op.complete;
  };
  const order = Array.from({ length: ops.length * 2 }, (_, entry) => entry);
  // NaN (Infinity - Infinity) is falsy, so equal infinite times fall through to the ties.
  return order.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b);
}

/**
 * Wing & Gong's loop with Lowe's memo, as in Porcupine's checkSingle. The candidates at each
 * point are the calls invoked before the earliest pending return: first the definite ops,
 * then the info ops, so an info op is placed only as late as something needs it, and one
 * nothing needs stays unplaced (it never took effect, or took effect after everything else).
 *
 * Each pruning skips only orders equivalent to ones still tried. An info op is never placed
 * where it would change nothing. Memo entries also cover sets with more info ops (markNew).
 * Of info ops the model calls interchangeable, only the earliest unplaced one is tried: any
 * order using a later one works with the earliest in its place. And a read-only op (the
 * model's `readOnly`: a read, a definite failure) that fits the current state is placed at
 * once and never retried elsewhere: in any order that finishes the history it can move to
 * the front, since it changes nothing for the ops it passes and real time lets it go first
 * (it was invoked before every pending return). Without that, concurrent reads multiply the
 * search.
 */
function runSearch<S>(search: Search<S>): 'linearizable' | 'violation' | 'budget' {
  const { ops, model, next, head } = search;
  let state = model.init();
  let entry = next[head]!;
  let deadline = Number.NEGATIVE_INFINITY;
  while (next[head] !== -1) {
    if (entry >= 0 && (entry & 1) === 1) {
      // The earliest pending return: the definite candidates are done, now the info ones.
      deadline = ops[entry >> 1]!.complete;
      entry = next[search.infoHead]!;
      continue;
    }
    if (entry === -1 || (search.info[entry >> 1] === 1 && ops[entry >> 1]!.invoke > deadline)) {
      // No candidate left: the ops linearized so far cannot stand.
      const resumed = backtrack(search, state);
      if (resumed === undefined) return 'violation';
      [entry, state, deadline] = resumed;
      continue;
    }
    if (search.info[entry >> 1] === 1 && !firstOfClass(search.classes, entry >> 1)) {
      entry = next[entry]!;
      continue;
    }
    if (search.explored >= search.limits.exploredStatesMax) return 'budget';
    search.explored += 1;
    const op = entry >> 1;
    const stepped = model.step(state, ops[op]!);
    // An info op placed where it changes nothing is the same as leaving it out, still possible.
    const useful = stepped.ok && (search.info[op] === 0 || !sameState(model, state, stepped.next));
    const forced = useful && search.readOnly[op] === 1;
    if (forced) assertSame(model, state, stepped.next);
    if (useful && markNew(search, op, stepped.next)) {
      search.stack.push(forced ? ~entry : entry);
      search.stackStates.push(state);
      state = stepped.next;
      lift(search, entry);
      entry = next[head]!;
    } else {
      // A forced op seen before from here failed then; by the rule above, so does this.
      entry = forced ? -1 : next[entry]!;
    }
  }
  return 'linearizable';
}

function sameState<S>(model: Model<S>, before: S, after: S): boolean {
  return after === before || model.id(after) === model.id(before);
}

function assertSame<S>(model: Model<S>, before: S, after: S): void {
  assert(sameState(model, before, after), () => `a read-only op changed ${model.describe(before)}`);
}

/**
 * Undoes linearized ops until one leaves an alternative, and returns where to resume: the
 * candidate after it, the state before it and, if that candidate is an info op, the deadline
 * it must be invoked by. Forced ops are undone and passed over, since the configuration
 * before them failed as a whole. Undefined when nothing is left to undo.
 */
function backtrack<S>(search: Search<S>, state: S): [number, S, number] | undefined {
  saveBest(search);
  let current = state;
  for (;;) {
    const pushed = search.stack.pop();
    if (pushed === undefined) return undefined;
    current = search.stackStates.pop()!;
    const call = pushed < 0 ? ~pushed : pushed;
    search.linearized.toggle(call >> 1);
    unlift(search, call);
    if (pushed >= 0) return [search.next[call]!, current, firstReturnTime(search)];
  }
}

function firstReturnTime<S>({ ops, next, head }: Search<S>): number {
  let entry = next[head]!;
  while (entry !== -1 && (entry & 1) === 0) entry = next[entry]!;
  return entry === -1 ? Number.NEGATIVE_INFINITY : ops[entry >> 1]!.complete;
}

/**
 * Marks op linearized if (linearized set + op, state) is new. A seen pair was already fully
 * explored from here, so it can only fail again: that is Lowe's pruning. The memo also
 * prunes a set that only adds optional info ops to one seen with the same state: they could
 * have stayed unplaced, so everything it can still do, the smaller set could do too.
 */
function markNew<S>(search: Search<S>, op: number, state: S): boolean {
  const { linearized, memo, stateNumbers } = search;
  const id = search.model.id(state);
  let stateNumber = stateNumbers.get(id);
  if (stateNumber === undefined) {
    stateNumber = stateNumbers.size;
    stateNumbers.set(id, stateNumber);
  }
  linearized.toggle(op);
  if (memo.has(linearized, stateNumber)) {
    linearized.toggle(op);
    return false;
  }
  memo.add(linearized, stateNumber);
  return true;
}

/**
 * Keeps the longest prefix linearized so far, for explanations. Called only where the stack
 * is about to shrink (or the search stops): copying on every push made long linearizable
 * histories quadratic (a 36,000-op key took 40 s).
 */
function saveBest<S>(search: Search<S>): void {
  if (search.stack.length <= search.best.length) return;
  search.best = search.stack.map((pushed) => (pushed < 0 ? ~pushed : pushed) >> 1);
}

/**
 * Unlinks a call and its return (an info op has only its call linked); `unlift` must undo
 * lifts in reverse order.
 */
function lift<S>(search: Search<S>, call: number): void {
  unlink(search, call);
  if (search.info[call >> 1] === 0) unlink(search, call + 1);
  else placeInClass(search.classes, call >> 1, 1);
}

function unlift<S>(search: Search<S>, call: number): void {
  if (search.info[call >> 1] === 0) relink(search, call + 1);
  else placeInClass(search.classes, call >> 1, -1);
  relink(search, call);
}

/**
 * Info ops grouped by the model's `infoClasses`, each class in invoke order. Because only a
 * class's earliest unplaced member is ever placed, the placed members are always a prefix of
 * the class, so a count per class says which member is next.
 */
interface InfoClasses {
  /** Class index per op, or -1 for an op in no class. */
  readonly classOf: Int32Array;
  readonly members: readonly number[][];
  readonly placed: Int32Array;
}

function infoClassesOf<S>(
  ops: readonly Operation[],
  model: Model<S>,
  order: readonly number[],
): InfoClasses {
  const keys = model.infoClasses?.(ops) ?? [];
  const indexOf = new Map<string, number>();
  const members: number[][] = [];
  const classOf = new Int32Array(ops.length).fill(-1);
  for (const entry of order) {
    const op = entry >> 1;
    const key = keys[op];
    if ((entry & 1) === 1 || key === undefined || ops[op]!.complete !== Number.POSITIVE_INFINITY) {
      continue;
    }
    let index = indexOf.get(key);
    if (index === undefined) {
      index = members.length;
      indexOf.set(key, index);
      members.push([]);
    }
    classOf[op] = index;
    members[index]!.push(op);
  }
  return { classOf, members, placed: new Int32Array(members.length) };
}

function firstOfClass(classes: InfoClasses, op: number): boolean {
  const index = classes.classOf[op]!;
  return index === -1 || classes.members[index]![classes.placed[index]!] === op;
}

function placeInClass(classes: InfoClasses, op: number, delta: 1 | -1): void {
  const index = classes.classOf[op]!;
  if (index === -1) return;
  if (delta === 1) assert(firstOfClass(classes, op), 'only the earliest of a class is placed');
  classes.placed[index]! += delta;
  if (delta === -1) assert(firstOfClass(classes, op), 'a class is unplaced in reverse order');
}

function unlink<S>({ next, prev }: Search<S>, entry: number): void {
  const before = prev[entry]!;
  const after = next[entry]!;
  next[before] = after;
  if (after !== -1) prev[after] = before;
}

function relink<S>({ next, prev }: Search<S>, entry: number): void {
  const before = prev[entry]!;
  const after = next[entry]!;
  next[before] = entry;
  if (after !== -1) prev[after] = entry;
}

/**
 * Replays the longest prefix and looks at what could come next: every op invoked before the
 * earliest completion among the rest. Each either contradicts the state (said so) or fits
 * but leaves the rest unplaceable (the search tried it).
 */
function explainViolation<S>(
  key: string,
  ops: readonly Operation[],
  searched: readonly Operation[],
  model: Model<S>,
  best: readonly number[],
): Violation {
  const prefix = best.map((index) => ops[index]!);
  let state = model.init();
  for (const op of prefix) {
    const stepped = model.step(state, op);
    assert(stepped.ok, () => `the prefix found by the search must replay: ${show(op)}`);
    state = stepped.next;
  }
  const placed = new Set(best);
  const rest = ops.flatMap((_, index) => (placed.has(index) ? [] : [index]));
  const deadline = rest.reduce((soonest, i) => Math.min(soonest, searched[i]!.complete), Infinity);
  const due = rest.find((i) => searched[i]!.complete === deadline);
  assert(due !== undefined, 'a violation leaves an operation with a deadline unplaced');
  const unplaced = rest.filter((i) => searched[i]!.invoke <= deadline).map((i) => ops[i]!);
  const tightened = deadline < ops[due]!.complete ? ' (a read of its value completed then)' : '';
  const lines = [
    `key ${show(key)}: not linearizable (${count(ops.length, 'operation')} on this key)`,
    `longest linearizable prefix (${count(prefix.length, 'operation')}):`,
    ...prefix.map((op) => `  ${formatOp(op)}`),
    `state after it: ${model.describe(state)}`,
    `${formatOp(ops[due]!)} must take effect by ${deadline}${tightened}, but nothing can go next:`,
    ...unplaced.map((op) => {
      const why = model.step(state, op).ok
        ? 'fits here, but then no order places the rest'
        : 'contradicts this state';
      return `  ${formatOp(op)}: ${why}`;
    }),
  ];
  return { ok: false, key, explanation: lines.join('\n'), prefix, unplaced };
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

// The sequential specification of one key of the Troupe key-value store, as a pure model the
// linearizability checker steps through: given a state and an operation with its recorded
// outcome, is that outcome possible, and what state follows? Shared by the simulator and the
// chaos harness so both check against the same semantics.
//
// Semantics, per key. State is absent or { value, version }, plus the key's version counter,
// which survives deletes. A successful update or create sets version = counter + 1 (so the
// first write gives 1, and a write after a delete continues past every earlier version).
// `ifVersion` compares with the current version, where an absent key has version 0: so
// ifVersion 0 means "only if absent". update upserts; with a mismatched ifVersion it fails
// VersionConflict. create fails AlreadyExists when present. delete removes; an absent key
// deletes successfully with deleted: false; a mismatched ifVersion fails VersionConflict, and
// NotFound is accepted as "was absent". get returns { value, version } or null (or fails
// NotFound) when absent. Definite failures change nothing; other failure codes are dropped.
import { assert } from '@troupe/runtime/assert';
import type { CreateOp, DeleteOp, GetOp, Operation, UpdateOp, Value } from './history.js';
import { show } from './history.js';

/** The answer to "could this operation, with this outcome, happen now?" */
export interface StepResult<S> {
  readonly ok: boolean;
  readonly next: S;
}

/** A sequential specification. Everything in it must be a pure function of its arguments. */
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
   * Optional: one key's history, in the same order, with windows tightened where the model
   * can prove an op took effect earlier (an earlier `complete`; an info op with a finite one
   * must take effect). Only ever narrows what the search has to try.
   */
  prepare?(ops: readonly Operation[]): readonly Operation[];
}

/**
 * One key. `version` is the current version while present and the last version written while
 * absent, so that a write after a delete continues from it instead of restarting at 1.
 */
export interface KvState {
  readonly present: boolean;
  readonly version: number;
  readonly value: Value;
  /** `canonical(value)`, kept so reads compare in O(1) per step. */
  readonly valueKey: string;
  readonly id: string;
}

/** The value key of an absent key: no canonical value is empty, so it matches no read. */
const absentKey = '';

function absent(version: number): KvState {
  return { present: false, version, value: null, valueKey: absentKey, id: `a${version}` };
}

function present(version: number, value: Value, valueKey: string): KvState {
  return { present: true, version, value, valueKey, id: `p${version}:${valueKey}` };
}

/** The version compare-and-set sees: an absent key has version 0, whatever came before. */
function currentVersion(state: KvState): number {
  return state.present ? state.version : 0;
}

function casHolds(state: KvState, ifVersion: number | undefined): boolean {
  return ifVersion === undefined || currentVersion(state) === ifVersion;
}

function stepGet(state: KvState, op: GetOp): StepResult<KvState> {
  const { outcome } = op;
  if (outcome.type === 'info') return { ok: true, next: state };
  if (outcome.type === 'fail')
    return { ok: outcome.error === 'NotFound' && !state.present, next: state };
  const read = outcome.output;
  if (read === null) return { ok: !state.present, next: state };
  const ok =
    state.present &&
    (read.version === undefined || read.version === state.version) &&
    canonical(read.value) === state.valueKey;
  return { ok, next: state };
}

/**
 * Every write: an ok outcome needs the write to be allowed and its output to match; a
 * definite failure needs its code explained by the state and changes nothing; an
 * indeterminate one took effect if it was allowed (the search also tries placing it last,
 * where its effect is unobservable, which covers "never took effect").
 */
function stepWrite(
  state: KvState,
  op: UpdateOp | CreateOp | DeleteOp,
  bumps: boolean,
): StepResult<KvState> {
  const { outcome } = op;
  if (outcome.type === 'fail') {
    return { ok: failureExplained(state, op, outcome.error), next: state };
  }
  const next = applyWrite(state, op, bumps);
  if (outcome.type === 'info') return { ok: true, next: next ?? state };
  if (next === undefined) return { ok: false, next: state };
  return { ok: outputMatches(state, op, next), next };
}

/**
 * The state after a write that succeeds, or undefined when it would fail. Deleting an absent
 * key succeeds and changes nothing; deleting a present key keeps the version counter, or
 * advances it when deletes count as writes.
 */
function applyWrite(
  state: KvState,
  op: UpdateOp | CreateOp | DeleteOp,
  bumps: boolean,
): KvState | undefined {
  switch (op.f) {
    case 'update':
      if (!casHolds(state, op.ifVersion)) return undefined;
      return present(state.version + 1, op.value, canonical(op.value));
    case 'create':
      if (state.present) return undefined;
      return present(state.version + 1, op.value, canonical(op.value));
    case 'delete':
      if (!casHolds(state, op.ifVersion)) return undefined;
      return state.present ? absent(bumps ? state.version + 1 : state.version) : state;
  }
}

/** Whether what the client was told matches the write taking effect from `before`. */
function outputMatches(
  before: KvState,
  op: UpdateOp | CreateOp | DeleteOp,
  next: KvState,
): boolean {
  if (op.f === 'delete') {
    if (op.outcome.type !== 'ok') return true;
    const { deleted, version } = op.outcome.output;
    return (deleted === undefined || deleted === before.present) && versionMatches(version, next);
  }
  return op.outcome.type !== 'ok' || versionMatches(op.outcome.output.version, next);
}

/** The definite failure codes each write can return, and when the state explains them. */
function failureExplained(
  state: KvState,
  op: UpdateOp | CreateOp | DeleteOp,
  error: string,
): boolean {
  switch (op.f) {
    case 'create':
      return error === 'AlreadyExists' && state.present;
    case 'update':
      return error === 'VersionConflict' && !casHolds(state, op.ifVersion);
    case 'delete':
      if (error === 'NotFound') return !state.present && casHolds(state, op.ifVersion);
      return error === 'VersionConflict' && !casHolds(state, op.ifVersion);
  }
}

function versionMatches(recorded: number | undefined, next: KvState): boolean {
  return recorded === undefined || recorded === next.version;
}

/** Which failure codes carry information about state; others are dropped as no-ops. */
function failureMatters(op: Operation, error: string): boolean {
  switch (op.f) {
    case 'get':
      return error === 'NotFound';
    case 'create':
      return error === 'AlreadyExists';
    case 'update':
      return error === 'VersionConflict';
    case 'delete':
      return error === 'VersionConflict' || error === 'NotFound';
  }
}

export interface KvModelOptions {
  /**
   * Whether a delete of a present key advances the version counter, as a write does
   * (create v1, delete v2, create v3) rather than keeping it (create v1, delete, create v2).
   * Either way versions never repeat for a key. Default false.
   */
  readonly deleteBumpsVersion?: boolean;
}

/** The KV model; `kvModel` is the default one. */
export function createKvModel(options: KvModelOptions = {}): Model<KvState> {
  const bumps = options.deleteBumpsVersion ?? false;
  return {
    init: () => absent(0),
    step(state, op) {
      switch (op.f) {
        case 'get':
          return stepGet(state, op);
        case 'update':
        case 'create':
        case 'delete':
          return stepWrite(state, op, bumps);
      }
    },
    id: (state) => state.id,
    describe: (state) =>
      state.present
        ? `${show(state.value)} at version ${state.version}`
        : `absent (last version ${state.version})`,
    matters(op) {
      // A read with an unknown outcome saw nothing we know of and changed nothing.
      if (op.outcome.type === 'info') return op.f !== 'get';
      return op.outcome.type === 'ok' || failureMatters(op, op.outcome.error);
    },
    infoClasses,
    prepare,
    readOnly(op) {
      // An ok delete that found nothing changed nothing; an unknown one may have deleted.
      if (op.f === 'delete' && op.outcome.type === 'ok') return op.outcome.output.deleted === false;
      return op.f === 'get' || op.outcome.type === 'fail';
    },
  };
}

/**
 * Unknown-outcome writes with the same kind and ifVersion are interchangeable when no read in
 * the history returns their value: only versions and presence can tell them apart then, and
 * those they change alike. The chaos harness writes unique values, so most are unread.
 */
function infoClasses(ops: readonly Operation[]): Array<string | undefined> {
  const read = new Set<string>();
  for (const op of ops) {
    if (op.f === 'get' && op.outcome.type === 'ok' && op.outcome.output !== null) {
      read.add(canonical(op.outcome.output.value));
    }
  }
  return ops.map((op) => {
    if (op.outcome.type !== 'info' || op.f === 'get') return undefined;
    const cas = op.f === 'create' ? '' : `${op.ifVersion ?? '-'}`;
    if (op.f === 'delete') return `delete ${cas}`;
    const value = canonical(op.value);
    return `${op.f} ${cas} ${read.has(value) ? value : '?'}`;
  });
}

/**
 * When exactly one write in the key's history could have written a value, a get that
 * returned it saw that write, so the write took effect before the get completed. That gives
 * an unknown-outcome write a deadline (it is no longer optional), and an acknowledged one an
 * earlier one. Histories with unique written values, as the workloads use, gain the most.
 */
function prepare(ops: readonly Operation[]): Operation[] {
  const writers = new Map<string, number>();
  for (const [index, op] of ops.entries()) {
    if ((op.f !== 'update' && op.f !== 'create') || op.outcome.type === 'fail') continue;
    const value = canonical(op.value);
    writers.set(value, writers.has(value) ? -1 : index);
  }
  const due = new Map<number, number>();
  for (const op of ops) {
    if (op.f !== 'get' || op.outcome.type !== 'ok' || op.outcome.output === null) continue;
    const writer = writers.get(canonical(op.outcome.output.value)) ?? -1;
    if (writer >= 0) due.set(writer, Math.min(due.get(writer) ?? op.complete, op.complete));
  }
  return ops.map((op, index) => {
    const by = due.get(index);
    if (by === undefined || by >= op.complete) return op;
    // A read that completed before the write was invoked cannot be explained either way.
    return { ...op, complete: Math.max(by, op.invoke) };
  });
}

export const kvModel: Model<KvState> = createKvModel({ deleteBumpsVersion: false });

const canonicalCache = new WeakMap<object, string>();
const safeMin = BigInt(Number.MIN_SAFE_INTEGER);
const safeMax = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A string that is equal for structurally equal values: the model compares values by it.
 * Strings are length-prefixed so no content can forge a delimiter; object fields are sorted
 * because a decoded msgpack map need not keep the writer's field order; a bigint in the safe
 * range equals the same number, because msgpack decoders differ on which one they return.
 */
export function canonical(value: Value): string {
  switch (typeof value) {
    case 'string':
      return `s${value.length}:${value}`;
    case 'number':
      return `d${value}`;
    case 'bigint':
      return value >= safeMin && value <= safeMax ? `d${value}` : `b${value}`;
    case 'boolean':
      return value ? 't' : 'f';
    default: {
      if (value === null) return 'n';
      const cached = canonicalCache.get(value);
      if (cached !== undefined) return cached;
      const made = canonicalObject(value);
      canonicalCache.set(value, made);
      return made;
    }
  }
}

function canonicalObject(value: object): string {
  if (value instanceof Uint8Array) {
    return `x${value.length}:${Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  }
  if (Array.isArray(value)) return `[${value.map((item: Value) => canonical(item)).join(',')}]`;
  const proto: unknown = Object.getPrototypeOf(value);
  assert(proto === Object.prototype || proto === null, 'values must be plain msgpack data');
  const record = value as { readonly [field: string]: Value | undefined };
  const fields = Object.keys(record)
    .sort()
    .flatMap((field) => {
      const item = record[field];
      return item === undefined ? [] : [`${canonical(field)}=${canonical(item)}`];
    });
  return `{${fields.join(',')}}`;
}

/** Structural equality of two values, as the model uses it. */
export function valuesEqual(a: Value, b: Value): boolean {
  return canonical(a) === canonical(b);
}

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
import type { Model, StepResult } from './linearizability.js';

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

/**
 * Stands in, after `prepare`, for every written value that no read returned: states then
 * differ only in what a read could see, so the search's memo merges the rest. Recognised by
 * identity, so no stored value can be mistaken for it.
 */
const unreadValue: Value = Object.freeze({ unread: true });
/** Its value key: no canonical string starts with '?', so it too matches no read. */
const unreadKey = '?';

function valueKeyOf(value: Value): string {
  return value === unreadValue ? unreadKey : canonical(value);
}

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
  if (next === undefined || !outputMatches(state, op, next)) return { ok: false, next: state };
  return { ok: true, next };
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
      return present(state.version + 1, op.value, valueKeyOf(op.value));
    case 'create':
      if (state.present) return undefined;
      return present(state.version + 1, op.value, valueKeyOf(op.value));
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
    describe,
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
 * Unknown-outcome writes with the same effect are interchangeable when no read in the
 * history returns their value: only versions and presence can tell them apart then, and those
 * they change alike. The chaos harness writes unique values, so most are unread.
 */
function infoClasses(ops: readonly Operation[]): Array<string | undefined> {
  const read = readValues(ops);
  return ops.map((op) => {
    if (op.outcome.type !== 'info' || op.f === 'get') return undefined;
    if (op.f === 'delete') return `delete ${op.ifVersion ?? '-'}`;
    // create is update with ifVersion 0: both apply exactly when the key is absent.
    const cas = op.f === 'create' ? 0 : (op.ifVersion ?? '-');
    const value = valueKeyOf(op.value);
    return `write ${cas} ${read.has(value) ? value : unreadKey}`;
  });
}

/**
 * Two rewrites that only narrow the search. When exactly one write in the key's history
 * could have written a value, a get that returned it saw that write, so the write took effect
 * before the get completed: an unknown-outcome write gets a deadline (it is no longer
 * optional) and an acknowledged one may get an earlier one. And a written value that no get
 * returned is replaced by one stand-in, since no op here can tell such values apart.
 * Histories with unique written values, as the workloads use, gain the most.
 */
function prepare(ops: readonly Operation[]): Operation[] {
  const reads = readValues(ops);
  const due = readDeadlines(ops);
  return ops.map((op, index) => {
    const by = due.get(index);
    // A read that completed before the write was invoked cannot be explained either way.
    const complete = by === undefined || by >= op.complete ? op.complete : Math.max(by, op.invoke);
    const written = op.f === 'update' || op.f === 'create';
    if (written && !reads.has(canonical(op.value))) return { ...op, complete, value: unreadValue };
    return complete === op.complete ? op : { ...op, complete };
  });
}

/** The canonical values that some successful get returned. */
function readValues(ops: readonly Operation[]): Set<string> {
  const read = new Set<string>();
  for (const op of ops) {
    if (op.f === 'get' && op.outcome.type === 'ok' && op.outcome.output !== null) {
      read.add(canonical(op.outcome.output.value));
    }
  }
  return read;
}

/** For each write whose value only it wrote, the earliest completion of a get of it. */
function readDeadlines(ops: readonly Operation[]): Map<number, number> {
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
  return due;
}

function describe(state: KvState): string {
  if (!state.present) return `absent (last version ${state.version})`;
  const value = state.value === unreadValue ? 'a value no read returned' : show(state.value);
  return `${value} at version ${state.version}`;
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

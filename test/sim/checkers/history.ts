// Client histories of the key-value store, as the linearizability checker reads them: one
// operation per client call with its invoke and complete times and its outcome. The simulator
// builds operations directly; the chaos harness records Jepsen-style JSONL events and turns
// them into operations with `historyFromEvents`. Tests and explanations use a one-line text
// form (`parseHistory`, `formatOp`). Pure: no clock, no I/O.
import { assert } from '@troupe/runtime/assert';

/** A stored value: anything msgpack carries. Compared structurally by the model. */
export type Value =
  | null
  | boolean
  | number
  | string
  | bigint
  | Uint8Array
  | readonly Value[]
  | { readonly [field: string]: Value };

export type OpKind = 'get' | 'update' | 'create' | 'delete';

/** Failure codes the KV model can explain from state; any other failure means "no effect". */
export type KvFailure = 'VersionConflict' | 'AlreadyExists' | 'NotFound';

/**
 * How a call ended. `fail` is definite: the operation did not take effect. `info` is
 * indeterminate (a timeout after send, a crash): it may or may not have taken effect, at any
 * time after its invoke, so its completion counts as +Infinity.
 */
export type Outcome<Output> =
  | { readonly type: 'ok'; readonly output: Output }
  | { readonly type: 'fail'; readonly error: string }
  | { readonly type: 'info' };

/** What a successful get saw. An omitted version is not checked. */
export interface ReadResult {
  readonly value: Value;
  readonly version?: number;
}

interface OpBase {
  /** Unique within a history; breaks ties and names operations in explanations. */
  readonly id: number;
  /** The client that issued it; a process has at most one operation outstanding. */
  readonly process: number | string;
  readonly key: string;
  /** Virtual or real milliseconds; only their order matters. */
  readonly invoke: number;
  /** When the outcome arrived; +Infinity for `info`. */
  readonly complete: number;
}

/** `output` null means the key was absent. */
export interface GetOp extends OpBase {
  readonly f: 'get';
  readonly outcome: Outcome<ReadResult | null>;
}

/** Upsert; with `ifVersion` a compare-and-set (0 means "only if absent"). */
export interface UpdateOp extends OpBase {
  readonly f: 'update';
  readonly value: Value;
  readonly ifVersion?: number;
  readonly outcome: Outcome<{ readonly version?: number }>;
}

export interface CreateOp extends OpBase {
  readonly f: 'create';
  readonly value: Value;
  readonly outcome: Outcome<{ readonly version?: number }>;
}

/**
 * `deleted` says whether the key was present; `version` is the key's version counter after
 * the delete (see kv-model.ts). Omitted fields are not checked.
 */
export interface DeleteOp extends OpBase {
  readonly f: 'delete';
  readonly ifVersion?: number;
  readonly outcome: Outcome<{ readonly deleted?: boolean; readonly version?: number }>;
}

export type Operation = GetOp | UpdateOp | CreateOp | DeleteOp;

/**
 * One line of the chaos harness's JSONL history. An `invoke` carries the input (`value` for
 * writes, `ifVersion`); its completion carries the output: for a get, `value` and `version`
 * (a null or missing `version` means the key was absent, since null is a legal value); for
 * writes, the new `version`; for a delete, `deleted`; for a failure, `error`.
 */
export interface HistoryEvent {
  readonly process: number | string;
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  readonly f: OpKind;
  readonly key: string;
  readonly value?: Value;
  readonly version?: number | null;
  readonly ifVersion?: number;
  readonly deleted?: boolean;
  readonly error?: string;
  /**
   * Set on both events of a get that asked for a stale read (any replica may serve it). Such
   * reads promise no recency, so the linearizability check leaves them out.
   */
  readonly stale?: true;
  readonly time: number;
}

/**
 * Pairs each invoke with the next completion of the same process. An invoke that never
 * completes becomes `info`: the client may have crashed after sending it. Ids follow the
 * order of the invokes, so the result is the same for the same events.
 */
export function historyFromEvents(events: readonly HistoryEvent[]): Operation[] {
  const pending = new Map<number | string, { id: number; invoke: HistoryEvent }>();
  const slots: Array<Operation | undefined> = [];
  for (const event of events) {
    assert(Number.isFinite(event.time), () => `event time must be finite: ${show(event)}`);
    const open = pending.get(event.process);
    if (event.type === 'invoke') {
      assert(open === undefined, () => `process has two invokes outstanding: ${show(event)}`);
      pending.set(event.process, { id: slots.length, invoke: event });
      slots.push(undefined);
      continue;
    }
    assert(open !== undefined, () => `completion without an invoke: ${show(event)}`);
    assert(open.invoke.f === event.f, () => `completion f differs from invoke: ${show(event)}`);
    assert(open.invoke.key === event.key, () => `completion key differs: ${show(event)}`);
    pending.delete(event.process);
    slots[open.id] = operationOf(open.id, open.invoke, event);
  }
  for (const { id, invoke } of pending.values()) slots[id] = operationOf(id, invoke, undefined);
  return slots.map((op) => {
    assert(op !== undefined, 'every invoke is paired above');
    return op;
  });
}

/** Builds one operation; a missing completion, or an `info` one, is indeterminate. */
function operationOf(id: number, invoke: HistoryEvent, done: HistoryEvent | undefined): Operation {
  assert(
    done === undefined || done.time >= invoke.time,
    () => `completion before its invoke: ${show(invoke)}`,
  );
  const base = {
    id,
    process: invoke.process,
    key: invoke.key,
    invoke: invoke.time,
    complete: done === undefined || done.type === 'info' ? Number.POSITIVE_INFINITY : done.time,
  };
  const outcomeOf = <O>(output: () => O): Outcome<O> => {
    if (done === undefined || done.type === 'info') return { type: 'info' };
    if (done.type === 'fail') return { type: 'fail', error: done.error ?? 'unknown' };
    return { type: 'ok', output: output() };
  };
  const ifVersion = invoke.ifVersion === undefined ? {} : { ifVersion: invoke.ifVersion };
  switch (invoke.f) {
    case 'get':
      return { ...base, f: 'get', outcome: outcomeOf(() => readResultOf(done)) };
    case 'update':
      return {
        ...base,
        f: 'update',
        value: invoke.value ?? null,
        ...ifVersion,
        outcome: outcomeOf(() => versionOf(done)),
      };
    case 'create':
      return {
        ...base,
        f: 'create',
        value: invoke.value ?? null,
        outcome: outcomeOf(() => versionOf(done)),
      };
    case 'delete':
      return { ...base, f: 'delete', ...ifVersion, outcome: outcomeOf(() => deletedOf(done)) };
  }
}

function readResultOf(done: HistoryEvent | undefined): ReadResult | null {
  if (done?.version === undefined || done.version === null) return null;
  return { value: done.value ?? null, version: done.version };
}

function versionOf(done: HistoryEvent | undefined): { version?: number } {
  return done?.version === undefined || done.version === null ? {} : { version: done.version };
}

function deletedOf(done: HistoryEvent | undefined): { deleted?: boolean; version?: number } {
  return { ...versionOf(done), ...(done?.deleted === undefined ? {} : { deleted: done.deleted }) };
}

/** JSON that survives bigint and bytes, for assertion messages and explanations. */
export function show(item: unknown): string {
  return JSON.stringify(item, (_field, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Uint8Array) return `bytes(${Array.from(v).join(',')})`;
    if (v === Number.POSITIVE_INFINITY) return 'Infinity';
    return v;
  });
}

/**
 * One operation on one line, the form `parseHistory` reads and explanations print:
 * `#4 p2 update x "b" if=1 @3..9 ok v2`; a get reads `ok absent` or `ok "a" v1`; a delete
 * `ok deleted v2` or `ok kept`; an indeterminate op has no completion time: `@3.. info`.
 */
export function formatOp(op: Operation): string {
  const parts = [`#${op.id}`, `p${op.process}`, op.f, op.key];
  if (op.f === 'update' || op.f === 'create') parts.push(show(op.value));
  if (op.f !== 'get' && op.f !== 'create' && op.ifVersion !== undefined) {
    parts.push(`if=${op.ifVersion}`);
  }
  const completion = op.complete === Number.POSITIVE_INFINITY ? '' : `${op.complete}`;
  parts.push(`@${op.invoke}..${completion}`, formatOutcome(op));
  return parts.join(' ');
}

function formatOutcome(op: Operation): string {
  if (op.outcome.type === 'info') return 'info';
  if (op.outcome.type === 'fail') return `fail ${op.outcome.error}`;
  return `ok${formatOutput(op)}`;
}

function formatOutput(op: Operation): string {
  const version = (v: number | undefined): string => (v === undefined ? '' : ` v${v}`);
  // Each case narrows op first: only then does the outcome narrow to its own output type.
  switch (op.f) {
    case 'get': {
      if (op.outcome.type !== 'ok') return '';
      const read = op.outcome.output;
      return read === null ? ' absent' : ` ${show(read.value)}${version(read.version)}`;
    }
    case 'delete': {
      if (op.outcome.type !== 'ok') return '';
      const { deleted } = op.outcome.output;
      const flag = deleted === undefined ? '' : deleted ? ' deleted' : ' kept';
      return `${flag}${version(op.outcome.output.version)}`;
    }
    default:
      return op.outcome.type === 'ok' ? version(op.outcome.output.version) : '';
  }
}

/**
 * Reads histories written one operation per line in `formatOp`'s notation (the `#id` is
 * optional and defaults to the line's index). Keys and values must not contain spaces.
 */
export function parseHistory(lines: readonly string[]): Operation[] {
  return lines.map((line, index) => parseOp(line, index));
}

function parseOp(line: string, index: number): Operation {
  const tokens = line.trim().split(/\s+/);
  const id = tokens[0]?.startsWith('#') ? Number(tokens.shift()!.slice(1)) : index;
  const [who, f, key] = tokens.splice(0, 3);
  assert(who?.startsWith('p') === true && key !== undefined, `bad operation: ${line}`);
  assert(f === 'get' || f === 'update' || f === 'create' || f === 'delete', `bad f: ${line}`);
  const at = tokens.findIndex((token) => token.startsWith('@'));
  assert(at >= 0, `operation needs @invoke..complete: ${line}`);
  const input = tokens.slice(0, at);
  const [invoke, complete] = tokens[at]!.slice(1).split('..');
  const name = who.slice(1);
  const base = {
    id,
    process: /^\d+$/.test(name) ? Number(name) : name,
    key,
    invoke: Number(invoke),
    complete: complete === '' ? Number.POSITIVE_INFINITY : Number(complete),
  };
  const ifToken = input.find((token) => token.startsWith('if='));
  const ifVersion = ifToken === undefined ? {} : { ifVersion: Number(ifToken.slice(3)) };
  const valueToken = input.find((token) => !token.startsWith('if='));
  const value = valueToken === undefined ? null : (JSON.parse(valueToken) as Value);
  const result = tokens.slice(at + 1);
  switch (f) {
    case 'get':
      return { ...base, f, outcome: parseOutcome(result, line, parseRead) };
    case 'update':
      return { ...base, f, value, ...ifVersion, outcome: parseOutcome(result, line, parseWrite) };
    case 'create':
      return { ...base, f, value, outcome: parseOutcome(result, line, parseWrite) };
    case 'delete':
      return { ...base, f, ...ifVersion, outcome: parseOutcome(result, line, parseDelete) };
  }
}

function parseOutcome<O>(
  tokens: readonly string[],
  line: string,
  output: (rest: readonly string[]) => O,
): Outcome<O> {
  const [type, ...rest] = tokens;
  if (type === 'info') return { type: 'info' };
  if (type === 'fail') return { type: 'fail', error: rest[0] ?? 'unknown' };
  assert(type === 'ok', `outcome must be ok, fail or info: ${line}`);
  return { type: 'ok', output: output(rest) };
}

function parseVersion(tokens: readonly string[]): { version?: number } {
  const token = tokens.find((t) => /^v\d+$/.test(t));
  return token === undefined ? {} : { version: Number(token.slice(1)) };
}

function parseRead(tokens: readonly string[]): ReadResult | null {
  if (tokens[0] === 'absent') return null;
  assert(tokens[0] !== undefined, 'a successful get needs `absent` or a value');
  return { value: JSON.parse(tokens[0]) as Value, ...parseVersion(tokens.slice(1)) };
}

function parseWrite(tokens: readonly string[]): { version?: number } {
  return parseVersion(tokens);
}

function parseDelete(tokens: readonly string[]): { deleted?: boolean; version?: number } {
  const flag = tokens.includes('deleted') ? true : tokens.includes('kept') ? false : undefined;
  return { ...(flag === undefined ? {} : { deleted: flag }), ...parseVersion(tokens) };
}

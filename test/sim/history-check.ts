// Feeds the simulator's client history to the linearizability checker. Times: within a tick
// clients invoke first and completions happen while messages are processed, so an invoke is
// placed at tick + 0 and a completion at tick + 0.5, which keeps real-time order exact.
import type { Operation, Outcome } from './checkers/history.js';
import { createKvModel } from './checkers/kv-model.js';
import { checkLinearizable } from './checkers/linearizability.js';
import type { KvRead, KvResult } from './kv-machine.js';
import type { SimOpRecord } from './workload.js';

/** The simulator's KvMachine counts a delete as a write: it advances the version. */
const model = createKvModel({ deleteBumpsVersion: true });

function outcomeOf(op: SimOpRecord): Outcome<never> | Outcome<unknown> {
  if (op.outcome === 'info' || op.outcome === 'pending') return { type: 'info' };
  if (op.outcome === 'fail') return { type: 'fail', error: op.error ?? 'unknown' };
  if (op.f === 'get') {
    const read = op.output as KvRead | null;
    return {
      type: 'ok',
      output: read === null ? null : { value: read.value, version: read.version },
    };
  }
  const result = op.output as Extract<KvResult, { ok: true }>;
  if (op.f === 'delete') {
    return { type: 'ok', output: { deleted: result.deleted ?? false, version: result.version } };
  }
  return { type: 'ok', output: { version: result.version } };
}

export function toOperations(history: readonly SimOpRecord[]): Operation[] {
  return history.map((op, id) => {
    const complete =
      op.outcome === 'info' || op.outcome === 'pending' || op.completeTick === undefined
        ? Number.POSITIVE_INFINITY
        : op.completeTick + 0.5;
    const base = { id, process: op.process, key: op.key, invoke: op.invokeTick, complete };
    const ifVersion = op.ifVersion === undefined ? {} : { ifVersion: op.ifVersion };
    const outcome = outcomeOf(op);
    if (op.f === 'get') return { ...base, f: 'get', outcome } as Operation;
    if (op.f === 'delete') return { ...base, f: 'delete', ...ifVersion, outcome } as Operation;
    const value = op.value ?? 0;
    if (op.f === 'create') return { ...base, f: 'create', value, outcome } as Operation;
    return { ...base, f: 'update', value, ...ifVersion, outcome } as Operation;
  });
}

/** Returns a violation description, or undefined when the history is linearizable. */
export function checkSimHistory(history: readonly SimOpRecord[]): string | undefined {
  const result = checkLinearizable(toOperations(history), model);
  if (result.ok === true) return undefined;
  if (result.ok === 'unknown')
    return `linearizability: undecided for key ${result.key}: ${result.reason}`;
  return `linearizability: key ${result.key}\n${result.explanation}`;
}

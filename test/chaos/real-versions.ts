// Checks for histories recorded against the real cluster, where a key's version is the Raft
// index of its last write: it grows with every write but with gaps, and `ifVersion` compares
// against it. The shared KV model numbers versions per key (1, 2, 3, ...), so a real history
// is checked in two parts:
// - linearizability of values: `forLinearizability` removes versions and CAS conditions (a
//   write whose CAS was refused is "no effect"); since every write stores a unique value, reads
//   still pin down which write they saw;
// - the order of versions: `versionOrderViolations` checks that an operation that began after
//   another ended never sees an older version (a write's is strictly newer), and
//   `lostWrites` that the final reads show every acknowledged write or something newer.
// Pure: events in, findings out.
import type { HistoryEvent, Operation } from '../sim/checkers/history.js';
import { historyFromEvents } from '../sim/checkers/history.js';

/** The refusal of a CAS, once its condition is removed: a failure the model ignores. */
const casRefused = 'CasRefused';

function withoutVersions(op: Operation): Operation {
  const { outcome } = op;
  if (outcome.type === 'fail' && outcome.error === 'VersionConflict') {
    const { ifVersion: _cas, ...rest } = op as Operation & { ifVersion?: number };
    return { ...rest, outcome: { type: 'fail', error: casRefused } } as Operation;
  }
  const { ifVersion: _cas, ...rest } = op as Operation & { ifVersion?: number };
  if (outcome.type !== 'ok') return rest as Operation;
  switch (op.f) {
    case 'get': {
      const read = op.outcome.type === 'ok' ? op.outcome.output : null;
      return {
        ...op,
        outcome: { type: 'ok', output: read === null ? null : { value: read.value } },
      };
    }
    case 'delete': {
      const done = op.outcome.type === 'ok' ? op.outcome.output : {};
      const deleted = done.deleted === undefined ? {} : { deleted: done.deleted };
      return { ...(rest as Operation), outcome: { type: 'ok', output: deleted } } as Operation;
    }
    default:
      return { ...(rest as Operation), outcome: { type: 'ok', output: {} } } as Operation;
  }
}

/** Each history is paired once, however many checks read it (pairing is most of their cost). */
const pairedOnce = new WeakMap<readonly HistoryEvent[], readonly Operation[]>();

/** The operations that promise recency: every one but stale reads. */
function recencyOps(events: readonly HistoryEvent[]): readonly Operation[] {
  let ops = pairedOnce.get(events);
  if (ops === undefined) {
    ops = historyFromEvents(events.filter((e) => e.stale !== true));
    pairedOnce.set(events, ops);
  }
  return ops;
}

/** Operations for the linearizability checker, without real versions or CAS conditions. */
export function forLinearizability(events: readonly HistoryEvent[]): Operation[] {
  return recencyOps(events).map(withoutVersions);
}

interface Versioned {
  readonly key: string;
  readonly f: HistoryEvent['f'];
  readonly version: number;
  readonly invoke: number;
  readonly complete: number;
  readonly text: string;
}

/** The version an operation reported, if it completed ok and reported one. */
function versionOf(op: Operation): number | undefined {
  if (op.outcome.type !== 'ok') return undefined;
  const output = op.outcome.output as { readonly version?: number } | null;
  return output?.version;
}

/** Successful operations that report a version, with their invoke and complete times. */
function versioned(events: readonly HistoryEvent[]): Versioned[] {
  const found: Versioned[] = [];
  for (const op of recencyOps(events)) {
    const version = versionOf(op);
    if (version === undefined) continue;
    const text = `${op.f} ${op.key} v${version} by ${op.process}`;
    found.push({ key: op.key, f: op.f, version, invoke: op.invoke, complete: op.complete, text });
  }
  return found;
}

/**
 * Per key, an operation invoked after another completed must not see an older version; a
 * write must see a strictly newer one. One finding per violating operation.
 */
export function versionOrderViolations(events: readonly HistoryEvent[]): string[] {
  const byKey = new Map<string, Versioned[]>();
  for (const op of versioned(events)) {
    const list = byKey.get(op.key) ?? [];
    list.push(op);
    byKey.set(op.key, list);
  }
  const findings: string[] = [];
  for (const ops of byKey.values()) {
    const byComplete = [...ops].sort((a, b) => a.complete - b.complete);
    const byInvoke = [...ops].sort((a, b) => a.invoke - b.invoke);
    let done = 0;
    let newest: Versioned | null = null;
    for (const op of byInvoke) {
      while (done < byComplete.length && (byComplete[done] as Versioned).complete < op.invoke) {
        const candidate = byComplete[done++] as Versioned;
        if (newest === null || candidate.version > newest.version) newest = candidate;
      }
      if (newest === null) continue;
      const isWrite = op.f !== 'get';
      const older = isWrite ? op.version <= newest.version : op.version < newest.version;
      if (older) findings.push(`${op.text} began after ${newest.text} ended`);
    }
  }
  return findings;
}

/**
 * Compare-and-sets that cannot have been right. A key's version is the Raft index of its last
 * write, so it only grows and never repeats: a CAS on version k > 0 can succeed only while the
 * key is at k. So (1) two CAS on the same k cannot both succeed (a lost update), and (2) a CAS
 * on k cannot succeed after an operation that completed before it was invoked saw a newer
 * version. `ifVersion` 0 ("only if absent") is left out: a delete makes it possible again.
 */
export function casViolations(events: readonly HistoryEvent[]): string[] {
  const newestBefore = newestVersionBefore(versioned(events));
  const findings: string[] = [];
  const accepted = new Map<string, Operation>();
  for (const op of recencyOps(events)) {
    if (op.f !== 'update' || op.ifVersion === undefined || op.ifVersion === 0) continue;
    if (op.outcome.type !== 'ok') continue;
    const text = `update ${op.key} if=${op.ifVersion} by ${op.process}`;
    const slot = `${op.key}\u0000${op.ifVersion}`;
    const first = accepted.get(slot);
    if (first !== undefined) {
      findings.push(`${text} and by ${first.process} both succeeded: a lost update`);
    } else accepted.set(slot, op);
    const newer = newestBefore(op.key, op.invoke);
    if (newer !== undefined && newer.version > op.ifVersion) {
      findings.push(`${text} succeeded after ${newer.text} ended`);
    }
  }
  return findings;
}

/**
 * Per key, the op with the highest version among those completed before a time: ops sorted
 * by completion with a running maximum, found by binary search (histories are long).
 */
function newestVersionBefore(
  ops: readonly Versioned[],
): (key: string, timeMs: number) => Versioned | undefined {
  const byKey = new Map<string, { completes: number[]; newest: Versioned[] }>();
  const sorted = [...ops].sort((a, b) => a.complete - b.complete);
  for (const op of sorted) {
    const entry = byKey.get(op.key) ?? { completes: [], newest: [] };
    const previous = entry.newest[entry.newest.length - 1];
    entry.completes.push(op.complete);
    entry.newest.push(previous !== undefined && previous.version >= op.version ? previous : op);
    byKey.set(op.key, entry);
  }
  return (key, timeMs) => {
    const entry = byKey.get(key);
    if (entry === undefined) return undefined;
    let low = 0;
    let high = entry.completes.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((entry.completes[mid] as number) < timeMs) low = mid + 1;
      else high = mid;
    }
    return low === 0 ? undefined : entry.newest[low - 1];
  };
}

/** What the final read of a key saw: absent, or a version. */
export type FinalRead =
  | { readonly present: false }
  | { readonly present: true; readonly version: number };

/**
 * The final reads recorded in a history by process `process`: per key, the last get that
 * completed ok. A key whose final read failed has none (and `lostWrites` reports it).
 */
export function finalReadsFromEvents(
  events: readonly HistoryEvent[],
  process: string,
): Map<string, FinalRead> {
  const finals = new Map<string, FinalRead>();
  for (const e of events) {
    if (e.process !== process || e.f !== 'get' || e.type !== 'ok') continue;
    const present = typeof e.version === 'number';
    finals.set(e.key, present ? { present, version: e.version as number } : { present: false });
  }
  return finals;
}

/**
 * Acknowledged writes the final reads do not show: a key must read at a version at least that
 * of its newest acknowledged write, or be absent only if a delete (acknowledged at least as
 * new, or of unknown outcome) could explain it.
 */
export function lostWrites(
  events: readonly HistoryEvent[],
  finalReads: ReadonlyMap<string, FinalRead>,
): string[] {
  const newestWrite = new Map<string, Versioned>();
  for (const op of versioned(events)) {
    if (op.f === 'get') continue;
    const current = newestWrite.get(op.key);
    if (current === undefined || op.version > current.version) newestWrite.set(op.key, op);
  }
  const unknownDeletes = unknownDeleteKeys(events);
  const findings: string[] = [];
  for (const [key, write] of newestWrite) {
    const read = finalReads.get(key);
    if (read === undefined) {
      findings.push(`${key}: no final read`);
    } else if (read.present && read.version < write.version) {
      findings.push(`${key}: final read at v${read.version}, older than ${write.text}`);
    } else if (!read.present && write.f !== 'delete' && !unknownDeletes.has(key)) {
      findings.push(`${key}: absent at the end, but ${write.text} was acknowledged`);
    }
  }
  return findings;
}

/** Keys with a delete whose outcome is unknown (info, or never completed). */
function unknownDeleteKeys(events: readonly HistoryEvent[]): Set<string> {
  const ops = recencyOps(events);
  return new Set(
    ops.filter((op) => op.f === 'delete' && op.outcome.type === 'info').map((op) => op.key),
  );
}

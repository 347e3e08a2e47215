// Typed reads of a group's Raft records. The checksum (records.ts) proves a record is what was
// written; these checks pair with the writer's assertions and prove it is the record expected
// here (an entry under key i has index i), so a misplaced record is refused, not served.

import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';
import { DataDirError } from './errors.js';

/** The compaction point: index and term of the entry just before the first one held. */
export interface CompactionPoint {
  readonly index: number;
  readonly term: number;
}

/** The applied index and the membership as of it, committed with the state machine's writes. */
export interface AppliedRecord {
  readonly index: number;
  readonly confState: ConfState;
}

export const emptyConfState: ConfState = { voters: [], learners: [] };

export function emptySnapshot(): Snapshot {
  return { metadata: { index: 0, term: 0, confState: emptyConfState }, data: new Uint8Array() };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isIds(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((id) => typeof id === 'string');
}

function isConfState(value: unknown): value is ConfState {
  return isObject(value) && isIds(value.voters) && isIds(value.learners);
}

// Any other type reaches the core's unreachable() (an AssertionError): refuse it here instead,
// naming the record.
const confChangeTypes: readonly unknown[] = ['addVoter', 'addLearner', 'removeNode'];

/** Narrows a decoded record, or refuses the store naming the record. */
function expect<T>(file: string, what: string, value: unknown, ok: (v: unknown) => boolean): T {
  if (!ok(value)) throw new DataDirError(file, `${what}: malformed`);
  return value as T;
}

export function asHardState(file: string, what: string, value: unknown): HardState {
  return expect(file, what, value, (v) => {
    if (!isObject(v) || !isIndex(v.term) || !isIndex(v.commit)) return false;
    return v.vote === null || typeof v.vote === 'string';
  });
}

export function asCompactionPoint(file: string, what: string, value: unknown): CompactionPoint {
  return expect(file, what, value, (v) => isObject(v) && isIndex(v.index) && isIndex(v.term));
}

export function asApplied(file: string, what: string, value: unknown): AppliedRecord {
  return expect(file, what, value, (v) => {
    return isObject(v) && isIndex(v.index) && isConfState(v.confState);
  });
}

export function asSnapshot(file: string, what: string, value: unknown): Snapshot {
  return expect(file, what, value, (v) => {
    if (!isObject(v) || !(v.data instanceof Uint8Array) || !isObject(v.metadata)) return false;
    const m = v.metadata;
    return isIndex(m.index) && isIndex(m.term) && isConfState(m.confState);
  });
}

/** An entry read from under key `index`: its own index must say the same. */
export function asEntry(file: string, what: string, value: unknown, index: number): Entry {
  return expect(file, what, value, (v) => {
    if (!isObject(v) || v.index !== index || !isIndex(v.term)) return false;
    if (v.type === 'normal') return v.data instanceof Uint8Array;
    if (v.type !== 'confChange' || !isObject(v.change)) return false;
    return confChangeTypes.includes(v.change.type) && typeof v.change.nodeId === 'string';
  });
}

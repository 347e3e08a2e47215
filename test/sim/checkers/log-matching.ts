// Log Matching and Leader Completeness (Figure 3), checked on what replicas hold on disk:
// if two logs contain an entry with the same index and term, the logs are identical in all
// entries up through that index; and a newly elected leader holds every committed entry.
import type { Entry, MemoryStorage } from '@troupe/node/raft';
import type { CommittedEntry } from './state-machine-safety.js';

function held(storage: MemoryStorage): Entry[] {
  const first = storage.firstIndex();
  const last = storage.lastIndex();
  return last < first ? [] : storage.entries(first, last + 1, Number.POSITIVE_INFINITY);
}

export function sameEntry(a: Entry, b: Entry): boolean {
  if (a.term !== b.term || a.type !== b.type) return false;
  if (a.type === 'confChange' || b.type === 'confChange') {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return a.data.length === b.data.length && a.data.every((byte, i) => byte === b.data[i]);
}

function holds(storage: MemoryStorage, index: number): boolean {
  return index >= storage.firstIndex() && index <= storage.lastIndex();
}

/**
 * The incremental form, run whenever a replica persists entries: each new entry must equal any
 * other log's entry of the same index and term, and agree with it on the term just before. By
 * induction over appends this keeps Log Matching at every step; the full pairwise comparison
 * below backs it up periodically.
 */
export function checkAppended(
  nodeId: string,
  appended: readonly Entry[],
  logs: ReadonlyMap<string, MemoryStorage>,
): string | undefined {
  const own = logs.get(nodeId);
  for (const entry of appended) {
    for (const [otherId, other] of logs) {
      if (otherId === nodeId || !holds(other, entry.index)) continue;
      if (other.term(entry.index) !== entry.term) continue;
      const theirs = other.entries(entry.index, entry.index + 1, Number.POSITIVE_INFINITY)[0];
      const before = entry.index - 1;
      const bothHoldBefore = own !== undefined && holds(own, before) && holds(other, before);
      const differs =
        (theirs !== undefined && !sameEntry(entry, theirs)) ||
        (bothHoldBefore && own.term(before) !== other.term(before));
      if (differs) {
        return `log matching: ${nodeId} and ${otherId} hold ${entry.index}/${entry.term} but differ at or before it`;
      }
    }
  }
  return undefined;
}

/** Compares every pair of logs over the indices both still hold. */
export function checkLogMatching(logs: ReadonlyMap<string, MemoryStorage>): string | undefined {
  const entries = [...logs].map(([id, storage]) => [id, held(storage)] as const);
  for (let a = 0; a < entries.length; a++) {
    for (let b = a + 1; b < entries.length; b++) {
      const [idA, logA] = entries[a] as readonly [string, Entry[]];
      const [idB, logB] = entries[b] as readonly [string, Entry[]];
      const violation = comparePair(idA, logA, idB, logB);
      if (violation) return violation;
    }
  }
  return undefined;
}

function comparePair(idA: string, logA: Entry[], idB: string, logB: Entry[]): string | undefined {
  const byIndex = new Map(logB.map((entry) => [entry.index, entry]));
  let matchedUpTo = -1;
  for (let i = logA.length - 1; i >= 0; i--) {
    const other = byIndex.get((logA[i] as Entry).index);
    if (other && other.term === (logA[i] as Entry).term) {
      matchedUpTo = i;
      break;
    }
  }
  for (let i = 0; i <= matchedUpTo; i++) {
    const entry = logA[i] as Entry;
    const other = byIndex.get(entry.index);
    if (other && !sameEntry(entry, other)) {
      return (
        `log matching: ${idA} and ${idB} agree at ${(logA[matchedUpTo] as Entry).index} but ` +
        `differ at ${entry.index} (terms ${entry.term} vs ${other.term})`
      );
    }
  }
  return undefined;
}

/**
 * Leader Completeness: an entry committed in a term is in the log of every leader of a later
 * term. `termAt` gives the term of the new leader's entry at an index (undefined if it has
 * none); indices below `firstIndex` are covered by its snapshot. A leader of an older term (a
 * candidate that woke from a pause and collected stale votes) is not bound by it.
 */
export function checkLeaderCompleteness(
  leaderId: string,
  leaderTerm: number,
  termAt: (index: number) => number | undefined,
  firstIndex: number,
  committed: ReadonlyMap<number, CommittedEntry>,
): string | undefined {
  for (const [index, { term, committedByTermMax }] of committed) {
    if (index < firstIndex || leaderTerm <= committedByTermMax) continue;
    if (termAt(index) !== term) {
      return `leader completeness: new leader ${leaderId} lacks committed entry ${index}/${term}`;
    }
  }
  return undefined;
}

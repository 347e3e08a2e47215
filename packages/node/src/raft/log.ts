// The Raft log as one sequence: stable entries read through RaftStorage, followed by the
// unstable tail. Tracks the commit and applied indices and enforces their order:
// firstIndex - 1 <= applied <= committed <= lastIndex.
import { assert } from '@troupe/runtime/assert';
import { assertContiguous, limitSize } from './entries.js';
import { Unstable } from './log-unstable.js';
import type { RaftStorage } from './storage.js';
import type { Entry, Snapshot } from './types.js';

/** A possible match point for fast backtracking; term 0 means "unknown". */
export interface LogPosition {
  readonly index: number;
  readonly term: number;
}

export class RaftLog {
  readonly storage: RaftStorage;
  readonly unstable: Unstable;
  committed: number;
  applied: number;

  constructor(storage: RaftStorage) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    assert(first >= 1 && last >= first - 1, () => `storage range [${first}, ${last}] is invalid`);
    this.unstable = new Unstable(last + 1);
    // Everything up to the snapshot is committed and applied by definition.
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** The term at `index`, or undefined when it is compacted or beyond the log. */
  term(index: number): number | undefined {
    const unstableTerm = this.unstable.maybeTerm(index);
    if (unstableTerm !== undefined) return unstableTerm;
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return undefined;
    return this.storage.term(index);
  }

  /** The last index of the log that is on stable storage (the host persisted it). */
  lastStableIndex(): number {
    assert(!this.hasPendingSnapshot(), 'stable prefix is undefined while a snapshot is pending');
    return Math.min(this.unstable.offset - 1, this.lastIndex());
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    assert(term !== undefined, () => `term of last index ${this.lastIndex()} unknown`);
    return term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: a log is more up-to-date if its last term is later, or equal and it is longer. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Follower side of AppendEntries: if our log holds (prevIndex, prevTerm), append what is new
   * in `entries`, truncating a conflicting suffix, and advance the commit index no further than
   * the last entry the leader vouched for. Returns that last index, or undefined on mismatch.
   */
  maybeAppend(
    prevIndex: number,
    prevTerm: number,
    leaderCommit: number,
    entries: readonly Entry[],
  ): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    assert(entries.length === 0 || entries[0]!.index === prevIndex + 1, 'entries must follow prev');
    const lastNewIndex = prevIndex + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      assert(conflict > this.committed, () => {
        return `entry ${conflict} conflicts with committed ${this.committed}`;
      });
      this.append(entries.slice(conflict - prevIndex - 1));
    }
    this.commitTo(Math.min(leaderCommit, lastNewIndex));
    return lastNewIndex;
  }

  /** Appends entries after (possibly truncating) the log; returns the new last index. */
  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const after = entries[0]!.index - 1;
    assert(
      after >= this.committed,
      () => `append after ${after} truncates committed ${this.committed}`,
    );
    assert(
      after <= this.lastIndex(),
      () => `append after ${after} beyond last ${this.lastIndex()}`,
    );
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /**
   * The first index in `entries` whose term differs from ours or that we lack, or 0 when we
   * hold all of them already (a duplicate or reordered App must not truncate anything).
   */
  findConflict(entries: readonly Entry[]): number {
    assertContiguous(entries, 'findConflict');
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * The largest position at or below `index` whose term is at most `term`: the best guess of
   * where a log ending in `term` may match ours. Terms never decrease along a log, so this is a
   * binary search. Returns term 0 ("unknown") when the answer lies outside what we hold.
   */
  findConflictByTerm(index: number, term: number): LogPosition {
    const first = this.firstIndex() - 1;
    if (index > this.lastIndex() || index < first) return { index, term: 0 };
    if (this.termAt(first) > term) return { index: Math.max(first - 1, 0), term: 0 };
    let lo = first;
    let hi = index;
    // Invariant: termAt(lo) <= term; the answer lies in [lo, hi].
    while (lo < hi) {
      const mid = lo + Math.ceil((hi - lo) / 2);
      if (this.termAt(mid) <= term) lo = mid;
      else hi = mid - 1;
    }
    return { index: lo, term: this.termAt(lo) };
  }

  private termAt(index: number): number {
    const term = this.term(index);
    assert(
      term !== undefined,
      () => `term at ${index} unknown in [${this.firstIndex()}, ${this.lastIndex()}]`,
    );
    return term;
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), () => {
      return `commit ${index} beyond last index ${this.lastIndex()}: log lost or truncated?`;
    });
    this.committed = index;
  }

  /**
   * Leader side of §5.4.2: commit `index` only if it holds an entry of the leader's current
   * term. `byCountAnyTerm` is the testing fault that drops the term check (Figure 8).
   */
  maybeCommit(index: number, currentTerm: number, byCountAnyTerm: boolean): boolean {
    if (index <= this.committed) return false;
    if (!byCountAnyTerm && this.term(index) !== currentTerm) return false;
    this.commitTo(index);
    return true;
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    assert(index <= this.committed, () => `applied ${index} beyond committed ${this.committed}`);
    assert(index >= this.applied, () => `applied ${index} goes back from ${this.applied}`);
    this.applied = index;
  }

  /**
   * Entries [lo, hi) cut to bytesMax (at least one), or 'compacted' when lo is no longer held
   * and the reader needs a snapshot instead.
   */
  slice(lo: number, hi: number, bytesMax: number): Entry[] | 'compacted' {
    if (lo < this.firstIndex()) return 'compacted';
    assert(
      hi <= this.lastIndex() + 1,
      () => `slice [${lo}, ${hi}) beyond last ${this.lastIndex()}`,
    );
    assert(lo <= hi, () => `slice [${lo}, ${hi}) inverted`);
    if (lo === hi) return [];
    const offset = this.unstable.offset;
    let stable: Entry[] = [];
    if (lo < offset) {
      const stableHi = Math.min(hi, offset);
      stable = this.storage.entries(lo, stableHi, bytesMax);
      // Storage already cut the batch short: the unstable part would not fit either.
      if (stable.length < stableHi - lo || stableHi === hi) return stable;
    }
    const unstable = this.unstable.slice(Math.max(lo, offset), hi);
    return limitSize(stable.length === 0 ? unstable : stable.concat(unstable), bytesMax);
  }

  /** Entries from `index` to the end of the log, cut to bytesMax. */
  entriesFrom(index: number, bytesMax: number): Entry[] | 'compacted' {
    if (index > this.lastIndex()) return [];
    return this.slice(index, this.lastIndex() + 1, bytesMax);
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== null;
  }

  /** The pending snapshot if any, else storage's newest. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries.slice();
  }

  hasNextCommittedEntries(): boolean {
    // Entries after a pending snapshot cannot be applied before the snapshot itself.
    return !this.hasPendingSnapshot() && this.applied < this.committed;
  }

  /** Committed entries not yet applied, at most bytesMax of them (but at least one). */
  nextCommittedEntries(bytesMax: number): Entry[] {
    if (!this.hasNextCommittedEntries()) return [];
    const entries = this.slice(this.applied + 1, this.committed + 1, bytesMax);
    assert(
      entries !== 'compacted',
      () => `applied ${this.applied} below first ${this.firstIndex()}`,
    );
    return entries;
  }

  /** Installs a snapshot from the leader: the whole log is replaced by it. */
  restore(snapshot: Snapshot): void {
    assert(snapshot.metadata.index > this.committed, () => {
      return `restore ${snapshot.metadata.index} at or below committed ${this.committed}`;
    });
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }
}

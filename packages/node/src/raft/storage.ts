// The port through which the core reads the stable log (etcd's Storage). The host implements it
// over its durable store; memory-storage.ts is the in-memory implementation for tests and the
// simulator. The core only reads; the host writes what each Ready tells it to persist.
import type { ConfState, Entry, HardState, Snapshot } from './types.js';

export interface RaftInitialState {
  readonly hardState: HardState;
  /**
   * Membership as of the applied index the host passes in RaftOptions.appliedIndex (or as of
   * the snapshot when it passes none): the core replays later conf changes through the host.
   */
  readonly confState: ConfState;
}

/**
 * Stable storage as the core sees it. Indices are valid in [firstIndex() - 1, lastIndex()] for
 * `term` and in [firstIndex(), lastIndex() + 1) for `entries`; the core checks bounds before it
 * calls, so an implementation may treat an out-of-range call as a programmer error.
 */
export interface RaftStorage {
  initialState(): RaftInitialState;
  /**
   * Entries [lo, hi), cut short once their total size (payload plus entryOverheadBytes each)
   * would exceed bytesMax, but always at least one entry when lo < hi.
   */
  entries(lo: number, hi: number, bytesMax: number): Entry[];
  /** Term of the entry at `index`; at `firstIndex() - 1`, the compaction point's term. */
  term(index: number): number;
  /** Index of the first entry still held (everything before is compacted). */
  firstIndex(): number;
  /** Index of the last entry held, or firstIndex() - 1 when the log is empty. */
  lastIndex(): number;
  /** The newest snapshot; its index is at least firstIndex() - 1 once the log was compacted. */
  snapshot(): Snapshot;
}

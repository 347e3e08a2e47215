// In-memory RaftStorage (etcd's MemoryStorage) for tests and the simulator. It stands for what
// is durable: a host persists a Ready into it; a crash keeps exactly what was written here.
import { assert } from '@troupe/runtime/assert';
import { entryBytes, limitSize } from './entries.js';
import type { RaftInitialState, RaftStorage } from './storage.js';
import {
  type ConfState,
  type Entry,
  emptyHardState,
  type HardState,
  type Snapshot,
} from './types.js';

const emptyConfState: ConfState = { voters: [], learners: [] };

export class MemoryStorage implements RaftStorage {
  private hardStateValue: HardState = emptyHardState;
  private snapshotValue: Snapshot;
  /** Index and term of the entry just before entriesValue[0]: the compaction point. */
  private compactedIndex = 0;
  private compactedTerm = 0;
  private entriesValue: Entry[] = [];

  constructor(confState: ConfState = emptyConfState) {
    this.snapshotValue = { metadata: { index: 0, term: 0, confState }, data: new Uint8Array() };
  }

  /**
   * Storage for a founding member of a new group: a snapshot at index 1, term 1 that records
   * the membership. Members that join later start empty and receive this snapshot (or a newer
   * one) from the leader, so every member learns the founding membership the same way.
   */
  static bootstrap(confState: ConfState, data: Uint8Array = new Uint8Array()): MemoryStorage {
    assert(confState.voters.length > 0, 'bootstrap needs at least one voter');
    const storage = new MemoryStorage();
    storage.applySnapshot({ metadata: { index: 1, term: 1, confState }, data });
    storage.setHardState({ term: 1, vote: null, commit: 1 });
    return storage;
  }

  initialState(): RaftInitialState {
    return { hardState: this.hardStateValue, confState: this.snapshotValue.metadata.confState };
  }

  hardState(): HardState {
    return this.hardStateValue;
  }

  setHardState(hardState: HardState): void {
    assert(hardState.term >= this.hardStateValue.term, 'hard state term must not go back');
    this.hardStateValue = hardState;
  }

  firstIndex(): number {
    return this.compactedIndex + 1;
  }

  lastIndex(): number {
    return this.compactedIndex + this.entriesValue.length;
  }

  term(index: number): number {
    if (index === this.compactedIndex) return this.compactedTerm;
    const entry = this.entriesValue[index - this.compactedIndex - 1];
    assert(
      entry !== undefined,
      () => `term(${index}) outside [${this.compactedIndex}, ${this.lastIndex()}]`,
    );
    return entry.term;
  }

  entries(lo: number, hi: number, bytesMax: number): Entry[] {
    assert(lo >= this.firstIndex(), () => `entries(${lo}) compacted below ${this.firstIndex()}`);
    assert(hi <= this.lastIndex() + 1, () => `entries(..${hi}) beyond last ${this.lastIndex()}`);
    assert(lo <= hi, () => `entries(${lo}, ${hi}) inverted`);
    const offset = this.compactedIndex + 1;
    return limitSize(this.entriesValue.slice(lo - offset, hi - offset), bytesMax);
  }

  snapshot(): Snapshot {
    return this.snapshotValue;
  }

  /** Total bytes of the entries held (for tests that check compaction). */
  entriesBytes(): number {
    let total = 0;
    for (const entry of this.entriesValue) total += entryBytes(entry);
    return total;
  }

  /**
   * Appends entries, replacing any conflicting suffix (a new leader overwrote it). Entries
   * already covered by compaction are skipped.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!;
    assert(first.index <= this.lastIndex() + 1, () => `append at ${first.index} leaves a gap`);
    const live = entries.filter((entry) => entry.index > this.compactedIndex);
    if (live.length === 0) return;
    const keep = live[0]!.index - this.compactedIndex - 1;
    this.entriesValue = this.entriesValue.slice(0, keep).concat(live);
    assert(this.lastIndex() === live[live.length - 1]!.index, 'append must end at its last entry');
  }

  /** Replaces everything with a snapshot received from the leader (Ready.snapshot). */
  applySnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    assert(index > this.snapshotValue.metadata.index, () => `snapshot ${index} is not newer`);
    this.snapshotValue = snapshot;
    this.compactedIndex = index;
    this.compactedTerm = term;
    this.entriesValue = [];
  }

  /**
   * Records a snapshot of the state machine as of `index` (which the host has applied). Does
   * not discard entries; call compact for that.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    assert(index > this.snapshotValue.metadata.index, () => `snapshot ${index} is not newer`);
    assert(index <= this.lastIndex(), () => `snapshot ${index} beyond last ${this.lastIndex()}`);
    assert(index >= this.compactedIndex, () => `snapshot ${index} below compaction`);
    const snapshot = { metadata: { index, term: this.term(index), confState }, data };
    this.snapshotValue = snapshot;
    return snapshot;
  }

  /**
   * Discards entries up to and including `index`. The host compacts only what its state machine
   * applied and a snapshot covers, so a lagging follower can still be sent that snapshot.
   */
  compact(index: number): void {
    assert(index <= this.snapshotValue.metadata.index, () => `compact ${index} beyond snapshot`);
    if (index <= this.compactedIndex) return;
    const term = this.term(index);
    this.entriesValue = this.entriesValue.slice(index - this.compactedIndex);
    this.compactedIndex = index;
    this.compactedTerm = term;
  }
}

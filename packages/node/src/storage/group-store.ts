// One Raft group's durable state in the node's lmdb store: the RaftStorage the core reads,
// plus the writes a host makes for each Ready (MemoryStorage's semantics, kept exactly), the
// applied index and the group's key-value state. Index bounds, hard state and snapshot are
// cached; a write stages its changes and they take effect only if the transaction commits.
import { assert } from '@troupe/runtime/assert';
import type { KvStore } from '../kv/types.js';
import { assertContiguous, entryBytes, limitSize } from '../raft/entries.js';
import type { RaftInitialState, RaftStorage } from '../raft/storage.js';
import {
  type ConfState,
  type Entry,
  emptyHardState,
  type HardState,
  type Snapshot,
} from '../raft/types.js';
import { DataDirError } from './errors.js';
import { entryKey, groupRange, type RaftRecordKind, type RecordKey, raftKey } from './layout.js';
import { LmdbKvStore } from './lmdb-kv-store.js';
import {
  type AppliedRecord,
  asApplied,
  asCompactionPoint,
  asEntry,
  asHardState,
  asSnapshot,
  type CompactionPoint,
  emptyConfState,
  emptySnapshot,
} from './raft-records.js';
import { recordName } from './records.js';
import type { StoreEnv, TxnParticipant } from './store-env.js';

/** What is cached of a group; replaced whole, never changed in place. */
interface GroupState {
  readonly hardState: HardState;
  readonly compacted: CompactionPoint;
  readonly lastIndex: number;
  readonly snapshot: Snapshot;
  readonly applied: AppliedRecord;
}

const entryIndexMax = Number.MAX_SAFE_INTEGER;

export class GroupStore implements RaftStorage, TxnParticipant {
  readonly groupId: string;
  private readonly env: StoreEnv;
  private committed: GroupState;
  /** This transaction's state, or null outside a write (or when it changed nothing yet). */
  private staged: GroupState | null = null;
  /** setApplied is called per entry; the record is written once, before the commit. */
  private appliedDirty = false;
  private kvStore: LmdbKvStore | null = null;

  constructor(env: StoreEnv, groupId: string) {
    this.env = env;
    this.groupId = groupId;
    this.committed = this.load();
  }

  private state(): GroupState {
    return this.staged ?? this.committed;
  }

  private stage(change: Partial<GroupState>): void {
    if (this.staged === null) this.env.enlist(this);
    this.staged = { ...this.state(), ...change };
  }

  // TxnParticipant: called by StoreEnv.write only.

  flushTxn(): void {
    if (!this.appliedDirty) return;
    this.appliedDirty = false;
    this.env.put('raft', raftKey(this.groupId, 'applied'), this.state().applied);
  }

  commitTxn(): void {
    assert(!this.appliedDirty, 'applied index flushed before commit');
    if (this.staged !== null) this.committed = this.staged;
    this.staged = null;
  }

  abortTxn(): void {
    this.staged = null;
    this.appliedDirty = false;
  }

  // --- loading -----------------------------------------------------------------------------

  private what(key: RecordKey): string {
    return recordName({ file: this.env.file, db: 'raft' }, key);
  }

  private readRecord<T>(
    kind: RaftRecordKind,
    as: (file: string, what: string, v: unknown) => T,
  ): T | undefined {
    const key = raftKey(this.groupId, kind);
    const value = this.env.get('raft', key);
    return value === undefined ? undefined : as(this.env.file, this.what(key), value);
  }

  private load(): GroupState {
    const compacted = this.readRecord('compacted', asCompactionPoint) ?? { index: 0, term: 0 };
    const state = {
      hardState: this.readRecord('hardState', asHardState) ?? emptyHardState,
      compacted,
      lastIndex: this.loadLastIndex(compacted),
      snapshot: this.readRecord('snapshot', asSnapshot) ?? emptySnapshot(),
      applied: this.readRecord('applied', asApplied) ?? { index: 0, confState: emptyConfState },
    };
    this.checkLoaded(state);
    return state;
  }

  /**
   * The order the writes keep (each asserts its part): compacted <= snapshot <= applied <=
   * last. Stored records that break it were not written by this code: refuse them.
   */
  private checkLoaded(state: GroupState): void {
    const marks = [
      state.compacted.index,
      state.snapshot.metadata.index,
      state.applied.index,
      state.lastIndex,
    ];
    if (marks.every((mark, i) => i === 0 || marks[i - 1]! <= mark)) return;
    const problem = `compacted, snapshot, applied and last index out of order: ${marks.join(', ')}`;
    throw new DataDirError(this.env.file, `group ${this.groupId}: ${problem}`);
  }

  /** The last entry's index (the compaction point when the log is empty); checks the first. */
  private loadLastIndex(compacted: CompactionPoint): number {
    const low = entryKey(this.groupId, 0);
    const high = entryKey(this.groupId, entryIndexMax);
    const [first] = this.env.keys('raft', { start: low, end: high, limit: 1 });
    if (first === undefined) return compacted.index;
    if (first[2] !== compacted.index + 1) {
      const problem = `first entry ${String(first[2])} but compacted through ${compacted.index}`;
      throw new DataDirError(this.env.file, `group ${this.groupId}: ${problem}`);
    }
    const [last] = this.env.keys('raft', { start: high, end: low, reverse: true, limit: 1 });
    assert(
      last !== undefined && typeof last[2] === 'number',
      'a log with a first entry has a last',
    );
    return last[2];
  }

  /** The entry stored under `key`, which must be the one at `index`. */
  private entryAt(key: RecordKey, value: unknown, index: number): Entry {
    if (key[2] !== index) this.missingEntry(index);
    return asEntry(this.env.file, this.what(key), value, index);
  }

  /** An entry inside [firstIndex, lastIndex] is not in the file: refuse to go on. */
  private missingEntry(index: number): never {
    throw new DataDirError(this.env.file, `${this.what(entryKey(this.groupId, index))}: missing`);
  }

  // --- RaftStorage -------------------------------------------------------------------------

  initialState(): RaftInitialState {
    const state = this.state();
    return { hardState: state.hardState, confState: state.applied.confState };
  }

  hardState(): HardState {
    return this.state().hardState;
  }

  firstIndex(): number {
    return this.state().compacted.index + 1;
  }

  lastIndex(): number {
    return this.state().lastIndex;
  }

  term(index: number): number {
    const { compacted, lastIndex } = this.state();
    if (index === compacted.index) return compacted.term;
    assert(
      index > compacted.index && index <= lastIndex,
      () => `term(${index}) outside [${compacted.index}, ${lastIndex}]`,
    );
    const key = entryKey(this.groupId, index);
    const value = this.env.get('raft', key);
    if (value === undefined) this.missingEntry(index);
    return asEntry(this.env.file, this.what(key), value, index).term;
  }

  entries(lo: number, hi: number, bytesMax: number): Entry[] {
    assert(lo >= this.firstIndex(), () => `entries(${lo}) compacted below ${this.firstIndex()}`);
    assert(hi <= this.lastIndex() + 1, () => `entries(..${hi}) beyond last ${this.lastIndex()}`);
    assert(lo <= hi, () => `entries(${lo}, ${hi}) inverted`);
    const found: Entry[] = [];
    let totalBytes = 0;
    const range = { start: entryKey(this.groupId, lo), end: entryKey(this.groupId, hi) };
    for (const [key, value] of this.env.range('raft', range)) {
      const entry = this.entryAt(key, value, lo + found.length);
      found.push(entry);
      totalBytes += entryBytes(entry);
      if (totalBytes > bytesMax) break;
    }
    if (totalBytes <= bytesMax && found.length < hi - lo) this.missingEntry(lo + found.length);
    return limitSize(found, bytesMax);
  }

  snapshot(): Snapshot {
    return this.state().snapshot;
  }

  appliedIndex(): number {
    return this.state().applied.index;
  }

  confStateAtApplied(): ConfState {
    return this.state().applied.confState;
  }

  /** The group's key-value state (records and sessions); writes join the current write. */
  kv(): KvStore {
    return this.lmdbKv();
  }

  private lmdbKv(): LmdbKvStore {
    this.kvStore ??= new LmdbKvStore(this.env, this.groupId);
    return this.kvStore;
  }

  // --- writes (inside NodeStore.write only) ------------------------------------------------

  private putRecord(kind: RaftRecordKind, value: unknown): void {
    this.env.put('raft', raftKey(this.groupId, kind), value);
  }

  /** Removes the stored entries [from, to]. */
  private removeEntries(from: number, to: number): void {
    for (let index = from; index <= to; index++) {
      const existed = this.env.remove('raft', entryKey(this.groupId, index));
      assert(existed, () => `entry ${index} of ${this.groupId} was not stored`);
    }
  }

  /**
   * Storage of a founding member of a new group (MemoryStorage.bootstrap): a snapshot at index
   * 1, term 1 recording the membership, hard state {term 1, commit 1}, applied 1.
   */
  bootstrap(confState: ConfState, data: Uint8Array = new Uint8Array()): void {
    assert(confState.voters.length > 0, 'bootstrap needs at least one voter');
    const state = this.state();
    assert(state.lastIndex === 0 && state.hardState.term === 0, 'bootstrap of a used group');
    this.applySnapshot({ metadata: { index: 1, term: 1, confState }, data });
    this.setHardState({ term: 1, vote: null, commit: 1 });
  }

  setHardState(hardState: HardState): void {
    this.env.assertWriting('setHardState');
    assert(hardState.term >= this.state().hardState.term, 'hard state term must not go back');
    this.putRecord('hardState', hardState);
    this.stage({ hardState });
  }

  /**
   * Appends entries, replacing any conflicting suffix (a new leader overwrote it). Entries
   * already covered by compaction are skipped.
   */
  append(entries: readonly Entry[]): void {
    this.env.assertWriting('append');
    if (entries.length === 0) return;
    assertContiguous(entries, 'append');
    const { compacted, lastIndex } = this.state();
    assert(entries[0]!.index <= lastIndex + 1, () => `append at ${entries[0]!.index} leaves a gap`);
    const live = entries.filter((entry) => entry.index > compacted.index);
    if (live.length === 0) return;
    this.removeEntries(live[0]!.index, lastIndex);
    for (const entry of live) this.env.put('raft', entryKey(this.groupId, entry.index), entry);
    this.stage({ lastIndex: live[live.length - 1]!.index });
  }

  /**
   * Replaces everything with a snapshot received from the leader (Ready.snapshot). Also moves
   * the applied index to it: restore the state machine from its data in the same write.
   */
  applySnapshot(snapshot: Snapshot): void {
    this.env.assertWriting('applySnapshot');
    const { index, term, confState } = snapshot.metadata;
    const state = this.state();
    assert(index > state.snapshot.metadata.index, () => `snapshot ${index} is not newer`);
    this.removeEntries(state.compacted.index + 1, state.lastIndex);
    const applied = { index, confState };
    this.putRecord('snapshot', snapshot);
    this.putRecord('compacted', { index, term });
    this.putRecord('applied', applied);
    this.stage({ snapshot, compacted: { index, term }, lastIndex: index, applied });
  }

  /**
   * Records a snapshot of the state machine as of `index` (applied, and still in the log).
   * Does not discard entries; call compact for that.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    this.env.assertWriting('createSnapshot');
    const state = this.state();
    assert(index > state.snapshot.metadata.index, () => `snapshot ${index} is not newer`);
    assert(index <= state.lastIndex, () => `snapshot ${index} beyond last ${state.lastIndex}`);
    assert(index >= state.compacted.index, () => `snapshot ${index} below compaction`);
    assert(index <= state.applied.index, () => `snapshot ${index} beyond applied`);
    const snapshot = { metadata: { index, term: this.term(index), confState }, data };
    this.putRecord('snapshot', snapshot);
    this.stage({ snapshot });
    return snapshot;
  }

  /**
   * Discards entries up to and including `index`, which the state machine applied and a
   * snapshot covers (so a lagging follower can still be sent that snapshot).
   */
  compact(index: number): void {
    this.env.assertWriting('compact');
    const state = this.state();
    assert(index <= state.snapshot.metadata.index, () => `compact ${index} beyond snapshot`);
    assert(index <= state.applied.index, () => `compact ${index} beyond applied`);
    if (index <= state.compacted.index) return;
    const compacted = { index, term: this.term(index) };
    this.removeEntries(state.compacted.index + 1, index);
    this.putRecord('compacted', compacted);
    this.stage({ compacted });
  }

  /** Moves the applied index; call in the write that applies the entry at `index`. */
  setApplied(index: number, confState: ConfState): void {
    this.env.assertWriting('setApplied');
    const state = this.state();
    assert(index >= state.applied.index, () => `applied ${index} goes back`);
    assert(index <= state.lastIndex, () => `applied ${index} beyond last ${state.lastIndex}`);
    this.stage({ applied: { index, confState } });
    this.appliedDirty = true;
  }

  /** Deletes every record of the group: its log, Raft state, key-value records and sessions. */
  destroy(): void {
    this.env.assertWriting('destroy');
    this.lmdbKv().clear();
    for (const key of this.env.keys('raft', groupRange(this.groupId))) this.env.remove('raft', key);
    this.appliedDirty = false;
    this.stage({
      hardState: emptyHardState,
      compacted: { index: 0, term: 0 },
      lastIndex: 0,
      snapshot: emptySnapshot(),
      applied: { index: 0, confState: emptyConfState },
    });
  }
}

// The leader's view of one follower (etcd tracker/progress.go): how much of the log it matches,
// what to send next, and the flow-control state. `probe` sends one App at a time until the
// follower's position is known; `replicate` pipelines optimistically within the inflight
// window; `snapshot` streams snapshot chunks and sends no entries.
import { assert } from '@troupe/runtime/assert';
import type { Inflights } from './inflights.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known to match the leader's log. */
  match = 0;
  /** Index of the next entry to send. */
  next: number;
  state: ProgressState = 'probe';
  /** In probe: a probe is outstanding. In replicate: the inflight window is full. */
  msgAppFlowPaused = false;
  /** Index of the snapshot being sent (state snapshot only), else 0. */
  pendingSnapshotIndex = 0;
  /** Bytes of that snapshot the follower has acknowledged. */
  snapshotAckedBytes = 0;
  /** Where the next chunk starts; at most a window of chunks beyond the acknowledged bytes. */
  snapshotSentBytes = 0;
  /** The commit index last sent to the follower (in an App or heartbeat). */
  sentCommit = 0;
  /** Newest leader tick echoed in a heartbeat answer: the follower heard us at or after it. */
  leaseAckTick = -1;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  isLearner: boolean;
  readonly inflights: Inflights;

  constructor(next: number, isLearner: boolean, inflights: Inflights) {
    assert(next >= 1, () => `progress next ${next} must be >= 1`);
    this.next = next;
    this.isLearner = isLearner;
    this.inflights = inflights;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshotIndex = 0;
    this.snapshotAckedBytes = 0;
    this.snapshotSentBytes = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, the follower holds at least the snapshot: probe just past it.
    const floor = this.state === 'snapshot' ? this.pendingSnapshotIndex : this.match;
    this.resetState('probe');
    this.next = Math.max(this.match, floor) + 1;
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    assert(snapshotIndex > this.match, () => `snapshot ${snapshotIndex} <= match ${this.match}`);
    this.resetState('snapshot');
    this.pendingSnapshotIndex = snapshotIndex;
  }

  /**
   * Accounts for an App just sent with `entryCount` entries of `bytes` total, the first at
   * `next`. Replicate advances `next` optimistically (pipelining); probe waits for the answer.
   */
  updateOnEntriesSend(entryCount: number, bytes: number): void {
    assert(this.state !== 'snapshot', 'no App is sent to a follower receiving a snapshot');
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.next += entryCount;
        this.inflights.add(this.next - 1, bytes);
      }
      this.msgAppFlowPaused = this.inflights.full();
      return;
    }
    // Any App in probe is a probe: one at a time until an answer arrives.
    this.msgAppFlowPaused = true;
  }

  /** The follower acknowledged `index`. Returns whether that was news. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, index + 1);
    assert(this.next > this.match, () => `next ${this.next} <= match ${this.match}`);
    return updated;
  }

  /**
   * The follower rejected an App whose prev index was `rejected`; `matchHint` is our best guess
   * of where the logs match. Returns false when the rejection is stale (out of order).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // A rejection at or below match answers an old App; pipelined ones can arrive late.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      this.sentCommit = Math.min(this.sentCommit, this.next - 1);
      return true;
    }
    // In probe only the answer to the outstanding probe (prev = next - 1) counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    // The follower cannot have applied a commit index beyond what it holds.
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
    this.msgAppFlowPaused = false;
    assert(this.next >= 1, () => `next ${this.next} after decrement`);
    return true;
  }

  /**
   * Whether the follower may lack `commit`: we told it less, and it holds entries beyond what
   * we told it. Lets the leader push a new commit index at once instead of at the heartbeat.
   */
  canBumpCommit(commit: number): boolean {
    return commit > this.sentCommit && this.sentCommit < this.next - 1;
  }

  /** Whether the leader should hold back Apps to this follower. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
      case 'replicate':
        return this.msgAppFlowPaused;
      case 'snapshot':
        return true;
    }
  }
}

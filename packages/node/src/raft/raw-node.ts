// RawNode: the Raft core's whole public API (etcd rawnode.go). The host feeds it ticks, peer
// messages and proposals, then drains one Ready at a time: persist, send, apply, advance.
import { assert } from '@troupe/runtime/assert';
import { ReadIndexDroppedError } from './errors.js';
import { readCtxBytesMax } from './limits.js';
import type { Message } from './messages.js';
import { type RaftOptions, resolveOptions } from './options.js';
import { Raft } from './raft.js';
import { applyConfChange } from './raft-conf.js';
import { hup } from './raft-election.js';
import { leaderPersisted } from './raft-leader.js';
import { propose } from './raft-propose.js';
import { reduceUncommittedBytes } from './raft-replication.js';
import type { ProgressState } from './tracker/progress.js';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  hardStatesEqual,
  type NodeId,
  type ReadState,
  type RoleName,
  type Snapshot,
  type SoftState,
  softStatesEqual,
} from './types.js';

/**
 * Everything the host must do after a batch of steps, ticks and proposals. Handle it in this
 * order; the order is the persistence contract (docs/raft.md):
 *
 * 1. Persist `hardState`, `entries` and `snapshot` together, in one atomic write (entries
 *    replace any stored entries from the first one's index on). If `mustSync`, fsync before
 *    step 2. A follower's answer (appResp, voteResp, ...) promises that state is durable.
 * 2. Send `messages`. Exception: messages for which canSendBeforePersist() holds (a leader's
 *    app, heartbeat, snap and timeoutNow) may be sent before or during step 1. Vote requests,
 *    votes, appResp, heartbeatResp, snapResp and forwarded requests must wait for step 1.
 * 3. If `snapshot` is set, load it into the state machine; then apply `committedEntries` in
 *    order, calling applyConfChange for each confChange entry. Serve each of `readStates` once
 *    the applied index reaches its index.
 * 4. Call advance(ready). Only then may ready() be called again.
 */
export interface Ready {
  /** Leader or role changed; absent when unchanged since the last Ready. */
  readonly softState?: SoftState;
  /** Term, vote or commit changed; absent when unchanged. */
  readonly hardState?: HardState;
  /** Entries to append to stable storage. */
  readonly entries: readonly Entry[];
  /** A snapshot from the leader to persist and load, replacing the whole log. */
  readonly snapshot?: Snapshot;
  readonly messages: readonly Message[];
  /** Entries committed and persisted (with this Ready), to apply in order. */
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /** Whether step 1 must be fsynced: a new term, vote, entries or snapshot. */
  readonly mustSync: boolean;
}

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly recentActive: boolean;
  readonly isLearner: boolean;
  readonly paused: boolean;
  readonly inflightMessages: number;
  readonly inflightBytes: number;
  readonly pendingSnapshotIndex: number;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId | null;
  readonly role: RoleName;
  readonly leaderId: NodeId | null;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly leadTransferee: NodeId | null;
  readonly uncommittedBytes: number;
  readonly confState: ConfState;
  /** Per-member replication progress; only a leader has it. */
  readonly progress: Readonly<Record<NodeId, ProgressStatus>> | null;
}

export class RawNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  /** The Ready handed out and not yet advanced; at most one exists. */
  private outstanding: Ready | null = null;

  constructor(options: RaftOptions) {
    this.raft = new Raft(resolveOptions(options));
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /** Advances logical time by one tick (election timer, heartbeats, CheckQuorum). */
  tick(): void {
    this.raft.tick();
  }

  /**
   * Starts an election now. `force` skips the pre-vote and asks voters to ignore their leader
   * lease: for a host that knows the leader is gone (its connection closed). It cannot break
   * safety, but used while the leader is alive it deposes it; lease-based reads forbid it.
   */
  campaign(options: { readonly force: boolean } = { force: false }): void {
    if (options.force) {
      assert(this.raft.config.readOnlyOption === 'safe', 'forced campaigns break read leases');
      hup(this.raft, 'transfer');
      return;
    }
    hup(this.raft, this.raft.config.preVote ? 'preElection' : 'election');
  }

  /**
   * Ticks since a follower last heard from its leader (0 for a leader or candidate): how a
   * host tells "my leader went quiet" from "someone says my leader is dead".
   */
  leaderSilentTicks(): number {
    return this.raft.role === 'follower' ? this.raft.electionElapsedTicks : 0;
  }

  /** Proposes a command. Throws ProposalDroppedError when this node cannot take it. */
  propose(data: Uint8Array): void {
    propose(this.raft, { type: 'normal', data });
  }

  /** Proposes a membership change (one at a time). Throws ProposalDroppedError. */
  proposeConfChange(change: ConfChange): void {
    propose(this.raft, { type: 'confChange', change });
  }

  /** Applies a committed confChange entry; the host calls it in apply order. */
  applyConfChange(change: ConfChange): ConfState {
    return applyConfChange(this.raft, change);
  }

  /** Steps a message received from a peer. */
  step(msg: Message): void {
    this.raft.step(msg);
  }

  /**
   * Requests a linearizable read; a ReadState with the same ctx follows in a later Ready.
   * `ctx` must be unique among pending reads. Throws ReadIndexDroppedError.
   */
  readIndex(ctx: Uint8Array): void {
    if (ctx.byteLength > readCtxBytesMax) {
      throw new ReadIndexDroppedError('readCtxBytesMax', `${ctx.byteLength} bytes`);
    }
    const id = this.raft.id;
    this.raft.stepLocal({ type: 'readIndex', from: id, to: id, term: this.raft.term, ctx });
  }

  /** Asks the leader (directly, or via this follower) to hand leadership to `transferee`. */
  transferLeader(transferee: NodeId): void {
    const id = this.raft.id;
    const term = this.raft.term;
    this.raft.stepLocal({ type: 'transferLeader', from: id, to: id, term, transferee });
  }

  /** The host could not reach `id`: stop pipelining to it until it answers a probe. */
  reportUnreachable(id: NodeId): void {
    if (this.raft.role !== 'leader') return;
    const pr = this.raft.tracker.progress(id);
    if (pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }

  /** Whether ready() would return something to do. False while a Ready is outstanding. */
  hasReady(): boolean {
    if (this.outstanding !== null) return false;
    const r = this.raft;
    return (
      !softStatesEqual(r.softState(), this.prevSoftState) ||
      !hardStatesEqual(r.hardState(), this.prevHardState) ||
      r.log.hasPendingSnapshot() ||
      r.log.unstable.entries.length > 0 ||
      r.msgs.length > 0 ||
      r.readStates.length > 0 ||
      r.log.hasNextCommittedEntries()
    );
  }

  /** Collects what the host must do now; see Ready for the contract. */
  ready(): Ready {
    assert(this.outstanding === null, 'ready() called again before advance()');
    const r = this.raft;
    const softState = r.softState();
    const hardState = r.hardState();
    const snapshot = r.log.unstable.snapshot;
    const entries = r.log.unstableEntries();
    const committedEntries = r.log.nextCommittedEntries(r.config.committedEntriesBytesMax);
    assert(
      committedEntries.length === 0 || committedEntries[0]!.index === r.log.applied + 1,
      () => {
        return `committed entries start at ${committedEntries[0]?.index}, applied ${r.log.applied}`;
      },
    );
    const rd: Ready = {
      ...(softStatesEqual(softState, this.prevSoftState) ? {} : { softState }),
      ...(hardStatesEqual(hardState, this.prevHardState) ? {} : { hardState }),
      ...(snapshot === null ? {} : { snapshot }),
      entries,
      messages: r.msgs,
      committedEntries,
      readStates: r.readStates,
      mustSync: this.mustSync(hardState, entries.length, snapshot !== null),
    };
    r.msgs = [];
    r.readStates = [];
    this.prevSoftState = softState;
    this.outstanding = rd;
    return rd;
  }

  private mustSync(hardState: HardState, entryCount: number, hasSnapshot: boolean): boolean {
    const prev = this.prevHardState;
    // The commit index alone can be recovered from peers, so it needs no fsync.
    const voteChanged = hardState.term !== prev.term || hardState.vote !== prev.vote;
    return voteChanged || entryCount > 0 || hasSnapshot;
  }

  /** The host finished a Ready (persisted, sent, applied): release what it covered. */
  advance(rd: Ready): void {
    assert(rd === this.outstanding, 'advance() must get the Ready from the last ready()');
    const log = this.raft.log;
    if (rd.hardState !== undefined) this.prevHardState = rd.hardState;
    if (rd.snapshot !== undefined) {
      log.stableSnapTo(rd.snapshot.metadata.index);
      log.appliedTo(rd.snapshot.metadata.index);
    }
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry !== undefined) {
      log.stableTo(lastEntry.index, lastEntry.term);
      leaderPersisted(this.raft);
    }
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied !== undefined) {
      log.appliedTo(lastApplied.index);
      reduceUncommittedBytes(this.raft, rd.committedEntries);
    }
    this.outstanding = null;
  }

  status(): RaftStatus {
    const r = this.raft;
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      role: r.role,
      leaderId: r.lead,
      commit: r.log.committed,
      applied: r.log.applied,
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      leadTransferee: r.leadTransferee,
      uncommittedBytes: r.uncommittedBytes,
      confState: r.tracker.confState(),
      progress: r.role === 'leader' ? this.progressStatus() : null,
    };
  }

  private progressStatus(): Record<NodeId, ProgressStatus> {
    const out: Record<NodeId, ProgressStatus> = {};
    for (const id of this.raft.tracker.ids) {
      const pr = this.raft.tracker.mustProgress(id);
      out[id] = {
        match: pr.match,
        next: pr.next,
        state: pr.state,
        recentActive: pr.recentActive,
        isLearner: pr.isLearner,
        paused: pr.isPaused(),
        inflightMessages: pr.inflights.count,
        inflightBytes: pr.inflights.bytes,
        pendingSnapshotIndex: pr.pendingSnapshotIndex,
      };
    }
    return out;
  }
}

// The Raft state machine of one node: term, vote, role, log and membership. step() applies the
// rules every role shares (terms, §5.1; vote requests, §5.2 and §5.4.1) and hands everything
// else to the role's handler; becomeFollower/PreCandidate/Candidate/Leader swap stepFn and
// tickFn. Pure and deterministic: output is queued in `msgs` and the log for RawNode's Ready.
import { assert } from '@troupe/runtime/assert';
import { outboundMessagesMax, readStatesMax } from './limits.js';
import { RaftLog } from './log.js';
import { mark } from './marks.js';
import type { Message, PreVoteMsg, ReadIndexMsg, VoteMsg } from './messages.js';
import type { RaftConfig } from './options.js';
import { stepCandidate } from './raft-candidate.js';
import { switchToConfig } from './raft-conf.js';
import { adoptCommitHint, handleVoteRequest, tickElection } from './raft-election.js';
import { stepFollower } from './raft-follower.js';
import { stepLeader, tickHeartbeat } from './raft-leader.js';
import { appendEntries } from './raft-replication.js';
import type { SnapshotReceive } from './raft-snapshot.js';
import { ReadOnly } from './read-only.js';
import { ProgressTracker } from './tracker/tracker.js';
import {
  emptyHardState,
  type HardState,
  hardStatesEqual,
  type NodeId,
  type ReadState,
  type RoleName,
  type SoftState,
} from './types.js';

/** Messages a role handler sees: vote requests are handled before dispatch, for every role. */
export type RoleMessage = Exclude<Message, VoteMsg | PreVoteMsg>;
export type StepFn = (r: Raft, msg: RoleMessage) => void;
export type TickFn = (r: Raft) => void;

export class Raft {
  readonly id: NodeId;
  readonly config: RaftConfig;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  term = 0;
  vote: NodeId | null = null;
  lead: NodeId | null = null;
  role: RoleName = 'follower';
  /** Outbound messages since the last Ready. */
  msgs: Message[] = [];
  /** Confirmed reads since the last Ready. */
  readStates: ReadState[] = [];
  electionElapsedTicks = 0;
  heartbeatElapsedTicks = 0;
  /** Ticks since this node started: the clock leases are measured with. */
  tickCount = 0;
  /** When we last heard from a leader of our term; votes are ignored for a timeout after. */
  leaderContactTick = Number.NEGATIVE_INFINITY;
  randomizedElectionTimeoutTicks = 0;
  /** The member a leadership transfer is handing over to, if one is in progress. */
  leadTransferee: NodeId | null = null;
  /** Index of the newest conf change the leader appended; a new one waits until it applies. */
  pendingConfIndex = 0;
  /**
   * Set once this leader sent TimeoutNow in its term: the target campaigns past the voters'
   * leases, so lease-based reads are no longer safe until the term ends.
   */
  leaseRevoked = false;
  /** Payload bytes the leader appended but has not yet seen applied. */
  uncommittedBytes = 0;
  readOnly: ReadOnly;
  /** Read requests that arrived before this leader committed an entry of its term. */
  pendingReadIndexMessages: ReadIndexMsg[] = [];
  /** Snapshot chunks received so far (follower). */
  snapshotReceive: SnapshotReceive | null = null;
  stepFn: StepFn = stepFollower;
  tickFn: TickFn = tickElection;

  constructor(config: RaftConfig) {
    this.id = config.id;
    this.config = config;
    this.log = new RaftLog(config.storage);
    this.tracker = new ProgressTracker(config.inflightMessagesMax, config.inflightBytesMax);
    this.readOnly = new ReadOnly(config.readRequestsPendingMax);
    const initial = config.storage.initialState();
    switchToConfig(this, initial.confState);
    if (!hardStatesEqual(initial.hardState, emptyHardState)) this.loadState(initial.hardState);
    this.log.appliedTo(config.appliedIndex);
    // A restarted node may have been inside a leader's lease when it crashed; with lease reads
    // it must keep that promise for a full timeout rather than vote at once.
    if (config.readOnlyOption === 'leaseBased') this.leaderContactTick = 0;
    this.becomeFollower(this.term, null);
  }

  private loadState(hs: HardState): void {
    assert(hs.commit >= this.log.committed, () => {
      return `hard state commit ${hs.commit} below snapshot ${this.log.committed}`;
    });
    assert(hs.commit <= this.log.lastIndex(), () => {
      return `hard state commit ${hs.commit} beyond last index ${this.log.lastIndex()}`;
    });
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { leaderId: this.lead, role: this.role };
  }

  /** Steps a message from a peer. */
  step(msg: Message): void {
    if (msg.to !== this.id || msg.from === this.id) {
      mark('step: misaddressed message dropped');
      return;
    }
    if (msg.term > this.term) {
      if (!this.stepHigherTerm(msg)) return;
    } else if (msg.term < this.term) {
      this.stepLowerTerm(msg);
      return;
    }
    if (msg.type === 'vote' || msg.type === 'preVote') {
      handleVoteRequest(this, msg);
      return;
    }
    this.stepFn(this, msg);
  }

  /** Steps a request this node makes of itself (read index, transfer); no term checks. */
  stepLocal(msg: RoleMessage): void {
    assert(msg.from === this.id && msg.to === this.id, () => `not local: ${msg.from}->${msg.to}`);
    assert(msg.term === this.term, () => `local message term ${msg.term} != ${this.term}`);
    this.stepFn(this, msg);
  }

  /** §5.1: a higher term makes us a follower, except where a lease or pre-vote says otherwise. */
  private stepHigherTerm(msg: Message): boolean {
    if (msg.type === 'vote' || msg.type === 'preVote') {
      // Leader stickiness (dissertation §4.2.3): while we hear from a leader, a vote request
      // comes from a node that is partitioned or removed; ignoring it keeps the leader stable.
      if (this.inLease() && !msg.transfer) {
        mark('vote: ignored inside leader lease');
        return false;
      }
    }
    // A pre-vote never changes anyone's term; a granted pre-vote answer carries the term we
    // would campaign in, not one anybody holds.
    if (msg.type === 'preVote') return true;
    if (msg.type === 'preVoteResp' && !msg.reject) return true;
    const fromLeader = msg.type === 'app' || msg.type === 'heartbeat' || msg.type === 'snap';
    this.becomeFollower(msg.term, fromLeader ? msg.from : null);
    return true;
  }

  /** §5.1: "If a server receives a request with a stale term number, it rejects the request." */
  private stepLowerTerm(msg: Message): void {
    if (msg.type === 'app' || msg.type === 'heartbeat' || msg.type === 'snap') {
      // Tell a deposed leader our term so it steps down. With pre-vote or leases it may never
      // see a higher-term vote request; and a member that cannot campaign (it believes it was
      // removed) would otherwise wait for that leader forever. Removed members get no Apps, so
      // this cannot let them disturb the group.
      this.send({
        type: 'appResp',
        from: this.id,
        to: msg.from,
        term: this.term,
        reject: false,
        index: 0,
        rejectHint: 0,
        logTerm: 0,
      });
    } else if ((msg.type === 'voteResp' || msg.type === 'preVoteResp') && msg.reject) {
      // A committed prefix stays committed whatever the term of whoever vouches for it.
      if (this.role !== 'leader') adoptCommitHint(this, msg.commitHint);
      mark('step: stale-term vote answer');
    } else if (msg.type === 'preVote') {
      this.send({
        type: 'preVoteResp',
        from: this.id,
        to: msg.from,
        term: this.term,
        reject: true,
      });
    } else {
      mark('step: stale-term message ignored');
    }
  }

  tick(): void {
    this.tickCount++;
    this.tickFn(this);
  }

  /**
   * Leader stickiness: a leader, and a node that heard from one within an election timeout,
   * ignore vote requests (CheckQuorum only). Measured from the last leader contact rather than
   * from `lead`, so campaigning ourselves does not void the promise made to the leader.
   */
  inLease(): boolean {
    if (!this.config.checkQuorum) return false;
    if (this.role === 'leader') return true;
    return this.tickCount - this.leaderContactTick < this.config.electionTimeoutTicks;
  }

  /** Queues an outbound message; beyond the bound it is dropped, which Raft tolerates. */
  send(msg: Message): void {
    assert(msg.from === this.id, () => `sending as ${msg.from}, we are ${this.id}`);
    assert(msg.to !== this.id, () => `sending ${msg.type} to ourselves`);
    if (this.msgs.length >= outboundMessagesMax) {
      mark('send: outbound queue full, message dropped');
      return;
    }
    this.msgs.push(msg);
  }

  addReadState(readState: ReadState): void {
    if (this.readStates.length >= readStatesMax) {
      mark('read: read-state queue full, dropped');
      return;
    }
    this.readStates.push(readState);
  }

  becomeFollower(term: number, lead: NodeId | null): void {
    this.stepFn = stepFollower;
    this.tickFn = tickElection;
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  /** Pre-candidate: asks for pre-votes without changing term or vote. */
  becomePreCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a pre-candidate');
    this.stepFn = stepCandidate;
    this.tickFn = tickElection;
    this.tracker.resetVotes();
    this.lead = null;
    this.role = 'preCandidate';
  }

  becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a candidate');
    this.stepFn = stepCandidate;
    this.tickFn = tickElection;
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  becomeLeader(): void {
    assert(this.role === 'candidate', () => `only a candidate becomes leader, not ${this.role}`);
    this.stepFn = stepLeader;
    this.tickFn = tickHeartbeat;
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    this.snapshotReceive = null;
    const self = this.tracker.mustProgress(this.id);
    // The leader trivially matches its own log and is always active.
    self.becomeReplicate();
    self.recentActive = true;
    // §8: an empty entry of the new term commits everything before it (Figure 8 rule).
    const appended = appendEntries(this, [{ type: 'normal', data: new Uint8Array() }]);
    assert(appended, 'the empty leader entry must always be appended');
    // A conf change waits until this entry applies: the leader has then committed in its term
    // and knows the newest configuration (dissertation §4.1 bug fix).
    this.pendingConfIndex = this.log.lastIndex();
  }

  private reset(term: number): void {
    assert(term >= this.term, () => `term going back from ${this.term} to ${term}`);
    if (this.term !== term) {
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsedTicks = 0;
    this.heartbeatElapsedTicks = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = null;
    this.leaseRevoked = false;
    this.tracker.resetVotes();
    // Our own match is what is durable; the rest counts once the host persists it.
    const selfMatch = this.log.hasPendingSnapshot() ? 0 : this.log.lastStableIndex();
    this.tracker.resetProgress(this.log.lastIndex(), this.id, selfMatch);
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    // Requests being confirmed are dropped: their callers time out and retry.
    this.readOnly = new ReadOnly(this.config.readRequestsPendingMax);
    this.pendingReadIndexMessages = [];
  }

  /** §5.2: a timeout drawn from [electionTimeout, 2 * electionTimeout) makes split votes rare. */
  resetRandomizedElectionTimeout(): void {
    const base = this.config.electionTimeoutTicks;
    const jitter = this.config.rng.nextInt(base);
    assert(Number.isInteger(jitter) && jitter >= 0 && jitter < base, () => `rng gave ${jitter}`);
    this.randomizedElectionTimeoutTicks = base + jitter;
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = null;
  }

  /** A voter without a snapshot waiting to be persisted may campaign. */
  promotable(): boolean {
    const self = this.tracker.progress(this.id);
    return self !== undefined && !self.isLearner && !this.log.hasPendingSnapshot();
  }

  /** Whether the leader has committed an entry of its own term (needed before reads, §8). */
  committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }
}

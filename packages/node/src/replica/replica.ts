// One Raft group's replica on this node: a RawNode over the group's durable log, the group's
// state machine, and the client requests in flight. The node's MultiRaft drives every replica
// through the Ready contract in one store transaction per turn (group commit); this class says
// what a Ready means for one group: persist, apply, answer, advance.
import type { CampaignReply } from '@troupe/client/protocol';
import { IndeterminateError, NotLeaderError, UnavailableError } from '@troupe/client/protocol';
import type { Logger } from '@troupe/runtime';
import { assert } from '@troupe/runtime/assert';
import {
  type CommitBroadcast,
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  ProposalDroppedError,
  type RaftStatus,
  type RaftStorage,
  RawNode,
  ReadIndexDroppedError,
  type Ready,
  type Rng,
  type Snapshot,
} from '../raft/index.js';
import { decodeEntryCommand, encodeEntryCommand } from './entry-codec.js';
import type { GroupMachine } from './group-machine.js';
import { type Completion, type PendingRead, PendingTable } from './pending-requests.js';
import { ReadRounds } from './read-rounds.js';

/** The durable side of one group, as the replica needs it (storage/group-store.ts). */
export interface ReplicaStore extends RaftStorage {
  append(entries: readonly Entry[]): void;
  setHardState(hardState: NonNullable<Ready['hardState']>): void;
  applySnapshot(snapshot: Snapshot): void;
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): void;
  compact(index: number): void;
  appliedIndex(): number;
  setApplied(index: number, confState: ConfState): void;
  confStateAtApplied(): ConfState;
}

export interface ReplicaOptions {
  readonly groupId: string;
  readonly nodeId: string;
  /** `${nodeId}/${incarnation}`: tags our proposals so we recognise them when they apply. */
  readonly origin: string;
  readonly store: ReplicaStore;
  readonly machine: GroupMachine;
  readonly rng: Rng;
  readonly logger: Logger;
  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
  /** How followers learn of commits (see CommitBroadcast); Raft's default when absent. */
  readonly commitBroadcast?: CommitBroadcast;
  /** Take a snapshot (and compact the log) after this many applied entries. */
  readonly snapshotEveryEntries: number;
  /** Entries kept behind a snapshot so a slightly lagging follower needs no snapshot. */
  readonly logKeepEntries: number;
  readonly pendingRequestsMax: number;
  readonly requestTimeoutTicks: number;
}

/**
 * A follower that heard its leader within this many ticks refuses a balancer's campaign
 * request: two missed heartbeats (at the default 50 ms tick) before it believes the leader
 * is gone, unless the connection to the leader closed, which it believes at once.
 */
const leaderSilenceTicksMin = 2;

function refuse(code: string, message: string): CampaignReply {
  return { ok: false, code, message };
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Work a replica leaves for after the store transaction commits. */
export type AfterCommit = () => void;

export class Replica {
  readonly groupId: string;
  private readonly node: RawNode;
  private readonly proposals: PendingTable<{ done: Completion; deadlineTick: number }>;
  private readonly reads: PendingTable<PendingRead>;
  private readonly readRounds = new ReadRounds();
  private requestCounter = 0;
  private ticks = 0;
  private leaderIdValue: string | null = null;
  /** The configuration as applied here; kept so a check per peer message builds no status. */
  private confState: ConfState;
  /** Set by the driver: called when local calls gave the core work for the next turn. */
  onWork: () => void = () => {};
  /** Set by the host: called when this replica's leader (or its own role as leader) changed. */
  onLeadershipChange: () => void = () => {};
  private isLeaderValue = false;
  /** The term and vote last written (null: not known, so the next write is durable). */
  private persistedTermVote: { term: number; vote: string | null } | null = null;

  constructor(private readonly options: ReplicaOptions) {
    this.groupId = options.groupId;
    this.proposals = new PendingTable(options.pendingRequestsMax);
    this.reads = new PendingTable(options.pendingRequestsMax);
    this.confState = options.store.confStateAtApplied();
    this.node = new RawNode({
      id: options.nodeId,
      storage: options.store,
      rng: options.rng,
      electionTimeoutTicks: options.electionTimeoutTicks,
      heartbeatIntervalTicks: options.heartbeatIntervalTicks,
      appliedIndex: options.store.appliedIndex(),
      ...(options.commitBroadcast === undefined
        ? {}
        : { commitBroadcast: options.commitBroadcast }),
    });
  }

  get leaderId(): string | null {
    return this.leaderIdValue;
  }

  get isLeader(): boolean {
    return this.isLeaderValue;
  }

  status(): RaftStatus {
    return this.node.status();
  }

  /** Client requests held here now, for metrics (each bounded by pendingRequestsMax). */
  pendingCounts(): { proposals: number; reads: number; readsAwaitingReadIndex: number } {
    return {
      proposals: this.proposals.size,
      reads: this.reads.size,
      readsAwaitingReadIndex: this.readRounds.waiting,
    };
  }

  stateHash(): string {
    return this.options.machine.stateHash();
  }

  tick(): void {
    this.ticks++;
    this.node.tick();
    const nowTick = this.ticks;
    this.proposals.expire(nowTick, () => this.indeterminate('timed out waiting for commit'));
    this.reads.expire(nowTick, () => new UnavailableError(`${this.groupId}: read timed out`));
    // A round whose heartbeats were lost is issued again once it is stale.
    this.issueReadRound();
  }

  step(message: Message): void {
    this.node.step(message);
  }

  /**
   * Whether `nodeId` belongs to this group's configuration as applied here. A replica that has
   * no configuration yet (created empty, waiting for the leader's snapshot) accepts anyone.
   */
  isInConfig(nodeId: string): boolean {
    const conf = this.confState;
    if (conf.voters.length === 0 && conf.learners.length === 0) return true;
    return conf.voters.includes(nodeId) || conf.learners.includes(nodeId);
  }

  campaign(): void {
    this.node.campaign();
    this.onWork();
  }

  /**
   * A balancer believes this group's leader is dead: start an election now, skipping the
   * pre-vote, unless this replica still hears a leader (then the balancer's view is wrong and
   * obeying would depose a healthy leader). Raft still decides who wins.
   */
  campaignNow(isConnected: (nodeId: string) => boolean): CampaignReply {
    const status = this.node.status();
    if (status.role === 'leader') return { ok: true, outcome: 'alreadyLeader', term: status.term };
    // Already campaigning (another balancer asked first, or its own timer fired): a second
    // forced campaign would only bump the term and restart the election it is winning.
    if (status.role === 'candidate' || status.role === 'preCandidate') {
      return { ok: true, outcome: 'campaigning', term: status.term };
    }
    if (!status.confState.voters.includes(this.options.nodeId)) {
      return refuse('TROUPE_ERR_NOT_VOTER', `${this.groupId}: this replica is not a voter`);
    }
    const leader = status.leaderId;
    const silentTicks = this.node.leaderSilentTicks();
    const leaderHeard =
      status.role === 'follower' &&
      leader !== null &&
      isConnected(leader) &&
      silentTicks < leaderSilenceTicksMin;
    if (leaderHeard) {
      const message = `${this.groupId}: leader ${leader} was heard ${silentTicks} ticks ago`;
      return refuse('TROUPE_ERR_LEADER_ALIVE', message);
    }
    this.options.logger.info(
      { group: this.groupId, formerLeader: leader, term: status.term },
      'campaigning at once: the leader is gone',
    );
    this.node.campaign({ force: true });
    this.onWork();
    return { ok: true, outcome: 'campaigning', term: status.term };
  }

  transferLeader(to: string): void {
    this.node.transferLeader(to);
    this.onWork();
  }

  reportUnreachable(nodeId: string): void {
    this.node.reportUnreachable(nodeId);
  }

  /** Proposes a command; `done` gets the state machine's reply once it applied here. */
  propose(command: Uint8Array, done: Completion): void {
    if (!this.isLeaderValue) return done({ ok: false, error: this.notLeader() });
    if (this.proposals.isFull) return done({ ok: false, error: this.busy('proposals') });
    const requestId = ++this.requestCounter;
    const data = encodeEntryCommand({ origin: this.options.origin, requestId, command });
    try {
      this.node.propose(data);
    } catch (error) {
      if (!(error instanceof ProposalDroppedError)) throw error;
      return done({ ok: false, error: this.dropped(error) });
    }
    const deadlineTick = this.ticks + this.options.requestTimeoutTicks;
    this.proposals.add(String(requestId), { done, deadlineTick });
    this.onWork();
  }

  /**
   * Proposes a membership change (one at a time; the core refuses a second while one is
   * pending). Returns false when it was not taken; the caller re-checks on its next round.
   */
  proposeConfChange(change: ConfChange): boolean {
    if (!this.isLeaderValue) return false;
    try {
      this.node.proposeConfChange(change);
      this.onWork();
      return true;
    } catch (error) {
      if (!(error instanceof ProposalDroppedError)) throw error;
      this.options.logger.debug(
        { group: this.groupId, reason: error.reason },
        'conf change not taken',
      );
      return false;
    }
  }

  /** A linearizable read: `serve` runs once this replica applied past a confirmed read index. */
  readLinearizable(serve: () => unknown, done: Completion): void {
    if (!this.isLeaderValue) return done({ ok: false, error: this.notLeader() });
    if (this.reads.isFull) return done({ ok: false, error: this.busy('reads') });
    const id = String(++this.requestCounter);
    const deadlineTick = this.ticks + this.options.requestTimeoutTicks;
    this.reads.add(id, { done, serve, index: null, deadlineTick });
    // Issued at the start of the next turn, so reads arriving together share the round.
    this.readRounds.enqueue(id);
    this.onWork();
  }

  /** Starts the next ReadIndex round for the reads waiting, unless one is in flight. */
  issueReadRound(): void {
    if (!this.isLeaderValue) return;
    const round = this.readRounds.next(this.ticks, this.options.electionTimeoutTicks, (id) =>
      this.reads.has(id),
    );
    if (round === null) return;
    try {
      this.node.readIndex(textEncoder.encode(round.ctx));
    } catch (error) {
      if (!(error instanceof ReadIndexDroppedError)) throw error;
      const failure = new UnavailableError(`${this.groupId}: ${error.message}`);
      for (const id of this.readRounds.refused()) {
        this.reads.take(id)?.done({ ok: false, error: failure });
      }
    }
  }

  hasReady(): boolean {
    return this.node.hasReady();
  }

  ready(): Ready {
    return this.node.ready();
  }

  /**
   * Whether persisting `ready` must be durable before the turn goes on: new entries, a
   * snapshot, or a new term or vote. A commit index alone need not be (Raft learns it again).
   */
  needsDurability(ready: Ready): boolean {
    if (ready.snapshot !== undefined || ready.entries.length > 0) return true;
    const hard = ready.hardState;
    if (hard === undefined) return false;
    const last = this.persistedTermVote;
    return last === null || hard.term !== last.term || hard.vote !== last.vote;
  }

  /** Step 1 of the Ready contract; runs inside the node's store transaction. */
  persist(ready: Ready): void {
    const store = this.options.store;
    if (ready.snapshot !== undefined) store.applySnapshot(ready.snapshot);
    if (ready.entries.length > 0) store.append(ready.entries);
    if (ready.hardState !== undefined) {
      store.setHardState(ready.hardState);
      this.persistedTermVote = { term: ready.hardState.term, vote: ready.hardState.vote };
    }
  }

  /**
   * Step 3, also inside the transaction, so each applied entry and the applied index commit
   * together. Replies wait in `after` until the transaction is durable.
   */
  apply(ready: Ready, after: AfterCommit[]): void {
    const store = this.options.store;
    if (ready.snapshot !== undefined) {
      this.options.machine.restore(ready.snapshot.data);
      this.confState = ready.snapshot.metadata.confState;
      store.setApplied(ready.snapshot.metadata.index, this.confState);
    }
    for (const entry of ready.committedEntries) this.applyEntry(entry, after);
    this.maybeSnapshot();
  }

  /** Steps 2 and 4 after the transaction: note leadership and reads, then advance. */
  finish(ready: Ready): void {
    if (ready.softState !== undefined) this.noteSoftState(ready.softState);
    for (const readState of ready.readStates) {
      for (const id of this.readRounds.confirmed(textDecoder.decode(readState.ctx))) {
        const pending = this.reads.get(id);
        if (pending !== undefined) pending.index = readState.index;
      }
    }
    this.node.advance(ready);
    this.serveReads();
    // Reads that arrived while the last round was in flight share the next one.
    this.issueReadRound();
  }

  /** Ends every request in flight (the replica is stopping or the node shuts down). */
  failAll(reason: string): void {
    this.proposals.failAll(() => this.indeterminate(reason));
    this.reads.failAll(() => new UnavailableError(`${this.groupId}: ${reason}`));
    this.readRounds.clear();
  }

  private applyEntry(entry: Entry, after: AfterCommit[]): void {
    const store = this.options.store;
    if (entry.type === 'confChange') {
      this.confState = this.node.applyConfChange(entry.change);
      store.setApplied(entry.index, this.confState);
      return;
    }
    if (entry.data.byteLength > 0) {
      const decoded = decodeEntryCommand(entry.data);
      const value = this.options.machine.apply(entry.index, decoded.command);
      if (decoded.origin === this.options.origin) {
        const waiting = this.proposals.take(String(decoded.requestId));
        if (waiting !== undefined) after.push(() => waiting.done({ ok: true, value }));
      }
    }
    store.setApplied(entry.index, this.confState);
  }

  private maybeSnapshot(): void {
    const store = this.options.store;
    const applied = store.appliedIndex();
    const snapshotIndex = store.snapshot().metadata.index;
    if (applied - snapshotIndex < this.options.snapshotEveryEntries) return;
    if (applied > store.lastIndex()) return;
    store.createSnapshot(applied, store.confStateAtApplied(), this.options.machine.snapshotData());
    const compactTo = Math.max(store.firstIndex() - 1, applied - this.options.logKeepEntries);
    if (compactTo >= store.firstIndex()) store.compact(compactTo);
    this.options.logger.debug({ group: this.groupId, applied, compactTo }, 'snapshot taken');
  }

  private serveReads(): void {
    const applied = this.options.store.appliedIndex();
    for (const [id, pending] of this.reads.entries()) {
      if (pending.index === null || pending.index > applied) continue;
      this.reads.take(id);
      pending.done({ ok: true, value: pending.serve() });
    }
  }

  private noteSoftState(softState: NonNullable<Ready['softState']>): void {
    const wasLeader = this.isLeaderValue;
    const leaderChanged = softState.leaderId !== this.leaderIdValue;
    this.leaderIdValue = softState.leaderId;
    this.isLeaderValue = softState.role === 'leader';
    assert(!this.isLeaderValue || softState.leaderId === this.options.nodeId, 'leader is self');
    if (wasLeader && !this.isLeaderValue) {
      // Proposals may still commit under the next leader: only a session retry can tell.
      this.proposals.failAll(() => this.indeterminate('leadership lost'));
      this.reads.failAll(() => this.notLeader());
      this.readRounds.clear();
    }
    if (leaderChanged || wasLeader !== this.isLeaderValue) this.onLeadershipChange();
  }

  private notLeader(): NotLeaderError {
    const shard = shardNumber(this.groupId);
    const leader = this.leaderIdValue;
    return new NotLeaderError(shard, leader === null ? null : { nodeId: leader, url: null });
  }

  private indeterminate(reason: string): IndeterminateError {
    return new IndeterminateError(`${this.groupId}: ${reason}; retry with the same session`);
  }

  private busy(what: string): UnavailableError {
    return new UnavailableError(`${this.groupId}: too many ${what} in flight`);
  }

  private dropped(error: ProposalDroppedError): Error {
    if (error.reason === 'notLeader' || error.reason === 'leaderTransferring')
      return this.notLeader();
    return new UnavailableError(`${this.groupId}: ${error.message}`, { cause: error });
  }
}

/** 's12' -> 12; the meta group is -1 (not a shard). */
export function shardNumber(groupId: string): number {
  return groupId.startsWith('s') ? Number(groupId.slice(1)) : -1;
}

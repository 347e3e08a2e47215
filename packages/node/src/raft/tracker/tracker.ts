// The membership (voters and learners) and the leader's per-member Progress, plus the votes of
// the election in progress. Members are always visited in sorted id order, so nothing here
// depends on the order in which the host learned about them.
import { assert } from '@troupe/runtime/assert';
import { majorityCommittedIndex, majorityVoteResult, type VoteResult } from '../quorum/majority.js';
import type { ConfState, NodeId } from '../types.js';
import { Inflights } from './inflights.js';
import { Progress } from './progress.js';

export interface VoteTally {
  readonly granted: number;
  readonly rejected: number;
  readonly result: VoteResult;
}

export class ProgressTracker {
  private votersValue: readonly NodeId[] = [];
  private learnersValue: readonly NodeId[] = [];
  /** All members, sorted. */
  private idsValue: readonly NodeId[] = [];
  private readonly progressById = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();
  private readonly inflightMessagesMax: number;
  private readonly inflightBytesMax: number;

  constructor(inflightMessagesMax: number, inflightBytesMax: number) {
    this.inflightMessagesMax = inflightMessagesMax;
    this.inflightBytesMax = inflightBytesMax;
  }

  get voters(): readonly NodeId[] {
    return this.votersValue;
  }

  get learners(): readonly NodeId[] {
    return this.learnersValue;
  }

  /** All members in sorted order. */
  get ids(): readonly NodeId[] {
    return this.idsValue;
  }

  confState(): ConfState {
    return { voters: this.votersValue.slice(), learners: this.learnersValue.slice() };
  }

  isVoter(id: NodeId): boolean {
    return this.votersValue.includes(id);
  }

  /** Exactly one voter: reads and commits need nobody else. */
  isSingleton(): boolean {
    return this.votersValue.length === 1;
  }

  progress(id: NodeId): Progress | undefined {
    return this.progressById.get(id);
  }

  /** Progress of a member that must exist. */
  mustProgress(id: NodeId): Progress {
    const pr = this.progressById.get(id);
    assert(pr !== undefined, () => `no progress for ${id} in [${this.idsValue.join(',')}]`);
    return pr;
  }

  /**
   * Switches to a new membership. Members that stay keep their progress (only the learner flag
   * changes); new members start probing at `lastIndex`, marked recently active so that a
   * CheckQuorum round right after the change does not count them as silent.
   */
  applyConfState(cs: ConfState, lastIndex: number): void {
    assertConfState(cs);
    const ids = [...cs.voters, ...cs.learners].sort();
    for (const id of [...this.progressById.keys()]) {
      if (!ids.includes(id)) this.progressById.delete(id);
    }
    for (const id of ids) {
      const isLearner = cs.learners.includes(id);
      const existing = this.progressById.get(id);
      if (existing !== undefined) {
        existing.isLearner = isLearner;
        continue;
      }
      const pr = new Progress(Math.max(lastIndex, 1), isLearner, this.newInflights());
      pr.recentActive = true;
      this.progressById.set(id, pr);
    }
    this.votersValue = cs.voters.slice();
    this.learnersValue = cs.learners.slice();
    this.idsValue = ids;
  }

  /** Fresh progress for everyone (a new term): probe from the end of our log. */
  resetProgress(lastIndex: number, selfId: NodeId, selfMatch: number): void {
    assert(selfMatch <= lastIndex, () => `self match ${selfMatch} beyond last ${lastIndex}`);
    for (const id of this.idsValue) {
      const old = this.mustProgress(id);
      const pr = new Progress(lastIndex + 1, old.isLearner, this.newInflights());
      if (id === selfId) pr.match = selfMatch;
      this.progressById.set(id, pr);
    }
  }

  /** The largest index a majority of voters has matched. */
  committed(): number {
    assert(this.votersValue.length > 0, 'committed index of an empty voter set');
    return majorityCommittedIndex(this.votersValue, (id) => this.mustProgress(id).match);
  }

  /** Whether a majority of voters was heard from since the last check; self counts as heard. */
  quorumActive(selfId: NodeId): boolean {
    const result = majorityVoteResult(this.votersValue, (id) => {
      return id === selfId || this.mustProgress(id).recentActive;
    });
    return result === 'won';
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Records a vote; only the first answer of each node counts. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteTally {
    let granted = 0;
    let rejected = 0;
    for (const id of this.votersValue) {
      const vote = this.votes.get(id);
      if (vote === true) granted++;
      if (vote === false) rejected++;
    }
    const result = majorityVoteResult(this.votersValue, (id) => this.votes.get(id));
    return { granted, rejected, result };
  }

  private newInflights(): Inflights {
    return new Inflights(this.inflightMessagesMax, this.inflightBytesMax);
  }
}

function strictlySorted(ids: readonly NodeId[]): boolean {
  return ids.every((id, i) => i === 0 || ids[i - 1]! < id);
}

function assertConfState(cs: ConfState): void {
  assert(strictlySorted(cs.voters), () => `voters must be sorted, unique: ${cs.voters.join(',')}`);
  assert(strictlySorted(cs.learners), () => `learners must be sorted, unique: ${cs.learners}`);
  assert(
    cs.voters.every((id) => !cs.learners.includes(id)),
    () => `voters and learners must be disjoint: ${JSON.stringify(cs)}`,
  );
}

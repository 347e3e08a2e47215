// Elections (§5.2, §5.4.1, dissertation §9.6): the election timer of followers and candidates,
// campaigning (pre-vote first when enabled), counting votes, and answering vote requests.
import { assert } from '@troupe/runtime/assert';
import { mark } from './marks.js';
import type { PreVoteMsg, VoteMsg } from './messages.js';
import type { VoteResult } from './quorum/majority.js';
import type { Raft } from './raft.js';
import { bcastAppend } from './raft-replication.js';

/**
 * `preElection` asks for pre-votes first; `election` campaigns at once; `transfer` campaigns
 * at once and asks voters to ignore their leader lease (the leader itself asked for it).
 */
export type CampaignKind = 'preElection' | 'election' | 'transfer';

/** Follower and candidate tick: campaign once the randomized election timeout elapses. */
export function tickElection(r: Raft): void {
  r.electionElapsedTicks++;
  if (!r.promotable() || r.electionElapsedTicks < r.randomizedElectionTimeoutTicks) return;
  r.electionElapsedTicks = 0;
  hup(r, r.config.preVote ? 'preElection' : 'election');
}

/** Starts a campaign if this node may lead. */
export function hup(r: Raft, kind: CampaignKind): void {
  if (r.role === 'leader') {
    mark('campaign: already leader');
    return;
  }
  if (!r.promotable()) {
    mark('campaign: not promotable');
    return;
  }
  if (hasUnappliedConfChanges(r)) {
    // Our configuration may be out of date; campaigning with it could split the cluster.
    mark('campaign: waiting for committed conf changes to apply');
    return;
  }
  campaign(r, kind);
}

/** Whether a committed but unapplied entry changes membership. */
function hasUnappliedConfChanges(r: Raft): boolean {
  let next = r.log.applied + 1;
  while (next <= r.log.committed) {
    const page = r.log.slice(next, r.log.committed + 1, r.config.committedEntriesBytesMax);
    assert(page !== 'compacted' && page.length > 0, () => `unapplied entries at ${next} missing`);
    if (page.some((entry) => entry.type === 'confChange')) return true;
    next += page.length;
  }
  return false;
}

export function campaign(r: Raft, kind: CampaignKind): void {
  assert(r.promotable(), () => `${r.id} campaigning but not promotable`);
  let term: number;
  if (kind === 'preElection') {
    r.becomePreCandidate();
    // Pre-votes ask about the term we would move to, without moving to it.
    term = r.term + 1;
  } else {
    r.becomeCandidate();
    term = r.term;
  }
  // "It then votes for itself" (§5.2); a single voter wins on the spot.
  if (poll(r, r.id, true) === 'won') {
    winCampaign(r);
    return;
  }
  const type = kind === 'preElection' ? 'preVote' : 'vote';
  const lastLogIndex = r.log.lastIndex();
  const lastLogTerm = r.log.lastTerm();
  for (const to of r.tracker.voters) {
    if (to === r.id) continue;
    const transfer = kind === 'transfer';
    r.send({ type, from: r.id, to, term, lastLogIndex, lastLogTerm, transfer });
  }
}

/** A (pre-)candidate that gathered a majority moves on: pre-candidates campaign for real. */
export function winCampaign(r: Raft): void {
  if (r.role === 'preCandidate') {
    campaign(r, 'election');
    return;
  }
  assert(r.role === 'candidate', () => `won a campaign as ${r.role}`);
  r.becomeLeader();
  // "It then sends heartbeat messages to all of the other servers to establish its authority".
  bcastAppend(r);
}

/** Records a vote and returns the election's result so far. */
export function poll(r: Raft, from: string, granted: boolean): VoteResult {
  r.tracker.recordVote(from, granted);
  return r.tracker.tallyVotes().result;
}

/**
 * Answers RequestVote or a pre-vote whose term is not stale. Figure 2: "If votedFor is null or
 * candidateId, and candidate's log is at least as up-to-date as receiver's log, grant vote".
 */
export function handleVoteRequest(r: Raft, msg: VoteMsg | PreVoteMsg): void {
  assert(msg.term >= r.term, () => `vote request of stale term ${msg.term} < ${r.term}`);
  const canVote =
    r.vote === msg.from ||
    // We have not voted and know no leader in this term...
    (r.vote === null && r.lead === null) ||
    // ...or it is a pre-vote for a future term, which commits us to nothing.
    (msg.type === 'preVote' && msg.term > r.term);
  const upToDate =
    r.config.testingFaults.voteWithoutLogCheck ||
    r.log.isUpToDate(msg.lastLogIndex, msg.lastLogTerm);
  const type = msg.type === 'vote' ? 'voteResp' : 'preVoteResp';
  if (!canVote || !upToDate) {
    mark(canVote ? 'vote: rejected, candidate log behind' : 'vote: rejected, already voted');
    const commitHint = commitHintFor(r, msg);
    r.send({ type, from: r.id, to: msg.from, term: r.term, reject: true, commitHint });
    return;
  }
  r.send({ type, from: r.id, to: msg.from, term: msg.term, reject: false });
  if (msg.type === 'vote') {
    // Only real votes are recorded; granting one also restarts our election timer.
    r.electionElapsedTicks = 0;
    r.vote = msg.from;
  }
}

/**
 * If the candidate's last entry is in our log, its log is a prefix of ours up to there (Log
 * Matching), so whatever of that prefix we know committed is committed for it too.
 */
function commitHintFor(r: Raft, msg: VoteMsg | PreVoteMsg): number {
  if (!r.log.matchTerm(msg.lastLogIndex, msg.lastLogTerm)) return 0;
  return Math.min(r.log.committed, msg.lastLogIndex);
}

/** A rejection may tell us how much of our log is committed (see commitHintFor). */
export function adoptCommitHint(r: Raft, hint: number | undefined): void {
  if (hint === undefined || hint <= r.log.committed) return;
  mark('campaign: adopting a voter commit hint');
  r.log.commitTo(Math.min(hint, r.log.lastIndex()));
}

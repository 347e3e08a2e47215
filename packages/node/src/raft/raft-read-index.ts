// Linearizable reads without writing to the log (§8, dissertation §6.4). The leader records
// its commit index, confirms it still leads with a round of heartbeats carrying the request's
// ctx, then answers with that index; the host serves the read once it has applied that far.
import { assert } from '@troupe/runtime/assert';
import { ReadIndexDroppedError, type ReadIndexDroppedReason } from './errors.js';
import { mark } from './marks.js';
import type { ReadIndexMsg } from './messages.js';
import { majorityCommittedIndex, majorityVoteResult } from './quorum/majority.js';
import type { Raft } from './raft.js';
import { bcastHeartbeatWithCtx } from './raft-replication.js';
import type { ReadRequest } from './read-only.js';

function isLocal(r: Raft, msg: ReadIndexMsg): boolean {
  return msg.from === r.id;
}

/**
 * Drops a read the node cannot take. A local caller gets a typed error; a forwarded one is
 * dropped silently and the follower's host times it out, as with a lost message.
 */
export function dropRead(
  r: Raft,
  msg: ReadIndexMsg,
  reason: Exclude<ReadIndexDroppedReason, 'readCtxBytesMax'>,
): void {
  mark(`read: dropped (${reason})`);
  if (isLocal(r, msg)) throw new ReadIndexDroppedError(reason, `node ${r.id} as ${r.role}`);
}

export function leaderReadIndex(r: Raft, msg: ReadIndexMsg): void {
  assert(r.role === 'leader', () => `${r.role} serving a read index`);
  if (!r.tracker.isVoter(r.id)) {
    // A removed leader may not hold a majority's confidence any more; it is handing over.
    dropRead(r, msg, 'notMember');
    return;
  }
  if (!r.committedEntryInCurrentTerm()) {
    // §8: "a leader must have the latest information on which entries are committed"; until
    // its empty entry commits, its commit index may be behind an earlier leader's. This holds
    // for a single voter too: it counts its own entries only once they are persisted.
    if (r.pendingReadIndexMessages.length >= r.config.readRequestsPendingMax) {
      dropRead(r, msg, 'readRequestsPendingMax');
      return;
    }
    mark('read: deferred until the leader commits in its term');
    r.pendingReadIndexMessages.push(msg);
    return;
  }
  if (!confirmReadIndex(r, msg)) dropRead(r, msg, 'readRequestsPendingMax');
}

/** Starts confirming a read (or answers it under a lease); false if the queue is full. */
function confirmReadIndex(r: Raft, msg: ReadIndexMsg): boolean {
  if (r.tracker.isSingleton()) {
    // We are the only voter: nobody else can have been elected, no round is needed.
    respondToReadIndex(r, msg, r.log.committed);
    return true;
  }
  const leaseBased = r.config.readOnlyOption === 'leaseBased' && !r.leaseRevoked && leaseHolds(r);
  if (leaseBased || r.config.testingFaults.readIndexWithoutHeartbeat) {
    // The lease (CheckQuorum) stands in for the heartbeat round; the fault skips it unsafely.
    respondToReadIndex(r, msg, r.log.committed);
    return true;
  }
  if (r.readOnly.isFull()) return false;
  if (!r.readOnly.addRequest(r.log.committed, msg)) {
    mark('read: duplicate ctx ignored');
    return true;
  }
  // The leader acknowledges its own heartbeat.
  r.readOnly.recvAck(r.id, msg.ctx);
  bcastHeartbeatWithCtx(r, msg.ctx);
  return true;
}

/**
 * Whether a majority of voters heard a heartbeat we sent recently enough that none of them can
 * have voted for anyone since: each ignores votes for electionTimeoutTicks after hearing from
 * us. One tick is kept back for the phase between our ticks and theirs; clock drift beyond
 * that is the documented assumption of lease reads.
 */
function leaseHolds(r: Raft): boolean {
  const acked = majorityCommittedIndex(r.tracker.voters, (id) => {
    // Shifted by one so that "never acknowledged" (-1) maps to 0.
    return id === r.id ? r.tickCount + 1 : r.tracker.mustProgress(id).leaseAckTick + 1;
  });
  const leaseStart = acked - 1;
  if (leaseStart < 0) return false;
  const fresh = r.tickCount - leaseStart < r.config.electionTimeoutTicks - 1;
  if (!fresh) mark('read: lease expired, confirming with heartbeats');
  return fresh;
}

/** Answers reads that waited for the leader's first commit in its term. */
export function releasePendingReadIndexMessages(r: Raft): void {
  // The commit index can move without reaching our term (an earlier-term entry committed
  // under the commitPreviousTermByCount testing fault); reads keep waiting then.
  if (r.pendingReadIndexMessages.length === 0 || !r.committedEntryInCurrentTerm()) return;
  const pending = r.pendingReadIndexMessages;
  r.pendingReadIndexMessages = [];
  for (const msg of pending) {
    // These were accepted earlier, so a full queue now drops them without throwing at anyone.
    if (!confirmReadIndex(r, msg)) mark('read: dropped (readRequestsPendingMax)');
  }
}

/** A follower acknowledged a heartbeat carrying `ctx`; a majority confirms the reads. */
export function onReadHeartbeatAck(r: Raft, from: string, ctx: Uint8Array): void {
  const acks = r.readOnly.recvAck(from, ctx);
  if (acks === undefined) return;
  const result = majorityVoteResult(r.tracker.voters, (id) => (acks.has(id) ? true : undefined));
  if (result !== 'won') return;
  for (const status of r.readOnly.advance(ctx)) {
    respondToReadIndex(r, status.request, status.index);
  }
}

function respondToReadIndex(r: Raft, request: ReadRequest, index: number): void {
  assert(index <= r.log.committed, () => `read index ${index} beyond commit ${r.log.committed}`);
  if (request.from === r.id) {
    r.addReadState({ index, ctx: request.ctx });
    return;
  }
  const ctx = request.ctx;
  r.send({ type: 'readIndexResp', from: r.id, to: request.from, term: r.term, index, ctx });
}

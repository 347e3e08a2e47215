// The leader role: its tick (heartbeats, CheckQuorum, transfer timeout) and its step handler,
// which reacts to followers' answers by advancing flow control, the commit index and reads.
import { assert, unreachable } from '@troupe/runtime/assert';
import { mark } from './marks.js';
import type { AppRespMsg, HeartbeatRespMsg, SnapRespMsg } from './messages.js';
import type { Raft, RoleMessage } from './raft.js';
import {
  leaderReadIndex,
  onReadHeartbeatAck,
  releasePendingReadIndexMessages,
} from './raft-read-index.js';
import {
  bcastAppend,
  bcastHeartbeat,
  maybeCommit,
  maybeSendAppend,
  restartSnapshotWindow,
  sendAppendsWhileAllowed,
  sendSnapshotChunks,
} from './raft-replication.js';
import { handleTransferLeader, handOver, isHandingOver, sendTimeoutNow } from './raft-transfer.js';
import type { Progress } from './tracker/progress.js';

export function tickHeartbeat(r: Raft): void {
  r.heartbeatElapsedTicks++;
  r.electionElapsedTicks++;
  if (r.electionElapsedTicks >= r.config.electionTimeoutTicks) {
    r.electionElapsedTicks = 0;
    if (isHandingOver(r)) {
      // A removed leader serves nothing, so it needs no lease: it keeps trying to hand over,
      // preferring whoever answered during the last round.
      handOver(r);
      resetRecentActive(r);
    } else if (r.config.checkQuorum) {
      checkQuorum(r);
    }
    if (r.role === 'leader' && r.leadTransferee !== null && !isHandingOver(r)) {
      // Dissertation §3.10: a transfer that did not finish in an election timeout is aborted
      // and the leader accepts proposals again.
      mark('transfer: aborted after an election timeout');
      r.abortLeaderTransfer();
    }
  }
  if (r.role !== 'leader') return;
  if (r.heartbeatElapsedTicks >= r.config.heartbeatIntervalTicks) {
    r.heartbeatElapsedTicks = 0;
    bcastHeartbeat(r);
  }
}

/**
 * Dissertation §6.2: "a leader in Raft steps down if an election timeout elapses without a
 * successful round of heartbeats to a majority of its cluster".
 */
function checkQuorum(r: Raft): void {
  if (!r.tracker.quorumActive(r.id)) {
    mark('check quorum: stepping down');
    r.becomeFollower(r.term, null);
    return;
  }
  resetRecentActive(r);
}

/** Starts the next CheckQuorum round: everyone but us must be heard from again. */
function resetRecentActive(r: Raft): void {
  for (const id of r.tracker.ids) {
    if (id !== r.id) r.tracker.mustProgress(id).recentActive = false;
  }
}

export function stepLeader(r: Raft, msg: RoleMessage): void {
  assert(r.role === 'leader' && r.lead === r.id, () => `stepLeader as ${r.role}, lead ${r.lead}`);
  switch (msg.type) {
    case 'readIndex':
      leaderReadIndex(r, msg);
      return;
    case 'transferLeader':
      handleTransferLeader(r, msg);
      return;
    case 'appResp':
    case 'heartbeatResp':
    case 'snapResp':
      stepFollowerAnswer(r, msg);
      return;
    case 'app':
    case 'heartbeat':
    case 'snap':
      // Election safety: there is at most one leader per term, and it is us.
      assert(false, () => `leader ${r.id} got ${msg.type} from ${msg.from} in its term ${r.term}`);
      return;
    case 'voteResp':
    case 'preVoteResp':
    case 'timeoutNow':
    case 'readIndexResp':
      // Late answers to our campaign, or messages only followers act on.
      mark('leader: ignored message for another role');
      return;
    default:
      unreachable(msg, 'leader message');
  }
}

function stepFollowerAnswer(r: Raft, msg: AppRespMsg | HeartbeatRespMsg | SnapRespMsg): void {
  const pr = r.tracker.progress(msg.from);
  if (pr === undefined) {
    mark('leader: answer from a non-member ignored');
    return;
  }
  pr.recentActive = true;
  if (msg.type === 'appResp') handleAppResp(r, msg, pr);
  else if (msg.type === 'heartbeatResp') handleHeartbeatResp(r, msg, pr);
  else handleSnapResp(r, msg, pr);
}

function handleAppResp(r: Raft, msg: AppRespMsg, pr: Progress): void {
  if (msg.reject) {
    handleAppReject(r, msg, pr);
    return;
  }
  assert(msg.index <= r.log.lastIndex(), () => {
    return `${msg.from} acked ${msg.index} beyond leader last ${r.log.lastIndex()}`;
  });
  const updated = pr.maybeUpdate(msg.index);
  // An ack of what we already knew still matters when it answers a probe: the follower is
  // caught up to `match`, so pipelining can resume.
  if (!updated && !(pr.match === msg.index && pr.state === 'probe')) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot' && pr.match + 1 >= r.log.firstIndex()) {
    // The follower now holds a prefix we can continue from with entries.
    mark('snapshot: follower caught up, replicating');
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === 'replicate') {
    pr.inflights.freeLE(msg.index);
  }
  assert(pr.match <= r.log.lastIndex(), () => `match ${pr.match} > last ${r.log.lastIndex()}`);
  if (maybeCommit(r)) {
    leaderCommitAdvanced(r);
  } else if (r.config.commitBroadcast === 'eager' && pr.canBumpCommit(r.log.committed)) {
    // The broadcast of the commit index may have skipped this follower while it was paused.
    maybeSendAppend(r, msg.from, true);
  }
  // Acks free inflight room: send what now fits, without empty Apps.
  sendAppendsWhileAllowed(r, msg.from);
  if (msg.from === r.leadTransferee && pr.match === r.log.lastIndex()) {
    sendTimeoutNow(r, msg.from);
  }
}

/** §5.3 with the conflict optimisation: jump `next` back to where the logs may match. */
function handleAppReject(r: Raft, msg: AppRespMsg, pr: Progress): void {
  let nextProbeIndex = msg.rejectHint;
  if (msg.logTerm > 0) {
    // The follower's log at rejectHint has term logTerm: skip every entry of ours with a later
    // term in one round trip.
    nextProbeIndex = r.log.findConflictByTerm(msg.rejectHint, msg.logTerm).index;
  }
  if (!pr.maybeDecrTo(msg.index, nextProbeIndex)) {
    mark('leader: stale rejection ignored');
    return;
  }
  mark('leader: backtracking after rejection');
  if (pr.state === 'replicate') pr.becomeProbe();
  maybeSendAppend(r, msg.from, true);
}

function handleHeartbeatResp(r: Raft, msg: HeartbeatRespMsg, pr: Progress): void {
  pr.msgAppFlowPaused = false;
  // Only our own ticks come back (same term, same leader); clamp against a confused peer.
  pr.leaseAckTick = Math.max(pr.leaseAckTick, Math.min(msg.leaseTick, r.tickCount));
  if (pr.state === 'snapshot') {
    // The heartbeat round is the snapshot's retransmission timer.
    restartSnapshotWindow(r, msg.from, pr);
  } else if (pr.match < r.log.lastIndex() || pr.state === 'probe') {
    // Even with a full window an empty App goes out; its answer unblocks the window if every
    // App in flight was lost.
    maybeSendAppend(r, msg.from, true);
  }
  if (msg.ctx !== null) onReadHeartbeatAck(r, msg.from, msg.ctx);
}

function handleSnapResp(r: Raft, msg: SnapRespMsg, pr: Progress): void {
  if (pr.state !== 'snapshot' || msg.snapshotIndex !== pr.pendingSnapshotIndex) {
    mark('snapshot: stale chunk ack ignored');
    return;
  }
  const totalBytes = r.log.snapshot().data.byteLength;
  if (msg.receivedBytes === pr.snapshotAckedBytes || msg.receivedBytes >= totalBytes) {
    // A duplicate; or a claim of the whole snapshot, which only an appResp may make.
    return;
  }
  if (msg.receivedBytes < pr.snapshotAckedBytes) {
    // The follower lost what it had (it restarted, or took another snapshot's chunk 0).
    mark('snapshot: follower lost chunks, rewinding');
    pr.snapshotSentBytes = msg.receivedBytes;
  }
  pr.snapshotAckedBytes = msg.receivedBytes;
  pr.snapshotSentBytes = Math.max(pr.snapshotSentBytes, msg.receivedBytes);
  sendSnapshotChunks(r, msg.from, pr);
}

/** After the commit index moved: answer reads waiting for it and tell followers. */
export function leaderCommitAdvanced(r: Raft): void {
  releasePendingReadIndexMessages(r);
  if (r.config.commitBroadcast === 'eager') {
    bcastAppend(r);
    return;
  }
  // Lazy: only Apps with entries go now (they carry the commit index); heartbeats carry it to
  // the rest.
  for (const id of r.tracker.ids) if (id !== r.id) sendAppendsWhileAllowed(r, id);
}

/**
 * The host persisted the log up to its stable prefix (RawNode.advance): the leader's own copy
 * now counts towards commitment. Until then only followers' acknowledgements, each sent after
 * their own persistence, can commit; this is what lets a leader send Apps before persisting.
 */
export function leaderPersisted(r: Raft): void {
  if (r.role !== 'leader') return;
  const self = r.tracker.progress(r.id);
  if (self === undefined || !self.maybeUpdate(r.log.lastStableIndex())) return;
  if (maybeCommit(r)) leaderCommitAdvanced(r);
}

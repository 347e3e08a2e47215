// The follower role and the handlers for what a leader sends: AppendEntries (§5.3, Figure 2),
// heartbeats, and InstallSnapshot chunks (§7, Figure 13), plus forwarding of local requests.
import { assert, unreachable } from '@troupe/runtime/assert';
import { mark } from './marks.js';
import type { AppMsg, HeartbeatMsg } from './messages.js';
import type { Raft, RoleMessage } from './raft.js';
import { hup } from './raft-election.js';
import { dropRead } from './raft-read-index.js';
import { handleSnap } from './raft-snapshot.js';

export function stepFollower(r: Raft, msg: RoleMessage): void {
  assert(r.role === 'follower', () => `stepFollower as ${r.role}`);
  // Only a granted pre-vote answer carries a term other than ours (the one we would move to).
  assert(
    msg.term === r.term || msg.type === 'preVoteResp',
    () => `${msg.type} of term ${msg.term}`,
  );
  switch (msg.type) {
    case 'app':
    case 'heartbeat':
    case 'snap':
      // "A server remains in follower state as long as it receives valid RPCs from a leader".
      r.electionElapsedTicks = 0;
      r.leaderContactTick = r.tickCount;
      r.lead = msg.from;
      if (msg.type === 'app') handleAppendEntries(r, msg);
      else if (msg.type === 'heartbeat') handleHeartbeat(r, msg);
      else handleSnap(r, msg);
      return;
    case 'timeoutNow':
      // Dissertation §3.10: same effect as our election timer firing, minus the pre-vote:
      // the leader asked, so there is no partition to guard against.
      mark('transfer: timeout-now received, campaigning');
      hup(r, 'transfer');
      return;
    case 'readIndex':
    case 'transferLeader':
      forwardToLeader(r, msg);
      return;
    case 'readIndexResp':
      r.addReadState({ index: msg.index, ctx: msg.ctx });
      return;
    case 'voteResp':
    case 'preVoteResp':
    case 'appResp':
    case 'heartbeatResp':
    case 'snapResp':
      // Late answers to a campaign or a leadership we no longer hold.
      mark('follower: ignored stale answer');
      return;
    default:
      unreachable(msg, 'follower message');
  }
}

function forwardToLeader(
  r: Raft,
  msg: RoleMessage & { type: 'readIndex' | 'transferLeader' },
): void {
  if (r.lead === null) {
    if (msg.type === 'readIndex') dropRead(r, msg, 'noLeader');
    else mark('transfer: no leader to forward to');
    return;
  }
  // A request forwarded by another follower is not forwarded again: leaders do not chain.
  if (msg.from !== r.id) {
    mark('follower: request from a peer not forwarded');
    return;
  }
  r.send({ ...msg, to: r.lead, term: r.term });
}

/**
 * Figure 2, AppendEntries receiver: reply false if the log has no entry at prevLogIndex with
 * prevLogTerm; otherwise append what is new, and commit min(leaderCommit, last new index).
 */
export function handleAppendEntries(r: Raft, msg: AppMsg): void {
  assert(r.lead === msg.from, () => `app from ${msg.from} while following ${r.lead}`);
  const reply = { type: 'appResp', from: r.id, to: msg.from, term: r.term } as const;
  if (msg.prevLogIndex < r.log.committed) {
    // Everything up to our commit index matches any leader's log (Leader Completeness).
    mark('follower: app below commit index');
    r.send({ ...reply, reject: false, index: r.log.committed, rejectHint: 0, logTerm: 0 });
    return;
  }
  const lastNewIndex = r.log.maybeAppend(
    msg.prevLogIndex,
    msg.prevLogTerm,
    msg.commit,
    msg.entries,
  );
  if (lastNewIndex !== undefined) {
    r.send({ ...reply, reject: false, index: lastNewIndex, rejectHint: 0, logTerm: 0 });
    return;
  }
  // Hint where our logs may match: the largest index at or below the probe whose term is at
  // most the probe's term. The leader skips every entry in between in one round trip.
  const probe = Math.min(msg.prevLogIndex, r.log.lastIndex());
  const hint = r.log.findConflictByTerm(probe, msg.prevLogTerm);
  mark('follower: app rejected, log mismatch');
  r.send({
    ...reply,
    reject: true,
    index: msg.prevLogIndex,
    rejectHint: hint.index,
    logTerm: hint.term,
  });
}

function handleHeartbeat(r: Raft, msg: HeartbeatMsg): void {
  // The leader sends at most our known match, so we hold every entry this commits.
  r.log.commitTo(msg.commit);
  const { ctx, leaseTick } = msg;
  r.send({ type: 'heartbeatResp', from: r.id, to: msg.from, term: r.term, ctx, leaseTick });
}

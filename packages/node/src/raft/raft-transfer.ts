// Leadership transfer (dissertation §3.10), and the hand-over of a leader that a conf change
// removed or demoted: it keeps leading, refusing proposals and reads, only until a caught-up
// voter of the new configuration has taken over. Stepping down at once could leave a two-voter
// group where the remaining voter still needs the removed one's vote and cannot get it.
import { assert } from '@troupe/runtime/assert';
import { mark } from './marks.js';
import type { TransferLeaderMsg } from './messages.js';
import type { Raft } from './raft.js';
import { maybeSendAppend } from './raft-replication.js';
import type { NodeId } from './types.js';

/** A leader that is no longer a voter of its own configuration. */
export function isHandingOver(r: Raft): boolean {
  return r.role === 'leader' && !r.tracker.isVoter(r.id);
}

export function handleTransferLeader(r: Raft, msg: TransferLeaderMsg): void {
  const transferee = msg.transferee;
  if (!r.tracker.isVoter(transferee)) {
    mark('transfer: target is not a voter');
    return;
  }
  if (transferee === r.id) {
    mark('transfer: already leader');
    return;
  }
  startTransfer(r, transferee);
}

/** Catches the target up, then tells it to campaign at once. */
function startTransfer(r: Raft, transferee: NodeId): void {
  assert(r.role === 'leader', () => `${r.role} transferring leadership`);
  assert(transferee !== r.id && r.tracker.isVoter(transferee), () => `bad target ${transferee}`);
  if (r.leadTransferee === transferee) return;
  // The transfer must finish within an election timeout; count it from now.
  r.electionElapsedTicks = 0;
  r.leadTransferee = transferee;
  const pr = r.tracker.mustProgress(transferee);
  if (pr.match === r.log.lastIndex()) sendTimeoutNow(r, transferee);
  else maybeSendAppend(r, transferee, true);
}

/**
 * Tells the fully caught-up transferee to campaign now. A removed leader then steps down: the
 * transferee holds all it has, so even if this message is lost, that voter can win an ordinary
 * election (our vote included, should its configuration still count us).
 */
export function sendTimeoutNow(r: Raft, to: NodeId): void {
  mark('transfer: sending timeout-now');
  r.send({ type: 'timeoutNow', from: r.id, to, term: r.term });
  // Even if the transfer is aborted, this message may arrive later and start an election that
  // ignores leases; lease reads must confirm with heartbeats for the rest of the term.
  r.leaseRevoked = true;
  if (isHandingOver(r)) {
    mark('conf change: removed leader handed over, stepping down');
    r.becomeFollower(r.term, null);
  }
}

/**
 * Starts (or restarts) handing leadership to the voter most likely to take it quickly: one
 * heard from recently, then the one with the highest match, then the lowest id.
 */
export function handOver(r: Raft): void {
  let best: NodeId | null = null;
  let bestScore = -1;
  for (const id of r.tracker.voters) {
    const pr = r.tracker.mustProgress(id);
    const score = (pr.recentActive ? 2 ** 52 : 0) + pr.match;
    if (score > bestScore) {
      best = id;
      bestScore = score;
    }
  }
  if (best === null || best === r.id) return;
  mark('conf change: removed leader handing over');
  r.abortLeaderTransfer();
  startTransfer(r, best);
}

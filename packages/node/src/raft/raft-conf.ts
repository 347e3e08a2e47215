// Applying membership changes to a running node. The host calls applyConfChange when it applies
// a committed confChange entry; a configuration takes effect there, at apply time, as in etcd.
// A leader removed or demoted steps down; a leader whose quorum shrank may commit at once.
import { assert } from '@troupe/runtime/assert';
import { changeConfState, confStatesEqual } from './confchange.js';
import { mark } from './marks.js';
import type { Raft } from './raft.js';
import { leaderCommitAdvanced } from './raft-leader.js';
import { maybeCommit, maybeSendAppend } from './raft-replication.js';
import { handOver, isHandingOver } from './raft-transfer.js';
import type { ConfChange, ConfState } from './types.js';

/** Applies a committed conf change; an invalid one changes nothing, the same on every node. */
export function applyConfChange(r: Raft, change: ConfChange): ConfState {
  const outcome = changeConfState(r.tracker.confState(), change);
  if (!outcome.ok) {
    mark('conf change: invalid at apply, ignored');
    return r.tracker.confState();
  }
  return switchToConfig(r, outcome.confState);
}

export function switchToConfig(r: Raft, cs: ConfState): ConfState {
  r.tracker.applyConfState(cs, r.log.lastIndex());
  assert(
    confStatesEqual(r.tracker.confState(), cs),
    () => `config not applied: ${JSON.stringify(cs)}`,
  );
  if (r.role !== 'leader') return r.tracker.confState();
  if (isHandingOver(r)) {
    // §6: the leader "steps down ... once it has committed the Cnew log entry" when Cnew does
    // not include it. It does so by handing over, so the new voters need not wait for an
    // election timeout, nor for the removed node's vote (see raft-transfer.ts).
    handOver(r);
    return r.tracker.confState();
  }
  if (maybeCommit(r)) {
    // A smaller quorum may already hold more entries.
    leaderCommitAdvanced(r);
  } else {
    // Probe new members now rather than at the next heartbeat or proposal.
    for (const id of r.tracker.ids) {
      if (id !== r.id) maybeSendAppend(r, id, false);
    }
  }
  if (r.leadTransferee !== null && !r.tracker.isVoter(r.leadTransferee)) {
    mark('transfer: target removed, aborting');
    r.abortLeaderTransfer();
  }
  return r.tracker.confState();
}

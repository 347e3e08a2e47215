// Proposals: only the leader appends them (no forwarding; the host routes to the leader it sees
// in SoftState). Every refusal is a typed ProposalDroppedError, never silent growth.
import { assert } from '@troupe/runtime/assert';
import { changeConfState } from './confchange.js';
import { payloadBytes } from './entries.js';
import { ProposalDroppedError } from './errors.js';
import { entryBytesMax } from './limits.js';
import type { Raft } from './raft.js';
import { appendEntries, bcastAppend } from './raft-replication.js';
import type { ConfChange, EntryPayload } from './types.js';

export function propose(r: Raft, payload: EntryPayload): void {
  if (r.role !== 'leader') {
    throw new ProposalDroppedError('notLeader', `${r.id} is ${r.role}; leader is ${r.lead}`);
  }
  if (!r.tracker.isVoter(r.id)) {
    throw new ProposalDroppedError('notMember', `${r.id} was removed or demoted; handing over`);
  }
  if (r.leadTransferee !== null) {
    // Dissertation §3.10: new requests would only have to be retried at the new leader.
    throw new ProposalDroppedError('leaderTransferring', `transferring to ${r.leadTransferee}`);
  }
  const bytes = payloadBytes(payload);
  if (bytes > entryBytesMax) {
    throw new ProposalDroppedError('entryBytesMax', `${bytes} > ${entryBytesMax} bytes`);
  }
  if (payload.type === 'confChange') checkConfChange(r, payload.change);
  const lastBefore = r.log.lastIndex();
  if (!appendEntries(r, [payload])) {
    throw new ProposalDroppedError('uncommittedBytesMax', `${r.uncommittedBytes} bytes pending`);
  }
  assert(r.log.lastIndex() === lastBefore + 1, 'a proposal appends exactly one entry');
  if (payload.type === 'confChange') r.pendingConfIndex = r.log.lastIndex();
  bcastAppend(r);
}

/**
 * One membership change at a time: a new one waits until the previous one (and the leader's
 * own empty entry) applied, so the configuration it changes is the one in force.
 */
function checkConfChange(r: Raft, change: ConfChange): void {
  if (r.pendingConfIndex > r.log.applied) {
    const detail = `conf change at ${r.pendingConfIndex} not applied (applied ${r.log.applied})`;
    throw new ProposalDroppedError('confChangePending', detail);
  }
  const outcome = changeConfState(r.tracker.confState(), change);
  if (!outcome.ok) throw new ProposalDroppedError('confChangeInvalid', outcome.reason);
}

// Membership change as a pure function: ConfState + one ConfChange -> next ConfState, or the
// reason it is refused. One change at a time changes the voter set by at most one member, so
// any majority of the old voters overlaps any majority of the new ones (dissertation §4.1).
import { assert, unreachable } from '@troupe/runtime/assert';
import { confChangeContextBytesMax, membersMax } from './limits.js';
import { isValidNodeId } from './options.js';
import type { ConfChange, ConfState } from './types.js';

export type ConfChangeOutcome =
  | { readonly ok: true; readonly confState: ConfState }
  | { readonly ok: false; readonly reason: string };

function refuse(reason: string): ConfChangeOutcome {
  return { ok: false, reason };
}

/**
 * Applies `change` to `cs`. `addVoter` adds or promotes a learner; `addLearner` adds or
 * demotes a voter; `removeNode` removes either. Changes that change nothing are allowed (they
 * keep replays idempotent); removing the last voter or exceeding membersMax is refused.
 */
export function changeConfState(cs: ConfState, change: ConfChange): ConfChangeOutcome {
  if (!isValidNodeId(change.nodeId)) return refuse(`invalid node id ${change.nodeId}`);
  const contextBytes = change.context?.byteLength ?? 0;
  if (contextBytes > confChangeContextBytesMax) return refuse(`context of ${contextBytes} bytes`);
  const voters = new Set(cs.voters);
  const learners = new Set(cs.learners);
  const id = change.nodeId;
  switch (change.type) {
    case 'addVoter':
      learners.delete(id);
      voters.add(id);
      break;
    case 'addLearner':
      voters.delete(id);
      learners.add(id);
      break;
    case 'removeNode':
      voters.delete(id);
      learners.delete(id);
      break;
    default:
      unreachable(change.type, 'conf change type');
  }
  if (voters.size === 0) return refuse(`${change.type} ${id} would leave no voter`);
  if (voters.size + learners.size > membersMax) return refuse(`more than ${membersMax} members`);
  const next = { voters: [...voters].sort(), learners: [...learners].sort() };
  assert(
    next.voters.every((v) => !learners.has(v)),
    () => `${id} both voter and learner`,
  );
  return { ok: true, confState: next };
}

export function confStatesEqual(a: ConfState, b: ConfState): boolean {
  const same = (x: readonly string[], y: readonly string[]) =>
    x.length === y.length && x.every((id, i) => id === y[i]);
  return same(a.voters, b.voters) && same(a.learners, b.learners);
}

export function isMember(cs: ConfState, id: string): boolean {
  return cs.voters.includes(id) || cs.learners.includes(id);
}

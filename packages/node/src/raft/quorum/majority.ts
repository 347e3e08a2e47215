// Majority quorum arithmetic over one voter set: the committed index (the largest index a
// majority has reached) and the outcome of a vote. Pure functions, checked against naive
// versions by property tests (test/raft/quorum.property.test.ts).
import { assert } from '@troupe/runtime/assert';
import type { NodeId } from '../types.js';

export type VoteResult = 'pending' | 'lost' | 'won';

/** Votes needed for a majority of `votersCount` voters. */
export function majoritySize(votersCount: number): number {
  assert(Number.isInteger(votersCount) && votersCount >= 1, () => `voters ${votersCount} < 1`);
  return Math.floor(votersCount / 2) + 1;
}

/**
 * The largest index that at least a majority of voters have matched: sort the match indices
 * descending and take the one at the majority's position.
 */
export function majorityCommittedIndex(
  voters: readonly NodeId[],
  matchOf: (id: NodeId) => number,
): number {
  const matches = new Float64Array(voters.length);
  for (let i = 0; i < voters.length; i++) {
    const match = matchOf(voters[i]!);
    assert(Number.isInteger(match) && match >= 0, () => `match ${match} of ${voters[i]} invalid`);
    matches[i] = match;
  }
  // Ascending numeric sort; the majority position from the top is length - majority.
  matches.sort();
  const committed = matches[voters.length - majoritySize(voters.length)];
  assert(committed !== undefined, 'committed index must exist for a non-empty voter set');
  return committed;
}

/**
 * Whether the recorded votes have already decided an election: won with a majority of grants,
 * lost once a majority can no longer be reached, pending otherwise.
 */
export function majorityVoteResult(
  voters: readonly NodeId[],
  voteOf: (id: NodeId) => boolean | undefined,
): VoteResult {
  const needed = majoritySize(voters.length);
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const vote = voteOf(id);
    if (vote === undefined) missing++;
    else if (vote) granted++;
  }
  if (granted >= needed) return 'won';
  if (granted + missing >= needed) return 'pending';
  return 'lost';
}

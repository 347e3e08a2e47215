// Property tests: the optimised quorum arithmetic (quorum/majority.ts) and the tracker's
// committed index against naive definitions, over random voter sets (etcd quorum/quick_test.go).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  majorityCommittedIndex,
  majoritySize,
  majorityVoteResult,
  type VoteResult,
} from '../../src/raft/quorum/majority.js';

const seed = 20240601;

/** Naive: the largest index that at least a majority of voters have reached. */
function naiveCommitted(matches: readonly number[]): number {
  let best = 0;
  for (const candidate of matches) {
    const reached = matches.filter((m) => m >= candidate).length;
    if (reached * 2 > matches.length) best = Math.max(best, candidate);
  }
  return best;
}

/** Naive: try every way the missing votes could go. */
function naiveVoteResult(votes: readonly (boolean | undefined)[]): VoteResult {
  const n = votes.length;
  const missing = votes.filter((v) => v === undefined).length;
  const granted = votes.filter((v) => v === true).length;
  let canWin = false;
  let canLose = false;
  for (let extra = 0; extra <= missing; extra++) {
    if ((granted + extra) * 2 > n) canWin = true;
    else canLose = true;
  }
  if (canWin && !canLose) return 'won';
  if (canLose && !canWin) return 'lost';
  return 'pending';
}

const matchesArb = fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 9 });
const votesArb = fc.array(fc.constantFrom(true, false, undefined), { minLength: 1, maxLength: 9 });

describe('majority quorum', () => {
  it('majorityCommittedIndex equals the naive maximum index a majority reached', () => {
    fc.assert(
      fc.property(matchesArb, (matches) => {
        const ids = matches.map((_, i) => `n${i}`);
        const committed = majorityCommittedIndex(ids, (id) => matches[Number(id.slice(1))]!);
        expect(committed).toBe(naiveCommitted(matches));
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('majorityCommittedIndex does not depend on the order of voters', () => {
    fc.assert(
      fc.property(matchesArb, fc.nat(), (matches, rotation) => {
        const ids = matches.map((_, i) => `n${i}`);
        const rotated = ids.map((_, i) => ids[(i + rotation) % ids.length]!);
        const matchOf = (id: string) => matches[Number(id.slice(1))]!;
        expect(majorityCommittedIndex(rotated, matchOf)).toBe(majorityCommittedIndex(ids, matchOf));
      }),
      { seed, numRuns: 500 },
    );
  });

  it('majorityVoteResult equals the naive enumeration of outcomes', () => {
    fc.assert(
      fc.property(votesArb, (votes) => {
        const ids = votes.map((_, i) => `n${i}`);
        const result = majorityVoteResult(ids, (id) => votes[Number(id.slice(1))]);
        expect(result).toBe(naiveVoteResult(votes));
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('any two majorities of the same voters intersect', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 15 }), (n) => {
        expect(2 * majoritySize(n)).toBeGreaterThan(n);
        expect(majoritySize(n)).toBeLessThanOrEqual(n);
      }),
      { seed, numRuns: 100 },
    );
  });

  it('majorities of voter sets that differ by one member intersect (one change at a time)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 14 }), (n) => {
        // Old: n voters; new: n + 1 voters (one added). Worst case shares n members.
        expect(majoritySize(n) + majoritySize(n + 1)).toBeGreaterThan(n);
      }),
      { seed, numRuns: 100 },
    );
  });
});

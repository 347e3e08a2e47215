// Seeded chaos runs of the core with loss, delay, duplication, reordering, partitions,
// crash-restarts and compaction, checking safety after every tick. A failing seed reproduces
// exactly: rerun ChaosRun with the seed in the message.
import { describe, expect, it } from 'vitest';
import { ChaosRun } from './helpers/chaos.js';

const base = {
  ticks: 400,
  lossRate: 0.1,
  crashRate: 0.02,
  partitionRate: 0.02,
};

describe('chaos: safety under faults', () => {
  for (const [preVote, checkQuorum] of [
    [false, false],
    [true, true],
    [true, false],
  ] as const) {
    it(`preVote=${preVote} checkQuorum=${checkQuorum}: no violation over 40 seeds`, () => {
      let commits = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const nodeCount = seed % 2 === 0 ? 3 : 5;
        const result = new ChaosRun({ ...base, seed, nodeCount, preVote, checkQuorum }).run();
        expect(result.violation).toBeNull();
        commits += result.commits;
      }
      // The runs must make progress, or they check nothing.
      expect(commits).toBeGreaterThan(40 * 20);
    });
  }

  it('membership changes (joins, promotions, removals, transfers) under faults, then liveness once healed', () => {
    let commits = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const options = { ...base, seed, nodeCount: 5, preVote: true, checkQuorum: true };
      // Then heal everything: a write must reach every member within 300 ticks.
      const result = new ChaosRun({
        ...options,
        membershipChanges: true,
        livenessTicks: 300,
      }).run();
      expect(result.violation).toBeNull();
      commits += result.commits;
    }
    expect(commits).toBeGreaterThan(40 * 20);
  });
});

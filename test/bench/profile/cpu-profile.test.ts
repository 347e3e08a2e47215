// The profile summary `pnpm bench --profile` prints: self time lands in the layer its file
// belongs to, idle time is kept apart from the heaviest functions, and cutting to a window of
// the monotonic clock keeps only the samples inside it.
import { expect, test } from 'vitest';
import { type CpuProfile, summarizeProfile } from './cpu-profile.js';
import { cutToWindow } from './profile-window.js';

const frame = (id: number, functionName: string, url: string) => ({
  id,
  callFrame: { functionName, url },
});

// Samples every 1,000 us from t = 10,000 us: idle, raft, lmdb, raft, msgpack, idle.
const profile: CpuProfile = {
  nodes: [
    frame(1, '(idle)', ''),
    frame(2, 'stepLeader', 'file:///w/packages/node/src/raft/raft-leader.ts'),
    frame(3, 'finishTxn', 'file:///w/node_modules/.pnpm/lmdb@3/node_modules/lmdb/write.js'),
    frame(4, 'pack', 'file:///w/node_modules/.pnpm/msgpackr@1/node_modules/msgpackr/pack.js'),
  ],
  samples: [1, 2, 3, 2, 4, 1],
  timeDeltas: [0, 1_000, 1_000, 1_000, 1_000, 1_000],
  startTime: 10_000,
  endTime: 16_000,
};

test('self time is summed per layer and per function, idle apart', () => {
  const summary = summarizeProfile(profile);
  expect(summary.wallMs).toBe(6);
  const layers = Object.fromEntries(summary.layers.map((l) => [l.layer, l.ms]));
  expect(layers).toMatchObject({
    'raft core': 2,
    'lmdb (commit, fsync, reads)': 1,
    msgpack: 1,
  });
  expect(summary.functions[0]).toEqual({
    name: 'stepLeader packages/node/src/raft/raft-leader.ts',
    ms: 2,
  });
  expect(summary.functions.some((f) => f.name.startsWith('(idle)'))).toBe(false);
});

test('a window of the monotonic clock keeps only its samples', () => {
  // Samples sit at 10,000 .. 15,000 us; [11,500, 13,500] holds those at 12,000 and 13,000.
  const cut = cutToWindow(profile, 11_500, 13_500);
  expect(cut.samples).toEqual([3, 2]);
  expect(cut.startTime).toBe(11_500);
  expect(cut.endTime).toBe(13_500);
});

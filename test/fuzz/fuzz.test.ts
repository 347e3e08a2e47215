// The CI share of fuzzing: every target (targets/index.ts) for a fixed number of cases from a
// fixed seed, so a run is repeatable; a failure prints the seed, path and command that replay
// it. Also: length headers announcing 2^32 - 1 elements or bytes must not make any decoder
// allocate for them. `pnpm fuzz --runs N` is the long run (docs/testing.md, "Fuzzing").
import { afterAll, describe, expect, it } from 'vitest';
import { runTarget } from './runner.js';
import { cleanupFuzzScratch, fuzzTargets } from './targets/index.js';

const runs = Number(process.env.TROUPE_FUZZ_RUNS ?? 1_000);
const seed = Number(process.env.TROUPE_FUZZ_SEED ?? 20_261_127);

afterAll(() => cleanupFuzzScratch());

describe('fuzz targets', () => {
  for (const target of fuzzTargets) {
    it(`${target.name}: ${target.entry}`, async () => {
      const report = await runTarget(target, { runs, seed });
      if (report.failure !== undefined) {
        const f = report.failure;
        console.error(
          `FUZZ FAILURE ${target.name} seed=${f.seed} path=${f.path}\n` +
            `  replay: ${f.replay}\n  input (hex): ${f.counterexample}\n  ${f.error}`,
        );
      }
      expect(report.failure?.error ?? null).toBeNull();
      expect(report.cases).toBe(runs);
    });
  }
});

/** Headers that claim far more than the input holds, each wrapped the way a decoder sees it. */
const hugeClaims: readonly number[][] = [
  [0xdd, 0xff, 0xff, 0xff, 0xff],
  [0xdf, 0xff, 0xff, 0xff, 0xff],
  [0xc6, 0xff, 0xff, 0xff, 0xff],
  [0xdb, 0xff, 0xff, 0xff, 0xff],
  [0xc9, 0xff, 0xff, 0xff, 0xff, 0x42],
];

describe('huge length headers', () => {
  it('allocate nothing near what they claim, in any decoder', async () => {
    const heapMaxBytes = 256 * 1024 * 1024;
    for (const target of fuzzTargets) {
      for (const header of hugeClaims) {
        for (const prefix of [[], [0x91], [0x01], [0x92, 0x01]]) {
          const input = Uint8Array.from([...prefix, ...header, 0xc0, 0xc0]);
          const before = process.memoryUsage().heapUsed;
          await target.run(input);
          const grown = process.memoryUsage().heapUsed - before;
          expect({ target: target.name, input, grown: grown > heapMaxBytes }).toEqual({
            target: target.name,
            input,
            grown: false,
          });
        }
      }
    }
  });
});

// Deterministic random sources for Raft tests: a seeded PRNG (mulberry32) and a fixed one that
// makes every election timeout exactly its base value.
import type { Rng } from '../../../src/raft/types.js';

export class SeededRng implements Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextInt(maxExclusive: number): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(unit * maxExclusive);
  }
}

/** Always returns min(value, maxExclusive - 1): no jitter by default. */
export function fixedRng(value = 0): Rng {
  return { nextInt: (maxExclusive) => Math.min(value, maxExclusive - 1) };
}

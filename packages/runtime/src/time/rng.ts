// The randomness port and a seeded generator. Anything a simulation must replay (jitter,
// election timeouts) takes an Rng; `createSeededRng(seed)` gives the same sequence every run.

export interface Rng {
  /** A float in [0, 1). */
  nextFloat(): number;
  /** An integer in [0, maxExclusive). */
  nextInt(maxExclusive: number): number;
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counter): 128 bits of state, passes PractRand, and
 * is trivially portable, so a failing seed reproduces in any implementation.
 */
export function createSeededRng(seed: number): Rng {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return {
    nextFloat: next,
    nextInt: (maxExclusive) => Math.floor(next() * maxExclusive),
  };
}

/** Real randomness, for production jitter. */
export const systemRng: Rng = {
  nextFloat: () => Math.random(),
  nextInt: (maxExclusive) => Math.floor(Math.random() * maxExclusive),
};

// The benchmark's workloads, as issue 8 names them: writes (updates of 100-byte values over
// 10,000 keys), linearizable reads, stale reads, and a 90/10 read/write mix (linearizable
// reads). Keys are chosen uniformly by a seeded generator per worker, so runs repeat.
import { createSeededRng } from '@troupe/runtime';
import type { BenchTarget } from './bench-target.js';

export const benchWorkloads = ['write', 'read', 'stale-read', 'mix-90-10'] as const;
export type BenchWorkload = (typeof benchWorkloads)[number];

export const keyCount = 10_000;
export const valueBytes = 100;

export function keyName(index: number): string {
  return `bench-${index}`;
}

/** A 100-byte value; its content does not matter, only its size. */
export const benchValue: Uint8Array = new Uint8Array(valueBytes).fill(0x61);

/** The next-operation function of one worker. */
export function operationFor(
  workload: BenchWorkload,
  seed: number,
): (target: BenchTarget) => Promise<void> {
  const rng = createSeededRng(seed);
  const key = (): string => keyName(rng.nextInt(keyCount));
  switch (workload) {
    case 'write':
      return (t) => t.write(key(), benchValue);
    case 'read':
      return (t) => t.readLinearizable(key());
    case 'stale-read':
      return (t) => t.readStale(key());
    case 'mix-90-10':
      return (t) =>
        rng.nextFloat() < 0.9 ? t.readLinearizable(key()) : t.write(key(), benchValue);
  }
}

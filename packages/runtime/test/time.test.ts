// Time and randomness ports: the manual clock fires timers in deadline order, the seeded RNG
// repeats, and backoff stays within its jitter band and cap.
import { describe, expect, test } from 'vitest';
import { backoffDelayMs, createSeededRng, ManualClock } from '../src/index.js';

describe('ManualClock', () => {
  test('fires due timers in deadline order, ties in the order set, and skips cancelled ones', () => {
    const clock = new ManualClock(100);
    const fired: string[] = [];
    clock.setTimer(30, () => fired.push('c'));
    clock.setTimer(10, () => fired.push('a'));
    const cancelled = clock.setTimer(20, () => fired.push('never'));
    clock.setTimer(10, () => fired.push('b'));
    cancelled.cancel();
    clock.advance(25);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.nowMs()).toBe(125);
    clock.advance(5);
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  test('a timer set by a firing timer fires in the same advance when due', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    clock.setTimer(5, () => {
      fired.push(clock.nowMs());
      clock.setTimer(5, () => fired.push(clock.nowMs()));
    });
    clock.advance(20);
    expect(fired).toEqual([5, 10]);
  });
});

describe('seeded rng', () => {
  test('the same seed gives the same sequence; another seed does not', () => {
    const take = (seed: number) => {
      const rng = createSeededRng(seed);
      return Array.from({ length: 8 }, () => rng.nextInt(1_000_000));
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  test('nextFloat stays in [0, 1)', () => {
    const rng = createSeededRng(1);
    for (let i = 0; i < 10_000; i++) {
      const x = rng.nextFloat();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});

describe('backoff', () => {
  test('doubles up to the cap, with jitter in the upper half of each step', () => {
    const rng = createSeededRng(3);
    const policy = { initialMs: 50, maxMs: 1_000, factor: 2 };
    for (let attempt = 0; attempt < 12; attempt++) {
      const capMs = Math.min(1_000, 50 * 2 ** attempt);
      const delayMs = backoffDelayMs(policy, attempt, rng);
      expect(delayMs).toBeGreaterThanOrEqual(capMs / 2);
      expect(delayMs).toBeLessThanOrEqual(capMs);
    }
  });
});

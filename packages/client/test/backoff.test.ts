// backoffMs, the delay between reconnects and between retries: the ceiling starts at initialMs
// and doubles per attempt up to maxMs (huge attempt numbers included); the delay is jittered
// over the ceiling's upper half, [ceiling / 2, ceiling), driven by the random source given.
import { describe, expect, test } from 'vitest';
import { backoffMs, defaultBackoff } from '../src/backoff.js';
import { seededRandom } from './fake-balancer.js';

const options = { initialMs: 10, maxMs: 1_000 };
const lowest = () => 0;
const highest = () => 1 - 2 ** -53;

describe('backoffMs', () => {
  test('the ceiling doubles from initialMs and stops at maxMs', () => {
    const ceilings = Array.from({ length: 10 }, (_, attempt) =>
      Math.round(backoffMs(options, attempt, highest)),
    );
    expect(ceilings).toEqual([10, 20, 40, 80, 160, 320, 640, 1_000, 1_000, 1_000]);
  });

  test('the delay is never below half the ceiling', () => {
    const floors = Array.from({ length: 9 }, (_, attempt) => backoffMs(options, attempt, lowest));
    expect(floors).toEqual([5, 10, 20, 40, 80, 160, 320, 500, 500]);
  });

  test('jitter spreads delays over [ceiling / 2, ceiling)', () => {
    const random = seededRandom(42);
    const delays = Array.from({ length: 1_000 }, () => backoffMs(options, 3, random));
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(40);
      expect(delay).toBeLessThan(80);
    }
    expect(new Set(delays.map((d) => Math.floor(d))).size).toBeGreaterThan(30);
  });

  test('huge attempt numbers stay at maxMs (no overflow to Infinity or NaN)', () => {
    for (const attempt of [30, 1_000, 1e9, Number.MAX_SAFE_INTEGER]) {
      expect(backoffMs(options, attempt, highest)).toBeCloseTo(1_000);
      expect(backoffMs(options, attempt, lowest)).toBe(500);
    }
  });

  test('the default goes from 50 ms to 2 s', () => {
    expect(defaultBackoff).toEqual({ initialMs: 50, maxMs: 2_000 });
    expect(backoffMs(defaultBackoff, 0, lowest)).toBe(25);
    expect(backoffMs(defaultBackoff, 10, lowest)).toBe(1_000);
  });
});

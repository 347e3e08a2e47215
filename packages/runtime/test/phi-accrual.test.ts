// The phi accrual detector on synthetic heartbeat series (Hayashibara et al. 2004): phi grows
// with silence, faster for a regular sender than for a jittery one, and resets on arrival.
import { describe, expect, test } from 'vitest';
import { createSeededRng, PhiAccrualDetector } from '../src/index.js';
import { phiOfNormal } from '../src/internal.js';

function feed(detector: PhiAccrualDetector, intervalsMs: number[]): number {
  let t = 0;
  detector.heartbeat(t);
  for (const interval of intervalsMs) {
    t += interval;
    detector.heartbeat(t);
  }
  return t;
}

describe('phi accrual detector', () => {
  const options = {
    threshold: 8,
    minStdDevMs: 10,
    acceptablePauseMs: 0,
    firstHeartbeatEstimateMs: 100,
  };

  test('phi is 0 before any heartbeat and low right after one', () => {
    const detector = new PhiAccrualDetector(options);
    expect(detector.phi(1_000)).toBe(0);
    const last = feed(detector, Array(50).fill(100));
    expect(detector.phi(last + 10)).toBeLessThan(1);
    expect(detector.isAvailable(last + 10)).toBe(true);
  });

  test('phi rises monotonically with silence and crosses the threshold', () => {
    const detector = new PhiAccrualDetector(options);
    const last = feed(detector, Array(100).fill(100));
    const phis = [100, 150, 200, 300, 500].map((gap) => detector.phi(last + gap));
    for (let i = 1; i < phis.length; i++) expect(phis[i]).toBeGreaterThan(phis[i - 1] as number);
    expect(detector.isAvailable(last + 500)).toBe(false);
  });

  test('a jittery sender is suspected later than a regular one after the same silence', () => {
    const rng = createSeededRng(7);
    const regular = new PhiAccrualDetector(options);
    const jittery = new PhiAccrualDetector(options);
    const lastRegular = feed(regular, Array(200).fill(100));
    const lastJittery = feed(
      jittery,
      Array.from({ length: 200 }, () => 50 + rng.nextInt(101)),
    );
    expect(jittery.phi(lastJittery + 250)).toBeLessThan(regular.phi(lastRegular + 250));
  });

  test('acceptable pause delays suspicion', () => {
    const strict = new PhiAccrualDetector(options);
    const tolerant = new PhiAccrualDetector({ ...options, acceptablePauseMs: 1_000 });
    const t1 = feed(strict, Array(50).fill(100));
    const t2 = feed(tolerant, Array(50).fill(100));
    expect(strict.isAvailable(t1 + 800)).toBe(false);
    expect(tolerant.isAvailable(t2 + 800)).toBe(true);
  });

  test('a heartbeat after a long silence brings phi back down', () => {
    const detector = new PhiAccrualDetector(options);
    const last = feed(detector, Array(50).fill(100));
    expect(detector.isAvailable(last + 1_000)).toBe(false);
    detector.heartbeat(last + 1_000);
    expect(detector.phi(last + 1_010)).toBeLessThan(1);
  });

  test('the sample window is bounded: old intervals stop mattering', () => {
    const detector = new PhiAccrualDetector({ ...options, sampleSizeMax: 10 });
    // 100 slow beats, then 10 fast ones: the window now holds only fast intervals.
    const afterSlow = feed(detector, Array(100).fill(1_000));
    let t = afterSlow;
    for (let i = 0; i < 10; i++) {
      t += 100;
      detector.heartbeat(t);
    }
    expect(detector.isAvailable(t + 600)).toBe(false);
  });

  test('phiOfNormal matches -log10 of the normal tail at one and three sigmas', () => {
    // P(X > mean + 1 sigma) = 0.1587 -> phi 0.80; P(X > mean + 3 sigma) = 0.00135 -> phi 2.87.
    expect(phiOfNormal(110, 100, 10)).toBeCloseTo(0.8, 1);
    expect(phiOfNormal(130, 100, 10)).toBeCloseTo(2.87, 1);
  });
});

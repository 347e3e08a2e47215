// The pure supervision decision: restart with doubling backoff inside the window, stop after
// maxRestarts, forget restarts that fell out of the window.
import { describe, expect, test } from 'vitest';
import { decideSupervision, type SupervisionPolicy } from '../src/index.js';

const policy: SupervisionPolicy = {
  maxRestarts: 3,
  withinMs: 1_000,
  backoffInitialMs: 10,
  backoffMaxMs: 25,
};

describe('decideSupervision', () => {
  test.each([
    { earlier: [], now: 0, expected: { action: 'restart', delayMs: 10 } },
    { earlier: [0], now: 100, expected: { action: 'restart', delayMs: 20 } },
    { earlier: [0, 100], now: 200, expected: { action: 'restart', delayMs: 25 } },
    { earlier: [0, 100, 200], now: 300, expected: { action: 'stop' } },
    { earlier: [0, 100, 200], now: 1_150, expected: { action: 'restart', delayMs: 20 } },
  ])(
    'after restarts at $earlier, a failure at $now -> $expected.action',
    ({ earlier, now, expected }) => {
      expect(decideSupervision(policy, earlier, now)).toMatchObject(expected);
    },
  );

  test('records the new restart time and drops expired ones', () => {
    const decision = decideSupervision(policy, [0, 500], 1_200);
    expect(decision.restartsMs).toEqual([500, 1_200]);
  });

  test('maxRestarts 0 stops at the first failure', () => {
    expect(decideSupervision({ ...policy, maxRestarts: 0 }, [], 5).action).toBe('stop');
  });
});

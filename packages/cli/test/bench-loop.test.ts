// The closed loop of `troupe bench`, driven by fake operations on a fake clock: what is counted
// (only operations wholly inside the measured window), errors by code within a bound, and the
// figures of a run where nothing succeeded. No real time is measured or asserted.
import { describe, expect, test } from 'vitest';
import { closedLoop, errorCode, errorCodesMax } from '../src/bench-loop.js';

/** A clock that moves `stepMs` each time an operation runs. */
function fakeClock(stepMs: number) {
  let nowMs = 0;
  const tick = (): void => {
    nowMs += stepMs;
  };
  return { now: () => nowMs, tick };
}

describe('bench closed loop', () => {
  test('counts successes inside the window only, at the latency the clock says', async () => {
    const clock = fakeClock(1);
    const worker = () => async () => clock.tick();
    const options = { concurrency: 1, warmupMs: 10, durationMs: 100 };
    const result = await closedLoop(worker, options, clock.now);
    // 1 ms each on one worker; the window is [10, 110): the 10 warm-up ones are not counted.
    expect(result.ops).toBe(100);
    expect(result.opsPerS).toBe(1_000);
    expect(result.errors).toBe(0);
    expect(result.errorsByCode).toEqual({});
    expect(result.latencyMs.p50).toBe(1);
    expect(result.latencyMs.max).toBe(1);
  });

  test('errors are counted by code, not timed; no success means zero latencies', async () => {
    const clock = fakeClock(1);
    let i = 0;
    const worker = () => async () => {
      clock.tick();
      const code = i++ % 2 === 0 ? 'TROUPE_ERR_TIMEOUT' : 'TROUPE_ERR_UNAVAILABLE';
      throw Object.assign(new Error('no'), { code });
    };
    const result = await closedLoop(
      worker,
      { concurrency: 2, warmupMs: 0, durationMs: 20 },
      clock.now,
    );
    expect(result.ops).toBe(0);
    expect(result.errors).toBeGreaterThan(0);
    const byCode = result.errorsByCode;
    expect(Object.keys(byCode).sort()).toEqual(['TROUPE_ERR_TIMEOUT', 'TROUPE_ERR_UNAVAILABLE']);
    expect((byCode.TROUPE_ERR_TIMEOUT ?? 0) + (byCode.TROUPE_ERR_UNAVAILABLE ?? 0)).toBe(
      result.errors,
    );
    expect(result.latencyMs).toEqual({ p50: 0, p99: 0, p999: 0, max: 0, mean: 0 });
  });

  test('distinct error codes are bounded; the rest share one count', async () => {
    const clock = fakeClock(1);
    let i = 0;
    const worker = () => async () => {
      clock.tick();
      throw Object.assign(new Error('no'), { code: `CODE_${i++}` });
    };
    const result = await closedLoop(
      worker,
      { concurrency: 1, warmupMs: 0, durationMs: 50 },
      clock.now,
    );
    expect(Object.keys(result.errorsByCode)).toHaveLength(errorCodesMax + 1);
    const counted = Object.values(result.errorsByCode).reduce((a, b) => a + b, 0);
    expect(counted).toBe(result.errors);
    expect(result.errorsByCode.other).toBe(result.errors - errorCodesMax);
  });

  test('error codes: a Troupe code, else the class name', () => {
    expect(errorCode(Object.assign(new Error('x'), { code: 'TROUPE_ERR_TIMEOUT' }))).toBe(
      'TROUPE_ERR_TIMEOUT',
    );
    expect(errorCode(new RangeError('x'))).toBe('RangeError');
    expect(errorCode('thrown text')).toBe('unknown');
  });
});

// The closed-loop runner against an in-process fake target: every worker keeps one operation
// in flight, only operations wholly inside the measured period count, failures are counted
// (with samples) and not timed, and each workload sends the operations its name says.
import { expect, test } from 'vitest';
import type { BenchTarget } from './bench-target.js';
import { runClosedLoop } from './closed-loop.js';
import { benchValue, keyCount, operationFor } from './workloads.js';

/** Answers after `delayMs`; fails every `failEvery`-th call; records calls and peak load. */
function fakeTarget(delayMs: number, failEvery = 0) {
  const calls: string[] = [];
  let inFlight = 0;
  let peak = 0;
  const op = (name: string) => async (key: string) => {
    calls.push(`${name} ${key}`);
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    inFlight--;
    if (failEvery > 0 && calls.length % failEvery === 0) throw new Error('refused');
  };
  const target: BenchTarget = {
    name: 'fake',
    write: (key, value) => {
      expect(value).toBe(benchValue);
      return op('write')(key);
    },
    readLinearizable: op('read'),
    readStale: op('stale'),
    close: async () => {},
  };
  return { target, calls, peak: () => peak };
}

test('concurrency workers each keep one operation in flight; failures are counted', async () => {
  const fake = fakeTarget(2, 10);
  const result = await runClosedLoop(fake.target, {
    workload: 'write',
    concurrency: 8,
    warmupMs: 20,
    durationMs: 100,
    seed: 1,
  });
  expect(fake.peak()).toBe(8);
  expect(result.ops).toBeGreaterThan(0);
  expect(result.errors).toBeGreaterThan(0);
  expect(result.errorSamples[0]).toContain('refused');
  // Warm-up operations and those still running at the end are not counted.
  expect(result.ops + result.errors).toBeLessThan(fake.calls.length);
  expect(result.p50Ms).toBeGreaterThan(0);
  expect(result.p999Ms).toBeGreaterThanOrEqual(result.p99Ms);
});

test('each workload sends what its name says, over keys in range, repeatably', async () => {
  const kinds = (workload: Parameters<typeof operationFor>[0], seed: number) => {
    const fake = fakeTarget(0);
    const next = operationFor(workload, seed);
    return Promise.all(Array.from({ length: 200 }, () => next(fake.target))).then(() => fake.calls);
  };
  const writes = await kinds('write', 3);
  expect(writes.every((c) => c.startsWith('write bench-'))).toBe(true);
  expect((await kinds('read', 3)).every((c) => c.startsWith('read '))).toBe(true);
  expect((await kinds('stale-read', 3)).every((c) => c.startsWith('stale '))).toBe(true);
  const mix = await kinds('mix-90-10', 3);
  const mixWrites = mix.filter((c) => c.startsWith('write')).length;
  expect(mixWrites).toBeGreaterThan(5);
  expect(mixWrites).toBeLessThan(45);
  expect(await kinds('write', 3)).toEqual(writes);
  const indexes = writes.map((c) => Number(c.split('-')[1]));
  expect(indexes.every((i) => i >= 0 && i < keyCount)).toBe(true);
});

// The hold queue, where requests for a shard without a reachable leader wait: released when a
// leader is known, told 'deadline' when their time is up, bounded over all shards (past
// heldMax a request is refused at once with OverloadedError), and emptied on shutdown.
import { OverloadedError } from '@troupe/runtime';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { type HoldOutcome, HoldQueue } from '../src/routing/hold-queue.js';

/** Records each promise's outcome as it settles, so a test can see which are still waiting. */
function track(promise: Promise<HoldOutcome>, outcomes: HoldOutcome[]): void {
  void promise.then((outcome) => outcomes.push(outcome));
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('HoldQueue', () => {
  test('release lets every waiter of that group go, and only that group', async () => {
    const queue = new HoldQueue(10);
    const s0: HoldOutcome[] = [];
    const s1: HoldOutcome[] = [];
    track(queue.hold('s0', 1_000), s0);
    track(queue.hold('s0', 1_000), s0);
    track(queue.hold('s1', 1_000), s1);
    expect(queue.sizeOf('s0')).toBe(2);
    expect(queue.sizeOf('s1')).toBe(1);
    expect(queue.size).toBe(3);
    queue.release('s0');
    await vi.advanceTimersByTimeAsync(0);
    expect(s0).toEqual(['released', 'released']);
    expect(s1).toEqual([]);
    expect(queue.sizeOf('s0')).toBe(0);
    expect(queue.size).toBe(1);
  });

  test('a waiter whose time is up is told deadline, not before', async () => {
    const queue = new HoldQueue(10);
    const outcomes: HoldOutcome[] = [];
    track(queue.hold('s0', 500), outcomes);
    await vi.advanceTimersByTimeAsync(499);
    expect(outcomes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(outcomes).toEqual(['deadline']);
    expect(queue.size).toBe(0);
    expect(queue.sizeOf('s0')).toBe(0);
  });

  test('a negative wait is a deadline at once', async () => {
    const queue = new HoldQueue(10);
    const outcomes: HoldOutcome[] = [];
    track(queue.hold('s0', -5), outcomes);
    await vi.advanceTimersByTimeAsync(0);
    expect(outcomes).toEqual(['deadline']);
  });

  test('a released waiter is not told deadline later, and leaves no timer behind', async () => {
    const queue = new HoldQueue(10);
    const outcomes: HoldOutcome[] = [];
    track(queue.hold('s0', 500), outcomes);
    queue.release('s0');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(outcomes).toEqual(['released']);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('past heldMax over all groups, a request is refused with OverloadedError', async () => {
    const queue = new HoldQueue(2);
    void queue.hold('s0', 1_000);
    void queue.hold('s1', 1_000);
    let refused: unknown;
    try {
      void queue.hold('s2', 1_000);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(OverloadedError);
    expect((refused as OverloadedError).code).toBe('TROUPE_ERR_OVERLOADED');
    expect(queue.size).toBe(2);
    expect(queue.sizeOf('s2')).toBe(0);
    queue.release('s1');
    await vi.advanceTimersByTimeAsync(0);
    expect(() => queue.hold('s2', 1_000)).not.toThrow();
    expect(queue.size).toBe(2);
  });

  test('releaseAll lets every waiter of every group go', async () => {
    const queue = new HoldQueue(10);
    const outcomes: HoldOutcome[] = [];
    track(queue.hold('s0', 1_000), outcomes);
    track(queue.hold('s1', 1_000), outcomes);
    track(queue.hold('s2', 1_000), outcomes);
    queue.releaseAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(outcomes).toEqual(['released', 'released', 'released']);
    expect(queue.size).toBe(0);
  });

  test('releasing a group nobody waits for does nothing', () => {
    const queue = new HoldQueue(10);
    queue.release('s9');
    expect(queue.size).toBe(0);
  });
});

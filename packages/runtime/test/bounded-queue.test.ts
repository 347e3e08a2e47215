// The mailbox ring buffer: FIFO order, the hard capacity, and growth, checked against an array.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BoundedQueue } from '../src/internal.js';

describe('BoundedQueue', () => {
  test('keeps FIFO order across growth and wrap-around', () => {
    const queue = new BoundedQueue<number>(100);
    for (let i = 0; i < 10; i++) queue.push(i);
    for (let i = 0; i < 5; i++) expect(queue.shift()).toBe(i);
    for (let i = 10; i < 60; i++) queue.push(i);
    const out: number[] = [];
    for (let v = queue.shift(); v !== undefined; v = queue.shift()) out.push(v);
    expect(out).toEqual(Array.from({ length: 55 }, (_, i) => i + 5));
  });

  test('refuses a push at capacity and changes nothing', () => {
    const queue = new BoundedQueue<string>(2);
    expect(queue.push('a')).toBe(true);
    expect(queue.push('b')).toBe(true);
    expect(queue.push('c')).toBe(false);
    expect(queue.length).toBe(2);
    expect(queue.drain()).toEqual(['a', 'b']);
  });

  test('pushForced goes past the capacity for control items', () => {
    const queue = new BoundedQueue<string>(1);
    queue.push('a');
    queue.pushForced('signal');
    expect(queue.isFull).toBe(true);
    expect(queue.drain()).toEqual(['a', 'signal']);
  });

  test('behaves like a bounded array under any sequence of operations', () => {
    const op = fc.oneof(fc.record({ push: fc.integer() }), fc.constant({ shift: true as const }));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { maxLength: 300 }), (cap, ops) => {
        const queue = new BoundedQueue<number>(cap);
        const model: number[] = [];
        for (const o of ops) {
          if ('push' in o) {
            const accepted = queue.push(o.push);
            expect(accepted).toBe(model.length < cap);
            if (accepted) model.push(o.push);
          } else {
            expect(queue.shift()).toBe(model.shift());
          }
          expect(queue.length).toBe(model.length);
        }
      }),
      { seed: 42 },
    );
  });
});

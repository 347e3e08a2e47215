// Property test: the inflights ring buffer against a plain array model, over random sequences
// of add / freeLE / reset, including the count and byte bounds (etcd tracker/inflights_test.go).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Inflights } from '../../src/raft/tracker/inflights.js';

type Op =
  | { readonly kind: 'add'; readonly bytes: number }
  | { readonly kind: 'free'; readonly back: number }
  | { readonly kind: 'reset' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('add' as const), bytes: fc.nat({ max: 40 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('free' as const), back: fc.nat({ max: 6 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
);

describe('Inflights', () => {
  it('matches an array model and never exceeds its bounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(opArb, { maxLength: 200 }),
        (messagesMax, bytesMax, ops) => {
          const inflights = new Inflights(messagesMax, bytesMax);
          let model: Array<{ index: number; bytes: number }> = [];
          let nextIndex = 1;
          for (const op of ops) {
            if (op.kind === 'add') {
              const modelBytes = model.reduce((sum, m) => sum + m.bytes, 0);
              const modelFull = model.length === messagesMax || modelBytes >= bytesMax;
              expect(inflights.full()).toBe(modelFull);
              if (modelFull) continue;
              inflights.add(nextIndex, op.bytes);
              model.push({ index: nextIndex, bytes: op.bytes });
              nextIndex += 1 + (op.bytes % 3);
            } else if (op.kind === 'free') {
              const upTo = nextIndex - 1 - op.back;
              inflights.freeLE(upTo);
              model = model.filter((m) => m.index > upTo);
            } else {
              inflights.reset();
              model = [];
            }
            expect(inflights.count).toBe(model.length);
            expect(inflights.bytes).toBe(model.reduce((sum, m) => sum + m.bytes, 0));
            expect(inflights.count).toBeLessThanOrEqual(messagesMax);
          }
        },
      ),
      { seed: 7, numRuns: 1000 },
    );
  });

  it('refuses to add to a full window (an invariant, not an operating error)', () => {
    const inflights = new Inflights(2, 1000);
    inflights.add(1, 1);
    inflights.add(2, 1);
    expect(inflights.full()).toBe(true);
    expect(() => inflights.add(3, 1)).toThrow(/inflights full/);
    const byBytes = new Inflights(10, 10);
    byBytes.add(1, 10);
    expect(byBytes.full()).toBe(true);
  });

  it('refuses indices that do not increase', () => {
    const inflights = new Inflights(4, 1000);
    inflights.add(5, 1);
    expect(() => inflights.add(5, 1)).toThrow(/inflight 5 after 5/);
  });
});

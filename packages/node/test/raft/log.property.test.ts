// Property tests of the log (log.ts over memory storage plus an unstable tail): the binary
// search in findConflictByTerm against etcd's linear scan, and size-bounded slicing against a
// naive prefix computation, over random logs, compaction points and stable/unstable splits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entryBytes } from '../../src/raft/entries.js';
import { RaftLog } from '../../src/raft/log.js';
import { MemoryStorage } from '../../src/raft/memory-storage.js';
import type { Entry } from '../../src/raft/types.js';
import { confState } from './helpers/builders.js';

interface LogShape {
  readonly terms: number[];
  readonly compacted: number;
  readonly stable: number;
  readonly sizes: number[];
}

const shapeArb: fc.Arbitrary<LogShape> = fc
  .array(fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 30 })), { maxLength: 30 })
  .chain((steps) => {
    let term = 1;
    const terms = steps.map(([bump]) => (term += bump));
    const sizes = steps.map(([, size]) => size);
    return fc.tuple(fc.nat({ max: terms.length }), fc.nat({ max: terms.length })).map(([a, b]) => ({
      terms,
      sizes,
      compacted: Math.min(a, b),
      stable: Math.max(a, b),
    }));
  });

function entriesOf(shape: LogShape): Entry[] {
  return shape.terms.map((term, i) => ({
    type: 'normal',
    term,
    index: i + 1,
    data: new Uint8Array(shape.sizes[i]!),
  }));
}

function build(shape: LogShape): RaftLog {
  const all = entriesOf(shape);
  const storage = new MemoryStorage(confState(['a']));
  storage.append(all.slice(0, shape.stable));
  if (shape.compacted > 0) {
    storage.createSnapshot(shape.compacted, confState(['a']), new Uint8Array());
    storage.compact(shape.compacted);
  }
  const log = new RaftLog(storage);
  log.append(all.slice(shape.stable));
  return log;
}

function naiveTerm(shape: LogShape, index: number): number | undefined {
  if (index < shape.compacted || index > shape.terms.length) return undefined;
  return index === 0 ? 0 : shape.terms[index - 1];
}

/** etcd raft log.go findConflictByTerm, verbatim in spirit: scan down from index. */
function naiveFindConflictByTerm(shape: LogShape, index: number, term: number) {
  for (let i = index; i > 0; i--) {
    const t = naiveTerm(shape, i);
    if (t === undefined) return { index: i, term: 0 };
    if (t <= term) return { index: i, term: t };
  }
  return { index: 0, term: 0 };
}

describe('RaftLog', () => {
  it('reports the same first/last index and terms as the naive log', () => {
    fc.assert(
      fc.property(shapeArb, (shape) => {
        const log = build(shape);
        expect(log.firstIndex()).toBe(shape.compacted + 1);
        expect(log.lastIndex()).toBe(shape.terms.length);
        for (let i = 0; i <= shape.terms.length + 2; i++) {
          expect(log.term(i)).toBe(naiveTerm(shape, i));
        }
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it('findConflictByTerm (binary search) equals the linear scan', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat({ max: 40 }), fc.nat({ max: 70 }), (shape, index, term) => {
        const log = build(shape);
        expect(log.findConflictByTerm(index, term)).toEqual(
          naiveFindConflictByTerm(shape, index, term),
        );
      }),
      { seed: 12, numRuns: 3000 },
    );
  });

  it('slice returns the longest prefix within bytesMax, never empty, across storage and unstable', () => {
    fc.assert(
      fc.property(
        shapeArb,
        fc.nat({ max: 35 }),
        fc.nat({ max: 35 }),
        fc.integer({ min: 1, max: 600 }),
        (shape, a, b, bytesMax) => {
          const log = build(shape);
          const last = shape.terms.length;
          const lo = Math.min(a, b, last + 1);
          const hi = Math.min(Math.max(a, b), last + 1);
          const got = log.slice(lo, hi, bytesMax);
          if (lo <= shape.compacted) {
            expect(got).toBe('compacted');
            return;
          }
          const want = entriesOf(shape).slice(lo - 1, hi - 1);
          let count = want.length === 0 ? 0 : 1;
          let total = want.length === 0 ? 0 : entryBytes(want[0]!);
          while (count < want.length && total + entryBytes(want[count]!) <= bytesMax) {
            total += entryBytes(want[count]!);
            count++;
          }
          expect(got).toEqual(want.slice(0, count));
        },
      ),
      { seed: 13, numRuns: 2000 },
    );
  });

  it('maybeAppend never truncates on a duplicate, and replaces a conflicting suffix', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat({ max: 30 }), (shape, from) => {
        const log = build(shape);
        const last = shape.terms.length;
        const prev = Math.max(shape.compacted, Math.min(from, last));
        const dup = entriesOf(shape).slice(prev, last);
        expect(log.maybeAppend(prev, naiveTerm(shape, prev)!, 0, dup)).toBe(last);
        expect(log.lastIndex()).toBe(last);
        // A new term at prev + 1 replaces everything after prev.
        const newTerm = (shape.terms[last - 1] ?? 1) + 1;
        const replacement: Entry = {
          type: 'normal',
          term: newTerm,
          index: prev + 1,
          data: new Uint8Array(),
        };
        expect(log.maybeAppend(prev, naiveTerm(shape, prev)!, 0, [replacement])).toBe(prev + 1);
        expect(log.lastIndex()).toBe(prev + 1);
        expect(log.term(prev + 1)).toBe(newTerm);
      }),
      { seed: 14, numRuns: 500 },
    );
  });
});

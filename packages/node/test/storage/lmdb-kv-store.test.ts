// LmdbKvStore behaves like MemoryKvStore: a seeded random sequence of puts, deletes, session
// writes and clears (keys with control characters, long keys, astral characters) leaves the same
// records and sessions, iterated in code-point order, with the same session count, also after a
// reopen and after a failed write; an iteration tolerates writes made while it runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryKvStore } from '../../src/kv/memory-kv-store.js';
import type { KvRecord, KvStore, SessionRecord } from '../../src/kv/types.js';
import { closeStore, openStore, tempDir } from './helpers.js';

type KvOp =
  | { kind: 'put'; key: string; version: number }
  | { kind: 'delete'; key: string }
  | { kind: 'putSession'; id: string; seq: number }
  | { kind: 'deleteSession'; id: string }
  | { kind: 'clear' };

const keyArb = fc.oneof(
  fc.constantFrom('a', 'b', '\u0000', '\u0005', 'x\u0004y', '\u001b', '\uffff', '😀', 'é'),
  fc.string({
    unit: fc.constantFrom('\u0000', '\u0001', '\u0005', 'a', 'z', '\ue000', '😀'),
    minLength: 1,
    maxLength: 90,
  }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
);
const sessionIdArb = fc.constantFrom('s-1', 's-2', 's 3', 'reserved state', '\u0002odd');

const opArb: fc.Arbitrary<KvOp> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb, version: fc.nat(1000) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('putSession' as const),
      id: sessionIdArb,
      seq: fc.nat(50),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('deleteSession' as const), id: sessionIdArb }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

function recordOf(version: number): KvRecord {
  return { value: Uint8Array.from([version % 256, 1, 2]), version };
}

function sessionOf(seq: number): SessionRecord {
  const outcome =
    seq % 2 === 0
      ? { ok: true as const, op: 'create' as const, version: seq, prevVersion: 0 }
      : {
          ok: false as const,
          code: 'TROUPE_ERR_VERSION_CONFLICT' as const,
          message: 'no',
          currentVersion: seq,
        };
  return { seq, outcome, lastSeenMs: 1000 * seq };
}

function applyOp(store: KvStore, op: KvOp): void {
  if (op.kind === 'put') store.put(op.key, recordOf(op.version));
  else if (op.kind === 'delete') store.delete(op.key);
  else if (op.kind === 'putSession') store.putSession(op.id, sessionOf(op.seq));
  else if (op.kind === 'deleteSession') store.deleteSession(op.id);
  else store.clear();
}

/** Code-point order (lmdb's UTF-8 byte order), which MemoryKvStore's UTF-16 order is not. */
function byCodePoint<T>(items: [string, T][]): [string, T][] {
  const points = (s: string): number[] => Array.from(s, (c) => c.codePointAt(0)!);
  return [...items].sort(([a], [b]) => {
    const [x, y] = [points(a), points(b)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  });
}

function expectSame(lmdb: KvStore, memory: MemoryKvStore, probes: string[]): void {
  expect([...lmdb.records()]).toEqual(byCodePoint([...memory.records()]));
  expect([...lmdb.sessions()]).toEqual(byCodePoint([...memory.sessions()]));
  expect(lmdb.sessionCount()).toBe(memory.sessionCount());
  for (const key of probes) expect(lmdb.get(key)).toEqual(memory.get(key));
}

describe('LmdbKvStore matches MemoryKvStore', () => {
  it('after seeded batches of writes, a failed batch, and a reopen', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        async (batches) => {
          const dir = tempDir();
          let store = openStore(dir);
          const memory = new MemoryKvStore();
          const probes = batches.flat().flatMap((op) => ('key' in op ? [op.key] : []));
          for (const [i, batch] of batches.entries()) {
            const kv = store.group('s1').kv();
            if (i % 3 === 2) {
              // A batch that fails leaves no trace, in the records or in the session count.
              expect(() =>
                store.write(() => {
                  for (const op of batch) applyOp(kv, op);
                  throw new Error('abort');
                }),
              ).toThrow('abort');
            } else {
              store.write(() => {
                for (const op of batch) applyOp(kv, op);
              });
              for (const op of batch) applyOp(memory, op);
            }
            expectSame(kv, memory, probes);
          }
          await closeStore(store);
          store = openStore(dir);
          expectSame(store.group('s1').kv(), memory, probes);
          expect([...store.group('s2').kv().records()]).toEqual([]);
        },
      ),
      { seed: 7, numRuns: 40 },
    );
  }, 120_000);

  it('keeps groups apart, including ids that share a prefix', () => {
    const store = openStore(tempDir());
    store.write(() => {
      store.group('s1').kv().put('k', recordOf(1));
      store.group('s10').kv().put('k', recordOf(10));
      store.group('s1').kv().putSession('a', sessionOf(1));
    });
    expect([...store.group('s1').kv().records()]).toEqual([['k', recordOf(1)]]);
    expect([...store.group('s10').kv().records()]).toEqual([['k', recordOf(10)]]);
    expect(store.group('s10').kv().sessionCount()).toBe(0);
    store.write(() => store.group('s1').kv().clear());
    expect(store.group('s10').kv().get('k')).toEqual(recordOf(10));
  });

  it('lets the caller write while iterating: deleted records are not yielded', () => {
    const store = openStore(tempDir());
    const kv = store.group('s1').kv();
    const keys = Array.from({ length: 700 }, (_, i) => `k${String(i).padStart(4, '0')}`);
    store.write(() => {
      for (const [i, key] of keys.entries()) kv.put(key, recordOf(i));
    });
    const seen: string[] = [];
    store.write(() => {
      for (const [key] of kv.records()) {
        seen.push(key);
        const index = keys.indexOf(key);
        // Delete this one and the next one: the next one must not be yielded.
        kv.delete(key);
        if (index + 1 < keys.length) kv.delete(keys[index + 1]!);
      }
    });
    expect(seen).toEqual(keys.filter((_, i) => i % 2 === 0));
    expect([...kv.records()]).toEqual([]);
  });
});

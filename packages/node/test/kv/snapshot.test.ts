// Snapshots and state hashes of a key-value group: a store survives store -> bytes -> fresh
// store unchanged (same hash, same entries), restoring replaces what was there, bad bytes are
// refused with CorruptEntryError and leave the store untouched, and the hash tells states apart.
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { CorruptEntryError } from '../../src/kv/errors.js';
import { MemoryKvStore } from '../../src/kv/memory-kv-store.js';
import { encodeKvSnapshot, restoreKvSnapshot } from '../../src/kv/snapshot.js';
import { kvStateHash } from '../../src/kv/state-hash.js';
import type { KvStore } from '../../src/kv/types.js';
import { bytes, create, remove, Shard, update } from './builders.js';

const packr = new Packr({ useRecords: false });

/** A store with records, live sessions with success and failure outcomes, and a tombstone. */
function populated(): KvStore {
  const shard = new Shard({ sessionTtlMs: 100, sessionsMax: 10, sessionSweepEveryEntries: 8 });
  shard.apply(update('a', bytes(1), { nowMs: 0, session: { id: 'old', seq: 1 } }));
  shard.apply(update('b', bytes(2, 3), { nowMs: 10.5, session: { id: 's', seq: 4 } }));
  shard.apply(create('b', bytes(9), { nowMs: 20, session: { id: 't', seq: 1 } }));
  shard.apply(update('b', bytes(9), { nowMs: 20, ifVersion: 1, session: { id: 'u', seq: 2 } }));
  shard.apply(remove('a', { nowMs: 30, session: { id: 'v', seq: 1 } }));
  shard.apply(update('\u{1F600}', bytes(), { nowMs: 105 }), 8);
  return shard.store;
}

function contents(store: KvStore): unknown {
  return { records: [...store.records()], sessions: [...store.sessions()] };
}

describe('snapshot round trip', () => {
  it('store -> bytes -> fresh store gives an equal hash and equal entries', () => {
    const store = populated();
    const copy = new MemoryKvStore();
    restoreKvSnapshot(encodeKvSnapshot(store), copy);
    expect(kvStateHash(copy)).toBe(kvStateHash(store));
    expect(contents(copy)).toEqual(contents(store));
  });

  it('the test store has records, sessions of every kind and a tombstone', () => {
    const store = populated();
    const sessions = new Map(store.sessions());
    expect([...store.records()].length).toBe(2);
    expect(sessions.get('old')?.seq).toBe(0);
    expect(sessions.get('t')?.outcome).toMatchObject({ code: 'TROUPE_ERR_ALREADY_EXISTS' });
    expect(sessions.get('u')?.outcome).toMatchObject({ code: 'TROUPE_ERR_VERSION_CONFLICT' });
  });

  it('a large snapshot owns a buffer of its own size, not a view of a larger one', () => {
    // Regression: each group caches its snapshot, and a view into msgpackr's growing pack
    // buffer pinned about four times the data (352 MiB of buffers per node at 1M keys).
    const store = new MemoryKvStore();
    for (let i = 0; i < 5_000; i++) {
      store.put(`key-${i}`, { value: new Uint8Array(100).fill(i % 251), version: 1 });
    }
    const snapshot = encodeKvSnapshot(store);
    expect(snapshot.byteLength).toBeGreaterThan(500_000);
    expect(snapshot.buffer.byteLength).toBe(snapshot.byteLength);
  });

  it('re-encoding a restored store gives the same bytes', () => {
    const data = encodeKvSnapshot(populated());
    const copy = new MemoryKvStore();
    restoreKvSnapshot(data, copy);
    // Plain copies: msgpackr's Buffers may carry extra properties that toEqual would compare.
    expect(new Uint8Array(encodeKvSnapshot(copy))).toEqual(new Uint8Array(data));
  });

  it('an empty store round-trips to an empty store', () => {
    const copy = populated();
    restoreKvSnapshot(encodeKvSnapshot(new MemoryKvStore()), copy);
    expect(contents(copy)).toEqual({ records: [], sessions: [] });
    expect(kvStateHash(copy)).toBe(kvStateHash(new MemoryKvStore()));
  });

  it('restoring replaces the previous contents instead of merging', () => {
    const source = new MemoryKvStore();
    source.put('x', { value: bytes(1), version: 3 });
    const target = populated();
    restoreKvSnapshot(encodeKvSnapshot(source), target);
    expect(contents(target)).toEqual(contents(source));
  });
});

describe('malformed snapshots', () => {
  const valid = packr.unpack(encodeKvSnapshot(populated())) as unknown[];

  function expectRefusedUntouched(data: Uint8Array): void {
    const store = populated();
    const before = kvStateHash(store);
    expect(() => restoreKvSnapshot(data, store)).toThrow(CorruptEntryError);
    expect(kvStateHash(store)).toBe(before);
  }

  it.each([
    ['not msgpack', bytes(0xc1)],
    ['empty bytes', new Uint8Array(0)],
    ['another format', packr.pack([2, [], []])],
    ['a missing section', packr.pack([1, []])],
    ['records that are not whole rows', packr.pack([1, ['k', bytes(1)], []])],
    ['a record with a string value', packr.pack([1, ['k', 'v', 1], []])],
    ['a record with a negative version', packr.pack([1, ['k', bytes(), -1], []])],
    ['a session with a bad outcome op', packr.pack([1, [], ['s', 1, 0, [9, 1, 0]]])],
    ['a session with an unknown code', packr.pack([1, [], ['s', 1, 0, ['X', 'm']]])],
    ['a session with a negative time', packr.pack([1, [], ['s', 1, -1, [1, 1, 0]]])],
    ['a valid snapshot with trailing bytes', Uint8Array.of(...packr.pack(valid), 0)],
  ])('refuses %s with CorruptEntryError and leaves the store untouched', (_, data) => {
    expectRefusedUntouched(data);
  });

  it('random or damaged bytes are refused with CorruptEntryError only, or restore', () => {
    const data = encodeKvSnapshot(populated());
    const damaged = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, flip]) => {
        const copy = Uint8Array.from(data);
        copy[at % copy.length]! ^= flip;
        return copy;
      }),
    );
    fc.assert(
      fc.property(damaged, (bytesIn) => {
        try {
          restoreKvSnapshot(bytesIn, new MemoryKvStore());
        } catch (error) {
          expect(error).toBeInstanceOf(CorruptEntryError);
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});

describe('state hash', () => {
  it('is a hex SHA-256', () => {
    expect(kvStateHash(populated())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is equal for equal contents written in different orders', () => {
    const one = new MemoryKvStore();
    const two = new MemoryKvStore();
    one.put('a', { value: bytes(1), version: 1 });
    one.put('b', { value: bytes(2), version: 2 });
    two.put('b', { value: bytes(2), version: 2 });
    two.put('a', { value: bytes(1), version: 1 });
    expect(kvStateHash(one)).toBe(kvStateHash(two));
  });

  it.each([
    ['a value', (s: KvStore) => s.put('b', { value: bytes(2, 3, 4), version: 2 })],
    ['a version', (s: KvStore) => s.put('b', { value: bytes(2, 3), version: 3 })],
    ['a missing key', (s: KvStore) => s.delete('b')],
    ['a session seq', (s: KvStore) => s.putSession('s', { ...s.getSession('s')!, seq: 5 })],
    ['a session time', (s: KvStore) => s.putSession('s', { ...s.getSession('s')!, lastSeenMs: 1 })],
    ['a missing session', (s: KvStore) => s.deleteSession('s')],
  ])('differs when %s differs', (_, change) => {
    const store = populated();
    const before = kvStateHash(store);
    change(store);
    expect(kvStateHash(store)).not.toBe(before);
  });

  it('tells a record apart from a session with the same fields', () => {
    const record = new MemoryKvStore();
    const session = new MemoryKvStore();
    record.put('k', { value: bytes(), version: 1 });
    session.putSession('k', {
      seq: 1,
      lastSeenMs: 0,
      outcome: { ok: true, op: 'update', version: 1, prevVersion: 0 },
    });
    expect(kvStateHash(record)).not.toBe(kvStateHash(session));
  });
});

// The in-memory KvStore: sorted iteration in UTF-16 code-unit order (what snapshots and state
// hashes rely on), iteration that tolerates writes, counts and clear.
import { describe, expect, it } from 'vitest';
import { compareKeys, MemoryKvStore } from '../../src/kv/memory-kv-store.js';
import type { SessionRecord } from '../../src/kv/types.js';
import { bytes } from './builders.js';

const session: SessionRecord = {
  seq: 1,
  lastSeenMs: 0,
  outcome: { ok: true, op: 'update', version: 1, prevVersion: 0 },
};

// Code-unit order: an astral character (a surrogate pair, 0xD83D...) sorts before U+FFFF.
const keys = ['b', '\uFFFF', 'a', 'B', '\u{1F600}', 'ab', '\u00E9'];
const inCodeUnitOrder = ['B', 'a', 'ab', 'b', '\u00E9', '\u{1F600}', '\uFFFF'];

describe('MemoryKvStore', () => {
  it('iterates records in UTF-16 code-unit order, whatever the insertion order', () => {
    const store = new MemoryKvStore();
    for (const [i, key] of keys.entries()) store.put(key, { value: bytes(i), version: i + 1 });
    expect([...store.records()].map(([key]) => key)).toEqual(inCodeUnitOrder);
  });

  it('iterates sessions in UTF-16 code-unit order, whatever the insertion order', () => {
    const store = new MemoryKvStore();
    for (const key of keys) store.putSession(key, session);
    expect([...store.sessions()].map(([id]) => id)).toEqual(inCodeUnitOrder);
  });

  it('compareKeys is the order of `<`', () => {
    expect([...keys].sort(compareKeys)).toEqual(inCodeUnitOrder);
    expect(compareKeys('a', 'a')).toBe(0);
  });

  it('keeps the order after deletes and re-inserts', () => {
    const store = new MemoryKvStore();
    for (const key of ['c', 'a', 'b']) store.put(key, { value: bytes(), version: 1 });
    [...store.records()];
    store.delete('b');
    store.put('0', { value: bytes(), version: 1 });
    expect([...store.records()].map(([key]) => key)).toEqual(['0', 'a', 'c']);
  });

  it('tolerates writes while iterating: deleted keys are skipped, new ones not seen', () => {
    const store = new MemoryKvStore();
    for (const key of ['a', 'b', 'c']) store.putSession(key, session);
    const seen: string[] = [];
    for (const [id] of store.sessions()) {
      seen.push(id);
      store.deleteSession('b');
      store.putSession('bb', session);
    }
    expect(seen).toEqual(['a', 'c']);
    expect([...store.sessions()].map(([id]) => id)).toEqual(['a', 'bb', 'c']);
  });

  it('counts sessions, overwrites in place, and clear empties records and sessions', () => {
    const store = new MemoryKvStore();
    store.put('k', { value: bytes(1), version: 1 });
    store.put('k', { value: bytes(2), version: 2 });
    store.putSession('s', session);
    expect(store.get('k')).toEqual({ value: bytes(2), version: 2 });
    expect(store.recordCount()).toBe(1);
    expect(store.sessionCount()).toBe(1);
    store.clear();
    expect([...store.records()]).toEqual([]);
    expect(store.sessionCount()).toBe(0);
  });
});

// An in-memory KvStore for tests, the simulator and building snapshots: plain Maps, iterated in
// sorted order so that snapshots and state hashes of equal contents are equal byte for byte.
import type { KvRecord, KvStore, SessionRecord } from './types.js';

/**
 * The order of keys and session ids: UTF-16 code-unit order, which is what `<` compares.
 * (It differs from UTF-8 byte order only between characters above U+FFFF and U+E000-U+FFFF.)
 */
export function compareKeys(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/** A Map plus its keys in sorted order, re-sorted only after a key is added or removed. */
class SortedMap<V> {
  private readonly entries = new Map<string, V>();
  private sortedKeys: string[] | null = [];

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    if (!this.entries.has(key)) this.sortedKeys = null;
    this.entries.set(key, value);
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.sortedKeys = null;
  }

  clear(): void {
    this.entries.clear();
    this.sortedKeys = [];
  }

  /**
   * Entries in key order as of the first step: keys added while iterating are not visited,
   * keys deleted while iterating are skipped, so callers may mutate the map as they go. (The
   * sorted array is replaced, never changed in place, so holding it here is safe.)
   */
  *sorted(): Generator<[string, V]> {
    this.sortedKeys ??= [...this.entries.keys()].sort(compareKeys);
    for (const key of this.sortedKeys) {
      const value = this.entries.get(key);
      if (value !== undefined) yield [key, value];
    }
  }
}

/**
 * KvStore over memory. Records and sessions are stored by reference: callers treat them (and
 * their bytes) as immutable, as the port's readonly types say.
 */
export class MemoryKvStore implements KvStore {
  private readonly recordMap = new SortedMap<KvRecord>();
  private readonly sessionMap = new SortedMap<SessionRecord>();

  get(key: string): KvRecord | undefined {
    return this.recordMap.get(key);
  }

  put(key: string, record: KvRecord): void {
    this.recordMap.set(key, record);
  }

  delete(key: string): void {
    this.recordMap.delete(key);
  }

  /** Every record in key order (compareKeys). */
  records(): Iterable<[string, KvRecord]> {
    return this.recordMap.sorted();
  }

  /** Records stored, for tests and metrics. */
  recordCount(): number {
    return this.recordMap.size;
  }

  getSession(id: string): SessionRecord | undefined {
    return this.sessionMap.get(id);
  }

  putSession(id: string, session: SessionRecord): void {
    this.sessionMap.set(id, session);
  }

  deleteSession(id: string): void {
    this.sessionMap.delete(id);
  }

  /** Every session in id order (compareKeys). */
  sessions(): Iterable<[string, SessionRecord]> {
    return this.sessionMap.sorted();
  }

  sessionCount(): number {
    return this.sessionMap.size;
  }

  clear(): void {
    this.recordMap.clear();
    this.sessionMap.clear();
  }
}

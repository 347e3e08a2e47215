// The quota: client writes stop (writesAllowed false) at the high-water mark before lmdb ever
// fails; writes pushed past it fail with StorageFullError and roll back, never crash or grow
// the file past storageBytesMax; earlier data still reads back, small metadata writes still fit,
// and deleting data lets writes resume.
import { statSync } from 'node:fs';
import { StorageFullError } from '@troupe/client/protocol';
import { describe, expect, it } from 'vitest';
import type { NodeStore } from '../../src/storage/node-store.js';
import { highWaterBytes, isFullError, reserveBytes } from '../../src/storage/space.js';
import { mebibyte, openStore, tempDir } from './helpers.js';

const storageBytesMax = 8 * mebibyte;
const valueBytes = 1000;
const perWrite = 50;

function value(n: number): { value: Uint8Array; version: number } {
  return { value: new Uint8Array(valueBytes).fill(n % 256), version: n + 1 };
}

/** Puts `perWrite` values starting at key number `from` in one write. */
function putBatch(store: NodeStore, from: number): void {
  const kv = store.group('s0').kv();
  store.write(() => {
    for (let n = from; n < from + perWrite; n++) kv.put(`key-${n}`, value(n));
  });
}

/** Writes batches until `stop` says so or a write throws; returns the next key and the error. */
function fill(
  store: NodeStore,
  from: number,
  stop: () => boolean,
): { next: number; error: unknown } {
  let next = from;
  // Bounded: 4x the quota in values, so a quota that does not hold fails instead of hanging.
  while (next < (4 * storageBytesMax) / valueBytes) {
    if (stop()) return { next, error: null };
    try {
      putBatch(store, next);
    } catch (error) {
      return { next, error };
    }
    next += perWrite;
  }
  return { next, error: new Error('the quota never stopped the writes') };
}

describe('quota', () => {
  it('turns writesAllowed off before any StorageFullError, then refuses raw writes past it', () => {
    const dir = tempDir();
    const store = openStore(dir, { storageBytesMax });
    expect(store.highWaterBytes).toBe(highWaterBytes(storageBytesMax));
    expect(store.highWaterBytes).toBe(4 * mebibyte);

    const polite = fill(store, 0, () => !store.writesAllowed());
    expect(polite.error).toBeNull();
    expect(store.usedBytes()).toBeGreaterThan(store.highWaterBytes);

    const pushy = fill(store, polite.next, () => false);
    expect(pushy.error).toBeInstanceOf(StorageFullError);
    expect((pushy.error as StorageFullError).code).toBe('TROUPE_ERR_STORAGE_FULL');
    expect(store.fileBytes()).toBeLessThanOrEqual(storageBytesMax + 64 * 1024);
    expect(statSync(store.file).size).toBeLessThanOrEqual(storageBytesMax + 64 * 1024);
    // lmdb-js grew its map instead of failing; the store rolled back and reset the map.
    expect(store.mapResets()).toBeGreaterThanOrEqual(1);

    // The failed batch left nothing; everything before it reads back.
    const kv = store.group('s0').kv();
    expect(kv.get(`key-${pushy.next}`)).toBeUndefined();
    for (let n = 0; n < pushy.next; n += 97) expect(kv.get(`key-${n}`)).toEqual(value(n));
    expect(kv.get(`key-${pushy.next - 1}`)).toEqual(value(pushy.next - 1));
    expect(store.writesAllowed()).toBe(false);

    // Raft metadata still fits, and so do small deletes.
    const group = store.group('s0');
    store.write(() => group.setHardState({ term: 3, vote: 'n2', commit: 0 }));
    expect(group.hardState()).toEqual({ term: 3, vote: 'n2', commit: 0 });
    store.write(() => kv.delete('key-1'));
    expect(kv.get('key-1')).toBeUndefined();
    expect(store.fileBytes()).toBeLessThanOrEqual(storageBytesMax + 64 * 1024);
  });

  it('lets client writes resume, reusing freed pages, after deletes above high water', () => {
    const store = openStore(tempDir(), { storageBytesMax });
    const first = fill(store, 0, () => !store.writesAllowed());
    expect(first.error).toBeNull();
    const kv = store.group('s0').kv();
    // Past high water the reserve is still free: one large delete (a compaction) fits. It
    // grows the file: lmdb copies each page it changes, and frees the old copy only after.
    store.write(() => {
      for (let n = 0; n < first.next; n++) if (n % 4 !== 0) kv.delete(`key-${n}`);
    });
    const fileBytes = store.fileBytes();
    expect(fileBytes).toBeLessThanOrEqual(storageBytesMax);
    expect(store.writesAllowed()).toBe(true);
    // Pages left a quarter full are not merged, so less than 3/4 of the space comes back.
    const again = fill(store, first.next, () => !store.writesAllowed());
    expect(again.error).toBeNull();
    expect(again.next - first.next).toBeGreaterThan(first.next / 4);
    expect(store.fileBytes()).toBeLessThanOrEqual(fileBytes + 128 * 1024);
    expect(kv.get(`key-${again.next - 1}`)).toEqual(value(again.next - 1));
    expect(kv.get(`key-${first.next - 4}`)).toEqual(value(first.next - 4));
  });

  it('reserves 10% of the quota, at least 4 MiB', () => {
    expect(reserveBytes(8 * mebibyte)).toBe(4 * mebibyte);
    expect(reserveBytes(1024 * mebibyte)).toBe(Math.ceil(102.4 * mebibyte));
    expect(highWaterBytes(100 * mebibyte)).toBe(90 * mebibyte);
  });

  it('recognises lmdb map-full and a full disk or disk quota as full, and nothing else', () => {
    const coded = (message: string, code: number | string): Error =>
      Object.assign(new Error(message), { code });
    expect(isFullError(coded('MDB_MAP_FULL: Environment mapsize limit reached', -30792))).toBe(
      true,
    );
    expect(isFullError(coded('No space left on device', 28))).toBe(true);
    expect(isFullError(coded('write failed', 'ENOSPC'))).toBe(true);
    expect(isFullError(coded('Disk quota exceeded', 122))).toBe(true);
    expect(isFullError(coded('MDB_CORRUPTED: Located page was wrong type', -30796))).toBe(false);
    expect(isFullError(new Error('boom'))).toBe(false);
    expect(isFullError('No space left on device')).toBe(false);
  });
});

// Shared fixtures of the storage tests: temporary data dirs (removed afterwards), a store
// opened with test defaults, entries, and a seeded byte generator for damaging files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Entry } from '../../src/raft/types.js';
import { NodeStore, type NodeStoreOptions } from '../../src/storage/node-store.js';

export const mebibyte = 1024 * 1024;

const dirs: string[] = [];
const stores: NodeStore[] = [];

/** A fresh directory under the OS temp dir, removed (with its stores closed) after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-storage-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  try {
    for (const store of stores.splice(0)) await store.close();
  } finally {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
});

export const defaultIdentity = { clusterId: 'cluster-a', nodeId: 'n1' };

/** Opens the store of `dataDir` with test defaults; closed after the test. */
export function openStore(dataDir: string, options: Partial<NodeStoreOptions> = {}): NodeStore {
  const store = NodeStore.open({
    dataDir,
    ...defaultIdentity,
    storageBytesMax: 64 * mebibyte,
    ...options,
  });
  stores.push(store);
  return store;
}

/** Closes `store` now (for tests that reopen its dir). */
export async function closeStore(store: NodeStore): Promise<void> {
  stores.splice(stores.indexOf(store), 1);
  await store.close();
}

export function entry(index: number, term: number, bytes = 8): Entry {
  return { type: 'normal', index, term, data: new Uint8Array(bytes).fill(index % 251) };
}

export function entries(from: number, to: number, term: number, bytes = 8): Entry[] {
  const list: Entry[] = [];
  for (let index = from; index <= to; index++) list.push(entry(index, term, bytes));
  return list;
}

/** A deterministic generator (mulberry32) for offsets and byte patterns. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Disk use stays bounded under steady churn: a group that keeps overwriting the same keys and
// appending, snapshotting and compacting its log reuses lmdb's freed pages, so store.mdb stops
// growing after a warm-up instead of growing with the number of writes.
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { entries, openStore, tempDir } from './helpers.js';

const rounds = 400;
const keys = 200;
const entriesPerRound = 5;
const snapshotEvery = 10;
const logKeepEntries = 20;

describe('bounded disk', () => {
  it('stops growing store.mdb after a warm-up of overwrites, appends and compactions', () => {
    const store = openStore(tempDir());
    const group = store.group('s0');
    const conf = { voters: ['n1'], learners: [] };
    store.write(() => group.bootstrap(conf));
    const sizes: number[] = [];
    for (let round = 0; round < rounds; round++) {
      store.write(() => {
        const from = group.lastIndex() + 1;
        const to = from + entriesPerRound - 1;
        group.append(entries(from, to, 1, 300));
        group.setHardState({ term: 1, vote: null, commit: to });
        for (let n = 0; n < 20; n++) {
          const key = `key-${(round * 20 + n) % keys}`;
          group.kv().put(key, { value: new Uint8Array(400).fill(round % 256), version: to });
        }
        group.setApplied(to, conf);
        if (round % snapshotEvery === 0) {
          group.createSnapshot(to, conf, new Uint8Array(2000).fill(round % 256));
          group.compact(to - logKeepEntries);
        }
      });
      sizes.push(statSync(store.file).size);
    }
    const warmedUp = sizes[rounds / 4 - 1]!;
    expect(sizes[rounds - 1]!).toBeLessThanOrEqual(warmedUp + 64 * 1024);
    expect(store.fileBytes()).toBeLessThanOrEqual(warmedUp + 64 * 1024);
    expect(group.lastIndex() - group.firstIndex() + 1).toBeLessThanOrEqual(
      logKeepEntries + snapshotEvery * entriesPerRound,
    );
    expect([...group.kv().records()].length).toBe(keys);
  });
});

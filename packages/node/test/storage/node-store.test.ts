// NodeStore and GroupStore behaviour outside the MemoryStorage comparison: a failed write
// leaves nothing behind (records and caches), everything survives a reopen, the snapshot keeps
// its identity, groups are listed and destroyed, and writes outside `write` are refused. A
// transaction written with `durable: false` (apply-only turns) is there on reopen too.
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/raft/types.js';
import { closeStore, defaultIdentity, entries, openStore, tempDir } from './helpers.js';

const conf = { voters: ['n1', 'n2', 'n3'], learners: [] };
const record = (n: number) => ({ value: new Uint8Array([n, n + 1]), version: n });
const session = (seq: number) => ({
  seq,
  outcome: { ok: true as const, op: 'update' as const, version: seq, prevVersion: 0 },
  lastSeenMs: 1000 + seq,
});

describe('NodeStore.write', () => {
  it('leaves nothing behind when its function throws: records, bounds, sessions', () => {
    const store = openStore(tempDir());
    const group = store.group('s1');
    store.write(() => {
      group.bootstrap(conf, new Uint8Array([9]));
      group.append(entries(2, 5, 1));
      group.kv().putSession('a', session(1));
    });
    const snapshotBefore = group.snapshot();
    expect(() =>
      store.write(() => {
        group.append(entries(4, 9, 2));
        group.setHardState({ term: 2, vote: 'n2', commit: 5 });
        group.setApplied(5, conf);
        group.createSnapshot(5, conf, new Uint8Array([1]));
        group.compact(3);
        group.kv().put('k', record(1));
        group.kv().putSession('b', session(2));
        group.kv().deleteSession('a');
        store.group('s2').bootstrap(conf);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(group.firstIndex()).toBe(2);
    expect(group.lastIndex()).toBe(5);
    expect(group.entries(2, 6, Number.POSITIVE_INFINITY)).toEqual(entries(2, 5, 1));
    expect(group.hardState()).toEqual({ term: 1, vote: null, commit: 1 });
    expect(group.appliedIndex()).toBe(1);
    expect(group.snapshot()).toBe(snapshotBefore);
    expect(group.kv().get('k')).toBeUndefined();
    expect(group.kv().sessionCount()).toBe(1);
    expect([...group.kv().sessions()].map(([id]) => id)).toEqual(['a']);
    expect(store.groupIds()).toEqual(['s1']);
  });

  it('refuses writes outside write, nested writes and async functions', () => {
    const store = openStore(tempDir());
    const group = store.group('s1');
    expect(() => group.setHardState({ term: 1, vote: null, commit: 0 })).toThrow(/outside/);
    expect(() => group.kv().put('k', record(1))).toThrow(/outside/);
    expect(() => store.write(() => store.write(() => 1))).toThrow(/nest/);
    expect(() => store.write(async () => 1)).toThrow(/synchronous/);
    expect(store.groupIds()).toEqual([]);
  });
});

describe('NodeStore durability', () => {
  it('keeps hard state, entries, applied, conf, snapshot, kv, sessions on reopen', async () => {
    const dir = tempDir();
    const store = openStore(dir);
    const group = store.group('s7');
    const wideConf = { voters: ['n1', 'n2'], learners: ['n3'] };
    store.write(() => {
      group.bootstrap(conf, new Uint8Array([1, 2, 3]));
      group.append(entries(2, 40, 2, 100));
      group.setHardState({ term: 2, vote: 'n3', commit: 30 });
      group.setApplied(30, wideConf);
      group.createSnapshot(25, conf, new Uint8Array([4, 5]));
      group.compact(20);
      for (let i = 0; i < 50; i++) group.kv().put(`key-${i}`, record(i));
      group.kv().putSession('sess-1', session(3));
    });
    const meta = store.group('meta');
    store.write(() => meta.bootstrap({ voters: ['n1'], learners: [] }));
    await closeStore(store);

    const again = openStore(dir);
    const reopened = again.group('s7');
    expect(again.identity).toMatchObject({ ...defaultIdentity, formatVersion: 1 });
    expect(again.groupIds()).toEqual(['meta', 's7']);
    expect(reopened.initialState()).toEqual({
      hardState: { term: 2, vote: 'n3', commit: 30 },
      confState: wideConf,
    });
    expect(reopened.appliedIndex()).toBe(30);
    expect(reopened.confStateAtApplied()).toEqual(wideConf);
    expect([reopened.firstIndex(), reopened.lastIndex(), reopened.term(20)]).toEqual([21, 40, 2]);
    expect(reopened.entries(21, 41, Number.POSITIVE_INFINITY)).toEqual(entries(21, 40, 2, 100));
    const snapshot: Snapshot = reopened.snapshot();
    expect(snapshot).toEqual({
      metadata: { index: 25, term: 2, confState: conf },
      data: new Uint8Array([4, 5]),
    });
    expect([...reopened.kv().records()]).toEqual(
      Array.from({ length: 50 }, (_, i) => [`key-${i}`, record(i)]).sort(([a], [b]) =>
        String(a) < String(b) ? -1 : 1,
      ),
    );
    expect(reopened.kv().getSession('sess-1')).toEqual(session(3));
    expect(reopened.kv().sessionCount()).toBe(1);
    expect(again.group('meta').snapshot().metadata).toMatchObject({ index: 1, term: 1 });
  });

  it('keeps a transaction written with durable false, and a later durable one, on reopen', async () => {
    const dir = tempDir();
    const store = openStore(dir);
    const group = store.group('s3');
    store.write(() => group.bootstrap(conf));
    store.write(() => group.append(entries(2, 10, 1)));
    store.write(
      () => {
        group.setHardState({ term: 1, vote: null, commit: 10 });
        group.setApplied(10, conf);
        group.kv().put('applied', record(10));
      },
      { durable: false },
    );
    store.write(() => group.append(entries(11, 12, 1)));
    await closeStore(store);
    const reopened = openStore(dir).group('s3');
    expect(reopened.appliedIndex()).toBe(10);
    expect(reopened.kv().get('applied')).toEqual(record(10));
    expect(reopened.lastIndex()).toBe(12);
  });

  it('returns the same snapshot object until a new snapshot is stored', () => {
    const store = openStore(tempDir());
    const group = store.group('s0');
    store.write(() => group.bootstrap(conf));
    const first = group.snapshot();
    store.write(() => group.append(entries(2, 10, 1)));
    store.write(() => group.setHardState({ term: 1, vote: null, commit: 10 }));
    expect(group.snapshot()).toBe(first);
    store.write(() => {
      group.setApplied(8, conf);
      group.createSnapshot(8, conf, new Uint8Array([8]));
    });
    const second = group.snapshot();
    expect(second).not.toBe(first);
    expect(second.metadata.index).toBe(8);
    store.write(() => group.compact(8));
    expect(group.snapshot()).toBe(second);
  });

  it('destroys a group: its log, Raft state, records, sessions; no other group', async () => {
    const dir = tempDir();
    const store = openStore(dir);
    for (const id of ['s1', 's2']) {
      const group = store.group(id);
      store.write(() => {
        group.bootstrap(conf);
        group.append(entries(2, 5, 1));
        group.kv().put('k', record(1));
        group.kv().putSession('a', session(1));
      });
    }
    store.write(() => store.group('s1').destroy());
    const gone = store.group('s1');
    expect([gone.firstIndex(), gone.lastIndex(), gone.appliedIndex()]).toEqual([1, 0, 0]);
    expect(gone.kv().sessionCount()).toBe(0);
    expect(store.groupIds()).toEqual(['s2']);
    await closeStore(store);
    const again = openStore(dir);
    expect(again.groupIds()).toEqual(['s2']);
    expect(again.group('s1').kv().get('k')).toBeUndefined();
    expect(again.group('s2').kv().get('k')).toEqual(record(1));
    expect(again.group('s2').lastIndex()).toBe(5);
  });

  it('lists groups in sorted order, including ids that share a prefix', () => {
    const store = openStore(tempDir());
    const ids = ['s10', 's1', 'meta', 's2', 's15', 's0'];
    store.write(() => {
      for (const id of ids) store.group(id).setHardState({ term: 1, vote: null, commit: 0 });
    });
    expect(store.groupIds()).toEqual([...ids].sort());
  });
});

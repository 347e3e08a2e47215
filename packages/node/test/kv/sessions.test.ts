// Exactly-once sessions of the key-value state machine: retries answered from history, stale
// and expired sessions refused, expiry by idle time and eviction at sessionsMax, tombstones,
// and the machine clock, all kept in the store so that a restarted machine behaves the same.
import { describe, expect, it } from 'vitest';
import { MemoryKvStore } from '../../src/kv/memory-kv-store.js';
import { encodeKvSnapshot, restoreKvSnapshot } from '../../src/kv/snapshot.js';
import {
  expiredSessionSeq,
  KvStateMachine,
  machineSessionId,
  readMachineState,
} from '../../src/kv/state-machine.js';
import { bytes, create, remove, Shard, update } from './builders.js';

const a = bytes(1);
const b = bytes(2);

function tag(id: string, seq: number): { session: { id: string; seq: number } } {
  return { session: { id, seq } };
}

/** Options under which nothing expires or is evicted unless a test says so. */
const roomy = { sessionTtlMs: 1e12, sessionsMax: 100, sessionSweepEveryEntries: 1e9 };

describe('retries', () => {
  it('a retry of the same seq returns the stored outcome without applying again', () => {
    const shard = new Shard(roomy);
    const first = shard.apply(update('k', a, tag('s', 1)));
    const retry = shard.apply(update('k', b, tag('s', 1)));
    expect(retry).toEqual(first);
    expect(shard.read('k')).toEqual({ value: a, version: 1 });
  });

  it('a second write with the same seq does not bump the version', () => {
    const shard = new Shard(roomy);
    shard.apply(update('k', a, tag('s', 1)));
    shard.apply(update('k', a, tag('s', 1)));
    shard.apply(update('k', a, tag('s', 1)));
    expect(shard.read('k').version).toBe(1);
  });

  it('a retry of a failed write gets the same failure, even when it would now succeed', () => {
    const shard = new Shard(roomy);
    shard.apply(update('k', a));
    const first = shard.apply(create('k', b, tag('s', 1)));
    shard.apply(remove('k'));
    expect(shard.apply(create('k', b, tag('s', 1)))).toEqual(first);
    expect(first).toMatchObject({ ok: false, code: 'TROUPE_ERR_ALREADY_EXISTS' });
    expect(shard.read('k')).toEqual({ value: null, version: 0 });
  });

  it('a newer seq is applied and becomes the remembered one', () => {
    const shard = new Shard(roomy);
    shard.apply(update('k', a, tag('s', 1)));
    expect(shard.apply(update('k', b, tag('s', 2)))).toMatchObject({ ok: true, version: 2 });
    expect(shard.store.getSession('s')?.seq).toBe(2);
    expect(shard.read('k')).toEqual({ value: b, version: 2 });
  });

  it('a session first seen at a seq above 1 is accepted (seqs are shared across shards)', () => {
    const shard = new Shard(roomy);
    expect(shard.apply(update('k', a, tag('s', 17)))).toMatchObject({ ok: true });
    expect(shard.store.getSession('s')?.seq).toBe(17);
  });

  it('seqs may skip on a shard: 3 then 9 both apply', () => {
    const shard = new Shard(roomy);
    shard.apply(update('k', a, tag('s', 3)));
    expect(shard.apply(update('k', b, tag('s', 9)))).toMatchObject({ ok: true, version: 2 });
  });
});

describe('stale requests', () => {
  it('a seq below the remembered one fails with SESSION_STALE and is not applied', () => {
    const shard = new Shard(roomy);
    shard.apply(update('k', a, tag('s', 3)));
    const outcome = shard.apply(update('k', b, tag('s', 2)));
    expect(outcome).toMatchObject({ ok: false, code: 'TROUPE_ERR_SESSION_STALE' });
    expect(shard.read('k')).toEqual({ value: a, version: 1 });
  });

  it('a stale request leaves the remembered seq and outcome as they were', () => {
    const shard = new Shard(roomy);
    const first = shard.apply(update('k', a, tag('s', 3)));
    shard.apply(update('k', b, tag('s', 2)));
    expect(shard.apply(update('k', b, tag('s', 3)))).toEqual(first);
  });
});

describe('expiry by idle time', () => {
  const options = { sessionTtlMs: 1000, sessionsMax: 100, sessionSweepEveryEntries: 4 };

  it('a session idle longer than the TTL at a sweep index is expired: retries get EXPIRED', () => {
    const shard = new Shard(options);
    shard.apply(update('k', a, { nowMs: 0, ...tag('s', 1) }), 1);
    shard.apply(update('other', a, { nowMs: 1001 }), 4);
    const retry = shard.apply(update('k', b, { nowMs: 1002, ...tag('s', 1) }), 5);
    expect(retry).toMatchObject({ ok: false, code: 'TROUPE_ERR_SESSION_EXPIRED' });
    expect(shard.read('k')).toEqual({ value: a, version: 1 });
  });

  it('an expired session refuses new seqs too, and applies nothing', () => {
    const shard = new Shard(options);
    shard.apply(update('k', a, { nowMs: 0, ...tag('s', 1) }), 1);
    shard.apply(update('other', a, { nowMs: 5000 }), 4);
    const next = shard.apply(update('k', b, { nowMs: 5000, ...tag('s', 2) }), 5);
    expect(next).toMatchObject({ ok: false, code: 'TROUPE_ERR_SESSION_EXPIRED' });
    expect(shard.read('k')).toEqual({ value: a, version: 1 });
  });

  it('an expired session leaves a tombstone (seq 0) in the store', () => {
    const shard = new Shard(options);
    shard.apply(update('k', a, { nowMs: 0, ...tag('s', 1) }), 1);
    shard.apply(update('other', a, { nowMs: 5000 }), 4);
    expect(shard.store.getSession('s')?.seq).toBe(expiredSessionSeq);
    expect(readMachineState(shard.store).expiredCount).toBe(1);
  });

  it('a session idle exactly the TTL is kept', () => {
    const shard = new Shard(options);
    const first = shard.apply(update('k', a, { nowMs: 0, ...tag('s', 1) }), 1);
    shard.apply(update('other', a, { nowMs: 1000 }), 4);
    expect(shard.apply(update('k', b, { nowMs: 1000, ...tag('s', 1) }), 5)).toEqual(first);
  });

  it('an idle session is kept until a sweep index comes', () => {
    const shard = new Shard(options);
    const first = shard.apply(update('k', a, { nowMs: 0, ...tag('s', 1) }), 1);
    shard.apply(update('other', a, { nowMs: 9000 }), 2);
    expect(shard.apply(update('k', b, { nowMs: 9000, ...tag('s', 1) }), 3)).toEqual(first);
  });

  it('a retry counts as seen: it restarts the idle time', () => {
    const shard = new Shard(options);
    const first = shard.apply(update('k', a, { nowMs: 0, ...tag('s', 1) }), 1);
    shard.apply(update('k', b, { nowMs: 900, ...tag('s', 1) }), 2);
    shard.apply(update('other', a, { nowMs: 1800 }), 4);
    expect(shard.apply(update('k', b, { nowMs: 1800, ...tag('s', 1) }), 5)).toEqual(first);
  });

  it('another session is not affected by an expired one', () => {
    const shard = new Shard(options);
    shard.apply(update('k', a, { nowMs: 0, ...tag('s', 1) }), 1);
    shard.apply(update('other', a, { nowMs: 5000 }), 4);
    expect(shard.apply(update('k', b, { nowMs: 5000, ...tag('t', 2) }), 5)).toMatchObject({
      ok: true,
    });
  });
});

describe('eviction at sessionsMax', () => {
  const options = { sessionTtlMs: 1e12, sessionsMax: 3, sessionSweepEveryEntries: 1e9 };

  it('a session beyond sessionsMax evicts the least recently seen one', () => {
    const shard = new Shard(options);
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
      shard.apply(update(id, a, { nowMs: i, ...tag(id, 1) }));
    }
    expect(shard.store.getSession('a')?.seq).toBe(expiredSessionSeq);
    expect(shard.apply(update('a', b, { nowMs: 9, ...tag('a', 2) }))).toMatchObject({
      code: 'TROUPE_ERR_SESSION_EXPIRED',
    });
  });

  it('keeps exactly sessionsMax live sessions, which still answer retries', () => {
    const shard = new Shard(options);
    const outcomes = ['a', 'b', 'c', 'd', 'e'].map((id, i) =>
      shard.apply(update(id, a, { nowMs: i, ...tag(id, 1) })),
    );
    const live = [...shard.store.sessions()].filter(
      ([id, s]) => id !== machineSessionId && s.seq !== expiredSessionSeq,
    );
    expect(live.map(([id]) => id)).toEqual(['c', 'd', 'e']);
    for (const [i, id] of ['c', 'd', 'e'].entries()) {
      expect(shard.apply(update(id, b, { nowMs: 9, ...tag(id, 1) }))).toEqual(outcomes[i + 2]);
    }
  });

  it('breaks ties of last-seen time by id, evicting the smallest id first', () => {
    const shard = new Shard(options);
    for (const id of ['d', 'b', 'c']) shard.apply(update(id, a, { nowMs: 7, ...tag(id, 1) }));
    shard.apply(update('a', a, { nowMs: 8, ...tag('a', 1) }));
    expect(shard.store.getSession('b')?.seq).toBe(expiredSessionSeq);
    expect(shard.store.getSession('c')?.seq).toBe(1);
  });

  it('never evicts the session of the entry being applied, even on a tie', () => {
    const shard = new Shard({ ...options, sessionsMax: 1 });
    shard.apply(update('k', a, { nowMs: 7, ...tag('z', 1) }));
    shard.apply(update('k', a, { nowMs: 7, ...tag('a', 1) }));
    expect(shard.store.getSession('a')?.seq).toBe(1);
    expect(shard.store.getSession('z')?.seq).toBe(expiredSessionSeq);
  });

  it('a retry makes a session recently seen, so an older one is evicted instead', () => {
    const shard = new Shard({ ...options, sessionsMax: 2 });
    shard.apply(update('k', a, { nowMs: 1, ...tag('a', 1) }));
    shard.apply(update('k', a, { nowMs: 2, ...tag('b', 1) }));
    shard.apply(update('k', a, { nowMs: 3, ...tag('a', 1) }));
    shard.apply(update('k', a, { nowMs: 4, ...tag('c', 1) }));
    expect(shard.store.getSession('a')?.seq).toBe(1);
    expect(shard.store.getSession('b')?.seq).toBe(expiredSessionSeq);
  });

  it('keeps at most expiredSessionsMax tombstones, dropping the oldest', () => {
    const shard = new Shard({ ...options, sessionsMax: 1, expiredSessionsMax: 2 });
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
      shard.apply(update('k', a, { nowMs: i, ...tag(id, 1) }));
    }
    expect(shard.store.getSession('a')).toBeUndefined();
    expect(shard.store.getSession('b')?.seq).toBe(expiredSessionSeq);
    expect(shard.store.getSession('c')?.seq).toBe(expiredSessionSeq);
    expect(readMachineState(shard.store).expiredCount).toBe(2);
    expect(shard.store.sessionCount()).toBe(4);
  });

  it('a session whose tombstone was dropped is new again (the documented limit)', () => {
    const shard = new Shard({ ...options, sessionsMax: 1, expiredSessionsMax: 0 });
    shard.apply(update('k', a, { nowMs: 0, ...tag('a', 1) }));
    shard.apply(update('k', a, { nowMs: 1, ...tag('b', 1) }));
    expect(shard.store.getSession('a')).toBeUndefined();
    expect(shard.apply(update('k', b, { nowMs: 2, ...tag('a', 1) }))).toMatchObject({ ok: true });
  });
});

describe('machine clock', () => {
  it('is the largest nowMs applied: a command from a clock behind does not move it back', () => {
    const shard = new Shard(roomy);
    shard.apply(update('k', a, { nowMs: 5000 }));
    shard.apply(update('k', a, { nowMs: 1000 }));
    expect(readMachineState(shard.store).clockMs).toBe(5000);
  });

  it('stamps sessions with the machine clock, not a lagging proposer clock', () => {
    const shard = new Shard(roomy);
    shard.apply(update('k', a, { nowMs: 5000 }));
    shard.apply(update('k', a, { nowMs: 1000, ...tag('s', 1) }));
    expect(shard.store.getSession('s')?.lastSeenMs).toBe(5000);
  });

  it('is 0 in an empty store', () => {
    expect(readMachineState(new MemoryKvStore())).toEqual({ clockMs: 0, expiredCount: 0 });
  });
});

describe('state kept in the store', () => {
  const options = { sessionTtlMs: 1000, sessionsMax: 100, sessionSweepEveryEntries: 4 };

  /** A shard with an expired session 'old' and a live session 'live' at seq 1. */
  function aged(): Shard {
    const shard = new Shard(options);
    shard.apply(update('k', a, { nowMs: 0, ...tag('old', 1) }), 1);
    shard.apply(update('j', a, { nowMs: 2000, ...tag('live', 1) }), 4);
    return shard;
  }

  it('a restarted machine over the same store answers retries and refuses expired sessions', () => {
    const shard = aged();
    shard.restart();
    expect(shard.apply(update('j', b, { nowMs: 0, ...tag('live', 1) }))).toMatchObject({
      ok: true,
      version: 4,
    });
    expect(shard.apply(update('k', b, { nowMs: 0, ...tag('old', 2) }))).toMatchObject({
      code: 'TROUPE_ERR_SESSION_EXPIRED',
    });
    expect(readMachineState(shard.store).clockMs).toBe(2000);
  });

  it('a store restored from a snapshot keeps sessions, tombstones and the clock', () => {
    const shard = aged();
    const copy = new Shard(options);
    restoreKvSnapshot(encodeKvSnapshot(shard.store), copy.store);
    copy.index = shard.index;
    expect(copy.apply(update('j', b, tag('live', 1)))).toMatchObject({ ok: true, version: 4 });
    expect(copy.apply(update('k', b, tag('old', 2)))).toMatchObject({
      code: 'TROUPE_ERR_SESSION_EXPIRED',
    });
    expect(readMachineState(copy.store).clockMs).toBe(2000);
  });

  it('the machine object holds no state: two machines may alternate over one store', () => {
    const store = new MemoryKvStore();
    const one = new KvStateMachine(options);
    const two = new KvStateMachine(options);
    const first = one.apply(1, update('k', a, { nowMs: 0, ...tag('s', 1) }), store);
    expect(two.apply(2, update('k', b, { nowMs: 0, ...tag('s', 1) }), store)).toEqual(first);
    expect(two.apply(3, update('k', b, { nowMs: 0, ...tag('s', 2) }), store)).toMatchObject({
      ok: true,
      version: 3,
    });
  });
});

// RawNode and the Ready contract: what each Ready carries and when, mustSync, one Ready at a
// time, which messages may leave before persistence, crash recovery from storage, option
// validation, and determinism of the whole output.
import { AssertionError } from '@troupe/runtime/assert';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/raft/memory-storage.js';
import { canSendBeforePersist, type Message, messageTypes } from '../../src/raft/messages.js';
import { RawNode } from '../../src/raft/raw-node.js';
import { app, bytes, confState, entry, ofType, vote } from './helpers/builders.js';
import { ackApps, electLeader, newNode } from './helpers/harness.js';
import { Network } from './helpers/network.js';
import { fixedRng, SeededRng } from './helpers/rng.js';

const three = ['1', '2', '3'];

describe('Ready', () => {
  it('carries hardState only when term, vote or commit changed', () => {
    const n = newNode('1', { voters: three });
    expect(n.node.hasReady()).toBe(false);
    n.node.campaign();
    const rd = n.node.ready();
    expect(rd.hardState).toEqual({ term: 1, vote: '1', commit: 0 });
    expect(rd.softState).toEqual({ leaderId: null, role: 'candidate' });
    expect(rd.mustSync).toBe(true);
    n.node.advance(rd);
    n.node.tick();
    expect(n.node.hasReady()).toBe(false);
  });

  it('mustSync is false when only the commit index moved', () => {
    const n = newNode('1', { voters: three, terms: [1, 1], hardState: { term: 1 } });
    n.step(app({ from: '2', to: '1', term: 1, prevLogIndex: 2, prevLogTerm: 1, commit: 2 }));
    const rd = n.node.ready();
    expect(rd.hardState).toEqual({ term: 1, vote: null, commit: 2 });
    expect(rd.entries).toEqual([]);
    expect(rd.mustSync).toBe(false);
    expect(rd.committedEntries.map((e) => e.index)).toEqual([1, 2]);
  });

  it('hands out new entries to persist together with the answer that depends on them', () => {
    const n = newNode('1', { voters: three, hardState: { term: 1 } });
    n.step(app({ from: '2', to: '1', term: 1, entries: [entry(1, 1, 'a')], commit: 0 }));
    const rd = n.node.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([1]);
    expect(rd.mustSync).toBe(true);
    expect(ofType(rd.messages, 'appResp')).toMatchObject([{ index: 1, reject: false }]);
    expect(rd.messages.some(canSendBeforePersist)).toBe(false);
  });

  it("only a leader's app, heartbeat, snap and timeoutNow may leave before persistence", () => {
    const early = messageTypes.filter((type) => canSendBeforePersist({ type } as Message));
    expect(early).toEqual(['app', 'heartbeat', 'snap', 'timeoutNow']);
  });

  it('one Ready at a time: ready() again before advance() is a programmer error', () => {
    const n = newNode('1', { voters: three });
    n.node.campaign();
    const rd = n.node.ready();
    expect(n.node.hasReady()).toBe(false);
    expect(() => n.node.ready()).toThrow(AssertionError);
    expect(() => n.node.advance({ ...rd })).toThrow(AssertionError);
    n.node.advance(rd);
  });

  it('what happens between ready() and advance() goes into the next Ready', () => {
    const n = newNode('1', { voters: three });
    n.node.campaign();
    const rd = n.node.ready();
    n.step({ type: 'voteResp', from: '2', to: '1', term: 1, reject: false });
    n.node.advance(rd);
    const next = n.node.ready();
    expect(next.softState?.role).toBe('leader');
    expect(next.entries.map((e) => e.index)).toEqual([1]);
    expect(ofType(next.messages, 'app').length).toBe(2);
  });

  it('bounds the committed entries handed out per Ready', () => {
    const n = newNode('1', {
      voters: three,
      terms: [1, 1, 1, 1],
      hardState: { term: 1, commit: 4 },
      options: { committedEntriesBytesMax: 1 },
    });
    const batches: number[][] = [];
    while (n.node.hasReady()) {
      const rd = n.node.ready();
      batches.push(rd.committedEntries.map((e) => e.index));
      n.node.advance(rd);
    }
    expect(batches).toEqual([[1], [2], [3], [4]]);
  });

  it('status() reports progress only for a leader', () => {
    const n = newNode('1', { voters: three });
    expect(n.node.status().progress).toBeNull();
    ackApps(n, electLeader(n));
    expect(Object.keys(n.node.status().progress ?? {})).toEqual(three);
  });
});

describe('crash recovery', () => {
  it('keeps term, vote and persisted entries; loses what was never persisted', () => {
    const n = newNode('1', { voters: three, hardState: { term: 1 } });
    n.step(vote({ from: '2', to: '1', term: 2 }));
    n.drain();
    n.step(app({ from: '2', to: '1', term: 2, entries: [entry(2, 1, 'kept')] }));
    n.drain();
    // Stepped but never handed to the host: lost in the crash.
    n.step(
      app({ from: '2', to: '1', term: 2, prevLogIndex: 1, prevLogTerm: 2, entries: [entry(2, 2)] }),
    );
    n.restart();
    expect(n.node.status()).toMatchObject({ term: 2, vote: '2', lastIndex: 1 });
    // It still refuses to vote for anyone else in term 2.
    n.step(vote({ from: '3', to: '1', term: 2, lastLogIndex: 5, lastLogTerm: 2 }));
    expect(ofType(n.drain(), 'voteResp')[0]?.reject).toBe(true);
  });

  it('re-applies committed entries after the snapshot on restart', () => {
    const net = Network.bootstrap(three);
    net.campaign('1');
    net.propose('1', 'a');
    net.node('2').snapshotAndCompact();
    net.propose('1', 'b');
    const node = net.node('2');
    node.restart();
    expect(node.applied).toEqual(['a']);
    node.drain();
    expect(node.applied).toEqual(['a', 'b']);
  });

  it('appliedIndex in the options skips entries the host already applied', () => {
    const storage = new MemoryStorage(confState(three));
    storage.append([entry(1, 1), entry(1, 2), entry(1, 3)]);
    storage.setHardState({ term: 1, vote: null, commit: 3 });
    const node = new RawNode({
      id: '1',
      storage,
      rng: fixedRng(),
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 1,
      appliedIndex: 2,
    });
    expect(node.ready().committedEntries.map((e) => e.index)).toEqual([3]);
  });
});

describe('options', () => {
  const base = {
    id: '1',
    storage: new MemoryStorage(confState(three)),
    rng: fixedRng(),
    electionTimeoutTicks: 10,
    heartbeatIntervalTicks: 1,
  };

  it('rejects invalid options as programmer errors', () => {
    const bad = [
      { id: 'has space' },
      { id: '' },
      { heartbeatIntervalTicks: 10 },
      { electionTimeoutTicks: 0 },
      { electionTimeoutTicks: 1.5 },
      { appendBytesMax: 8 * 1024 * 1024 },
      { inflightMessagesMax: 0 },
      { snapshotChunkBytes: 2 * 1024 * 1024 },
      { readOnlyOption: 'leaseBased' as const, checkQuorum: false },
    ];
    for (const override of bad) {
      expect(() => new RawNode({ ...base, ...override }), JSON.stringify(override)).toThrow(
        AssertionError,
      );
    }
  });

  it('an Rng that breaks its contract is caught', () => {
    expect(() => new RawNode({ ...base, rng: { nextInt: () => 99 } })).toThrow(/rng gave 99/);
  });
});

describe('determinism', () => {
  function trace(seed: number): string {
    const net = Network.bootstrap(['a', 'b', 'c', 'd', 'e'], {
      rng: new SeededRng(seed),
      preVote: true,
      checkQuorum: true,
    });
    net.tick(30);
    const leader = net.leaders()[0];
    if (leader !== undefined) net.node(leader).node.propose(bytes('x'));
    net.tick(5);
    return JSON.stringify(net.delivered.map((m) => [m.type, m.from, m.to, m.term]));
  }

  it('the same seed gives the same message trace', () => {
    expect(trace(42)).toBe(trace(42));
    expect(trace(42)).not.toBe(trace(43));
  });
});

describe('the leader counts its own entries only once persisted', () => {
  it('a single voter commits a proposal in the Ready after the one that persists it', () => {
    const n = newNode('1', { voters: ['1'] });
    electLeader(n);
    n.drain();
    n.node.propose(bytes('x'));
    const first = n.node.ready();
    expect(first.entries.map((e) => e.index)).toEqual([2]);
    expect(first.committedEntries).toEqual([]);
    expect(first.hardState).toBeUndefined();
    n.storage.append(first.entries);
    n.node.advance(first);
    const second = n.node.ready();
    expect(second.hardState?.commit).toBe(2);
    expect(second.committedEntries.map((e) => e.index)).toEqual([2]);
    n.node.advance(second);
  });

  it('a crash after sending the early messages but before persisting loses no committed entry', () => {
    const n = newNode('1', { voters: three });
    ackApps(n, electLeader(n));
    n.drain();
    n.node.propose(bytes('x'));
    const escaped = n.crashMidReady();
    expect(escaped.map((m) => m.type)).toEqual(['app', 'app']);
    expect(n.node.status()).toMatchObject({ lastIndex: 1, commit: 1 });
  });
});

// ReadIndex (§8, dissertation §6.4), driven message by message: the leader answers a read only
// after a heartbeat round confirms it still leads, defers reads until it has committed in its
// term, forwards for followers, and bounds what it holds.
import { AssertionError } from '@troupe/runtime/assert';
import { describe, expect, it } from 'vitest';
import { ReadIndexDroppedError } from '../../src/raft/errors.js';
import { recordMarks } from '../../src/raft/marks.js';
import { appResp, bytes, heartbeatResp, ofType, text } from './helpers/builders.js';
import { ackApps, electLeader, newNode } from './helpers/harness.js';
import { Network } from './helpers/network.js';
import type { TestNodeOptions } from './helpers/test-node.js';

const three = ['1', '2', '3'];
const five = ['1', '2', '3', '4', '5'];

/** A leader of term 1 that has committed its empty entry (index 1). */
function committedLeader(voters = three, options: TestNodeOptions = {}) {
  const n = newNode('1', { voters, options });
  ackApps(n, electLeader(n));
  n.drain();
  expect(n.node.status().commit).toBe(1);
  return n;
}

describe('ReadIndex at the leader', () => {
  it('needs a heartbeat round acknowledged by a majority before it answers', () => {
    const n = committedLeader(five);
    n.node.readIndex(bytes('r1'));
    const beats = ofType(n.drain(), 'heartbeat');
    expect(beats.map((m) => [m.to, text(m.ctx!)])).toEqual([
      ['2', 'r1'],
      ['3', 'r1'],
      ['4', 'r1'],
      ['5', 'r1'],
    ]);
    n.step(heartbeatResp({ from: '2', to: '1', term: 1, ctx: bytes('r1') }));
    n.drain();
    expect(n.readStates).toEqual([]);
    // An acknowledgement without the ctx (a plain heartbeat) confirms nothing.
    n.step(heartbeatResp({ from: '3', to: '1', term: 1 }));
    n.drain();
    expect(n.readStates).toEqual([]);
    n.step(heartbeatResp({ from: '3', to: '1', term: 1, ctx: bytes('r1') }));
    n.drain();
    expect(n.readStates).toEqual([{ index: 1, ctx: bytes('r1') }]);
  });

  it('answers with the commit index at the time of the request, not of the confirmation', () => {
    const n = committedLeader();
    n.node.readIndex(bytes('r1'));
    n.drain();
    n.node.propose(bytes('w'));
    ackApps(n, n.drain(), '2');
    expect(n.node.status().commit).toBe(2);
    n.step(heartbeatResp({ from: '2', to: '1', term: 1, ctx: bytes('r1') }));
    n.drain();
    expect(n.readStates).toEqual([{ index: 1, ctx: bytes('r1') }]);
  });

  it('confirming a newer ctx confirms every older pending read too', () => {
    const n = committedLeader();
    n.node.readIndex(bytes('r1'));
    n.node.readIndex(bytes('r2'));
    n.drain();
    n.step(heartbeatResp({ from: '3', to: '1', term: 1, ctx: bytes('r2') }));
    n.drain();
    expect(n.readStates.map((rs) => text(rs.ctx))).toEqual(['r1', 'r2']);
  });

  it('periodic heartbeats carry the newest pending ctx', () => {
    const n = committedLeader();
    n.node.readIndex(bytes('r1'));
    n.drain();
    n.node.tick();
    const beats = ofType(n.drain(), 'heartbeat');
    expect(beats.map((m) => text(m.ctx!))).toEqual(['r1', 'r1']);
  });

  it('defers reads until the new leader has committed an entry of its term', () => {
    const n = newNode('1', { voters: three, terms: [1, 1], hardState: { term: 1, commit: 2 } });
    electLeader(n);
    n.drain();
    const marks = recordMarks(() => n.node.readIndex(bytes('early')));
    expect(marks).toContain('read: deferred until the leader commits in its term');
    expect(ofType(n.drain(), 'heartbeat')).toEqual([]);
    n.step(appResp({ from: '2', to: '1', term: 2, index: 3 }));
    const beats = ofType(n.drain(), 'heartbeat');
    expect(beats.map((m) => text(m.ctx!))).toEqual(['early', 'early']);
    n.step(heartbeatResp({ from: '2', to: '1', term: 2, ctx: bytes('early') }));
    n.drain();
    expect(n.readStates).toEqual([{ index: 3, ctx: bytes('early') }]);
  });

  it('a single voter answers without a round, once it has committed in its term', () => {
    // Index 2 was committed by the previous leader; this node, now the only voter, learns
    // that only when its own empty entry (index 3) commits, after it is persisted.
    const n = newNode('1', { voters: ['1'], terms: [1, 1], hardState: { term: 1, commit: 1 } });
    n.node.campaign();
    n.node.readIndex(bytes('solo'));
    const first = n.node.ready();
    expect(first.readStates).toEqual([]);
    n.storage.append(first.entries);
    if (first.hardState !== undefined) n.storage.setHardState(first.hardState);
    n.node.advance(first);
    n.drain();
    expect(n.readStates).toEqual([{ index: 3, ctx: bytes('solo') }]);
    n.node.readIndex(bytes('again'));
    n.drain();
    expect(n.readStates.map((rs) => rs.index)).toEqual([3, 3]);
    expect(ofType(n.drain(), 'heartbeat')).toEqual([]);
  });

  it('bounds pending reads with a typed error', () => {
    const n = committedLeader(three, { readRequestsPendingMax: 2 });
    n.node.readIndex(bytes('a'));
    n.node.readIndex(bytes('b'));
    expect(() => n.node.readIndex(bytes('c'))).toThrow(
      expect.objectContaining({
        code: 'TROUPE_ERR_READ_INDEX_DROPPED',
        reason: 'readRequestsPendingMax',
      }),
    );
  });

  it('refuses an oversized ctx', () => {
    const n = committedLeader();
    expect(() => n.node.readIndex(new Uint8Array(257))).toThrow(ReadIndexDroppedError);
  });

  it('the readIndexWithoutHeartbeat testing fault answers without the round', () => {
    const n = committedLeader(three, { testingFaults: { readIndexWithoutHeartbeat: true } });
    n.node.readIndex(bytes('unsafe'));
    const msgs = n.drain();
    expect(ofType(msgs, 'heartbeat')).toEqual([]);
    expect(n.readStates).toEqual([{ index: 1, ctx: bytes('unsafe') }]);
  });

  it('leaseBased reads answer at once while a majority recently acknowledged a heartbeat', () => {
    const n = committedLeader(three, { checkQuorum: true, readOnlyOption: 'leaseBased' });
    // A fresh leader holds no lease yet: the read takes the heartbeat round.
    n.node.readIndex(bytes('first'));
    expect(ofType(n.drain(), 'heartbeat').length).toBe(2);
    n.node.tick();
    for (const beat of ofType(n.drain(), 'heartbeat').filter((m) => m.to === '2')) {
      n.step(
        heartbeatResp({ from: '2', to: '1', term: 1, ctx: beat.ctx, leaseTick: beat.leaseTick }),
      );
    }
    n.drain();
    expect(n.readStates.map((rs) => text(rs.ctx))).toEqual(['first']);
    n.node.readIndex(bytes('lease'));
    expect(ofType(n.drain(), 'heartbeat')).toEqual([]);
    expect(n.readStates.map((rs) => text(rs.ctx))).toEqual(['first', 'lease']);
    // The acknowledged heartbeat left at tick 1. Followers ignore votes until 10 ticks after
    // hearing it; the leader stops trusting the lease at tick 10, keeping a tick of margin.
    for (let i = 0; i < 9; i++) n.node.tick();
    n.drain();
    const marks = recordMarks(() => n.node.readIndex(bytes('late')));
    expect(marks).toContain('read: lease expired, confirming with heartbeats');
    expect(ofType(n.drain(), 'heartbeat').length).toBe(2);
  });

  it('leaseBased reads require checkQuorum', () => {
    expect(() =>
      newNode('1', { voters: three, options: { readOnlyOption: 'leaseBased' } }),
    ).toThrow(AssertionError);
  });

  it('after sending TimeoutNow, a lease-based leader confirms reads with a heartbeat round', () => {
    const n = committedLeader(three, { checkQuorum: true, readOnlyOption: 'leaseBased' });
    n.node.transferLeader('2');
    expect(ofType(n.drain(), 'timeoutNow').length).toBe(1);
    // The transfer times out, but the TimeoutNow may still arrive and win an election that
    // ignores the voters' leases.
    for (let i = 0; i < 10; i++) n.node.tick();
    n.drain();
    expect(n.node.status()).toMatchObject({ role: 'leader', leadTransferee: null });
    n.node.readIndex(bytes('after-transfer'));
    expect(ofType(n.drain(), 'heartbeat').map((m) => text(m.ctx!))).toEqual([
      'after-transfer',
      'after-transfer',
    ]);
    expect(n.readStates).toEqual([]);
    n.step(heartbeatResp({ from: '3', to: '1', term: 1, ctx: bytes('after-transfer') }));
    n.drain();
    expect(n.readStates.map((rs) => text(rs.ctx))).toEqual(['after-transfer']);
  });
});

describe('ReadIndex through a follower', () => {
  it('a follower forwards the read and serves the leader-confirmed index', () => {
    const net = Network.bootstrap(['1', '2', '3']);
    net.campaign('1');
    net.propose('1', 'w1');
    net.node('2').node.readIndex(bytes('via-2'));
    net.stabilize();
    const forwarded = net.delivered.filter((m) => m.type === 'readIndex');
    expect(forwarded.map((m) => [m.from, m.to])).toEqual([['2', '1']]);
    expect(net.node('2').readStates).toEqual([{ index: 3, ctx: bytes('via-2') }]);
    expect(net.node('1').readStates).toEqual([]);
  });

  it('a node that knows no leader refuses the read', () => {
    const n = newNode('1', { voters: three });
    expect(() => n.node.readIndex(bytes('x'))).toThrow(
      expect.objectContaining({ reason: 'noLeader' }),
    );
    n.node.campaign();
    expect(() => n.node.readIndex(bytes('x'))).toThrow(ReadIndexDroppedError);
  });

  it('a deposed leader cut off from the majority never confirms a read', () => {
    const net = Network.bootstrap(['1', '2', '3']);
    net.campaign('1');
    net.isolate('1');
    net.campaign('2');
    net.propose('2', 'newer write');
    net.node('1').node.readIndex(bytes('stale?'));
    net.tick(5, ['1']);
    expect(net.node('1').node.status().role).toBe('leader');
    expect(net.node('1').readStates).toEqual([]);
  });
});

// Leadership transfer (dissertation §3.10): the leader catches the target up, sends TimeoutNow,
// refuses proposals meanwhile, and gives up after an election timeout.
import { describe, expect, it } from 'vitest';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import { recordMarks } from '../../src/raft/marks.js';
import { bytes, ofType } from './helpers/builders.js';
import { ackApps, electLeader, newNode } from './helpers/harness.js';
import { Network } from './helpers/network.js';

const three = ['1', '2', '3'];

describe('leadership transfer', () => {
  it('"the prior leader sends a TimeoutNow request to the target server", which wins at once', () => {
    for (const [preVote, checkQuorum] of [
      [false, false],
      [true, true],
    ] as const) {
      const net = Network.bootstrap(three, { preVote, checkQuorum });
      net.campaign('1');
      net.propose('1', 'before');
      net.node('1').node.transferLeader('2');
      net.stabilize();
      expect(net.delivered.filter((m) => m.type === 'timeoutNow').map((m) => m.to)).toEqual(['2']);
      expect(net.leaders()).toEqual(['2']);
      expect(net.node('1').node.status()).toMatchObject({ role: 'follower', leaderId: '2' });
      net.propose('2', 'after');
      expect(net.node('1').applied).toEqual(['before', 'after']);
    }
  });

  it('catches a lagging target up before sending TimeoutNow', () => {
    const n = newNode('1', { voters: three });
    const first = electLeader(n);
    ackApps(n, first, '3');
    n.drain();
    n.node.transferLeader('2');
    expect(ofType(n.drain(), 'timeoutNow')).toEqual([]);
    // Node 2 now acknowledges the leader's whole log.
    ackApps(n, first, '2');
    expect(ofType(n.drain(), 'timeoutNow').map((m) => m.to)).toEqual(['2']);
  });

  it('"the prior leader stops accepting new client requests" during the transfer', () => {
    const n = newNode('1', { voters: three });
    ackApps(n, electLeader(n), '3');
    n.drain();
    n.node.transferLeader('2');
    expect(() => n.node.propose(bytes('x'))).toThrow(
      expect.objectContaining({ reason: 'leaderTransferring' }),
    );
  });

  it('"If the transfer does not complete within an election timeout, the prior leader aborts the transfer and resumes accepting client requests."', () => {
    const n = newNode('1', { voters: three });
    ackApps(n, electLeader(n), '3');
    n.drain();
    n.node.transferLeader('2');
    for (let i = 0; i < 9; i++) n.node.tick();
    expect(n.node.status().leadTransferee).toBe('2');
    expect(() => n.node.propose(bytes('x'))).toThrow(ProposalDroppedError);
    const marks = recordMarks(() => n.node.tick());
    expect(marks).toContain('transfer: aborted after an election timeout');
    expect(n.node.status()).toMatchObject({ role: 'leader', leadTransferee: null });
    expect(() => n.node.propose(bytes('x'))).not.toThrow();
  });

  it('ignores a transfer to a learner, a non-member, or itself', () => {
    const n = newNode('1', { voters: three, learners: ['4'] });
    ackApps(n, electLeader(n));
    n.drain();
    for (const target of ['4', '9', '1']) {
      n.node.transferLeader(target);
      expect(n.node.status().leadTransferee).toBeNull();
    }
    expect(ofType(n.drain(), 'timeoutNow')).toEqual([]);
  });

  it('a follower forwards the request to its leader', () => {
    const net = Network.bootstrap(three);
    net.campaign('1');
    net.node('3').node.transferLeader('3');
    net.stabilize();
    expect(net.delivered.filter((m) => m.type === 'transferLeader').map((m) => m.to)).toEqual([
      '1',
    ]);
    expect(net.leaders()).toEqual(['3']);
  });

  it("the transfer campaign overrides the voters' leader lease (CheckQuorum on)", () => {
    const net = Network.bootstrap(three, { checkQuorum: true, preVote: true });
    net.campaign('1');
    const before = net.delivered.length;
    net.node('1').node.transferLeader('3');
    net.stabilize();
    const votes = net.delivered.slice(before).filter((m) => m.type === 'vote');
    expect(votes.map((m) => m.type === 'vote' && m.transfer)).toEqual([true, true]);
    expect(net.leaders()).toEqual(['3']);
  });
});

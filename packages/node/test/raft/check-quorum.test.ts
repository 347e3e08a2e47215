// CheckQuorum, the leader lease and PreVote (dissertation §6.2, §4.2.3, §9.6): a leader cut off
// from its majority steps down; a node that was partitioned away cannot disturb a stable
// leader when it comes back.
import { describe, expect, it } from 'vitest';
import { recordMarks } from '../../src/raft/marks.js';
import { heartbeat, heartbeatResp, ofType, preVote, vote } from './helpers/builders.js';
import { ackApps, electLeader, newNode } from './helpers/harness.js';
import { Network } from './helpers/network.js';

const three = ['1', '2', '3'];
const quorumOptions = { checkQuorum: true, preVote: true } as const;

describe('CheckQuorum', () => {
  it('check quorum: stepping down — a leader that hears from no majority within an election timeout steps down', () => {
    const n = newNode('1', { voters: three, options: { checkQuorum: true } });
    electLeader(n);
    n.drain();
    for (let i = 0; i < 9; i++) n.node.tick();
    expect(n.node.status().role).toBe('leader');
    const marks = recordMarks(() => n.node.tick());
    expect(marks).toContain('check quorum: stepping down');
    expect(n.node.status()).toMatchObject({ role: 'follower', leaderId: null, term: 1 });
  });

  it('a leader that hears from one follower per timeout keeps leading', () => {
    const n = newNode('1', { voters: three, options: { checkQuorum: true } });
    electLeader(n);
    for (let i = 0; i < 100; i++) {
      n.node.tick();
      n.step(heartbeatResp({ from: '2', to: '1', term: 1 }));
    }
    expect(n.node.status().role).toBe('leader');
  });

  it('in a partitioned group, the minority leader steps down and the majority elects another', () => {
    const net = Network.bootstrap(['1', '2', '3', '4', '5'], quorumOptions);
    net.campaign('1');
    net.drop((m) => ['1', '2'].includes(m.from) !== ['1', '2'].includes(m.to));
    net.tick(40);
    // PreVote keeps the old leader's term where it was while it cannot win.
    expect(net.node('1').node.status()).toMatchObject({ term: 2 });
    expect(net.node('1').node.status().role).not.toBe('leader');
    expect(net.leaders().length).toBe(1);
    expect(['3', '4', '5']).toContain(net.leaders()[0]);
  });
});

describe('leader lease (stickiness)', () => {
  it('a follower that heard from its leader within the election timeout ignores a higher-term vote', () => {
    const n = newNode('1', { voters: three, options: { checkQuorum: true } });
    n.step(heartbeat({ from: '2', to: '1', term: 1 }));
    n.drain();
    const marks = recordMarks(() =>
      n.step(vote({ from: '3', to: '1', term: 5, lastLogIndex: 9, lastLogTerm: 1 })),
    );
    expect(marks).toContain('vote: ignored inside leader lease');
    expect(n.drain()).toEqual([]);
    expect(n.node.status()).toMatchObject({ term: 1, leaderId: '2' });
    // Once the lease has run out, the request is considered.
    for (let i = 0; i < 10; i++) n.node.tick();
    n.drain();
    n.step(vote({ from: '3', to: '1', term: 5, lastLogIndex: 9, lastLogTerm: 1 }));
    const answers = ofType(n.drain(), 'voteResp');
    expect(answers.map((m) => [m.to, m.term, m.reject])).toEqual([['3', 5, false]]);
  });
});

describe('PreVote', () => {
  it('a pre-candidate asks for pre-votes at term + 1 without changing its own term', () => {
    const n = newNode('1', {
      voters: three,
      terms: [1],
      hardState: { term: 1 },
      options: quorumOptions,
    });
    n.node.campaign();
    const asks = ofType(n.drain(), 'preVote');
    expect(asks.map((m) => [m.to, m.term])).toEqual([
      ['2', 2],
      ['3', 2],
    ]);
    expect(n.node.status()).toMatchObject({ role: 'preCandidate', term: 1, vote: null });
    n.step({ type: 'preVoteResp', from: '2', to: '1', term: 2, reject: false });
    expect(n.node.status()).toMatchObject({ role: 'candidate', term: 2, vote: '1' });
  });

  it('a pre-vote is granted without the voter changing term or recording a vote', () => {
    const n = newNode('1', {
      voters: three,
      terms: [1],
      hardState: { term: 1 },
      options: quorumOptions,
    });
    n.step(preVote({ from: '2', to: '1', term: 2, lastLogIndex: 1, lastLogTerm: 1 }));
    const [answer] = ofType(n.drain(), 'preVoteResp');
    expect(answer).toMatchObject({ term: 2, reject: false });
    expect(n.node.status()).toMatchObject({ term: 1, vote: null });
  });

  it('a pre-vote is refused to a candidate whose log is behind', () => {
    const n = newNode('1', {
      voters: three,
      terms: [1, 1],
      hardState: { term: 1 },
      options: quorumOptions,
    });
    n.step(preVote({ from: '2', to: '1', term: 2, lastLogIndex: 1, lastLogTerm: 1 }));
    const [answer] = ofType(n.drain(), 'preVoteResp');
    expect(answer).toMatchObject({ term: 1, reject: true });
  });

  it('a pre-candidate that a majority refuses returns to follower in its own term', () => {
    const n = newNode('1', { voters: three, hardState: { term: 1 }, options: quorumOptions });
    n.node.campaign();
    n.drain();
    n.step({ type: 'preVoteResp', from: '2', to: '1', term: 1, reject: true });
    n.step({ type: 'preVoteResp', from: '3', to: '1', term: 1, reject: true });
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 1 });
  });

  it('a node rejoining after a partition does not disturb a stable leader', () => {
    const net = Network.bootstrap(three, quorumOptions);
    net.campaign('1');
    net.isolate('3');
    net.tick(50);
    // Its pre-campaigns failed, so its term never moved.
    expect(net.node('3').node.status()).toMatchObject({ term: 2, role: 'preCandidate' });
    net.heal();
    net.tick(30);
    expect(net.leaders()).toEqual(['1']);
    expect(net.node('1').node.status().term).toBe(2);
    expect(net.node('3').node.status()).toMatchObject({ term: 2, role: 'follower', leaderId: '1' });
  });

  it('without PreVote, the same rejoining node deposes the leader (why PreVote exists)', () => {
    const net = Network.bootstrap(three, { checkQuorum: false, preVote: false });
    net.campaign('1');
    net.isolate('3');
    net.tick(50);
    expect(net.node('3').node.status().term).toBeGreaterThan(2);
    net.heal();
    net.tick(30);
    expect(net.node('1').node.status().term).toBeGreaterThan(2);
  });
});

describe('stale leaders learn the new term', () => {
  it('a heartbeat of an older term is answered with the current term, deposing its sender', () => {
    const follower = newNode('2', {
      voters: three,
      hardState: { term: 3 },
      options: quorumOptions,
    });
    follower.step(heartbeat({ from: '1', to: '2', term: 2 }));
    const [answer] = ofType(follower.drain(), 'appResp');
    expect(answer).toMatchObject({ term: 3, to: '1' });
    const leader = newNode('1', { voters: three, hardState: { term: 1 }, options: quorumOptions });
    ackApps(leader, electLeader(leader));
    leader.drain();
    leader.step(answer!);
    expect(leader.node.status()).toMatchObject({ role: 'follower', term: 3 });
  });
});

describe('forced campaign', () => {
  it("campaign({ force: true }) skips PreVote and the voters' lease, for a leader known dead", () => {
    const net = Network.bootstrap(three, quorumOptions);
    net.campaign('1');
    // The host saw node 1's connection close: it asks node 2 to take over at once.
    net.isolate('1');
    net.node('2').node.campaign({ force: true });
    net.stabilize();
    expect(net.leaders()).toContain('2');
    expect(net.node('2').node.status().term).toBe(3);
    const asks = net.delivered.filter((m) => m.type === 'preVote' && m.from === '2');
    expect(asks).toEqual([]);
  });

  it('an ordinary campaign inside the lease gets nowhere', () => {
    const net = Network.bootstrap(three, quorumOptions);
    net.campaign('1');
    net.isolate('1');
    net.campaign('2');
    expect(net.node('2').node.status().role).not.toBe('leader');
    expect(net.node('3').node.status()).toMatchObject({ term: 2, leaderId: '1' });
  });
});

describe('leases across restarts', () => {
  it('with lease reads, a (re)started node ignores vote requests for its first election timeout', () => {
    const options = { checkQuorum: true, readOnlyOption: 'leaseBased' as const };
    const n = newNode('1', { voters: three, options });
    n.step(vote({ from: '3', to: '1', term: 5 }));
    expect(n.drain()).toEqual([]);
    for (let i = 0; i < 10; i++) n.node.tick();
    n.drain();
    n.step(vote({ from: '3', to: '1', term: 5 }));
    expect(ofType(n.drain(), 'voteResp').map((m) => m.reject)).toEqual([false]);
    // With safe reads there is no lease to keep, so a fresh node votes at once.
    const safe = newNode('1', { voters: three, options: { checkQuorum: true } });
    safe.step(vote({ from: '3', to: '1', term: 5 }));
    expect(ofType(safe.drain(), 'voteResp').map((m) => m.reject)).toEqual([false]);
  });
});

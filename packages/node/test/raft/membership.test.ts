// Membership changes on a running group: learners that catch up and are promoted, removal,
// demotion, and the rules that keep changes one at a time.
import { describe, expect, it } from 'vitest';
import { recordMarks } from '../../src/raft/marks.js';
import { confState } from './helpers/builders.js';
import { ackApps, electLeader, newNode } from './helpers/harness.js';
import { Network } from './helpers/network.js';

const three = ['1', '2', '3'];

describe('learners', () => {
  it('a learner catches up, is promoted with addVoter, and then counts towards commits', () => {
    const net = Network.bootstrap(['1', '2']);
    net.campaign('1');
    net.propose('1', 'a');
    net.addEmpty('3');
    net.node('1').node.proposeConfChange({ type: 'addLearner', nodeId: '3' });
    net.stabilize();
    expect(net.node('3').applied).toEqual(['a']);
    expect(net.node('1').node.status().progress?.['3']?.isLearner).toBe(true);
    net.node('1').node.proposeConfChange({ type: 'addVoter', nodeId: '3' });
    net.stabilize();
    for (const id of net.ids()) {
      expect(net.node(id).node.status().confState).toEqual(confState(['1', '2', '3']));
    }
    // With 2 away, the promoted node's acknowledgement now makes the majority.
    net.isolate('2');
    net.propose('1', 'b');
    expect(net.node('3').applied).toEqual(['a', 'b']);
  });

  it('a learner never campaigns', () => {
    const n = newNode('4', { voters: three, learners: ['4'] });
    for (let i = 0; i < 100; i++) n.node.tick();
    expect(n.node.status().role).toBe('follower');
    expect(n.drain()).toEqual([]);
  });

  it('a candidate asks only voters for votes', () => {
    const n = newNode('1', { voters: three, learners: ['4'] });
    n.node.campaign();
    expect(n.drain().map((m) => m.to)).toEqual(['2', '3']);
  });
});

describe('voter changes', () => {
  it('removing a silent voter lets the remaining two commit', () => {
    const net = Network.bootstrap(three);
    net.campaign('1');
    net.isolate('3');
    net.node('1').node.proposeConfChange({ type: 'removeNode', nodeId: '3' });
    net.stabilize();
    expect(net.node('1').node.status().confState.voters).toEqual(['1', '2']);
    net.isolate('2');
    // 1 and 2 remain; with 2 away too, nothing commits.
    net.node('1').node.propose(new TextEncoder().encode('x'));
    net.stabilize();
    const status = net.node('1').node.status();
    expect(status.commit).toBeLessThan(status.lastIndex);
    net.heal();
    net.isolate('3');
    net.tick(1);
    expect(net.node('2').applied).toEqual(['x']);
  });

  it('addLearner on a voter demotes it', () => {
    const net = Network.bootstrap(three);
    net.campaign('1');
    net.node('1').node.proposeConfChange({ type: 'addLearner', nodeId: '3' });
    net.stabilize();
    expect(net.node('2').node.status().confState).toEqual(confState(['1', '2'], ['3']));
  });

  it('a new leader accepts a conf change only once its own empty entry is applied', () => {
    const n = newNode('1', { voters: three });
    const first = electLeader(n);
    expect(() => n.node.proposeConfChange({ type: 'addLearner', nodeId: '4' })).toThrow(
      expect.objectContaining({ reason: 'confChangePending' }),
    );
    ackApps(n, first);
    n.drain();
    expect(() => n.node.proposeConfChange({ type: 'addLearner', nodeId: '4' })).not.toThrow();
  });

  it('refuses a change that would leave no voter, or an invalid id', () => {
    const n = newNode('1', { voters: ['1'] });
    electLeader(n);
    n.drain();
    expect(() => n.node.proposeConfChange({ type: 'removeNode', nodeId: '1' })).toThrow(
      expect.objectContaining({ reason: 'confChangeInvalid' }),
    );
    expect(() => n.node.proposeConfChange({ type: 'addVoter', nodeId: 'bad id' })).toThrow(
      expect.objectContaining({ reason: 'confChangeInvalid' }),
    );
  });

  it('a node with a committed, unapplied conf change does not campaign', () => {
    const n = newNode('2', { voters: three });
    n.step({
      type: 'app',
      from: '1',
      to: '2',
      term: 1,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [
        { type: 'confChange', term: 1, index: 1, change: { type: 'removeNode', nodeId: '3' } },
      ],
      commit: 1,
    });
    // The host has not handled the Ready, so the change is committed but not applied.
    const marks = recordMarks(() => n.node.campaign());
    expect(marks).toContain('campaign: waiting for committed conf changes to apply');
    expect(n.node.status().role).toBe('follower');
  });

  it('an invalid change reaching apply is ignored the same way everywhere', () => {
    const n = newNode('1', { voters: ['1'] });
    const marks = recordMarks(() => {
      const cs = n.node.applyConfChange({ type: 'removeNode', nodeId: '1' });
      expect(cs).toEqual(confState(['1']));
    });
    expect(marks).toContain('conf change: invalid at apply, ignored');
  });
});

describe('removing the leader', () => {
  it('the removed leader hands over to a caught-up voter at once, then steps down', () => {
    const net = Network.bootstrap(['1', '2']);
    net.campaign('1');
    net.propose('1', 'a');
    const marks = recordMarks(() => {
      net.node('1').node.proposeConfChange({ type: 'removeNode', nodeId: '1' });
      net.stabilize();
    });
    expect(marks).toContain('conf change: removed leader handing over');
    expect(marks).toContain('conf change: removed leader handed over, stepping down');
    // No tick was needed: node 2 took over through TimeoutNow.
    expect(net.leaders()).toEqual(['2']);
    expect(net.node('1').node.status().role).toBe('follower');
    net.propose('2', 'b');
    expect(net.node('2').applied).toEqual(['a', 'b']);
  });

  it('while handing over it refuses proposals and reads, until the target caught up', () => {
    const n = newNode('1', { voters: three });
    ackApps(n, electLeader(n));
    n.drain();
    n.node.proposeConfChange({ type: 'removeNode', nodeId: '1' });
    const removal = n.drain();
    // An entry after the removal, which the followers have not acknowledged yet.
    n.node.propose(new Uint8Array(1));
    const pending = n.drain();
    ackApps(n, removal);
    n.drain();
    expect(n.node.status()).toMatchObject({ role: 'leader', confState: confState(['2', '3']) });
    expect(() => n.node.propose(new Uint8Array(1))).toThrow(
      expect.objectContaining({ reason: 'notMember' }),
    );
    expect(() => n.node.readIndex(new Uint8Array(1))).toThrow(
      expect.objectContaining({ reason: 'notMember' }),
    );
    ackApps(n, pending, '2');
    const handOff = n.drain();
    expect(handOff.filter((m) => m.type === 'timeoutNow').map((m) => m.to)).toEqual(['2']);
    expect(n.node.status().role).toBe('follower');
  });

  it('a voter that refuses a candidate whose log is a prefix of its own tells it what is committed', () => {
    const n = newNode('1', { voters: three, terms: [1, 1, 1], hardState: { term: 1, commit: 3 } });
    n.step({
      type: 'vote',
      from: '2',
      to: '1',
      term: 2,
      lastLogIndex: 2,
      lastLogTerm: 1,
      transfer: false,
    });
    const [answer] = n.drain().filter((m) => m.type === 'voteResp');
    expect(answer).toMatchObject({ reject: true, commitHint: 2 });
    const candidate = newNode('2', { voters: three, terms: [1, 1], hardState: { term: 1 } });
    candidate.node.campaign();
    candidate.drain();
    const marks = recordMarks(() => candidate.step({ ...answer!, to: '2', from: '1' }));
    expect(marks).toContain('campaign: adopting a voter commit hint');
    expect(candidate.node.status().commit).toBe(2);
  });
});

describe('commit hints across terms', () => {
  it('a candidate adopts a commit hint even from a voter in an older term', () => {
    const n = newNode('1', { voters: three, terms: [1, 1], hardState: { term: 9 } });
    n.node.campaign();
    n.drain();
    n.step({ type: 'voteResp', from: '2', to: '1', term: 4, reject: true, commitHint: 2 });
    expect(n.node.status()).toMatchObject({ term: 10, commit: 2 });
  });
});

// End-to-end scenarios over the in-test network: election and replication, a leader crash
// with re-election that keeps every committed write, a follower that restarts and catches up.
import { describe, expect, it } from 'vitest';
import { Network } from './helpers/network.js';

describe('scenarios', () => {
  it('elects a leader and replicates a write to every member', () => {
    const net = Network.bootstrap(['a', 'b', 'c']);
    net.campaign('a');
    expect(net.leaders()).toEqual(['a']);
    net.propose('a', 'x=1');
    for (const id of net.ids()) expect(net.node(id).applied).toEqual(['x=1']);
  });

  it('elects exactly one leader by timeouts alone', () => {
    const net = Network.bootstrap(['a', 'b', 'c', 'd', 'e'], { preVote: true, checkQuorum: true });
    net.tick(25);
    expect(net.leaders().length).toBe(1);
  });

  it('keeps committed writes when the leader crashes and another is elected', () => {
    const net = Network.bootstrap(['a', 'b', 'c']);
    net.campaign('a');
    net.propose('a', 'w1');
    net.propose('a', 'w2');
    net.isolate('a');
    net.tick(25, ['b', 'c']);
    const [leader] = net.leaders().filter((id) => id !== 'a');
    expect(leader).toBeDefined();
    net.propose(leader!, 'w3');
    // The old leader restarts and rejoins: it learns the new term and catches up.
    net.node('a').restart();
    net.heal();
    net.tick(3);
    for (const id of net.ids()) expect(net.node(id).applied).toEqual(['w1', 'w2', 'w3']);
  });

  it('a follower that crashes and restarts catches up from the leader', () => {
    const net = Network.bootstrap(['a', 'b', 'c']);
    net.campaign('a');
    net.propose('a', 'w1');
    net.isolate('c');
    net.propose('a', 'w2');
    net.node('c').restart();
    net.heal();
    net.tick(2);
    expect(net.node('c').applied).toEqual(['w1', 'w2']);
  });
});

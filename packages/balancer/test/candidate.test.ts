// pickCandidate, the follower a balancer asks to campaign when a shard's leader is lost. Among
// the up, voting, placed replicas that are not excluded and whose commit index is within
// lagToleranceEntries of the best, it takes the first in placement order, then by id, so that
// balancers reading slightly different beats still agree; one far behind is never asked.
import { describe, expect, test } from 'vitest';
import { ClusterView } from '../src/cluster/cluster-view.js';
import { lagToleranceEntries, pickCandidate } from '../src/failover/candidate.js';
import { Beats, groupBeat, metaView, upView } from './fixtures.js';

type Replica = readonly [role: string, commit: number];

/**
 * Shard 0 placed on `placement` (n1 first); n4 is a member but not placed unless listed. n1
 * led at term 1 and its connection has just closed; the others beat for s0 as given.
 */
function lostLeaderView(
  replicas: Record<string, Replica>,
  placement: readonly string[] = ['n1', 'n2', 'n3'],
): ClusterView {
  const { view, beats } = upView(metaView([placement]), ['n1', 'n2', 'n3', 'n4']);
  beats.send('n1', [groupBeat('s0', 'leader', 1, 'n1', 500)]);
  for (const [id, [role, commit]] of Object.entries(replicas)) {
    beats.send(id, [groupBeat('s0', role, 1, 'n1', commit)]);
  }
  view.nodeDown('n1', 100, true);
  return view;
}

const none = new Set<string>();
const lag = lagToleranceEntries;

describe('pickCandidate', () => {
  test('a follower more than the tolerance behind the best is not picked', () => {
    const view = lostLeaderView({ n2: ['follower', 100], n3: ['follower', 101 + lag] });
    expect(pickCandidate(view, 's0', none)).toBe('n3');
  });

  test('within the tolerance, the first in placement order wins over a longer log', () => {
    const view = lostLeaderView({ n2: ['follower', 100], n3: ['follower', 100 + lag] });
    expect(pickCandidate(view, 's0', none)).toBe('n2');
  });

  test('placement order wins over id order', () => {
    const placement = ['n1', 'n3', 'n2'];
    const view = lostLeaderView({ n2: ['follower', 100], n3: ['follower', 100] }, placement);
    expect(pickCandidate(view, 's0', none)).toBe('n3');
  });

  test('without a placement, ties go to the lowest id whatever order the beats came in', () => {
    const view = new ClusterView();
    const beats = new Beats(view);
    for (const id of ['n3', 'n1', 'n2']) view.nodeUp(id, 0);
    beats.send('n3', [groupBeat('meta', 'follower', 1, 'n1', 100)]);
    beats.send('n2', [groupBeat('meta', 'follower', 1, 'n1', 100)]);
    beats.send('n1', [groupBeat('meta', 'leader', 1, 'n1', 100)]);
    view.nodeDown('n1', 100, true);
    expect(pickCandidate(view, 'meta', none)).toBe('n2');
  });

  test('candidates and pre-candidates may still be asked', () => {
    const view = lostLeaderView({ n2: ['preCandidate', 100], n3: ['candidate', 100] });
    expect(pickCandidate(view, 's0', none)).toBe('n2');
    expect(pickCandidate(view, 's0', new Set(['n2']))).toBe('n3');
  });

  test('skips a replica whose node is down, the former leader included', () => {
    const view = lostLeaderView({ n2: ['follower', 100], n3: ['follower', 100] });
    view.nodeDown('n2', 110, false);
    expect(pickCandidate(view, 's0', none)).toBe('n3');
  });

  test('skips a learner', () => {
    const view = lostLeaderView({ n2: ['learner', 100], n3: ['follower', 100] });
    expect(pickCandidate(view, 's0', none)).toBe('n3');
  });

  test('skips excluded nodes', () => {
    const view = lostLeaderView({ n2: ['follower', 100], n3: ['follower', 100] });
    expect(pickCandidate(view, 's0', new Set(['n2']))).toBe('n3');
    expect(pickCandidate(view, 's0', new Set(['n2', 'n3']))).toBeNull();
  });

  test('skips a node that beats for the group but is not placed on it', () => {
    const view = lostLeaderView({
      n2: ['follower', 100],
      n3: ['follower', 100],
      n4: ['follower', 100 + 10 * lag],
    });
    expect(pickCandidate(view, 's0', none)).toBe('n2');
  });

  test('returns null for a group nobody has beaten for', () => {
    const view = lostLeaderView({ n2: ['follower', 100] });
    expect(pickCandidate(view, 's5', none)).toBeNull();
  });
});

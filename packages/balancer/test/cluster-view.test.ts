// The balancer's picture of the cluster (ClusterView): which meta configuration it adopts, how
// heartbeats move a group's leader (a newer term always wins; the same term adopts only a
// reachable leader; older terms and reordered beats are ignored), NotLeader hints, lost
// leaders when a node goes down, and the per-node and per-group summaries built on top.
import { describe, expect, test } from 'vitest';
import { ClusterView, shardGroupId } from '../src/cluster/cluster-view.js';
import { Beats, groupBeat, heartbeat, members, metaView, upView } from './fixtures.js';

const twoShards = metaView([
  ['n1', 'n2', 'n3'],
  ['n2', 'n3', 'n4'],
]);

describe('applyMeta', () => {
  test('adopts the first configuration and learns each member url and zone', () => {
    const view = new ClusterView();
    expect(view.applyMeta(twoShards, 0)).toBe(true);
    expect(view.meta).toBe(twoShards);
    expect([...view.nodes.keys()]).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(view.nodes.get('n4')).toMatchObject({ url: members[3]?.url, zone: 'a' });
  });

  test('ignores a configuration that is not newer', () => {
    const view = new ClusterView();
    view.applyMeta(metaView([['n1', 'n2', 'n3']], 5), 0);
    expect(view.applyMeta(metaView([['n2', 'n3', 'n4']], 5), 0)).toBe(false);
    expect(view.applyMeta(metaView([['n2', 'n3', 'n4']], 4), 0)).toBe(false);
    expect(view.meta?.configVersion).toBe(5);
    expect(view.replicasOf('s0')).toEqual(['n1', 'n2', 'n3']);
  });

  test('adopts a newer configuration', () => {
    const view = new ClusterView();
    view.applyMeta(metaView([['n1', 'n2', 'n3']], 5), 0);
    expect(view.applyMeta(metaView([['n2', 'n3', 'n4']], 6), 0)).toBe(true);
    expect(view.replicasOf('s0')).toEqual(['n2', 'n3', 'n4']);
  });
});

describe('applyHeartbeat', () => {
  test('a node is up once it is connected and has beaten', () => {
    const view = new ClusterView();
    view.applyMeta(twoShards, 0);
    expect(view.isUp('n1')).toBe(false);
    view.nodeUp('n1', 0);
    expect(view.isUp('n1')).toBe(false);
    view.applyHeartbeat(heartbeat('n1', 1, []), 5);
    expect(view.isUp('n1')).toBe(true);
    expect(view.nodes.get('n1')).toMatchObject({ lastSeq: 1, lastBeatMs: 5, downSinceMs: null });
  });

  test("a leader's own beat makes it the leader and reports the change", () => {
    const { view, beats } = upView(twoShards, ['n1', 'n2', 'n3', 'n4']);
    const changes = beats.send('n1', [groupBeat('s0', 'leader', 1, 'n1')]);
    expect(changes).toEqual([{ groupId: 's0', from: null, to: 'n1', term: 1 }]);
    expect(view.leaderOf('s0')).toBe('n1');
  });

  test('a newer term wins even when it names no leader', () => {
    const { view, beats } = upView(twoShards, ['n1', 'n2', 'n3', 'n4'], 'n2');
    expect(view.leaderOf('s0')).toBe('n2');
    const changes = beats.send('n3', [groupBeat('s0', 'candidate', 2, null)]);
    expect(changes).toEqual([{ groupId: 's0', from: 'n2', to: null, term: 2 }]);
    expect(view.leaderOf('s0')).toBeNull();
    expect(view.groups.get('s0')?.term).toBe(2);
  });

  test('a newer term wins even when its leader is not reachable (leaderOf says null)', () => {
    const { view, beats } = upView(twoShards, ['n2', 'n3'], 'n2');
    const changes = beats.send('n3', [groupBeat('s0', 'follower', 2, 'n1')]);
    expect(changes).toEqual([{ groupId: 's0', from: 'n2', to: 'n1', term: 2 }]);
    expect(view.groups.get('s0')?.leaderId).toBe('n1');
    expect(view.leaderOf('s0')).toBeNull();
  });

  test('the same term adopts a leader named by a follower when that leader is up', () => {
    const { view, beats } = upView(twoShards, ['n1', 'n2', 'n3']);
    beats.send('n2', [groupBeat('s0', 'follower', 1, null)]);
    const changes = beats.send('n2', [groupBeat('s0', 'follower', 1, 'n3')]);
    expect(changes).toEqual([{ groupId: 's0', from: null, to: 'n3', term: 1 }]);
    expect(view.leaderOf('s0')).toBe('n3');
  });

  test('the same term does not bring back a leader whose connection closed', () => {
    const { view, beats } = upView(twoShards, ['n1', 'n2', 'n3'], 'n1');
    view.nodeDown('n1', 10, true);
    expect(beats.send('n2', [groupBeat('s0', 'follower', 1, 'n1')], 11)).toEqual([]);
    expect(view.groups.get('s0')?.leaderId).toBeNull();
    expect(view.leaderOf('s0')).toBeNull();
  });

  test('the same term adopts a self-declared leader only while its connection is up', () => {
    const { view, beats } = upView(twoShards, ['n2', 'n3']);
    beats.send('n2', [groupBeat('s0', 'follower', 1, null)]);
    expect(beats.send('n1', [groupBeat('s0', 'leader', 1, 'n1')])).toEqual([]);
    expect(view.groups.get('s0')?.leaderId).toBeNull();
    view.nodeUp('n1', 0);
    const changes = beats.send('n1', [groupBeat('s0', 'leader', 1, 'n1')]);
    expect(changes).toEqual([{ groupId: 's0', from: null, to: 'n1', term: 1 }]);
    expect(view.leaderOf('s0')).toBe('n1');
  });

  test('an older term is ignored for leadership but its replica beat is kept', () => {
    const { view, beats } = upView(twoShards, ['n1', 'n2', 'n3']);
    beats.send('n2', [groupBeat('s0', 'leader', 3, 'n2')]);
    expect(beats.send('n1', [groupBeat('s0', 'leader', 2, 'n1', 7, 6)])).toEqual([]);
    expect(view.leaderOf('s0')).toBe('n2');
    expect(view.groups.get('s0')?.term).toBe(3);
    expect(view.groups.get('s0')?.replicas.get('n1')).toEqual({
      role: 'leader',
      term: 2,
      commit: 7,
      applied: 6,
    });
  });

  test('a beat whose seq goes back is ignored', () => {
    const view = new ClusterView();
    view.applyMeta(twoShards, 0);
    view.nodeUp('n1', 0);
    view.applyHeartbeat(heartbeat('n1', 5, [groupBeat('s0', 'leader', 1, 'n1')]), 10);
    const late = heartbeat('n1', 3, [groupBeat('s0', 'follower', 9, null)]);
    expect(view.applyHeartbeat(late, 20)).toEqual([]);
    expect(view.applyHeartbeat({ ...late, seq: 5 }, 20)).toEqual([]);
    expect(view.nodes.get('n1')).toMatchObject({ lastSeq: 5, lastBeatMs: 10 });
    expect(view.groups.get('s0')).toMatchObject({ term: 1, leaderId: 'n1' });
  });

  test('a beat at seq 1 after a higher seq is a restart and is applied', () => {
    const view = new ClusterView();
    view.applyMeta(twoShards, 0);
    view.nodeUp('n1', 0);
    view.applyHeartbeat(heartbeat('n1', 40, [groupBeat('s0', 'leader', 1, 'n1')]), 10);
    const restarted = heartbeat('n1', 1, [groupBeat('s0', 'follower', 2, null)]);
    expect(view.applyHeartbeat(restarted, 20)).toEqual([
      { groupId: 's0', from: 'n1', to: null, term: 2 },
    ]);
    expect(view.nodes.get('n1')).toMatchObject({ lastSeq: 1, lastBeatMs: 20 });
    expect(view.applyHeartbeat(heartbeat('n1', 2, []), 30)).toEqual([]);
    expect(view.nodes.get('n1')?.lastSeq).toBe(2);
  });

  // Found by the chaos harness: a node restarted while the balancer's redial backed off
  // counted its beats up before the new connection opened; its first beat there (seq 17, say)
  // was below the old process's last (150) and every beat was dropped for seconds, so the
  // shards it led meanwhile had no reachable leader.
  test("a new connection's beats are applied even when their seq is below the old one's", () => {
    const view = new ClusterView();
    view.applyMeta(twoShards, 0);
    view.nodeUp('n1', 0);
    view.applyHeartbeat(heartbeat('n1', 150, [groupBeat('s0', 'leader', 1, 'n1')]), 10);
    view.nodeDown('n1', 20, true);
    view.nodeUp('n1', 30);
    const first = heartbeat('n1', 17, [groupBeat('s0', 'leader', 2, 'n1')]);
    expect(view.applyHeartbeat(first, 40)).toEqual([
      { groupId: 's0', from: null, to: 'n1', term: 2 },
    ]);
    expect(view.leaderOf('s0')).toBe('n1');
    expect(view.nodes.get('n1')).toMatchObject({ lastSeq: 17, lastBeatMs: 40 });
    // Over one connection beats stay in order: going back there is still a reordering.
    expect(view.applyHeartbeat(heartbeat('n1', 16, []), 50)).toEqual([]);
  });
});

describe('unreachableLeaders', () => {
  test('names a leader a follower reported at a newer term while its connection is down', () => {
    const { view, beats } = upView(twoShards, ['n1', 'n2', 'n3']);
    beats.send('n2', [groupBeat('s0', 'leader', 3, 'n2')]);
    view.nodeDown('n2', 20, true);
    // n2 came back and won s1 at term 4; we hear it from n1 before our redial reaches n2.
    const changes = beats.send('n1', [
      groupBeat('s0', 'follower', 3, 'n2'),
      groupBeat('s1', 'follower', 4, 'n2'),
    ]);
    expect(changes).toEqual([{ groupId: 's1', from: null, to: 'n2', term: 4 }]);
    expect(view.unreachableLeaders(changes)).toEqual(['n2']);
    expect(view.leaderOf('s1')).toBeNull();
  });

  test('names nobody for leaders we are connected to, or for a lost leader', () => {
    const { view, beats } = upView(twoShards, ['n1', 'n2', 'n3']);
    const changes = beats.send('n2', [groupBeat('s0', 'leader', 3, 'n2')]);
    expect(view.unreachableLeaders(changes)).toEqual([]);
    expect(view.unreachableLeaders(view.nodeDown('n2', 20, true))).toEqual([]);
  });
});

describe('applyLeaderHint', () => {
  test('believes a hint naming a connected node, keeping the known term', () => {
    const { view } = upView(twoShards, ['n1', 'n2', 'n3'], 'n1');
    const change = view.applyLeaderHint('s0', 'n2');
    expect(change).toEqual({ groupId: 's0', from: 'n1', to: 'n2', term: 1 });
    expect(view.leaderOf('s0')).toBe('n2');
  });

  test('ignores a hint naming a node that is not connected', () => {
    const { view } = upView(twoShards, ['n1', 'n2', 'n3'], 'n1');
    expect(view.applyLeaderHint('s0', 'n4')).toBeNull();
    expect(view.leaderOf('s0')).toBe('n1');
  });

  test('a hint naming the known leader changes nothing', () => {
    const { view } = upView(twoShards, ['n1', 'n2', 'n3'], 'n1');
    expect(view.applyLeaderHint('s0', 'n1')).toBeNull();
  });

  test('a null hint forgets the leader', () => {
    const { view } = upView(twoShards, ['n1', 'n2', 'n3'], 'n1');
    expect(view.applyLeaderHint('s0', null)).toEqual({
      groupId: 's0',
      from: 'n1',
      to: null,
      term: 1,
    });
    expect(view.leaderOf('s0')).toBeNull();
  });
});

describe('nodeDown', () => {
  test('returns exactly the groups the node led, and they have no leader afterwards', () => {
    const { view, beats } = upView(twoShards, ['n1', 'n2', 'n3', 'n4']);
    beats.send('n2', [groupBeat('s0', 'leader', 4, 'n2'), groupBeat('s1', 'leader', 2, 'n2')]);
    beats.send('n3', [groupBeat('s2', 'leader', 1, 'n3')]);
    const lost = view.nodeDown('n2', 50, true);
    expect(lost).toEqual([
      { groupId: 's0', from: 'n2', to: null, term: 4 },
      { groupId: 's1', from: 'n2', to: null, term: 2 },
    ]);
    expect(view.leaderOf('s0')).toBeNull();
    expect(view.leaderOf('s1')).toBeNull();
    expect(view.leaderOf('s2')).toBe('n3');
    expect(view.nodes.get('n2')).toMatchObject({ connected: false, downSinceMs: 50 });
    expect(view.nodeDown('n2', 60, true)).toEqual([]);
    expect(view.nodes.get('n2')?.downSinceMs).toBe(50);
  });

  test('a suspected node stays connected and is up again at its next beat', () => {
    const { view, beats } = upView(twoShards, ['n1', 'n2', 'n3'], 'n1');
    expect(view.nodeDown('n1', 50, false)).toHaveLength(1);
    expect(view.nodes.get('n1')?.connected).toBe(true);
    expect(view.isUp('n1')).toBe(false);
    const changes = beats.send('n1', [groupBeat('s0', 'leader', 1, 'n1')], 60);
    expect(view.isUp('n1')).toBe(true);
    expect(changes).toEqual([{ groupId: 's0', from: null, to: 'n1', term: 1 }]);
  });

  test('leaderOf returns null while the recorded leader is down', () => {
    const { view, beats } = upView(twoShards, ['n1', 'n2', 'n3'], 'n2');
    view.nodeDown('n1', 10, true);
    beats.send('n3', [groupBeat('s0', 'follower', 2, 'n1')], 20);
    expect(view.groups.get('s0')?.leaderId).toBe('n1');
    expect(view.leaderOf('s0')).toBeNull();
    expect(view.leaderOf('s-unknown')).toBeNull();
  });
});

describe('summaries', () => {
  test('leaderCounts lists every known node, with 0 for those that lead nothing', () => {
    const { view, beats } = upView(twoShards, ['n1', 'n2', 'n3', 'n4']);
    beats.send('n2', [groupBeat('s0', 'leader', 1, 'n2'), groupBeat('s1', 'leader', 1, 'n2')]);
    beats.send('n3', [groupBeat('s2', 'leader', 1, 'n3')]);
    expect(Object.fromEntries(view.leaderCounts())).toEqual({ n1: 0, n2: 2, n3: 1, n4: 0 });
  });

  test('leaderCounts counts only leaders that are up', () => {
    const { view, beats } = upView(twoShards, ['n2', 'n3'], 'n2');
    view.nodeDown('n1', 10, true);
    beats.send('n3', [groupBeat('s0', 'follower', 2, 'n1'), groupBeat('s9', 'follower', 1, 'n7')]);
    expect(view.groups.get('s0')?.leaderId).toBe('n1');
    expect(Object.fromEntries(view.leaderCounts())).toEqual({ n1: 0, n2: 1, n3: 0, n4: 0 });
  });

  test('replicasOf gives the placement from meta, preferred leader first', () => {
    const { view } = upView(twoShards, ['n1']);
    expect(view.replicasOf(shardGroupId(1))).toEqual(['n2', 'n3', 'n4']);
  });

  test('replicasOf falls back to the nodes that beat for the group, by id', () => {
    const view = new ClusterView();
    const beats = new Beats(view);
    beats.send('n3', [
      groupBeat('s0', 'follower', 1, null),
      groupBeat('meta', 'follower', 1, null),
    ]);
    beats.send('n1', [groupBeat('s0', 'leader', 1, 'n1'), groupBeat('meta', 'leader', 1, 'n1')]);
    expect(view.replicasOf('s0')).toEqual(['n1', 'n3']);
    view.applyMeta(twoShards, 0);
    expect(view.replicasOf('meta')).toEqual(['n1', 'n3']);
    expect(view.replicasOf('s7')).toEqual([]);
  });

  test('shardGroupId names shard groups s<shard>', () => {
    expect(shardGroupId(0)).toBe('s0');
    expect(shardGroupId(17)).toBe('s17');
  });
});

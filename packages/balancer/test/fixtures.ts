// Shared builders for the balancer's unit tests: a small MetaView (four members over three
// zones), node heartbeats with a per-node sequence, and ClusterView states built only through
// the view's public methods (applyMeta, nodeUp, applyHeartbeat), as the balancer builds them.
import type { GroupBeat, MemberView, MetaView, NodeHeartbeat } from '@troupe/client/protocol';
import { ClusterView, type LeaderChange } from '../src/cluster/cluster-view.js';

/** n1..n4; n1 and n4 share zone a, so a replica set of n1, n2, n3 covers every zone. */
export const members: readonly MemberView[] = [
  { id: 'n1', url: 'ws://127.0.0.1:7001', zone: 'a' },
  { id: 'n2', url: 'ws://127.0.0.1:7002', zone: 'b' },
  { id: 'n3', url: 'ws://127.0.0.1:7003', zone: 'c' },
  { id: 'n4', url: 'ws://127.0.0.1:7004', zone: 'a' },
];

/** A meta configuration whose shard i is placed on `placements[i]` (preferred leader first). */
export function metaView(
  placements: readonly (readonly string[])[],
  configVersion = 1,
  memberList: readonly MemberView[] = members,
): MetaView {
  return {
    clusterId: 'test-cluster',
    configVersion,
    shardCount: placements.length,
    replicationFactor: placements[0]?.length ?? 3,
    members: memberList,
    metaVoters: memberList.slice(0, 3).map((m) => m.id),
    shards: placements.map((replicas, shard) => ({ shard, replicas })),
  };
}

/** A group beat: [groupId, role, term, leaderId, commit, applied]. */
export function groupBeat(
  groupId: string,
  role: string,
  term: number,
  leaderId: string | null,
  commit = 10,
  applied = commit,
): GroupBeat {
  return [groupId, role, term, leaderId, commit, applied];
}

export function heartbeat(
  nodeId: string,
  seq: number,
  groups: readonly GroupBeat[],
): NodeHeartbeat {
  const zone = members.find((m) => m.id === nodeId)?.zone ?? 'z';
  const url = `ws://127.0.0.1:${7000 + Number(nodeId.slice(1))}`;
  return { type: 'nodeHeartbeat', nodeId, zone, url, configVersion: 1, seq, groups };
}

/** Sends heartbeats into a view, numbering each node's beats 1, 2, 3, ... */
export class Beats {
  private readonly seqs = new Map<string, number>();

  constructor(private readonly view: ClusterView) {}

  send(nodeId: string, groups: readonly GroupBeat[], nowMs = 0): LeaderChange[] {
    const seq = (this.seqs.get(nodeId) ?? 0) + 1;
    this.seqs.set(nodeId, seq);
    return this.view.applyHeartbeat(heartbeat(nodeId, seq, groups), nowMs);
  }
}

/**
 * A view that knows `meta`, with `upNodes` connected and beating. When `leader` is given, every
 * shard placed on it is led by it at term 1, and each up replica has beaten with commit 10.
 */
export function upView(
  meta: MetaView,
  upNodes: readonly string[],
  leader: string | null = null,
): { view: ClusterView; beats: Beats } {
  const view = new ClusterView();
  const beats = new Beats(view);
  view.applyMeta(meta, 0);
  for (const id of upNodes) view.nodeUp(id, 0);
  for (const id of upNodes) {
    const groups = meta.shards
      .filter((p) => leader !== null && p.replicas.includes(id))
      .map((p) => {
        const shardLeader = leader !== null && p.replicas.includes(leader) ? leader : null;
        return groupBeat(`s${p.shard}`, id === shardLeader ? 'leader' : 'follower', 1, shardLeader);
      });
    beats.send(id, groups);
  }
  return { view, beats };
}

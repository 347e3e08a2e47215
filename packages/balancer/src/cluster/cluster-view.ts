// The balancer's picture of the cluster, built from two sources: the meta group's
// configuration (members, zones, placement; the highest configVersion wins) and node
// heartbeats (per group: role, term, leader, commit, applied). For leadership a newer term
// always wins over an older one, whichever source brought it. Pure: times come in as
// arguments, and nothing here talks to the network.
import type { GroupBeat, MetaView, NodeHeartbeat } from '@troupe/client/protocol';

export interface ReplicaBeat {
  readonly role: string;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
}

export interface GroupView {
  readonly groupId: string;
  /** The highest term any source reported for this group. */
  term: number;
  /** The leader at `term`, when known and its node is reachable. */
  leaderId: string | null;
  /** The latest beat of each node hosting a replica. */
  readonly replicas: Map<string, ReplicaBeat>;
}

export interface NodeView {
  readonly id: string;
  url: string | null;
  zone: string;
  configVersion: number;
  lastSeq: number;
  /** When the last heartbeat arrived; null before the first. */
  lastBeatMs: number | null;
  /** Whether the balancer's connection to the node is up. */
  connected: boolean;
  /** Since when the node has been unreachable (closed connection or no heartbeats). */
  downSinceMs: number | null;
}

export interface LeaderChange {
  readonly groupId: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly term: number;
}

export function shardGroupId(shard: number): string {
  return `s${shard}`;
}

export class ClusterView {
  meta: MetaView | null = null;
  readonly nodes = new Map<string, NodeView>();
  readonly groups = new Map<string, GroupView>();

  /** Adopts `meta` when it is newer than what we have; returns whether it was. */
  applyMeta(meta: MetaView, nowMs: number): boolean {
    if (this.meta !== null && meta.configVersion <= this.meta.configVersion) return false;
    this.meta = meta;
    for (const member of meta.members) {
      const node = this.node(member.id, nowMs);
      node.url = member.url;
      node.zone = member.zone;
    }
    return true;
  }

  /** Records a heartbeat; returns the groups whose leader changed because of it. */
  applyHeartbeat(beat: NodeHeartbeat, nowMs: number): LeaderChange[] {
    const node = this.node(beat.nodeId, nowMs);
    // A restarted process counts from 1 again; anything else going back is a reordering.
    if (beat.seq <= node.lastSeq && beat.seq !== 1) return [];
    node.lastSeq = beat.seq;
    node.lastBeatMs = nowMs;
    node.url = beat.url ?? node.url;
    node.zone = beat.zone;
    node.configVersion = beat.configVersion;
    if (node.connected) node.downSinceMs = null;
    const changes: LeaderChange[] = [];
    for (const groupBeat of beat.groups) {
      const change = this.applyGroupBeat(beat.nodeId, groupBeat, node.connected);
      if (change !== null) changes.push(change);
    }
    return changes;
  }

  /** A NotLeader reply named the leader: believe it (no term is given, so keep ours). */
  applyLeaderHint(groupId: string, leaderId: string | null): LeaderChange | null {
    const group = this.group(groupId);
    if (group.leaderId === leaderId) return null;
    if (leaderId !== null && this.nodes.get(leaderId)?.connected !== true) return null;
    return this.setLeader(group, leaderId, group.term);
  }

  nodeUp(nodeId: string, nowMs: number): void {
    const node = this.node(nodeId, nowMs);
    // A new connection: beats are ordered only within one, and a restarted process may have
    // counted past 1 before this connection opened, so its seq starts afresh here.
    if (!node.connected) node.lastSeq = 0;
    node.connected = true;
  }

  /**
   * The connection to a node closed, or its heartbeats stopped: it leads nothing we can
   * reach. Its replicas keep their last beat (they still count for placement).
   */
  nodeDown(nodeId: string, nowMs: number, connectionClosed: boolean): LeaderChange[] {
    const node = this.node(nodeId, nowMs);
    if (connectionClosed) node.connected = false;
    node.downSinceMs ??= nowMs;
    const changes: LeaderChange[] = [];
    for (const group of this.groups.values()) {
      if (group.leaderId !== nodeId) continue;
      const change = this.setLeader(group, null, group.term);
      if (change !== null) changes.push(change);
    }
    return changes;
  }

  /**
   * Nodes that `changes` made leaders while we have no connection to them: a follower's beat
   * named a leader we cannot reach yet (it restarted while our redial backs off). Dialling
   * them at once is what lets held requests go.
   */
  unreachableLeaders(changes: readonly LeaderChange[]): string[] {
    const ids = changes.map((c) => c.to).filter((id): id is string => id !== null);
    return [...new Set(ids)].filter((id) => this.nodes.get(id)?.connected !== true);
  }

  isUp(nodeId: string): boolean {
    const node = this.nodes.get(nodeId);
    return node?.connected === true && node.downSinceMs === null;
  }

  leaderOf(groupId: string): string | null {
    const leaderId = this.groups.get(groupId)?.leaderId ?? null;
    return leaderId !== null && this.isUp(leaderId) ? leaderId : null;
  }

  /**
   * Node ids placed for `groupId` by the meta group, else those that beat for it, by id (not
   * in arrival order, which differs between balancers that must pick the same candidate).
   */
  replicasOf(groupId: string): string[] {
    const meta = this.meta;
    if (meta !== null && groupId.startsWith('s')) {
      const placement = meta.shards[Number(groupId.slice(1))];
      if (placement !== undefined) return [...placement.replicas];
    }
    return [...(this.groups.get(groupId)?.replicas.keys() ?? [])].sort();
  }

  /** How many groups each up node leads (every known node appears, with 0 if none). */
  leaderCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const id of this.nodes.keys()) counts.set(id, 0);
    for (const group of this.groups.values()) {
      const leader = this.leaderOf(group.groupId);
      if (leader !== null) counts.set(leader, (counts.get(leader) ?? 0) + 1);
    }
    return counts;
  }

  group(groupId: string): GroupView {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = { groupId, term: 0, leaderId: null, replicas: new Map() };
      this.groups.set(groupId, group);
    }
    return group;
  }

  private node(nodeId: string, nowMs: number): NodeView {
    let node = this.nodes.get(nodeId);
    if (node === undefined) {
      node = {
        id: nodeId,
        url: null,
        zone: '',
        configVersion: 0,
        lastSeq: 0,
        lastBeatMs: null,
        connected: false,
        downSinceMs: nowMs,
      };
      this.nodes.set(nodeId, node);
    }
    return node;
  }

  private applyGroupBeat(
    nodeId: string,
    [groupId, role, term, leaderId, commit, applied]: GroupBeat,
    reachable: boolean,
  ): LeaderChange | null {
    const group = this.group(groupId);
    group.replicas.set(nodeId, { role, term, commit, applied });
    const claimed = role === 'leader' ? nodeId : leaderId;
    if (term > group.term) return this.setLeader(group, claimed, term);
    if (term < group.term || claimed === null || claimed === group.leaderId) return null;
    // Same term, a leader we did not know (Raft allows one per term): adopt it if reachable,
    // so a follower's stale word cannot bring back a leader whose connection just closed.
    if (!(claimed === nodeId ? reachable : this.isUp(claimed))) return null;
    return this.setLeader(group, claimed, term);
  }

  /** Moves the group to (leaderId, term); a change only when the leader differs. */
  private setLeader(group: GroupView, leaderId: string | null, term: number): LeaderChange | null {
    const from = group.leaderId;
    group.leaderId = leaderId;
    group.term = term;
    return from === leaderId ? null : { groupId: group.groupId, from, to: leaderId, term };
  }
}

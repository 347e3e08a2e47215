// The /status document: what the balancer knows of the cluster, for operators, dashboards
// and tests. Built from the cluster view on request; plain JSON.
import type { ClusterView } from '../cluster/cluster-view.js';

export interface StatusInput {
  readonly balancerId: string;
  readonly startedAtMs: number;
  readonly nowMs: number;
  readonly view: ClusterView;
  phiOf(nodeId: string): number;
  isGone(nodeId: string): boolean;
  heldFor(groupId: string): number;
  requestsTo(nodeId: string): number;
  readonly clients: { readonly connections: number; readonly inflight: number };
  readonly failoversInProgress: number;
  /** Unsafe debug settings that are on (see unsafeSettings); empty in any real deployment. */
  readonly unsafe: readonly string[];
}

export interface MemberStatus {
  readonly id: string;
  readonly url: string | null;
  readonly zone: string;
  readonly connected: boolean;
  readonly up: boolean;
  /** Down longer than the grace period: its replicas are being moved. */
  readonly gone: boolean;
  readonly phi: number;
  readonly lastHeartbeatAgoMs: number | null;
  readonly downForMs: number | null;
  readonly configVersion: number;
  readonly leaders: number;
  readonly requests: number;
}

export interface ReplicaStatus {
  readonly node: string;
  /** Placed here by the meta group; false for a replica that still beats but is being removed. */
  readonly placed: boolean;
  readonly role: string | null;
  readonly term: number | null;
  readonly commit: number | null;
  readonly applied: number | null;
  /** Entries the replica has yet to apply of what the leader committed. */
  readonly lag: number | null;
  readonly up: boolean;
}

export interface GroupStatusView {
  readonly groupId: string;
  readonly leader: string | null;
  readonly term: number;
  readonly replicas: readonly ReplicaStatus[];
  /** Placed replicas that are up, against the cluster's replication factor. */
  readonly liveReplicas: number;
  readonly held: number;
}

export interface BalancerStatus {
  readonly balancerId: string;
  readonly uptimeMs: number;
  readonly clusterId: string | null;
  readonly configVersion: number;
  readonly shardCount: number;
  readonly replicationFactor: number;
  readonly members: readonly MemberStatus[];
  readonly zones: Readonly<Record<string, readonly string[]>>;
  readonly meta: GroupStatusView | null;
  readonly shards: readonly GroupStatusView[];
  readonly clients: { readonly connections: number; readonly inflight: number };
  readonly failoversInProgress: number;
  /** Debug settings that break guarantees on purpose; anything here means "do not trust me". */
  readonly unsafe: readonly string[];
}

function memberStatus(input: StatusInput, id: string, leaders: number): MemberStatus {
  const node = input.view.nodes.get(id);
  const { nowMs } = input;
  return {
    id,
    url: node?.url ?? null,
    zone: node?.zone ?? '',
    connected: node?.connected ?? false,
    up: input.view.isUp(id),
    gone: input.isGone(id),
    phi: Math.round(input.phiOf(id) * 100) / 100,
    lastHeartbeatAgoMs: node?.lastBeatMs == null ? null : nowMs - node.lastBeatMs,
    downForMs: node?.downSinceMs == null ? null : nowMs - node.downSinceMs,
    configVersion: node?.configVersion ?? 0,
    leaders,
    requests: input.requestsTo(id),
  };
}

function groupStatus(
  input: StatusInput,
  groupId: string,
  placed: readonly string[],
): GroupStatusView {
  const { view } = input;
  const group = view.groups.get(groupId);
  const leader = group?.leaderId ?? null;
  const leaderCommit = leader === null ? null : (group?.replicas.get(leader)?.commit ?? null);
  const ids = [...new Set([...placed, ...(group?.replicas.keys() ?? [])])];
  const replicas = ids.map((node): ReplicaStatus => {
    const beat = group?.replicas.get(node);
    const lag =
      beat === undefined || leaderCommit === null ? null : Math.max(0, leaderCommit - beat.applied);
    return {
      node,
      placed: placed.includes(node),
      role: beat?.role ?? null,
      term: beat?.term ?? null,
      commit: beat?.commit ?? null,
      applied: beat?.applied ?? null,
      lag,
      up: view.isUp(node),
    };
  });
  return {
    groupId,
    leader: view.leaderOf(groupId),
    term: group?.term ?? 0,
    replicas,
    liveReplicas: placed.filter((id) => view.isUp(id)).length,
    held: input.heldFor(groupId),
  };
}

export function buildStatus(input: StatusInput): BalancerStatus {
  const { view } = input;
  const meta = view.meta;
  const leaders = view.leaderCounts();
  const ids = [
    ...new Set([...(meta?.members.map((m) => m.id) ?? []), ...view.nodes.keys()]),
  ].sort();
  const members = ids.map((id) => memberStatus(input, id, leaders.get(id) ?? 0));
  const zones: Record<string, string[]> = {};
  for (const member of members) {
    const zone = zones[member.zone] ?? [];
    zone.push(member.id);
    zones[member.zone] = zone;
  }
  return {
    balancerId: input.balancerId,
    uptimeMs: input.nowMs - input.startedAtMs,
    clusterId: meta?.clusterId ?? null,
    configVersion: meta?.configVersion ?? 0,
    shardCount: meta?.shardCount ?? 0,
    replicationFactor: meta?.replicationFactor ?? 0,
    members,
    zones,
    meta: meta === null ? null : groupStatus(input, 'meta', meta.metaVoters),
    shards: (meta?.shards ?? []).map((p) => groupStatus(input, `s${p.shard}`, p.replicas)),
    clients: input.clients,
    failoversInProgress: input.failoversInProgress,
    unsafe: input.unsafe,
  };
}

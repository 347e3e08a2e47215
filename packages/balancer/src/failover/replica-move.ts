// Re-replication, decided purely: which shard replica to move off a node that has been down
// past the grace period, and where to. One move at a time (each is a meta-group change with
// compare-on-config-version). A move is planned only while the survivors are a majority of
// the shard's replicas: otherwise the group cannot commit the membership change anyway.
// The new home prefers a zone the survivors do not cover yet, then the node with the fewest
// replicas, then the smallest id; the survivors keep their order, so the preferred leader
// stays put unless it is the one that died.
import type { MetaView } from '@troupe/client/protocol';

export interface ReplicaMove {
  readonly shard: number;
  readonly from: string;
  readonly to: string;
  /** The new replica set, preferred leader first. */
  readonly replicas: readonly string[];
  readonly ifConfigVersion: number;
}

export interface MoveInput {
  readonly meta: MetaView;
  /** Down longer than the grace period: its replicas should move. */
  isGone(nodeId: string): boolean;
  /** Connected and healthy now: may receive a replica. */
  isUp(nodeId: string): boolean;
}

export function replicaCounts(meta: MetaView): Map<string, number> {
  const counts = new Map<string, number>(meta.members.map((m) => [m.id, 0]));
  for (const placement of meta.shards) {
    for (const id of placement.replicas) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Shards with at least one replica on a node that is gone. */
export function underReplicatedShards(meta: MetaView, isGone: (id: string) => boolean): number[] {
  return meta.shards.filter((p) => p.replicas.some(isGone)).map((p) => p.shard);
}

export function planReplicaMove(input: MoveInput): ReplicaMove | null {
  const { meta } = input;
  const counts = replicaCounts(meta);
  const zoneOf = new Map(meta.members.map((m) => [m.id, m.zone]));
  for (const placement of meta.shards) {
    const gone = placement.replicas.filter((id) => input.isGone(id));
    const from = gone[0];
    if (from === undefined) continue;
    const survivors = placement.replicas.filter((id) => !input.isGone(id));
    if (survivors.length * 2 <= placement.replicas.length) continue;
    const taken = new Set(placement.replicas);
    const zonesCovered = new Set(survivors.map((id) => zoneOf.get(id)));
    const to = meta.members
      .map((m) => m.id)
      .filter((id) => !taken.has(id) && input.isUp(id))
      .sort((a, b) => {
        const zoneA = zonesCovered.has(zoneOf.get(a)) ? 1 : 0;
        const zoneB = zonesCovered.has(zoneOf.get(b)) ? 1 : 0;
        if (zoneA !== zoneB) return zoneA - zoneB;
        const countDiff = (counts.get(a) ?? 0) - (counts.get(b) ?? 0);
        return countDiff !== 0 ? countDiff : a < b ? -1 : 1;
      })[0];
    if (to === undefined) continue;
    const [preferred, ...rest] = placement.replicas.map((id) => (id === from ? to : id));
    const replicas = [preferred as string, ...rest.sort()];
    return { shard: placement.shard, from, to, replicas, ifConfigVersion: meta.configVersion };
  }
  return null;
}

// Where replicas live: which nodes hold each shard's replicas (and which of them should lead),
// and which nodes vote in the meta group. Pure and deterministic, so every node computes the
// same placement from the same members whatever order it learned them in.
//
// Shards (placeShards), in three steps:
// 1. Zone quota per shard, by water-filling (zoneQuota): every zone gets `level` replicas
//    (capped by its node count) and `extras` of the zones that can take more get one more.
//    This is the most even split the zone sizes allow, so a shard covers min(RF, zones) zones
//    and no zone holds a majority of a shard's replicas unless every split would give one.
// 2. Which open zones take the extras: handed out one at a time, over all shards, to the open
//    zone whose least-loaded node holds the fewest replicas (then the lowest replicas per
//    node), never more than one per shard per zone. A zone whose nodes are all needed by
//    every split ("full": node count <= level) holds every shard on every node.
// 3. Nodes within a zone: each shard takes its zone's quota from the zone's least-loaded
//    nodes (ties: least recently used, then id), so a zone's nodes differ by at most one.
// Preferred leaders (replicas[0]) are then chosen among each shard's replicas as an optimal
// semi-matching: greedy, then improved along alternating paths until no shift evens leader
// counts further, which makes them as even as the replica sets allow.
//
// Guarantees (tested as properties in test/meta/placement.property.test.ts):
// - a shard's replicas are distinct nodes, and its per-zone counts are the water-filling quota;
// - replica counts of the nodes of one zone differ by at most one;
// - nodes of full zones hold every shard; among the other nodes, one holds two or more
//   replicas more than another only if its zone took no extra or the other's zone took an
//   extra in every shard; so with equally sized zones all nodes differ by at most one;
// - preferred-leader counts are as even as the replica sets allow (max - min <= 1 in every
//   configuration the property test draws);
// - nothing depends on the order of `members`.
// A replication factor above the member count is refused (ClusterConfigError): capping it
// silently would start a cluster less durable than the operator asked for.
import type { ShardPlacementView } from '@troupe/client/protocol';
import { assert } from '@troupe/runtime/assert';
import { isValidNodeId } from '../raft/options.js';
import { ClusterConfigError } from './errors.js';
import { membersMax, metaVotersDefault, replicasMax, shardCountMax } from './limits.js';
import { type ClusterMember, compareIds, isValidZone, quote } from './members.js';

/** What placement needs of a member. */
export type PlacedMember = Pick<ClusterMember, 'id' | 'zone'>;

/** Distinct node ids; replicas[0] is the preferred leader, the rest sorted by id. */
export type ShardPlacement = ShardPlacementView;

export interface PlaceShardsInput {
  readonly members: readonly PlacedMember[];
  readonly shardCount: number;
  readonly replicationFactor: number;
}

/** How a group of `replicas` spreads over zones (zones sorted by name). */
export interface ZoneQuota {
  readonly zones: readonly string[];
  /** Replicas each zone takes in every group: min(node count, level). */
  readonly base: readonly number[];
  /** Whether the zone has a node left over after `base`, so it can take an extra. */
  readonly open: readonly boolean[];
  /** How many open zones take one replica more than `base`, in every group. */
  readonly extras: number;
}

/** Sorted ids, sorted zone names, and each zone's node indices (in id order). */
interface Layout {
  readonly ids: readonly string[];
  readonly zones: readonly string[];
  readonly nodesByZone: readonly (readonly number[])[];
}

function checkPlacedMembers(members: readonly PlacedMember[], where: string): void {
  if (members.length === 0) throw new ClusterConfigError(`${where}: no members`);
  if (members.length > membersMax) {
    throw new ClusterConfigError(`${where}: ${members.length} members, at most ${membersMax}`);
  }
  const ids = new Set<string>();
  for (const { id, zone } of members) {
    if (!isValidNodeId(id)) throw new ClusterConfigError(`${where}: invalid node id ${quote(id)}`);
    if (!isValidZone(zone)) throw new ClusterConfigError(`${where}: invalid zone ${quote(zone)}`);
    if (ids.has(id)) throw new ClusterConfigError(`${where}: duplicate id ${quote(id)}`);
    ids.add(id);
  }
}

function layoutOf(members: readonly PlacedMember[]): Layout {
  const sorted = [...members].sort((a, b) => compareIds(a.id, b.id));
  const zones = [...new Set(sorted.map((m) => m.zone))].sort(compareIds);
  const nodesByZone = zones.map((zone) =>
    sorted.flatMap((member, node) => (member.zone === zone ? [node] : [])),
  );
  assert(
    nodesByZone.every((nodes) => nodes.length > 0),
    'every zone has a node',
  );
  return { ids: sorted.map((m) => m.id), zones, nodesByZone };
}

function quotaFromSizes(zones: readonly string[], sizes: readonly number[], replicas: number) {
  const total = sizes.reduce((sum, size) => sum + size, 0);
  assert(replicas >= 1 && replicas <= total, () => `${replicas} replicas over ${total} nodes`);
  const filled = (level: number) => sizes.reduce((sum, size) => sum + Math.min(size, level), 0);
  let level = 0;
  while (level < Math.max(...sizes) && filled(level + 1) <= replicas) level += 1;
  const base = sizes.map((size) => Math.min(size, level));
  const open = sizes.map((size) => size > level);
  const extras = replicas - filled(level);
  assert(extras >= 0 && extras < Math.max(1, open.filter(Boolean).length), 'extras fit');
  return { zones, base, open, extras };
}

/** The most even split of a group of `replicas` over the members' zones (water-filling). */
export function zoneQuota(members: readonly PlacedMember[], replicas: number): ZoneQuota {
  checkPlacedMembers(members, 'zone quota');
  const layout = layoutOf(members);
  if (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > layout.ids.length) {
    throw new ClusterConfigError(
      `zone quota: ${replicas} replicas over ${layout.ids.length} nodes`,
    );
  }
  const sizes = layout.nodesByZone.map((nodes) => nodes.length);
  return quotaFromSizes(layout.zones, sizes, replicas);
}

function checkShardInput(input: PlaceShardsInput): void {
  checkPlacedMembers(input.members, 'shard placement');
  const { shardCount, replicationFactor } = input;
  if (!Number.isSafeInteger(shardCount) || shardCount < 1 || shardCount > shardCountMax) {
    throw new ClusterConfigError(`shard count must be 1-${shardCountMax}, got ${shardCount}`);
  }
  if (
    !Number.isSafeInteger(replicationFactor) ||
    replicationFactor < 1 ||
    replicationFactor > replicasMax
  ) {
    throw new ClusterConfigError(
      `replication factor must be 1-${replicasMax}, got ${replicationFactor}`,
    );
  }
  if (replicationFactor > input.members.length) {
    throw new ClusterConfigError(
      `replication factor ${replicationFactor} exceeds the ${input.members.length} members: ` +
        'each replica of a shard needs its own node',
    );
  }
}

/** Step 2: how many extras each zone takes over all shards (at most one per shard). */
function zoneExtraTotals(quota: ZoneQuota, sizes: readonly number[], shardCount: number) {
  const extras = sizes.map(() => 0);
  const total = (z: number) => shardCount * (quota.base[z] ?? 0) + (extras[z] ?? 0);
  // Lighter: a lower least-loaded node, then fewer replicas per node (cross-multiplied).
  const lighter = (a: number, b: number) => {
    const [sa, sb] = [sizes[a] ?? 1, sizes[b] ?? 1];
    const [fa, fb] = [Math.floor(total(a) / sa), Math.floor(total(b) / sb)];
    return fa !== fb ? fa < fb : total(a) * sb < total(b) * sa;
  };
  for (let unit = 0; unit < shardCount * quota.extras; unit += 1) {
    let best = -1;
    for (let z = 0; z < sizes.length; z += 1) {
      if (!quota.open[z] || (extras[z] ?? 0) >= shardCount) continue;
      if (best < 0 || lighter(z, best)) best = z;
    }
    assert(best >= 0, 'an open zone can take every extra');
    extras[best] = (extras[best] ?? 0) + 1;
  }
  return extras;
}

/** Per shard, per zone replica counts: base plus the zone's extras dealt out round-robin. */
function shardZoneCounts(quota: ZoneQuota, extras: readonly number[], shardCount: number) {
  const counts = Array.from({ length: shardCount }, () => [...quota.base]);
  let position = 0;
  // A zone's extras take consecutive positions; at most shardCount of them, so two of them
  // never land on the same shard.
  extras.forEach((count, z) => {
    for (let k = 0; k < count; k += 1, position += 1) {
      const row = counts[position % shardCount]!;
      row[z] = (row[z] ?? 0) + 1;
    }
  });
  assert(position === shardCount * quota.extras, 'every extra dealt');
  return counts;
}

/** Step 3: each shard takes its zone quotas from the least-loaded nodes of each zone. */
function assignNodes(layout: Layout, counts: readonly (readonly number[])[]): number[][] {
  const load = layout.ids.map(() => 0);
  const lastUsed = layout.ids.map(() => -1);
  const byLoad = (a: number, b: number) =>
    (load[a] ?? 0) - (load[b] ?? 0) || (lastUsed[a] ?? 0) - (lastUsed[b] ?? 0) || a - b;
  return counts.map((zoneCounts, shard) => {
    const replicas = layout.nodesByZone.flatMap((nodes, z) =>
      [...nodes].sort(byLoad).slice(0, zoneCounts[z] ?? 0),
    );
    for (const node of replicas) {
      load[node] = (load[node] ?? 0) + 1;
      lastUsed[node] = shard;
    }
    return replicas.sort((a, b) => a - b);
  });
}

/** Moves `target`'s path back to the start: each shard on it goes to the node it reached. */
function flipPath(target: number, via: ReadonlyMap<number, number>, leaders: number[]): void {
  let node = target;
  for (let shard = via.get(node) ?? -1; shard >= 0; shard = via.get(node) ?? -1) {
    const previous = leaders[shard];
    assert(previous !== undefined && previous !== node, 'a path step changes the leader');
    leaders[shard] = node;
    node = previous;
  }
}

/**
 * Shifts one lead away from `start` along an alternating path (start leads s1, s1 has
 * replica w1, w1 leads s2, ...) to a node leading at least two fewer: only the two ends'
 * counts change. Breadth-first, in node and shard order, so the result is deterministic.
 */
function shiftLead(start: number, leaders: number[], leads: number[], sets: number[][]): boolean {
  const ledBy = leads.map((): number[] => []);
  leaders.forEach((node, shard) => {
    ledBy[node]?.push(shard);
  });
  const via = new Map<number, number>([[start, -1]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head += 1) {
    for (const shard of ledBy[queue[head] ?? -1] ?? []) {
      for (const next of sets[shard] ?? []) {
        if (via.has(next)) continue;
        via.set(next, shard);
        queue.push(next);
        if ((leads[next] ?? 0) > (leads[start] ?? 0) - 2) continue;
        flipPath(next, via, leaders);
        leads[start] = (leads[start] ?? 0) - 1;
        leads[next] = (leads[next] ?? 0) + 1;
        return true;
      }
    }
  }
  return false;
}

/**
 * Preferred leaders: greedy (the replica leading fewest so far), then shifts along
 * alternating paths while one exists. Each shift lowers the sum of squared lead counts, so
 * this ends, and with no path left the assignment is an optimal semi-matching (Harvey et al.,
 * "Semi-matchings for bipartite graphs and load balancing", 2003): no other choice among the
 * replica sets has a lower maximum or a higher minimum.
 */
function chooseLeaders(nodeCount: number, sets: number[][]): number[] {
  const leads = new Array<number>(nodeCount).fill(0);
  const leaders = sets.map((set) => {
    const leader = set.reduce((best, node) =>
      (leads[node] ?? 0) < (leads[best] ?? 0) ? node : best,
    );
    leads[leader] = (leads[leader] ?? 0) + 1;
    return leader;
  });
  for (let shifted = true; shifted; ) {
    const least = Math.min(...leads);
    const order = leads
      .map((_, node) => node)
      .sort((a, b) => (leads[b] ?? 0) - (leads[a] ?? 0) || a - b);
    shifted = order.some(
      (node) => (leads[node] ?? 0) >= least + 2 && shiftLead(node, leaders, leads, sets),
    );
  }
  assert(
    leaders.every((node, shard) => sets[shard]?.includes(node)),
    'leaders are replicas',
  );
  return leaders;
}

/** Places every shard's replicas and preferred leader; see the rules at the top. */
export function placeShards(input: PlaceShardsInput): ShardPlacement[] {
  checkShardInput(input);
  const { shardCount, replicationFactor } = input;
  const layout = layoutOf(input.members);
  const sizes = layout.nodesByZone.map((nodes) => nodes.length);
  const quota = quotaFromSizes(layout.zones, sizes, replicationFactor);
  const counts = shardZoneCounts(quota, zoneExtraTotals(quota, sizes, shardCount), shardCount);
  const sets = assignNodes(layout, counts);
  const leaders = chooseLeaders(layout.ids.length, sets);
  return sets.map((set, shard) => {
    const leader = leaders[shard] ?? -1;
    const rest = set.filter((node) => node !== leader);
    const replicas = [leader, ...rest].map((node) => layout.ids[node] ?? '');
    assert(replicas.length === replicationFactor && !replicas.includes(''), 'full replica set');
    return { shard, replicas };
  });
}

/**
 * The meta group's voters: min(votersMax, members), less one if that is even (an even group
 * tolerates no more failures than one voter fewer, and needs one more node for a quorum:
 * 3 of 4, 5 of 6 or more, 1 of 2), spread over zones like a shard (extras go to the zones
 * with the most nodes, then by name) and taking each zone's first nodes by id. Sorted by id:
 * the first is the preferred leader.
 */
export function placeMeta(
  members: readonly PlacedMember[],
  votersMax: number = metaVotersDefault,
): string[] {
  checkPlacedMembers(members, 'meta placement');
  if (!Number.isSafeInteger(votersMax) || votersMax < 1 || votersMax > replicasMax) {
    throw new ClusterConfigError(`meta voters max must be 1-${replicasMax}, got ${votersMax}`);
  }
  const layout = layoutOf(members);
  const capped = Math.min(votersMax, layout.ids.length);
  const voterCount = capped % 2 === 0 ? capped - 1 : capped;
  const sizes = layout.nodesByZone.map((nodes) => nodes.length);
  const quota = quotaFromSizes(layout.zones, sizes, voterCount);
  const extraZones = sizes
    .map((size, z) => ({ size, z }))
    .filter(({ z }) => quota.open[z])
    .sort((a, b) => b.size - a.size || a.z - b.z)
    .slice(0, quota.extras)
    .map(({ z }) => z);
  const voters = layout.nodesByZone.flatMap((nodes, z) => {
    const count = (quota.base[z] ?? 0) + (extraZones.includes(z) ? 1 : 0);
    return nodes.slice(0, count).map((node) => layout.ids[node] ?? '');
  });
  assert(voters.length === voterCount && voterCount % 2 === 1, 'an odd voter count');
  return voters.sort(compareIds);
}

// Placement invariants as properties over random clusters (1-12 members in 1-4 zones, RF 1-5,
// 1-64 shards), checked against definitions computed here from scratch, plus a golden
// example and the meta voter rules. See the guarantees listed in src/meta/placement.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterConfigError } from '../../src/meta/errors.js';
import {
  type PlacedMember,
  placeMeta,
  placeShards,
  type ShardPlacement,
  zoneQuota,
} from '../../src/meta/placement.js';

const runs = { seed: 11, numRuns: 200 };

interface Cluster {
  readonly members: PlacedMember[];
  readonly shardCount: number;
  readonly replicationFactor: number;
}

// Built once: fc.stringMatching rebuilt inside chain() costs a millisecond per sample.
const idArb = fc.string({
  unit: fc.constantFrom(...'abcxyzABCXYZ0189-_.:~!'),
  minLength: 1,
  maxLength: 6,
});

const clusterArb: fc.Arbitrary<Cluster> = fc
  .record({ count: fc.integer({ min: 1, max: 12 }), zoneCount: fc.integer({ min: 1, max: 4 }) })
  .chain(({ count, zoneCount }) =>
    fc.record({
      ids: fc.uniqueArray(idArb, {
        minLength: count,
        maxLength: count,
      }),
      zones: fc.array(fc.integer({ min: 0, max: zoneCount - 1 }), {
        minLength: count,
        maxLength: count,
      }),
      shardCount: fc.integer({ min: 1, max: 64 }),
      replicationFactor: fc.integer({ min: 1, max: Math.min(5, count) }),
    }),
  )
  .map(({ ids, zones, shardCount, replicationFactor }) => ({
    members: ids.map((id, i) => ({ id, zone: `zone-${zones[i]}` })),
    shardCount,
    replicationFactor,
  }));

function zoneSizes(members: readonly PlacedMember[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const { zone } of members) sizes.set(zone, (sizes.get(zone) ?? 0) + 1);
  return sizes;
}

/** Replicas a group of `rf` can put in every zone at least (capped by zone size). */
function waterLevel(sizes: readonly number[], rf: number): number {
  const filled = (level: number) => sizes.reduce((sum, size) => sum + Math.min(size, level), 0);
  let level = 0;
  while (level < Math.max(...sizes) && filled(level + 1) <= rf) level += 1;
  return level;
}

/** The smallest per-zone maximum any split of `rf` replicas over the zones can have. */
function smallestZoneMax(sizes: readonly number[], rf: number): number {
  let max = 1;
  while (sizes.reduce((sum, size) => sum + Math.min(size, max), 0) < rf) max += 1;
  return max;
}

function counts(placements: readonly ShardPlacement[], members: readonly PlacedMember[]) {
  const replicas = new Map(members.map((m) => [m.id, 0]));
  const leads = new Map(members.map((m) => [m.id, 0]));
  for (const { replicas: set } of placements) {
    for (const id of set) replicas.set(id, (replicas.get(id) ?? 0) + 1);
    leads.set(set[0]!, (leads.get(set[0]!) ?? 0) + 1);
  }
  return { replicas, leads };
}

function spread(values: Iterable<number>): number {
  const list = [...values];
  return Math.max(...list) - Math.min(...list);
}

describe('placeShards properties', () => {
  it('places distinct members, RF per shard, shards in order', () => {
    fc.assert(
      fc.property(clusterArb, (cluster) => {
        const placements = placeShards(cluster);
        const ids = new Set(cluster.members.map((m) => m.id));
        expect(placements.map((p) => p.shard)).toEqual([...Array(cluster.shardCount).keys()]);
        const bad = placements.filter(
          ({ replicas }) =>
            replicas.length !== cluster.replicationFactor ||
            new Set(replicas).size !== replicas.length ||
            !replicas.every((id) => ids.has(id)) ||
            replicas.slice(1).join() !== [...replicas.slice(1)].sort().join(),
        );
        expect(bad).toEqual([]);
      }),
      runs,
    );
  });

  it('spreads each shard over zones as evenly as the zone sizes allow', () => {
    fc.assert(
      fc.property(clusterArb, ({ members, shardCount, replicationFactor: rf }) => {
        const zoneOf = new Map(members.map((m) => [m.id, m.zone]));
        const sizes = [...zoneSizes(members).values()];
        const half = Math.floor(rf / 2);
        const majorityAvoidable = sizes.reduce((s, size) => s + Math.min(size, half), 0) >= rf;
        const placements = placeShards({ members, shardCount, replicationFactor: rf });
        const bad = placements.filter(({ replicas }) => {
          const perZone = zoneSizes(replicas.map((id) => ({ id, zone: zoneOf.get(id)! })));
          const zoneMax = Math.max(...perZone.values());
          return (
            perZone.size !== Math.min(rf, sizes.length) ||
            zoneMax !== smallestZoneMax(sizes, rf) ||
            (majorityAvoidable && zoneMax * 2 > rf)
          );
        });
        expect(bad).toEqual([]);
      }),
      runs,
    );
  });

  it('balances replicas: within a zone always, across zones as the quotas allow', () => {
    fc.assert(
      fc.property(clusterArb, ({ members, shardCount, replicationFactor: rf }) => {
        const placements = placeShards({ members, shardCount, replicationFactor: rf });
        const { replicas } = counts(placements, members);
        const sizes = zoneSizes(members);
        const level = waterLevel([...sizes.values()], rf);
        const load = (id: string) => replicas.get(id) ?? 0;
        const extrasOf = new Map<string, number>();
        for (const [zone, size] of sizes) {
          const inZone = members.filter((m) => m.zone === zone).map((m) => load(m.id));
          expect(spread(inZone)).toBeLessThanOrEqual(1);
          const total = inZone.reduce((a, b) => a + b, 0);
          if (size <= level) expect(new Set(inZone)).toEqual(new Set([shardCount]));
          extrasOf.set(zone, total - shardCount * Math.min(size, level));
        }
        // Two or more apart only if v's zone took no extra or u's zone took one per shard.
        const open = members.filter((m) => (sizes.get(m.zone) ?? 0) > level);
        const unexplained = open.flatMap((u) =>
          open
            .filter((v) => load(v.id) - load(u.id) >= 2)
            .filter((v) => extrasOf.get(v.zone) !== 0 && extrasOf.get(u.zone) !== shardCount)
            .map((v) => `${v.id}:${load(v.id)} vs ${u.id}:${load(u.id)}`),
        );
        expect(unexplained).toEqual([]);
        if (new Set(sizes.values()).size === 1)
          expect(spread(replicas.values())).toBeLessThanOrEqual(1);
      }),
      runs,
    );
  });

  it('balances preferred leaders to within one', () => {
    fc.assert(
      fc.property(clusterArb, (cluster) => {
        const { leads } = counts(placeShards(cluster), cluster.members);
        expect(spread(leads.values())).toBeLessThanOrEqual(1);
      }),
      runs,
    );
  });

  it('does not depend on the order of members', () => {
    const shuffled = clusterArb.chain((cluster) =>
      fc
        .shuffledSubarray(cluster.members, {
          minLength: cluster.members.length,
          maxLength: cluster.members.length,
        })
        .map((members) => ({ cluster, members })),
    );
    fc.assert(
      fc.property(shuffled, ({ cluster, members }) => {
        expect(placeShards({ ...cluster, members })).toEqual(placeShards(cluster));
        expect(placeMeta(members)).toEqual(placeMeta(cluster.members));
      }),
      runs,
    );
  });
});

describe('placeShards examples', () => {
  it('golden: 3 nodes in 3 zones, 16 shards, RF 3', () => {
    const members = [
      { id: 'n1', zone: 'zone-a' },
      { id: 'n2', zone: 'zone-b' },
      { id: 'n3', zone: 'zone-c' },
    ];
    const placements = placeShards({ members, shardCount: 16, replicationFactor: 3 });
    const { replicas, leads } = counts(placements, members);
    expect([...replicas.values()]).toEqual([16, 16, 16]);
    expect([...leads.values()].sort()).toEqual([5, 5, 6]);
    expect(placements[0]).toEqual({ shard: 0, replicas: ['n1', 'n2', 'n3'] });
  });

  it('a one-node zone next to a big zone holds every shard (forced by the zone rule)', () => {
    const members = ['a1', 'b1', 'b2', 'b3', 'b4'].map((id) => ({ id, zone: id[0]! }));
    const placements = placeShards({ members, shardCount: 8, replicationFactor: 3 });
    const { replicas, leads } = counts(placements, members);
    expect(Object.fromEntries(replicas)).toEqual({ a1: 8, b1: 4, b2: 4, b3: 4, b4: 4 });
    expect(spread(leads.values())).toBeLessThanOrEqual(1);
  });

  it('gives the extra replica to the zone whose nodes are less loaded', () => {
    // 2 + 4 nodes, RF 3: every shard has one replica per zone and one extra; the 4-node zone
    // must take every extra for 6 nodes to hold 8 replicas each of 16 shards.
    const members = ['a1', 'a2', 'b1', 'b2', 'b3', 'b4'].map((id) => ({ id, zone: id[0]! }));
    const placements = placeShards({ members, shardCount: 16, replicationFactor: 3 });
    expect(new Set(counts(placements, members).replicas.values())).toEqual(new Set([8]));
  });

  it.each([
    [{ shardCount: 0, replicationFactor: 1 }, /shard count/],
    [{ shardCount: 1025, replicationFactor: 1 }, /shard count/],
    [{ shardCount: 1.5, replicationFactor: 1 }, /shard count/],
    [{ shardCount: 4, replicationFactor: 0 }, /replication factor/],
    [{ shardCount: 4, replicationFactor: 8 }, /replication factor/],
    [{ shardCount: 4, replicationFactor: 3 }, /exceeds the 2 members/],
  ])('refuses %o', (input, message) => {
    const members = [
      { id: 'n1', zone: 'a' },
      { id: 'n2', zone: 'b' },
    ];
    expect(() => placeShards({ members, ...input })).toThrow(ClusterConfigError);
    expect(() => placeShards({ members, ...input })).toThrow(message);
  });

  it('refuses bad member sets', () => {
    const place = (members: PlacedMember[]) =>
      placeShards({ members, shardCount: 1, replicationFactor: 1 });
    expect(() => place([])).toThrow(/no members/);
    expect(() => place([{ id: 'a b', zone: 'z' }])).toThrow(/invalid node id/);
    expect(() => place([{ id: 'n1', zone: 'z z' }])).toThrow(/invalid zone/);
    expect(() =>
      place([
        { id: 'n1', zone: 'z' },
        { id: 'n1', zone: 'y' },
      ]),
    ).toThrow(/duplicate/);
  });

  it('zoneQuota reports the water-filling split', () => {
    const members = ['a1', 'b1', 'b2', 'c1', 'c2', 'c3'].map((id) => ({ id, zone: id[0]! }));
    expect(zoneQuota(members, 5)).toEqual({
      zones: ['a', 'b', 'c'],
      base: [1, 2, 2],
      open: [false, false, true],
      extras: 0,
    });
    expect(zoneQuota(members, 2)).toMatchObject({ base: [0, 0, 0], extras: 2 });
    expect(() => zoneQuota(members, 7)).toThrow(ClusterConfigError);
  });
});

describe('placeMeta', () => {
  const cluster = (count: number, zones = 1) =>
    Array.from({ length: count }, (_, i) => ({
      id: `n${String(i).padStart(2, '0')}`,
      zone: `z${i % zones}`,
    }));

  it.each([
    [1, 1],
    [2, 1],
    [3, 3],
    [4, 3],
    [5, 5],
    [6, 5],
    [12, 5],
  ])('%i members -> %i voters', (count, voters) => {
    expect(placeMeta(cluster(count))).toHaveLength(voters);
  });

  it('honours votersMax, still odd', () => {
    expect(placeMeta(cluster(9), 3)).toHaveLength(3);
    expect(placeMeta(cluster(9), 4)).toHaveLength(3);
    expect(placeMeta(cluster(9), 7)).toHaveLength(7);
    expect(() => placeMeta(cluster(3), 0)).toThrow(ClusterConfigError);
    expect(() => placeMeta(cluster(3), 8)).toThrow(ClusterConfigError);
  });

  it('spreads voters over zones so one zone never holds a majority when avoidable', () => {
    fc.assert(
      fc.property(clusterArb, ({ members }) => {
        const voters = placeMeta(members);
        const zoneOf = new Map(members.map((m) => [m.id, m.zone]));
        const sizes = [...zoneSizes(members).values()];
        const perZone = zoneSizes(voters.map((id) => ({ id, zone: zoneOf.get(id)! })));
        expect(voters).toEqual([...voters].sort());
        expect(new Set(voters).size).toBe(voters.length);
        expect(voters.length % 2).toBe(1);
        expect(Math.max(...perZone.values())).toBe(smallestZoneMax(sizes, voters.length));
      }),
      runs,
    );
  });

  it('picks 2 + 2 + 1 voters over three zones of two', () => {
    const voters = placeMeta(cluster(6, 3));
    expect(voters).toEqual(['n00', 'n01', 'n02', 'n03', 'n04']);
  });
});

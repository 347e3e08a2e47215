// The re-replication planner (planReplicaMove and its helpers): which replica moves off a
// node gone past the grace period and where to. The new home prefers a zone the survivors do
// not cover, then the node with the fewest replicas, then the lowest id; nothing moves without
// a majority of survivors or a live spare; the preferred leader stays unless it is the one
// that died; the move is conditional on the configuration version it was planned from.
import type { MemberView } from '@troupe/client/protocol';
import { describe, expect, test } from 'vitest';
import {
  type MoveInput,
  planReplicaMove,
  replicaCounts,
  underReplicatedShards,
} from '../src/failover/replica-move.js';
import { metaView } from './fixtures.js';

function membersIn(zones: Record<string, string>): MemberView[] {
  return Object.entries(zones).map(([id, zone], i) => ({
    id,
    url: `ws://127.0.0.1:${7001 + i}`,
    zone,
  }));
}

function input(
  placements: readonly (readonly string[])[],
  zones: Record<string, string>,
  gone: readonly string[],
  down: readonly string[] = [],
  configVersion = 1,
): MoveInput {
  return {
    meta: metaView(placements, configVersion, membersIn(zones)),
    isGone: (id) => gone.includes(id),
    isUp: (id) => !gone.includes(id) && !down.includes(id),
  };
}

const fiveZones = { n1: 'a', n2: 'b', n3: 'c', n4: 'd', n5: 'e' };

describe('planReplicaMove', () => {
  test('prefers a zone the survivors do not cover over fewer replicas and a lower id', () => {
    const zones = { n1: 'a', n2: 'b', n3: 'c', n4: 'a', n5: 'c' };
    const placements = [
      ['n1', 'n2', 'n3'],
      ['n5', 'n1', 'n2'],
    ];
    expect(planReplicaMove(input(placements, zones, ['n3']))).toEqual({
      shard: 0,
      from: 'n3',
      to: 'n5',
      replicas: ['n1', 'n2', 'n5'],
      ifConfigVersion: 1,
    });
  });

  test('among equally good zones, prefers the node with the fewest replicas', () => {
    const placements = [
      ['n1', 'n2', 'n3'],
      ['n4', 'n1', 'n2'],
    ];
    expect(planReplicaMove(input(placements, fiveZones, ['n3']))?.to).toBe('n5');
  });

  test('on equal zones and counts, prefers the lowest id', () => {
    expect(planReplicaMove(input([['n1', 'n2', 'n3']], fiveZones, ['n3']))?.to).toBe('n4');
  });

  test('moves nothing while the survivors are not a majority of the replicas', () => {
    expect(planReplicaMove(input([['n1', 'n2', 'n3']], fiveZones, ['n2', 'n3']))).toBeNull();
    const five = [['n1', 'n2', 'n3', 'n4', 'n5']];
    const zones = { ...fiveZones, n6: 'f' };
    expect(planReplicaMove(input(five, zones, ['n4', 'n5']))).toMatchObject({
      from: 'n4',
      to: 'n6',
    });
    expect(planReplicaMove(input(five, zones, ['n3', 'n4', 'n5']))).toBeNull();
  });

  test('moves nothing when no live node is free to take the replica', () => {
    expect(planReplicaMove(input([['n1', 'n2', 'n3']], fiveZones, ['n3'], ['n4', 'n5']))).toBe(
      null,
    );
    const full = { n1: 'a', n2: 'b', n3: 'c' };
    expect(planReplicaMove(input([['n1', 'n2', 'n3']], full, ['n3']))).toBeNull();
  });

  test('skips a shard that cannot move and plans the next one', () => {
    const placements = [
      ['n1', 'n2', 'n3'],
      ['n3', 'n4', 'n5'],
    ];
    const move = planReplicaMove(input(placements, { ...fiveZones, n6: 'f' }, ['n1', 'n2', 'n4']));
    expect(move).toMatchObject({ shard: 1, from: 'n4', to: 'n6' });
  });

  test('plans one move at a time, for the first shard that needs one', () => {
    const placements = [
      ['n1', 'n2', 'n3'],
      ['n3', 'n4', 'n5'],
    ];
    const move = planReplicaMove(input(placements, { ...fiveZones, n6: 'f' }, ['n3'], ['n6']));
    expect(move).toMatchObject({ shard: 0, from: 'n3', to: 'n4' });
  });

  test('keeps the preferred leader first when another replica died', () => {
    const move = planReplicaMove(input([['n2', 'n1', 'n3']], fiveZones, ['n1']));
    expect(move?.replicas).toEqual(['n2', 'n3', 'n4']);
  });

  test('puts the new replica in the preferred slot when the preferred leader died', () => {
    const move = planReplicaMove(input([['n1', 'n2', 'n3']], fiveZones, ['n1']));
    expect(move).toMatchObject({ from: 'n1', to: 'n4', replicas: ['n4', 'n2', 'n3'] });
  });

  test('carries the configuration version it was planned from', () => {
    const move = planReplicaMove(input([['n1', 'n2', 'n3']], fiveZones, ['n3'], [], 17));
    expect(move?.ifConfigVersion).toBe(17);
  });

  test('plans nothing when no replica is on a gone node', () => {
    expect(planReplicaMove(input([['n1', 'n2', 'n3']], fiveZones, ['n5']))).toBeNull();
  });
});

describe('underReplicatedShards', () => {
  test('lists the shards with a replica on a gone node', () => {
    const meta = metaView([
      ['n1', 'n2', 'n3'],
      ['n2', 'n3', 'n4'],
      ['n3', 'n4', 'n1'],
    ]);
    expect(underReplicatedShards(meta, (id) => id === 'n1')).toEqual([0, 2]);
    expect(underReplicatedShards(meta, () => false)).toEqual([]);
  });
});

describe('replicaCounts', () => {
  test('counts replicas per member, including members with none', () => {
    const meta = metaView(
      [
        ['n1', 'n2', 'n3'],
        ['n2', 'n3', 'n1'],
      ],
      1,
      membersIn(fiveZones),
    );
    expect(Object.fromEntries(replicaCounts(meta))).toEqual({ n1: 2, n2: 2, n3: 2, n4: 0, n5: 0 });
  });
});

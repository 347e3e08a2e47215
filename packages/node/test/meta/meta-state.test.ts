// The meta group's state machine: version bumps on every change and only then, compare-on-
// version refusals, idempotent joins, and each refusal leaving the state object untouched.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterConfigError } from '../../src/meta/errors.js';
import type { ClusterMember } from '../../src/meta/members.js';
import {
  applyMetaCommand,
  checkMetaState,
  initialMetaState,
  type MetaCommand,
  type MetaState,
  memberById,
  replicasOn,
} from '../../src/meta/meta-state.js';

const member = (n: number, zone = `zone-${n % 3}`): ClusterMember => ({
  id: `n${n}`,
  url: `ws://127.0.0.1:${7000 + n}`,
  zone,
});

function initial(count = 3, shardCount = 4, replicationFactor = 3): MetaState {
  const members = Array.from({ length: count }, (_, i) => member(count - i));
  return initialMetaState({
    clusterId: '0123456789abcdef',
    members,
    shardCount,
    replicationFactor,
  });
}

/** Applies and expects a refusal that leaves the very same state. */
function refused(state: MetaState, command: MetaCommand, code: string, message: RegExp) {
  const applied = applyMetaCommand(state, command);
  expect(applied.state).toBe(state);
  expect(applied.reply).toMatchObject({ ok: false, code, configVersion: state.configVersion });
  if (!applied.reply.ok) expect(applied.reply.message).toMatch(message);
}

describe('initialMetaState', () => {
  it('starts at version 1 with sorted members, placed shards and meta voters', () => {
    const state = initial(4);
    expect(state.configVersion).toBe(1);
    expect(state.members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(state.metaVoters).toHaveLength(3);
    expect(state.shards).toHaveLength(4);
    expect(state.shards.every((s, i) => s.shard === i && s.replicas.length === 3)).toBe(true);
    expect(() => checkMetaState(state)).not.toThrow();
  });

  it('refuses what cannot be placed', () => {
    expect(() => initial(2, 4, 3)).toThrow(ClusterConfigError);
    expect(() => initial(3, 0, 3)).toThrow(/shard count/);
    const members = [member(1), { ...member(2), url: member(1).url }];
    const input = { clusterId: 'c', members, shardCount: 1, replicationFactor: 1 };
    expect(() => initialMetaState(input)).toThrow(/duplicate URL/);
    expect(() => initialMetaState({ ...input, members: [member(1)], clusterId: '' })).toThrow(
      /cluster id/,
    );
  });

  it('helpers find members and the shards on a node', () => {
    const state = initial(3);
    expect(memberById(state, 'n2')).toEqual(member(2));
    expect(memberById(state, 'n9')).toBeUndefined();
    expect(replicasOn(state, 'n1')).toEqual([0, 1, 2, 3]);
    expect(replicasOn(state, 'n9')).toEqual([]);
  });
});

describe('addMember', () => {
  it('adds a member in id order and bumps the version by one', () => {
    const state = initial(3);
    const { state: next, reply } = applyMetaCommand(state, {
      type: 'addMember',
      member: member(0),
    });
    expect(reply).toEqual({ ok: true, configVersion: 2 });
    expect(next.configVersion).toBe(2);
    expect(next.members.map((m) => m.id)).toEqual(['n0', 'n1', 'n2', 'n3']);
    expect(next.shards).toBe(state.shards);
    expect(state.members).toHaveLength(3);
  });

  it('is idempotent for the identical member', () => {
    const state = initial(3);
    const applied = applyMetaCommand(state, { type: 'addMember', member: member(2) });
    expect(applied.state).toBe(state);
    expect(applied.reply).toEqual({ ok: true, configVersion: 1 });
  });

  it.each([
    [{ ...member(2), url: 'ws://127.0.0.1:9999' }, /"n2" is taken by ws:\/\/127.0.0.1:7002/],
    [{ ...member(2), zone: 'elsewhere' }, /"n2" is taken/],
    [{ ...member(9), url: member(1).url }, /belongs to member "n1"/],
    [{ ...member(9), url: '127.0.0.1:7009' }, /not in ws:\/\/host:port form/],
    [{ ...member(9), zone: 'a b' }, /zone must match/],
    [{ ...member(9), id: 'n 9' }, /node id must be/],
  ])('refuses %o', (bad, message) => {
    const command: MetaCommand = { type: 'addMember', member: bad };
    refused(initial(3), command, 'TROUPE_ERR_CLUSTER_CONFIG', message);
  });

  it('refuses a 65th member', () => {
    let state = initial(3);
    for (let n = 4; n <= 64; n += 1) {
      state = applyMetaCommand(state, { type: 'addMember', member: member(n) }).state;
    }
    expect(state.members).toHaveLength(64);
    const command: MetaCommand = { type: 'addMember', member: member(65) };
    refused(state, command, 'TROUPE_ERR_CLUSTER_CONFIG', /64 members/);
  });
});

describe('removeMember', () => {
  it('removes a member that holds nothing', () => {
    const state = applyMetaCommand(initial(3), { type: 'addMember', member: member(4) }).state;
    const command: MetaCommand = { type: 'removeMember', id: 'n4', ifConfigVersion: 2 };
    const { state: next, reply } = applyMetaCommand(state, command);
    expect(reply).toEqual({ ok: true, configVersion: 3 });
    expect(next.members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3']);
  });

  it('refuses a stale version, an unknown id, a voter or a replica holder', () => {
    const base = initial(6, 4, 1);
    const state = applyMetaCommand(base, { type: 'addMember', member: member(7) }).state;
    const mismatch = 'TROUPE_ERR_CONFIG_VERSION_MISMATCH';
    const config = 'TROUPE_ERR_CLUSTER_CONFIG';
    const remove = (id: string, ifConfigVersion = 2): MetaCommand => ({
      type: 'removeMember',
      id,
      ifConfigVersion,
    });
    refused(state, remove('n7', 1), mismatch, /expected config version 1, it is 2/);
    refused(state, remove('n9'), config, /not a member/);
    refused(state, remove(state.metaVoters[0]!), config, /meta group voter/);
    const move: MetaCommand = {
      type: 'setShardReplicas',
      shard: 3,
      replicas: ['n7'],
      ifConfigVersion: 2,
    };
    const holding = applyMetaCommand(state, move).state;
    refused(holding, remove('n7', 3), config, /still holds replicas of shards 3; move them first/);
  });
});

describe('setShardReplicas', () => {
  const set = (shard: number, replicas: string[], ifConfigVersion = 2): MetaCommand => ({
    type: 'setShardReplicas',
    shard,
    replicas,
    ifConfigVersion,
  });
  const withFour = () =>
    applyMetaCommand(initial(3), { type: 'addMember', member: member(4) }).state;

  it('moves replicas, keeping the given order (replicas[0] leads)', () => {
    const { state, reply } = applyMetaCommand(withFour(), set(2, ['n4', 'n1', 'n2']));
    expect(reply).toEqual({ ok: true, configVersion: 3 });
    expect(state.shards[2]).toEqual({ shard: 2, replicas: ['n4', 'n1', 'n2'] });
    expect(replicasOn(state, 'n4')).toEqual([2]);
  });

  it('lets only the first of two balancers at the same version win', () => {
    const state = withFour();
    const first = applyMetaCommand(state, set(0, ['n4', 'n2', 'n3']));
    expect(first.reply.ok).toBe(true);
    const mismatch = 'TROUPE_ERR_CONFIG_VERSION_MISMATCH';
    refused(first.state, set(0, ['n4', 'n1', 'n3']), mismatch, /expected config version 2/);
  });

  it('is a no-op without a bump when nothing changes', () => {
    const state = withFour();
    const applied = applyMetaCommand(state, set(1, [...state.shards[1]!.replicas]));
    expect(applied.state).toBe(state);
    expect(applied.reply).toEqual({ ok: true, configVersion: 2 });
  });

  it.each([
    [-1, ['n1'], /shard must be an integer in \[0, 3\]/],
    [4, ['n1'], /shard must be/],
    [0.5, ['n1'], /shard must be/],
    [0, [], /count must be an integer in \[1, 7\]/],
    [0, ['n1', 'n1'], /appears twice/],
    [0, ['n1', 'n9'], /"n9" is not a member/],
    [0, ['n1', 'n 2'], /invalid node id/],
    [0, ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8'], /count must be/],
  ])('refuses shard %d replicas %o', (shard, replicas, message) => {
    refused(withFour(), set(shard, replicas), 'TROUPE_ERR_CLUSTER_CONFIG', message);
  });

  it('compares the version before anything else', () => {
    const mismatch = 'TROUPE_ERR_CONFIG_VERSION_MISMATCH';
    refused(withFour(), set(99, [], 7), mismatch, /expected config version 7/);
  });
});

describe('version discipline (property)', () => {
  const commandArb: fc.Arbitrary<MetaCommand> = fc.oneof(
    fc.record({
      type: fc.constant('addMember' as const),
      member: fc.integer({ min: 1, max: 8 }).map((n) => member(n)),
    }),
    fc.record({
      type: fc.constant('removeMember' as const),
      id: fc.integer({ min: 1, max: 9 }).map((n) => `n${n}`),
      ifConfigVersion: fc.integer({ min: 1, max: 12 }),
    }),
    fc.record({
      type: fc.constant('setShardReplicas' as const),
      shard: fc.integer({ min: -1, max: 4 }),
      replicas: fc.uniqueArray(
        fc.integer({ min: 1, max: 9 }).map((n) => `n${n}`),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
      ifConfigVersion: fc.integer({ min: 1, max: 12 }),
    }),
  );

  it('bumps by exactly one on change, never on refusal, and keeps the state valid', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 30 }), (commands) => {
        let state = initial(3);
        for (const command of commands) {
          const { state: next, reply } = applyMetaCommand(state, command);
          const bumped = next !== state;
          expect(next.configVersion).toBe(state.configVersion + (bumped ? 1 : 0));
          expect(reply.configVersion).toBe(next.configVersion);
          if (!reply.ok) expect(bumped).toBe(false);
          if (bumped) expect(next).not.toEqual({ ...state, configVersion: next.configVersion });
          checkMetaState(next);
          state = next;
        }
      }),
      { seed: 11, numRuns: 200 },
    );
  });
});

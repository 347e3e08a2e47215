// The meta group's state machine: the cluster configuration (members, zones, shard placement,
// meta voters) and the commands that change it. Pure, so every meta replica that applies the
// same log reaches the same state. Every change bumps configVersion by exactly one, so nodes
// can order configurations and balancers can compare-and-set on them; a refused command
// changes nothing and returns the very same state object.
import type { MetaView } from '@troupe/client/protocol';
import { assert, unreachable } from '@troupe/runtime/assert';
import { isValidNodeId } from '../raft/options.js';
import { ClusterConfigError } from './errors.js';
import { clusterIdCharsMax, membersMax, replicasMax, shardCountMax } from './limits.js';
import {
  type ClusterMember,
  checkMember,
  checkMembers,
  compareIds,
  quote,
  sortMembers,
} from './members.js';
import { placeMeta, placeShards } from './placement.js';

/** The configuration; its shape is the wire protocol's `MetaView` (balancers read it). */
export type MetaState = MetaView;

export interface InitialMetaInput {
  readonly clusterId: string;
  readonly members: readonly ClusterMember[];
  readonly shardCount: number;
  readonly replicationFactor: number;
}

export type MetaCommand =
  /** A node joining (--join); a no-op if the identical member is already in. */
  | { readonly type: 'addMember'; readonly member: ClusterMember }
  | { readonly type: 'removeMember'; readonly id: string; readonly ifConfigVersion: number }
  /** Re-replication by a balancer; compare-on-version so two balancers cannot both move. */
  | {
      readonly type: 'setShardReplicas';
      readonly shard: number;
      /** replicas[0] is the preferred leader. */
      readonly replicas: readonly string[];
      readonly ifConfigVersion: number;
    };

export type MetaErrorCode = 'TROUPE_ERR_CONFIG_VERSION_MISMATCH' | 'TROUPE_ERR_CLUSTER_CONFIG';

export type MetaReply =
  | { readonly ok: true; readonly configVersion: number }
  | {
      readonly ok: false;
      readonly code: MetaErrorCode;
      readonly message: string;
      readonly configVersion: number;
    };

export interface MetaApplied {
  readonly state: MetaState;
  readonly reply: MetaReply;
}

const clusterIdPattern = new RegExp(`^[\\x21-\\x7e]{1,${clusterIdCharsMax}}$`);

function checkIntegerIn(value: number, min: number, max: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ClusterConfigError(`${what} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/** Throws unless `replicas` are 1 to replicasMax distinct ids of `known` members. */
export function checkReplicaSet(
  replicas: readonly string[],
  known: ReadonlySet<string>,
  what: string,
): void {
  checkIntegerIn(replicas.length, 1, replicasMax, `${what} count`);
  for (const id of replicas) {
    if (!isValidNodeId(id)) throw new ClusterConfigError(`${what}: invalid node id ${quote(id)}`);
    if (!known.has(id)) throw new ClusterConfigError(`${what}: ${quote(id)} is not a member`);
  }
  if (new Set(replicas).size !== replicas.length) {
    throw new ClusterConfigError(`${what}: a node appears twice in ${quote(replicas.join(','))}`);
  }
}

function checkMembersSorted(members: readonly ClusterMember[]): void {
  checkMembers(members, 'meta state');
  for (let i = 1; i < members.length; i += 1) {
    if (compareIds(members[i - 1]?.id ?? '', members[i]?.id ?? '') >= 0) {
      throw new ClusterConfigError('meta state: members are not sorted by id');
    }
  }
}

/** Throws ClusterConfigError unless `state` is a well-formed configuration. */
export function checkMetaState(state: MetaState): void {
  if (!clusterIdPattern.test(state.clusterId)) {
    throw new ClusterConfigError(`meta state: invalid cluster id ${quote(state.clusterId)}`);
  }
  checkIntegerIn(state.configVersion, 1, Number.MAX_SAFE_INTEGER, 'config version');
  checkIntegerIn(state.shardCount, 1, shardCountMax, 'shard count');
  checkIntegerIn(state.replicationFactor, 1, replicasMax, 'replication factor');
  checkMembersSorted(state.members);
  const known = new Set(state.members.map((m) => m.id));
  checkReplicaSet(state.metaVoters, known, 'meta voters');
  if (state.shards.length !== state.shardCount) {
    throw new ClusterConfigError(
      `meta state: ${state.shards.length} shards, expected ${state.shardCount}`,
    );
  }
  state.shards.forEach((placement, shard) => {
    if (placement.shard !== shard) {
      throw new ClusterConfigError(`meta state: shard ${shard} is stored as ${placement.shard}`);
    }
    checkReplicaSet(placement.replicas, known, `shard ${shard} replicas`);
  });
}

/** The configuration at cluster init (version 1), placed by placement.ts. */
export function initialMetaState(input: InitialMetaInput): MetaState {
  checkMembers(input.members, 'initial members');
  const members = sortMembers(input.members);
  const state: MetaState = {
    clusterId: input.clusterId,
    configVersion: 1,
    shardCount: input.shardCount,
    replicationFactor: input.replicationFactor,
    members,
    metaVoters: placeMeta(members),
    shards: placeShards(input),
  };
  checkMetaState(state);
  assert(state.members.length === input.members.length, 'every member kept');
  return state;
}

export function memberById(state: MetaState, id: string): ClusterMember | undefined {
  return state.members.find((member) => member.id === id);
}

/** The shards with a replica on `nodeId`, ascending. */
export function replicasOn(state: MetaState, nodeId: string): number[] {
  return state.shards.filter((s) => s.replicas.includes(nodeId)).map((s) => s.shard);
}

function checkAddMember(state: MetaState, member: ClusterMember): void {
  checkMember(member, `new member ${quote(member.id)}`);
  const existing = memberById(state, member.id);
  if (existing !== undefined) {
    if (existing.url === member.url && existing.zone === member.zone) return;
    throw new ClusterConfigError(
      `node id ${quote(member.id)} is taken by ${existing.url}@${existing.zone}; ` +
        `cannot add it as ${member.url}@${member.zone}`,
    );
  }
  const sameUrl = state.members.find((m) => m.url === member.url);
  if (sameUrl !== undefined) {
    throw new ClusterConfigError(`URL ${member.url} belongs to member ${quote(sameUrl.id)}`);
  }
  if (state.members.length >= membersMax) {
    throw new ClusterConfigError(`the cluster has ${membersMax} members, the most it can have`);
  }
}

function checkRemoveMember(state: MetaState, id: string): void {
  if (memberById(state, id) === undefined) {
    throw new ClusterConfigError(`cannot remove ${quote(id)}: not a member`);
  }
  if (state.metaVoters.includes(id)) {
    throw new ClusterConfigError(`cannot remove ${quote(id)}: it is a meta group voter`);
  }
  const shards = replicasOn(state, id);
  if (shards.length > 0) {
    const listed = shards.slice(0, 8).join(', ') + (shards.length > 8 ? ', ...' : '');
    throw new ClusterConfigError(
      `cannot remove ${quote(id)}: it still holds replicas of shards ${listed}; move them first`,
    );
  }
}

function checkSetShardReplicas(state: MetaState, shard: number, replicas: readonly string[]) {
  checkIntegerIn(shard, 0, state.shardCount - 1, 'shard');
  const known = new Set(state.members.map((m) => m.id));
  checkReplicaSet(replicas, known, `shard ${shard} replicas`);
}

/** Why `command` cannot apply to `state`, or null if it can. */
function refusalOf(state: MetaState, command: MetaCommand): MetaReply | null {
  const { configVersion } = state;
  if (command.type !== 'addMember' && command.ifConfigVersion !== configVersion) {
    const code = 'TROUPE_ERR_CONFIG_VERSION_MISMATCH';
    const message = `expected config version ${command.ifConfigVersion}, it is ${configVersion}`;
    return { ok: false, code, message, configVersion };
  }
  try {
    if (command.type === 'addMember') checkAddMember(state, command.member);
    else if (command.type === 'removeMember') checkRemoveMember(state, command.id);
    else checkSetShardReplicas(state, command.shard, command.replicas);
  } catch (error) {
    if (!(error instanceof ClusterConfigError)) throw error;
    return { ok: false, code: 'TROUPE_ERR_CLUSTER_CONFIG', message: error.message, configVersion };
  }
  return null;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** The state after a valid command, before the version bump; `state` itself if a no-op. */
function changed(state: MetaState, command: MetaCommand): MetaState {
  switch (command.type) {
    case 'addMember': {
      if (memberById(state, command.member.id) !== undefined) return state;
      const { id, url, zone } = command.member;
      return { ...state, members: sortMembers([...state.members, { id, url, zone }]) };
    }
    case 'removeMember':
      return { ...state, members: state.members.filter((m) => m.id !== command.id) };
    case 'setShardReplicas': {
      const { shard } = command;
      if (sameList(state.shards[shard]?.replicas ?? [], command.replicas)) return state;
      const placement = { shard, replicas: [...command.replicas] };
      return { ...state, shards: state.shards.map((s) => (s.shard === shard ? placement : s)) };
    }
    default:
      return unreachable(command, 'meta command');
  }
}

/** Applies one committed command; a refusal or a no-op returns `state` itself. */
export function applyMetaCommand(state: MetaState, command: MetaCommand): MetaApplied {
  const refusal = refusalOf(state, command);
  if (refusal !== null) return { state, reply: refusal };
  const next = changed(state, command);
  if (next === state) return { state, reply: { ok: true, configVersion: state.configVersion } };
  const configVersion = state.configVersion + 1;
  assert(Number.isSafeInteger(configVersion), 'config version overflow');
  return { state: { ...next, configVersion }, reply: { ok: true, configVersion } };
}

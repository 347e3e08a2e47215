// Bytes of the meta group: its state (stored by every meta replica and sent in snapshots) and
// its commands (Raft entries). Decoding is a trust boundary: every field is checked, and
// anything malformed becomes a ClusterConfigError, never another error. Encoding checks the
// same rules, so a command that encodes is one every replica can decode.
//
// Layout (msgpack arrays, led by a format version so the layout can change later):
//   state:   [1, clusterId, configVersion, shardCount, replicationFactor,
//             [[id, url, zone], ...], [metaVoter, ...], [[replica, ...] per shard, ...]]
//   command: [1, 'addMember', id, url, zone]
//            [1, 'removeMember', id, ifConfigVersion]
//            [1, 'setShardReplicas', shard, [replica, ...], ifConfigVersion]
import { assert } from '@troupe/runtime/assert';
import { Packr } from 'msgpackr';
import { isValidNodeId } from '../raft/options.js';
import { ClusterConfigError } from './errors.js';
import {
  clusterIdCharsMax,
  membersMax,
  memberUrlCharsMax,
  replicasMax,
  shardCountMax,
  zoneNameCharsMax,
} from './limits.js';
import { type ClusterMember, checkMember, quote } from './members.js';
import { checkMetaState, type MetaCommand, type MetaState } from './meta-state.js';

const packr = new Packr({ useRecords: false });
const formatVersion = 1;
const nodeIdCharsMax = 64;

function unpack(bytes: Uint8Array, what: string): unknown {
  if (!(bytes instanceof Uint8Array)) throw new ClusterConfigError(`${what} is not bytes`);
  try {
    return packr.unpack(bytes);
  } catch (error) {
    throw new ClusterConfigError(`${what} is not msgpack: ${String(error)}`, { cause: error });
  }
}

function tuple(value: unknown, lengths: readonly number[], what: string): unknown[] {
  if (!Array.isArray(value) || !lengths.includes(value.length)) {
    throw new ClusterConfigError(`${what} is not an array of ${lengths.join(' or ')} items`);
  }
  return value as unknown[];
}

function text(value: unknown, charsMax: number, what: string): string {
  if (typeof value !== 'string' || value.length > charsMax) {
    throw new ClusterConfigError(`${what} is not a string of at most ${charsMax} characters`);
  }
  return value;
}

function integer(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ClusterConfigError(`${what} is not an integer in [${min}, ${max}]`);
  }
  return value;
}

function list<T>(value: unknown, max: number, what: string, read: (item: unknown) => T): T[] {
  if (!Array.isArray(value) || value.length > max) {
    throw new ClusterConfigError(`${what} is not an array of at most ${max} items`);
  }
  return (value as unknown[]).map(read);
}

function nodeId(value: unknown, what: string): string {
  const id = text(value, nodeIdCharsMax, what);
  if (!isValidNodeId(id)) throw new ClusterConfigError(`${what} ${quote(id)} is not a node id`);
  return id;
}

function memberOf(value: unknown): ClusterMember {
  const [id, url, zone] = tuple(value, [3], 'member');
  const member = {
    id: nodeId(id, 'member id'),
    url: text(url, memberUrlCharsMax, 'member url'),
    zone: text(zone, zoneNameCharsMax, 'member zone'),
  };
  checkMember(member, `member ${quote(member.id)}`);
  return member;
}

function replicaList(value: unknown, what: string): string[] {
  const replicas = list(value, replicasMax, what, (id) => nodeId(id, `${what} entry`));
  if (replicas.length === 0 || new Set(replicas).size !== replicas.length) {
    throw new ClusterConfigError(`${what} must be 1-${replicasMax} distinct node ids`);
  }
  return replicas;
}

/** Any surprise inside a decoder (a msgpack extension type, say) still leaves as our error. */
function guarded<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof ClusterConfigError) throw error;
    throw new ClusterConfigError(`${what} is malformed: ${String(error)}`, { cause: error });
  }
}

function readState(raw: unknown): MetaState {
  const fields = tuple(raw, [8], 'meta state');
  const [version, clusterId, configVersion, shardCount, replicationFactor] = fields;
  integer(version, formatVersion, formatVersion, 'meta state format version');
  const state: MetaState = {
    clusterId: text(clusterId, clusterIdCharsMax, 'cluster id'),
    configVersion: integer(configVersion, 1, Number.MAX_SAFE_INTEGER, 'config version'),
    shardCount: integer(shardCount, 1, shardCountMax, 'shard count'),
    replicationFactor: integer(replicationFactor, 1, replicasMax, 'replication factor'),
    members: list(fields[5], membersMax, 'members', memberOf),
    metaVoters: replicaList(fields[6], 'meta voters'),
    shards: list(fields[7], shardCountMax, 'shards', (replicas) => replicas).map(
      (replicas, shard) => ({ shard, replicas: replicaList(replicas, `shard ${shard} replicas`) }),
    ),
  };
  checkMetaState(state);
  return state;
}

export function encodeMetaState(state: MetaState): Uint8Array {
  checkMetaState(state);
  const members = state.members.map((m) => [m.id, m.url, m.zone]);
  const shards = state.shards.map((s) => s.replicas);
  const { clusterId, configVersion, shardCount, replicationFactor, metaVoters } = state;
  const fields = [clusterId, configVersion, shardCount, replicationFactor, members, metaVoters];
  const bytes = packr.pack([formatVersion, ...fields, shards]);
  assert(bytes.length > 0, 'msgpack never encodes to nothing');
  return bytes;
}

/** Decodes and fully checks a meta state; throws ClusterConfigError on anything malformed. */
export function decodeMetaState(bytes: Uint8Array): MetaState {
  return guarded('meta state', () => readState(unpack(bytes, 'meta state')));
}

function readCommand(raw: unknown): MetaCommand {
  const fields = tuple(raw, [4, 5], 'meta command');
  integer(fields[0], formatVersion, formatVersion, 'meta command format version');
  const version = (value: unknown) => integer(value, 0, Number.MAX_SAFE_INTEGER, 'ifConfigVersion');
  const type = fields[1];
  if (type === 'addMember' && fields.length === 5) {
    return { type, member: memberOf(fields.slice(2)) };
  }
  if (type === 'removeMember' && fields.length === 4) {
    return { type, id: nodeId(fields[2], 'member id'), ifConfigVersion: version(fields[3]) };
  }
  if (type === 'setShardReplicas' && fields.length === 5) {
    const shard = integer(fields[2], 0, shardCountMax - 1, 'shard');
    const replicas = replicaList(fields[3], `shard ${shard} replicas`);
    return { type, shard, replicas, ifConfigVersion: version(fields[4]) };
  }
  throw new ClusterConfigError(`unknown meta command ${quote(String(type).slice(0, 40))}`);
}

function fieldsOf(command: MetaCommand): unknown[] {
  switch (command.type) {
    case 'addMember': {
      const { id, url, zone } = command.member;
      return [command.type, id, url, zone];
    }
    case 'removeMember':
      return [command.type, command.id, command.ifConfigVersion];
    case 'setShardReplicas':
      return [command.type, command.shard, [...command.replicas], command.ifConfigVersion];
  }
}

/** Encodes a command after the checks its decoder makes, so the log never holds a bad one. */
export function encodeMetaCommand(command: MetaCommand): Uint8Array {
  const raw = [formatVersion, ...fieldsOf(command)];
  const checked = guarded('meta command', () => readCommand(raw));
  assert(checked.type === command.type, 'a command encodes as its own type');
  return packr.pack(raw);
}

/** Decodes and checks a command; throws ClusterConfigError on anything malformed. */
export function decodeMetaCommand(bytes: Uint8Array): MetaCommand {
  return guarded('meta command', () => readCommand(unpack(bytes, 'meta command')));
}

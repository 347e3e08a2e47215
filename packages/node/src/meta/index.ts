// Public surface of the cluster-configuration modules: the --initial-cluster parser and
// cluster id, placement, the meta group's state machine and its codec. All pure.
export { ClusterConfigError } from './errors.js';
export { clusterIdHexChars, clusterIdOf, parseInitialCluster } from './initial-cluster.js';
export {
  clusterIdCharsMax,
  membersMax,
  memberUrlCharsMax,
  metaVotersDefault,
  replicasMax,
  shardCountMax,
  zoneNameCharsMax,
} from './limits.js';
export {
  type ClusterMember,
  checkMember,
  checkMembers,
  compareIds,
  defaultZone,
  isValidZone,
  normalizeMemberUrl,
  sortMembers,
} from './members.js';
export {
  decodeMetaCommand,
  decodeMetaState,
  encodeMetaCommand,
  encodeMetaState,
} from './meta-codec.js';
export {
  applyMetaCommand,
  checkMetaState,
  checkReplicaSet,
  type InitialMetaInput,
  initialMetaState,
  type MetaApplied,
  type MetaCommand,
  type MetaErrorCode,
  type MetaReply,
  type MetaState,
  memberById,
  replicasOn,
} from './meta-state.js';
export {
  type PlacedMember,
  type PlaceShardsInput,
  placeMeta,
  placeShards,
  type ShardPlacement,
  type ZoneQuota,
  zoneQuota,
} from './placement.js';

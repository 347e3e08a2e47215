// Public surface of @troupe/node: the node process (start one in-process, or run
// `troupe-node`), its configuration and start-up errors, the cluster-configuration helpers
// (initial cluster, placement), and the pure Raft core (also `@troupe/node/raft`).

export { ClusterConfigError } from './meta/errors.js';
export { clusterIdOf, parseInitialCluster } from './meta/initial-cluster.js';
export type { ClusterMember } from './meta/members.js';
export type { MetaState } from './meta/meta-state.js';
export { placeMeta, placeShards, type ShardPlacement } from './meta/placement.js';
export * from './raft/index.js';
export { nodeUsage, parseNodeArgs } from './server/cli-args.js';
export { type NodeConfig, NodeConfigError, nodeConfigDefaults } from './server/config.js';
export type { GroupStatus, NodeHeartbeat, NodeStatus } from './server/node-status.js';
export { TroupeNode } from './server/troupe-node.js';
export { DataDirError } from './storage/errors.js';

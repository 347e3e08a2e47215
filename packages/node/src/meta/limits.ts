// Bounds of the cluster configuration, in one place so the parser, the placement, the meta
// state machine and the codec agree; the codec relies on them to bound untrusted input.
// shardCountMax and replicasMax mirror @troupe/client/protocol's kvLimits (which the node
// checks its flags against) without making this pure module depend on the client package.
import { assert } from '@troupe/runtime/assert';

/** Members of one cluster (also the bound on an --initial-cluster list). */
export const membersMax = 64;

/** Shards per cluster, fixed at init. */
export const shardCountMax = 1024;

/** Replicas of one Raft group (a shard's, or the meta group's voters). */
export const replicasMax = 7;

/** Meta group voters by default: tolerates two failed nodes, keeps config commits cheap. */
export const metaVotersDefault = 5;

/** Zone names: `[A-Za-z0-9_.-]`, 1 to zoneNameCharsMax characters. */
export const zoneNameCharsMax = 64;

/** Member URLs: `ws://` + a DNS name (at most 253) or bracketed IPv6 + `:` + port. */
export const memberUrlCharsMax = 300;

/** Cluster ids (clusterIdOf makes 16 hex chars; tests may use any printable id). */
export const clusterIdCharsMax = 64;

assert(metaVotersDefault <= replicasMax, 'the meta group is a Raft group like any other');
assert(replicasMax <= membersMax, 'a full group must fit in a cluster');

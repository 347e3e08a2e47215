// Internal surface of @troupe/balancer for tests: the pure pieces, exercised on their own.
export { ClientConnection } from './client/client-connection.js';
export { ClusterView, shardGroupId } from './cluster/cluster-view.js';
export { NodeHealth } from './cluster/node-health.js';
export { pickCandidate } from './failover/candidate.js';
export { Failover } from './failover/failover.js';
export { planReplicaMove, replicaCounts, underReplicatedShards } from './failover/replica-move.js';
export * from './index.js';
export { HoldQueue } from './routing/hold-queue.js';
export { LatencyTracker } from './routing/latency.js';
export { Router } from './routing/router.js';

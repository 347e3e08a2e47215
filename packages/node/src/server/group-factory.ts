// Builds the replica of one group on this node from its stored state: the key-value machine
// for a shard, the configuration machine for the meta group. Also bootstraps a founding
// member's groups on first start (a snapshot at index 1 that records the founding voters).
import type { Logger, Rng } from '@troupe/runtime';
import { MemoryKvStore } from '../kv/memory-kv-store.js';
import { encodeKvSnapshot, restoreKvSnapshot } from '../kv/snapshot.js';
import { KvStateMachine } from '../kv/state-machine.js';
import type { MetaState } from '../meta/meta-state.js';
import { KvGroupMachine } from '../replica/kv-group-machine.js';
import { MetaGroupMachine, metaBootstrapData } from '../replica/meta-group-machine.js';
import { Replica } from '../replica/replica.js';
import type { GroupStore } from '../storage/group-store.js';
import type { NodeConfig } from './config.js';

export const metaGroupId = 'meta';

export function shardGroupId(shard: number): string {
  return `s${shard}`;
}

/** Groups this node hosts under `meta`, with their founding voters. */
export function groupsPlacedOn(meta: MetaState, nodeId: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  if (meta.metaVoters.includes(nodeId)) groups.set(metaGroupId, [...meta.metaVoters].sort());
  for (const placement of meta.shards) {
    if (!placement.replicas.includes(nodeId)) continue;
    groups.set(shardGroupId(placement.shard), [...placement.replicas].sort());
  }
  return groups;
}

/**
 * Writes the founding snapshot of a group and loads it into the group's state, as installing
 * any snapshot does; call inside NodeStore.write.
 */
export function bootstrapGroup(
  store: GroupStore,
  groupId: string,
  voters: readonly string[],
  meta: MetaState,
): void {
  const data =
    groupId === metaGroupId ? metaBootstrapData(meta) : encodeKvSnapshot(new MemoryKvStore());
  store.bootstrap({ voters: [...voters].sort(), learners: [] }, data);
  restoreKvSnapshot(data, store.kv());
}

export interface GroupDeps {
  readonly config: NodeConfig;
  readonly origin: string;
  readonly rng: Rng;
  readonly logger: Logger;
  readonly onMetaChange: (state: MetaState) => void;
}

export type HostedGroup =
  | { readonly kind: 'shard'; readonly replica: Replica; readonly machine: KvGroupMachine }
  | { readonly kind: 'meta'; readonly replica: Replica; readonly machine: MetaGroupMachine };

export function openGroup(deps: GroupDeps, groupId: string, store: GroupStore): HostedGroup {
  const c = deps.config;
  const replicaOptions = {
    groupId,
    nodeId: c.nodeId,
    origin: deps.origin,
    store,
    rng: deps.rng,
    logger: deps.logger,
    electionTimeoutTicks: c.electionTimeoutTicks,
    heartbeatIntervalTicks: c.heartbeatIntervalTicks,
    // Followers learn commits with the next App or heartbeat (one tick at most): the write
    // path then costs two turns and two messages per follower instead of four.
    commitBroadcast: 'lazy' as const,
    snapshotEveryEntries: c.snapshotEveryEntries,
    logKeepEntries: c.logKeepEntries,
    pendingRequestsMax: c.pendingRequestsMax,
    requestTimeoutTicks: Math.max(1, Math.ceil(c.requestTimeoutMs / c.tickIntervalMs)),
  };
  if (groupId === metaGroupId) {
    const machine = new MetaGroupMachine(store.kv(), deps.onMetaChange);
    return { kind: 'meta', machine, replica: new Replica({ ...replicaOptions, machine }) };
  }
  const machine = new KvGroupMachine(new KvStateMachine(), store.kv());
  return { kind: 'shard', machine, replica: new Replica({ ...replicaOptions, machine }) };
}

// The requests a balancer (or an operator tool) sends to a node's `admin` actor, and the
// replies it reads. The node validates every one; this module only names the shapes so that
// the balancer does not import node code.

export interface MemberView {
  readonly id: string;
  /** Always canonical: `ws://host:port`, host lower-cased, port without leading zeros. */
  readonly url: string;
  readonly zone: string;
}

export interface ShardPlacementView {
  readonly shard: number;
  /** replicas[0] is the preferred leader. */
  readonly replicas: readonly string[];
}

/** The meta group's configuration as a node has applied it (`{ type: 'meta' }`). */
export interface MetaView {
  readonly clusterId: string;
  /** 1 at init; one more after every applied change. */
  readonly configVersion: number;
  readonly shardCount: number;
  /** The replication factor the cluster was created with (balancers aim for it). */
  readonly replicationFactor: number;
  /** Sorted by id. */
  readonly members: readonly MemberView[];
  readonly metaVoters: readonly string[];
  /** shards[i].shard === i. */
  readonly shards: readonly ShardPlacementView[];
}

/** Moves a shard's replicas; refused unless the config is still at `ifConfigVersion`. */
export interface SetShardReplicasRequest {
  readonly type: 'setShardReplicas';
  readonly shard: number;
  readonly replicas: readonly string[];
  readonly ifConfigVersion: number;
}

/**
 * Asks a follower to start an election at once (skipping the pre-vote) because its leader is
 * believed dead. The node refuses while it still hears from a leader, so a balancer with a
 * wrong view cannot depose a healthy one; Raft alone decides who wins.
 */
export interface CampaignRequest {
  readonly type: 'campaign';
  readonly groupId: string;
}

export type CampaignReply =
  | { readonly ok: true; readonly outcome: 'campaigning' | 'alreadyLeader'; readonly term: number }
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * The answer to a configuration change. A node that does not lead the meta group answers
 * `TROUPE_ERR_NOT_LEADER` with the meta leader to ask instead.
 */
export type ChangeReply =
  | { readonly ok: true; readonly meta: MetaView }
  | {
      readonly ok: false;
      readonly code: string;
      readonly message: string;
      readonly leader?: { readonly nodeId: string; readonly url: string | null } | null;
    };

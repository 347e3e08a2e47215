// The `admin` actor: status for operators, balancers and tests (node status with every group's
// Raft state, per-group state hashes to prove replicas converged, the meta view), and changes
// to the cluster configuration that go through the meta group: a node joining, and a shard's
// replica set (what balancers use to re-replicate); and a balancer's request that a follower
// campaign at once because its leader died. Requests are validated before anything is
// proposed; a change is answered once it applied.
import type { CampaignReply } from '@troupe/client/protocol';
import type { Actor, DeferredReply } from '@troupe/runtime';
import type { ClusterMember } from '../meta/initial-cluster.js';
import type { MetaState } from '../meta/meta-state.js';
import type { JoinReply } from './join.js';
import type { NodeStatus } from './node-status.js';
import type { GroupConfReply } from './orphan-replicas.js';

export type AdminRequest =
  | { readonly type: 'status' }
  | { readonly type: 'stateHashes' }
  | { readonly type: 'meta' }
  | { readonly type: 'join'; readonly member: ClusterMember }
  | { readonly type: 'campaign'; readonly groupId: string }
  | { readonly type: 'groupConf'; readonly groupId: string }
  | {
      readonly type: 'setShardReplicas';
      readonly shard: number;
      readonly replicas: readonly string[];
      readonly ifConfigVersion: number;
    };

export interface GroupHash {
  readonly applied: number;
  readonly hash: string;
}

/** The answer to a configuration change: the meta reply, or why it was not proposed. */
export type ChangeReply = JoinReply;

export interface AdminHost {
  status(): NodeStatus;
  stateHashes(): Record<string, GroupHash>;
  meta(): MetaState;
  campaign(groupId: string): CampaignReply;
  /** A hosted group's configuration as applied here (a returning node asks if it was removed). */
  groupConf(groupId: string): GroupConfReply;
  /** Proposes a meta command; `reply` gets the outcome once it applied (or failed). */
  changeMeta(
    request: Extract<AdminRequest, { type: 'join' | 'setShardReplicas' }>,
    reply: DeferredReply<ChangeReply>,
  ): void;
}

const types = new Set([
  'status',
  'stateHashes',
  'meta',
  'join',
  'setShardReplicas',
  'campaign',
  'groupConf',
]);
const groupTypes = new Set(['campaign', 'groupConf']);
const groupIdCharsMax = 64;

function isAdminRequest(message: unknown): message is AdminRequest {
  if (typeof message !== 'object' || message === null) return false;
  const { type, groupId } = message as { type?: unknown; groupId?: unknown };
  if (typeof type !== 'string' || !types.has(type)) return false;
  if (!groupTypes.has(type)) return true;
  return typeof groupId === 'string' && groupId.length > 0 && groupId.length <= groupIdCharsMax;
}

export function adminEndpoint(host: AdminHost): Actor<AdminRequest, unknown> {
  return {
    accepts: isAdminRequest,
    receive(message, context) {
      switch (message.type) {
        case 'status':
          return host.status();
        case 'stateHashes':
          return host.stateHashes();
        case 'meta':
          return host.meta();
        case 'campaign':
          return host.campaign(message.groupId);
        case 'groupConf':
          return host.groupConf(message.groupId);
        case 'join':
        case 'setShardReplicas':
          host.changeMeta(message, context.deferReply<ChangeReply>());
          return undefined;
      }
    },
  };
}

// Runs reconcile.ts for every group this node leads, once a second, and carries out the
// decision: a membership change proposal or a leadership transfer.
import type { ActorSystem, Logger } from '@troupe/runtime';
import type { MetaState } from '../meta/meta-state.js';
import type { Replica } from '../replica/replica.js';
import { reconcileGroup } from './reconcile.js';

export interface ReconcilerInputs {
  readonly meta: MetaState;
  readonly nodeId: string;
  /** Hosted replicas by group id. */
  readonly replicas: ReadonlyMap<string, Replica>;
}

export const reconcileIntervalMs = 1_000;

/** The placement of a group: the meta voters, or a shard's replicas. */
export function desiredReplicas(meta: MetaState, groupId: string): readonly string[] | null {
  if (groupId === 'meta') return meta.metaVoters;
  const shard = Number(groupId.slice(1));
  return meta.shards.find((s) => s.shard === shard)?.replicas ?? null;
}

export class GroupReconciler {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly system: ActorSystem,
    private readonly log: Logger,
    private readonly inputs: () => ReconcilerInputs,
    /** Runs after every round; `acted` says whether anything was proposed. */
    private readonly afterRound: (acted: boolean) => void,
  ) {
    this.timer = setInterval(() => this.round(), reconcileIntervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  round(): void {
    const { meta, nodeId, replicas } = this.inputs();
    let acted = false;
    for (const [groupId, replica] of replicas) {
      if (!replica.isLeader) continue;
      const desired = desiredReplicas(meta, groupId);
      if (desired === null) continue;
      const isConnected = (id: string): boolean => this.system.isConnected(id);
      const action = reconcileGroup({
        self: nodeId,
        desired,
        status: replica.status(),
        isConnected,
      });
      if (action.type === 'none') continue;
      acted = true;
      this.log.info({ group: groupId, action }, 'reconciling group with its placement');
      if (action.type === 'transferLeader') replica.transferLeader(action.to);
      else if (action.type === 'addLearner')
        replica.proposeConfChange({ type: 'addLearner', nodeId: action.nodeId });
      else if (action.type === 'promote')
        replica.proposeConfChange({ type: 'addVoter', nodeId: action.nodeId });
      else replica.proposeConfChange({ type: 'removeNode', nodeId: action.nodeId });
    }
    this.afterRound(acted);
  }
}

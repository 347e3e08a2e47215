// Restores the replication factor when a node stays down past the grace period: every
// `intervalMs` it plans one replica move (replica-move.ts) and proposes it to the meta group
// with compare-on-config-version, so when several balancers try at once exactly one wins and
// the others see a newer configuration. The nodes do the rest (learner, snapshot, promote,
// then remove the dead replica); this only changes the placement.
import type { ChangeReply, SetShardReplicasRequest } from '@troupe/client/protocol';
import type { Logger } from '@troupe/runtime';
import type { ClusterView } from '../cluster/cluster-view.js';
import { planReplicaMove, type ReplicaMove } from './replica-move.js';

export type AdminChangeAsk = (
  nodeId: string,
  request: SetShardReplicasRequest,
) => Promise<ChangeReply>;

export interface RereplicatorOptions {
  readonly graceMs: number;
  readonly intervalMs: number;
}

export interface RereplicatorHooks {
  moved(move: ReplicaMove, outcome: string): void;
  /** The meta group answered with a newer configuration (or we need one). */
  metaStale(): void;
}

export class Rereplicator {
  private readonly timer: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly view: ClusterView,
    private readonly ask: AdminChangeAsk,
    private readonly nowMs: () => number,
    private readonly logger: Logger,
    private readonly hooks: RereplicatorHooks,
    private readonly options: RereplicatorOptions,
  ) {
    this.timer = setInterval(() => void this.round(), options.intervalMs);
  }

  /** Whether `nodeId` has been down longer than the grace period. */
  isGone(nodeId: string): boolean {
    const since = this.view.nodes.get(nodeId)?.downSinceMs ?? null;
    return since !== null && this.nowMs() - since >= this.options.graceMs;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async round(): Promise<void> {
    const meta = this.view.meta;
    if (this.busy || meta === null) return;
    const move = planReplicaMove({
      meta,
      isGone: (id) => this.isGone(id),
      isUp: (id) => this.view.isUp(id),
    });
    if (move === null) return;
    this.busy = true;
    try {
      await this.propose(move);
    } finally {
      this.busy = false;
    }
  }

  private async propose(move: ReplicaMove): Promise<void> {
    const request: SetShardReplicasRequest = {
      type: 'setShardReplicas',
      shard: move.shard,
      replicas: move.replicas,
      ifConfigVersion: move.ifConfigVersion,
    };
    let target = this.view.leaderOf('meta') ?? this.anyUpNode();
    for (let hop = 0; hop < 3 && target !== null; hop++) {
      let reply: ChangeReply;
      try {
        reply = await this.ask(target, request);
      } catch (error) {
        this.logger.debug({ err: error, target }, 'replica move: meta node unreachable');
        return this.hooks.moved(move, 'unreachable');
      }
      if (reply.ok) {
        this.view.applyMeta(reply.meta, this.nowMs());
        this.logger.info({ ...move, configVersion: reply.meta.configVersion }, 'replica moved');
        return this.hooks.moved(move, 'ok');
      }
      if (reply.code !== 'TROUPE_ERR_NOT_LEADER') {
        this.logger.info(
          { ...move, code: reply.code, reason: reply.message },
          'replica move refused',
        );
        this.hooks.metaStale();
        return this.hooks.moved(move, reply.code);
      }
      const hinted = reply.leader?.nodeId ?? null;
      target = hinted !== null && this.view.isUp(hinted) ? hinted : null;
    }
    this.hooks.moved(move, 'noMetaLeader');
  }

  private anyUpNode(): string | null {
    for (const id of this.view.nodes.keys()) if (this.view.isUp(id)) return id;
    return null;
  }
}

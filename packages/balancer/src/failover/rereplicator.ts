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

const movesPerRoundMax = 256;

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
    if (this.busy) return;
    this.busy = true;
    try {
      // Moves go one after another (each needs the configuration the previous one made), as
      // long as they succeed: a dead node's dozen shards move in one round, not a dozen.
      for (let moves = 0; moves < movesPerRoundMax; moves++) {
        const meta = this.view.meta;
        if (meta === null) return;
        const move = planReplicaMove({
          meta,
          isGone: (id) => this.isGone(id),
          isUp: (id) => this.view.isUp(id),
        });
        if (move === null || !(await this.propose(move))) return;
      }
    } finally {
      this.busy = false;
    }
  }

  /** Proposes one move; true when the meta group applied it. */
  private async propose(move: ReplicaMove): Promise<boolean> {
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
        this.hooks.moved(move, 'unreachable');
        return false;
      }
      if (reply.ok) {
        this.view.applyMeta(reply.meta, this.nowMs());
        this.logger.info({ ...move, configVersion: reply.meta.configVersion }, 'replica moved');
        this.hooks.moved(move, 'ok');
        return true;
      }
      if (reply.code !== 'TROUPE_ERR_NOT_LEADER') {
        const reason = reply.message;
        this.logger.info({ ...move, code: reply.code, reason }, 'replica move refused');
        this.hooks.metaStale();
        this.hooks.moved(move, reply.code);
        return false;
      }
      const hinted = reply.leader?.nodeId ?? null;
      target = hinted !== null && this.view.isUp(hinted) ? hinted : null;
    }
    this.hooks.moved(move, 'noMetaLeader');
    return false;
  }

  private anyUpNode(): string | null {
    for (const id of this.view.nodes.keys()) if (this.view.isUp(id)) return id;
    return null;
  }
}

// A node that was down while its replicas were moved elsewhere comes back with replicas whose
// own configuration still lists it: it never saw its removal commit. Such a replica cannot
// tell on its own whether the removal committed, and deleting it before that would drop a
// voter the group may still need. So for every hosted group that the meta placement no longer
// puts here, this asks a node that is placed for it for the group's configuration as applied
// there; applied means committed, so once that configuration excludes us, the replica is
// retired safely. Runs every `intervalMs`, one question per orphan per round.
import type { ActorSystem, Logger } from '@troupe/runtime';
import type { MetaState } from '../meta/meta-state.js';
import type { Replica } from '../replica/replica.js';
import { desiredReplicas } from './group-reconciler.js';

export interface GroupConfReply {
  readonly ok: boolean;
  readonly voters?: readonly string[];
  readonly learners?: readonly string[];
}

export interface OrphanInputs {
  readonly meta: MetaState;
  readonly nodeId: string;
  readonly replicas: ReadonlyMap<string, Replica>;
}

const intervalMs = 2_000;
const askTimeoutMs = 2_000;

export class OrphanReplicas {
  private readonly timer: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly system: ActorSystem,
    private readonly log: Logger,
    private readonly inputs: () => OrphanInputs,
    private readonly retire: (groupId: string) => void,
  ) {
    this.timer = setInterval(() => void this.round(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async round(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { meta, nodeId, replicas } = this.inputs();
      for (const groupId of replicas.keys()) {
        const placed = desiredReplicas(meta, groupId);
        if (placed === null || placed.includes(nodeId)) continue;
        if (await this.removedElsewhere(groupId, placed, nodeId)) {
          this.log.info({ group: groupId }, 'a member applied our removal: retiring replica');
          this.retire(groupId);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private async removedElsewhere(
    groupId: string,
    placed: readonly string[],
    self: string,
  ): Promise<boolean> {
    for (const member of placed) {
      if (!this.system.isConnected(member)) continue;
      try {
        const reply = (await this.system
          .ref(member, 'admin')
          .ask({ type: 'groupConf', groupId }, { timeoutMs: askTimeoutMs })) as GroupConfReply;
        // A replica still waiting for its first snapshot has no configuration: no evidence.
        if (!reply.ok || reply.voters === undefined || reply.voters.length === 0) continue;
        const stillIn = reply.voters.includes(self) || (reply.learners ?? []).includes(self);
        return !stillIn;
      } catch (error) {
        this.log.debug({ group: groupId, member, err: error }, 'groupConf question failed');
      }
    }
    return false;
  }
}

// Keeps the cluster configuration fresh on a node that is not a meta-group voter: once a
// second it asks a connected meta voter for the configuration and adopts it when newer. Meta
// voters learn changes by applying them and skip this.
import type { ActorSystem, Logger } from '@troupe/runtime';
import { checkMetaState, type MetaState } from '../meta/meta-state.js';

export const metaPollIntervalMs = 1_000;

export class MetaFollower {
  private readonly timer: NodeJS.Timeout;
  private inFlight = false;

  constructor(
    private readonly system: ActorSystem,
    private readonly log: Logger,
    private readonly current: () => MetaState,
    private readonly adopt: (state: MetaState) => void,
  ) {
    this.timer = setInterval(() => void this.poll(), metaPollIntervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    const meta = this.current();
    if (this.inFlight || meta.metaVoters.includes(this.system.nodeId)) return;
    const voter = meta.metaVoters.find((id) => this.system.isConnected(id));
    if (voter === undefined) return;
    this.inFlight = true;
    try {
      const fresh = (await this.system
        .ref(voter, 'admin')
        .ask({ type: 'meta' }, { timeoutMs: 2_000 })) as MetaState;
      // A member is authenticated, but its answer is still checked before it steers hosting.
      checkMetaState(fresh);
      if (fresh.clusterId === meta.clusterId && fresh.configVersion > meta.configVersion) {
        this.adopt(fresh);
      }
    } catch (error) {
      this.log.debug({ voter, err: error }, 'meta refresh failed; next round retries');
    } finally {
      this.inFlight = false;
    }
  }
}

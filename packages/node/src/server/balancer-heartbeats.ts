// Heartbeats from this node to every balancer it knows (the configured --balancer URLs and any
// balancer that connected to us): per group, role, term, leader, commit and applied index. The
// balancer's failure detector and routing table run on these.
import type { ActorSystem } from '@troupe/runtime';
import type { NodeConfig } from './config.js';
import type { GroupStatus, NodeHeartbeat } from './node-status.js';

/** The actor every balancer runs to receive node heartbeats. */
export const balancerHealthActor = 'health';

export class BalancerHeartbeats {
  private readonly timer: NodeJS.Timeout;
  private seq = 0;

  constructor(
    private readonly system: ActorSystem,
    private readonly config: NodeConfig,
    private readonly current: () => {
      readonly configVersion: number;
      readonly groups: readonly GroupStatus[];
    },
  ) {
    for (const url of config.balancers) {
      system.connect(url, { timeoutMs: 2_000 }).catch(() => {
        // The link keeps redialling; heartbeats start once it is up.
      });
    }
    this.timer = setInterval(() => this.beat(), config.balancerHeartbeatMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    const balancers = this.system.peers().filter((peer) => peer.role === 'balancer');
    if (balancers.length === 0) return;
    const { configVersion, groups } = this.current();
    const heartbeat: NodeHeartbeat = {
      type: 'nodeHeartbeat',
      nodeId: this.config.nodeId,
      zone: this.config.zone,
      url: this.system.listenUrl,
      configVersion,
      seq: ++this.seq,
      groups: groups.map((g) => [g.groupId, g.role, g.term, g.leaderId, g.commit, g.applied]),
    };
    for (const peer of balancers) {
      try {
        this.system.ref(peer.nodeId, balancerHealthActor).tell(heartbeat);
      } catch {
        // Down or congested: the next beat tries again; a missed beat is what phi measures.
      }
    }
  }
}

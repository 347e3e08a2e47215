// Heartbeats from this node to every balancer it knows (the configured --balancer URLs and any
// balancer that connected to us): per group, role, term, leader, commit and applied index. The
// balancer's failure detector and routing table run on these. Besides the steady interval, a
// beat goes out as soon as a group's leadership changes here, so that balancers route to a new
// leader without waiting for the next interval (at most one extra beat per `urgentGapMs`).
import { balancerHealthActor, type GroupBeat, type NodeHeartbeat } from '@troupe/client/protocol';
import type { ActorSystem } from '@troupe/runtime';
import type { NodeConfig } from './config.js';
import type { GroupStatus } from './node-status.js';

export { balancerHealthActor };

const urgentGapMs = 5;

export class BalancerHeartbeats {
  private readonly timer: NodeJS.Timeout;
  private urgent: NodeJS.Timeout | undefined;
  private seq = 0;
  private stopped = false;

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

  /** A group's leadership changed here: tell the balancers now rather than at the interval. */
  beatSoon(): void {
    if (this.urgent !== undefined || this.stopped) return;
    this.urgent = setTimeout(() => {
      this.urgent = undefined;
      this.beat();
    }, urgentGapMs);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.urgent !== undefined) clearTimeout(this.urgent);
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
      groups: groups.map(
        (g): GroupBeat => [g.groupId, g.role, g.term, g.leaderId, g.commit, g.applied],
      ),
    };
    // The sender ref names this node over the authenticated connection: balancers believe a
    // beat only about the node it came from.
    const sender = this.system.ref(this.config.nodeId, 'admin');
    for (const peer of balancers) {
      try {
        this.system.ref(peer.nodeId, balancerHealthActor).tell(heartbeat, sender);
      } catch {
        // Down or congested: the next beat tries again; a missed beat is what phi measures.
      }
    }
  }
}

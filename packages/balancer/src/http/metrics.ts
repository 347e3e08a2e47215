// The balancer's Prometheus metrics (prom-client, one registry per balancer so several can run
// in one process in tests). Counters and histograms are updated as things happen; gauges that
// describe current state (phi, leaders, queue depths) are read from the balancer at scrape.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsSource {
  /** Per node: phi, up (0/1), leaders. */
  nodes(): Iterable<{ id: string; phi: number; up: boolean; leaders: number }>;
  heldRequests(): number;
  inflightRequests(): number;
  clientConnections(): number;
  failoversInProgress(): number;
  shardsUnderReplicated(): number;
}

const prefix = 'troupe_balancer_';
/** Request latencies span a cached stale read (~0.3 ms) to a write held through a failover. */
const latencyBucketsSeconds = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10,
];
const failoverBucketsSeconds = [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2, 5, 10];

export class BalancerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'op' | 'outcome'>;
  readonly requestSeconds: Histogram<'op'>;
  readonly nodeRequests: Counter<'node' | 'outcome'>;
  readonly retries: Counter<'reason'>;
  readonly leaderChanges: Counter;
  readonly failovers: Counter;
  readonly failoverSeconds: Histogram;
  readonly campaignRequests: Counter<'outcome'>;
  readonly clientRejections: Counter<'reason'>;
  readonly replicaMoves: Counter<'outcome'>;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix });
    this.requests = new Counter({
      name: `${prefix}requests_total`,
      help: 'Client requests answered, by operation and outcome (ok or the error code).',
      labelNames: ['op', 'outcome'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: `${prefix}request_duration_seconds`,
      help: 'Time from a request read off the client socket to its reply, by operation.',
      labelNames: ['op'],
      buckets: latencyBucketsSeconds,
      registers,
    });
    this.nodeRequests = new Counter({
      name: `${prefix}node_requests_total`,
      help: 'Attempts sent to each node, by outcome (ok, an error code, or a transport error).',
      labelNames: ['node', 'outcome'],
      registers,
    });
    this.retries = new Counter({
      name: `${prefix}retries_total`,
      help: 'Attempts retried, by the reason the previous attempt failed.',
      labelNames: ['reason'],
      registers,
    });
    this.leaderChanges = new Counter({
      name: `${prefix}leader_changes_total`,
      help: 'Shard leader changes seen (heartbeats, NotLeader hints, lost leaders).',
      registers,
    });
    this.failovers = new Counter({
      name: `${prefix}failovers_total`,
      help: 'Failovers started because a leader node went down or was suspected.',
      registers,
    });
    this.failoverSeconds = new Histogram({
      name: `${prefix}failover_duration_seconds`,
      help: 'From losing a shard leader to seeing its successor.',
      buckets: failoverBucketsSeconds,
      registers,
    });
    this.campaignRequests = new Counter({
      name: `${prefix}campaign_requests_total`,
      help: 'Campaign requests sent to followers, by the answer.',
      labelNames: ['outcome'],
      registers,
    });
    this.clientRejections = new Counter({
      name: `${prefix}client_rejections_total`,
      help: 'Bad client input: requests answered with an error code, or connections closed.',
      labelNames: ['reason'],
      registers,
    });
    this.replicaMoves = new Counter({
      name: `${prefix}replica_moves_total`,
      help: 'Re-replication proposals (a shard replica moved off a dead node), by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.registerGauges(source);
  }

  private registerGauges(source: MetricsSource): void {
    const registers = [this.registry];
    new Gauge({
      name: `${prefix}node_phi`,
      help: 'Phi-accrual suspicion of each node, from its heartbeats.',
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        for (const node of source.nodes()) this.set({ node: node.id }, round(node.phi));
      },
    });
    new Gauge({
      name: `${prefix}node_up`,
      help: '1 when the node is connected and not suspected.',
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        for (const node of source.nodes()) this.set({ node: node.id }, node.up ? 1 : 0);
      },
    });
    new Gauge({
      name: `${prefix}node_leaders`,
      help: 'Shard and meta groups each node leads, as this balancer sees it.',
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        for (const node of source.nodes()) this.set({ node: node.id }, node.leaders);
      },
    });
    const scalar = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name: `${prefix}${name}`,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    scalar('held_requests', 'Requests waiting for a shard leader.', () => source.heldRequests());
    scalar('inflight_requests', 'Client requests being routed now.', () =>
      source.inflightRequests(),
    );
    scalar('client_connections', 'Open client connections.', () => source.clientConnections());
    scalar('failovers_in_progress', 'Shards whose leader is lost and not yet replaced.', () =>
      source.failoversInProgress(),
    );
    scalar('shards_under_replicated', 'Shards with a replica on a node that is down.', () =>
      source.shardsUnderReplicated(),
    );
  }
}

function round(phi: number): number {
  return Number.isFinite(phi) ? Math.round(phi * 1_000) / 1_000 : 1e9;
}

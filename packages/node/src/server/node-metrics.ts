// The node's Prometheus metrics (prom-client, one registry per node so several can run in one
// process in tests). The hot path only increments counters and observes histograms, through
// the observer interfaces of MultiRaft and the kv endpoint (which stay free of prom-client);
// everything that describes current state (terms, indexes, lags, queue depths) is read from
// the node when Prometheus scrapes. The Raft core is only read through RawNode.status().
import type { OutboundQueueInfo } from '@troupe/runtime';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RaftStatus } from '../raft/index.js';
import type { TurnObserver } from '../replica/multi-raft.js';
import type { KvEndpointObserver } from './kv-endpoint.js';

/** One hosted group as a scrape sees it. */
export interface GroupSample {
  readonly groupId: string;
  readonly status: RaftStatus;
  readonly pending: {
    readonly proposals: number;
    readonly reads: number;
    readonly readsAwaitingReadIndex: number;
  };
}

/** What the metrics read from the node at scrape time. */
export interface NodeMetricsSource {
  groups(): Iterable<GroupSample>;
  /** MultiRaft's own counts since start (turns and store transactions by kind). */
  work(): { turns: number; durableWrites: number; applyOnlyWrites: number };
  store(): { usedBytes: number; fileBytes: number };
  outboundQueues(): Iterable<OutboundQueueInfo>;
  mailboxes(): Iterable<{ path: string; depth: number }>;
}

const prefix = 'troupe_node_';
/** From a stale read answered at once (~50 µs) to a write that waits out its timeout (5 s). */
const latencyBucketsSeconds = [
  0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10,
];
/** An lmdb commit: tens of µs on tmpfs, an fsync on a slow disk tens of ms, worse when stalled. */
const commitBucketsSeconds = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];
/** Per-turn counts: 0 (a turn of heartbeats) up to thousands (group commit under load). */
const sizeBuckets = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_024, 2_048, 4_096];

export class NodeMetrics implements TurnObserver, KvEndpointObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<'op' | 'outcome'>;
  private readonly requestSeconds: Histogram<'op'>;
  private readonly proposals: Counter<'outcome'>;
  private readonly leaderChanges: Counter<'group'>;
  private readonly commitSeconds: Histogram<'durable'>;
  private readonly turnAppended: Histogram;
  private readonly turnApplied: Histogram;
  private readonly turnMessages: Histogram;
  /** The leader each group last reported; bounded by the groups hosted (removed on retire). */
  private readonly leaders = new Map<string, string | null>();
  /** Groups read once per scrape and shared by every per-group gauge of that scrape. */
  private scrapeGroups: readonly GroupSample[] | null = null;

  constructor(private readonly source: NodeMetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix });
    this.requests = new Counter({
      name: `${prefix}requests_total`,
      help: 'Key-value requests answered by the kv actor, by operation and outcome (ok or code).',
      labelNames: ['op', 'outcome'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: `${prefix}request_duration_seconds`,
      help: 'From the kv actor taking a request to its reply, by operation.',
      labelNames: ['op'],
      buckets: latencyBucketsSeconds,
      registers,
    });
    this.proposals = new Counter({
      name: `${prefix}proposals_total`,
      help: 'Client writes by how they ended: committed (applied here) or the error code.',
      labelNames: ['outcome'],
      registers,
    });
    this.leaderChanges = new Counter({
      name: `${prefix}leader_changes_total`,
      help: "A group's replica here learned of a new leader (itself included).",
      labelNames: ['group'],
      registers,
    });
    this.commitSeconds = new Histogram({
      name: `${prefix}store_commit_duration_seconds`,
      help: "One turn's lmdb write transaction, fsync included, by durable (true/false).",
      labelNames: ['durable'],
      buckets: commitBucketsSeconds,
      registers,
    });
    const sizes = (name: string, help: string): Histogram =>
      new Histogram({ name: `${prefix}${name}`, help, buckets: sizeBuckets, registers });
    this.turnAppended = sizes('turn_entries_appended', 'Log entries appended per turn.');
    this.turnApplied = sizes('turn_entries_applied', 'Committed entries applied per turn.');
    this.turnMessages = sizes('turn_messages', 'Raft messages sent per turn (all peers).');
    this.registerWorkCounters();
    this.registerGroupGauges();
    this.registerQueueGauges();
  }

  /** The Prometheus text of a scrape. */
  async metrics(): Promise<{ contentType: string; body: string }> {
    // Every collect runs synchronously inside registry.metrics(): one status read per group.
    this.scrapeGroups = [...this.source.groups()];
    try {
      return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    } finally {
      this.scrapeGroups = null;
    }
  }

  requestFinished(op: string, outcome: string, seconds: number): void {
    this.requests.inc({ op, outcome });
    this.requestSeconds.observe({ op }, seconds);
  }

  writeFinished(outcome: string): void {
    this.proposals.inc({ outcome });
  }

  storeCommitted(durable: boolean, seconds: number): void {
    this.commitSeconds.observe({ durable: durable ? 'true' : 'false' }, seconds);
  }

  turnFinished(entriesAppended: number, entriesApplied: number, messages: number): void {
    this.turnAppended.observe(entriesAppended);
    this.turnApplied.observe(entriesApplied);
    this.turnMessages.observe(messages);
  }

  /** A group's known leader may have changed; counts it as etcd does (a new, known leader). */
  leaderObserved(groupId: string, leaderId: string | null): void {
    const previous = this.leaders.get(groupId) ?? null;
    this.leaders.set(groupId, leaderId);
    if (leaderId !== null && leaderId !== previous) this.leaderChanges.inc({ group: groupId });
  }

  groupRemoved(groupId: string): void {
    this.leaders.delete(groupId);
  }

  private groups(): readonly GroupSample[] {
    return this.scrapeGroups ?? [...this.source.groups()];
  }

  /** MultiRaft already counts these; a scrape copies its totals instead of counting twice. */
  private registerWorkCounters(): void {
    const source = this.source;
    new Counter({
      name: `${prefix}turns_total`,
      help: 'Turns of the multi-raft loop (each: one Ready of every group with work).',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(source.work().turns);
      },
    });
    new Counter({
      name: `${prefix}store_transactions_total`,
      help: 'Store transactions of turns, by durable (true: fsynced commit; false: apply only).',
      labelNames: ['durable'],
      registers: [this.registry],
      collect() {
        const work = source.work();
        this.reset();
        this.inc({ durable: 'true' }, work.durableWrites);
        this.inc({ durable: 'false' }, work.applyOnlyWrites);
      },
    });
  }

  private registerGroupGauges(): void {
    const perGroup = (name: string, help: string, read: (g: GroupSample) => number): void => {
      const groups = (): readonly GroupSample[] => this.groups();
      new Gauge({
        name: `${prefix}${name}`,
        help,
        labelNames: ['group'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const g of groups()) this.set({ group: g.groupId }, read(g));
        },
      });
    };
    perGroup('raft_term', 'Current Raft term of each group here.', (g) => g.status.term);
    perGroup('raft_commit_index', 'Highest log index known committed.', (g) => g.status.commit);
    perGroup('raft_applied_index', 'Highest log index applied here.', (g) => g.status.applied);
    perGroup('raft_last_index', 'Last index of the log here.', (g) => g.status.lastIndex);
    perGroup(
      'raft_apply_lag_entries',
      'Committed entries not yet applied here (commit - applied).',
      (g) => g.status.commit - g.status.applied,
    );
    perGroup('raft_is_leader', '1 when the replica here leads its group.', (g) =>
      g.status.role === 'leader' ? 1 : 0,
    );
    perGroup(
      'reads_awaiting_read_index',
      'Linearizable reads waiting for a ReadIndex round to confirm leadership.',
      (g) => g.pending.readsAwaitingReadIndex,
    );
    this.registerPerGroupDetail();
  }

  private registerPerGroupDetail(): void {
    const groups = (): readonly GroupSample[] => this.groups();
    new Gauge({
      name: `${prefix}raft_follower_match_lag_entries`,
      help: "On a leader: each member's entries behind the leader's log (last index - match).",
      labelNames: ['group', 'peer'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { groupId, status } of groups()) {
          for (const [peer, progress] of Object.entries(status.progress ?? {})) {
            if (peer === status.id) continue;
            this.set({ group: groupId, peer }, Math.max(0, status.lastIndex - progress.match));
          }
        }
      },
    });
    new Gauge({
      name: `${prefix}pending_requests`,
      help: 'Client requests a replica holds, by kind (proposal: awaiting apply; read).',
      labelNames: ['group', 'kind'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { groupId, pending } of groups()) {
          this.set({ group: groupId, kind: 'proposal' }, pending.proposals);
          this.set({ group: groupId, kind: 'read' }, pending.reads);
        }
      },
    });
  }

  private registerQueueGauges(): void {
    const source = this.source;
    const registers = [this.registry];
    const perPeer = (name: string, help: string, read: (q: OutboundQueueInfo) => number) => {
      new Gauge({
        name: `${prefix}${name}`,
        help,
        labelNames: ['peer'],
        registers,
        collect() {
          this.reset();
          for (const queue of source.outboundQueues())
            this.set({ peer: queue.nodeId }, read(queue));
        },
      });
    };
    perPeer('transport_queued_messages', 'Envelopes queued to each peer.', (q) => q.queuedMessages);
    perPeer(
      'transport_buffered_bytes',
      'Bytes handed to the socket to each peer and not yet written.',
      (q) => q.bufferedBytes,
    );
    new Gauge({
      name: `${prefix}actor_mailbox_depth`,
      help: 'Messages waiting in the mailbox of each top-level actor (raft, kv, admin).',
      labelNames: ['actor'],
      registers,
      collect() {
        this.reset();
        for (const { path, depth } of source.mailboxes()) this.set({ actor: path }, depth);
      },
    });
    new Gauge({
      name: `${prefix}store_used_bytes`,
      help: 'Bytes of live pages in the store; client writes stop near --storage-bytes-max.',
      registers,
      collect() {
        this.set(source.store().usedBytes);
      },
    });
    new Gauge({
      name: `${prefix}store_file_bytes`,
      help: 'Size of store.mdb as lmdb uses it.',
      registers,
      collect() {
        this.set(source.store().fileBytes);
      },
    });
  }
}

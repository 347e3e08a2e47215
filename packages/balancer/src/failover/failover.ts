// Fast failover: when a shard's leader is lost (its connection closed, or phi suspects it),
// ask the most up-to-date healthy follower to campaign at once instead of waiting out the
// election timeout. The node refuses while it still hears its leader, and Raft decides who
// wins, so a wrong suspicion costs an election at worst, never safety. If no new leader shows
// up within `retryMs`, the next candidate is asked, up to `attemptsMax` times; after that the
// group's own election timeout finishes the job.
import type { CampaignReply } from '@troupe/client/protocol';
import type { Logger } from '@troupe/runtime';
import type { ClusterView, LeaderChange } from '../cluster/cluster-view.js';
import { pickCandidate } from './candidate.js';

export type CampaignAsk = (nodeId: string, groupId: string) => Promise<CampaignReply>;

export interface FailoverOptions {
  readonly retryMs: number;
  readonly attemptsMax: number;
}

export interface FailoverHooks {
  started(groupId: string, formerLeader: string | null): void;
  /** A new leader was seen `elapsedMs` after the old one was lost. */
  finished(groupId: string, leaderId: string, elapsedMs: number): void;
  campaignAsked(nodeId: string, outcome: string): void;
}

/** Re-asking a candidate that still heard the leader: every 20 ms, for at most 0.5 s. */
const quickRetryMs = 20;
const quickRetriesMax = 25;

interface Pending {
  readonly startMs: number;
  readonly tried: Set<string>;
  quickRetries: number;
  timer: NodeJS.Timeout | undefined;
}

export class Failover {
  private readonly pending = new Map<string, Pending>();
  private stopped = false;

  constructor(
    private readonly view: ClusterView,
    private readonly campaign: CampaignAsk,
    private readonly nowMs: () => number,
    private readonly logger: Logger,
    private readonly hooks: FailoverHooks,
    private readonly options: FailoverOptions,
  ) {}

  /** Groups under failover now. */
  get inProgress(): number {
    return this.pending.size;
  }

  /**
   * Leaders lost because their node went down or is suspected. (A group that turned leaderless
   * through a newer term in a beat is in an election already; asking would only disturb it.)
   */
  leadersLost(changes: readonly LeaderChange[]): void {
    for (const change of changes) if (change.to === null) this.start(change.groupId, change.from);
  }

  /** Leadership changes seen in beats or hints: a new leader ends a failover. */
  onLeaderChanges(changes: readonly LeaderChange[]): void {
    for (const change of changes) if (change.to !== null) this.finish(change.groupId, change.to);
  }

  stop(): void {
    this.stopped = true;
    for (const pending of this.pending.values()) clearTimeout(pending.timer);
    this.pending.clear();
  }

  private start(groupId: string, formerLeader: string | null): void {
    if (this.stopped || this.pending.has(groupId)) return;
    const pending: Pending = {
      startMs: this.nowMs(),
      tried: new Set(),
      quickRetries: 0,
      timer: undefined,
    };
    if (formerLeader !== null) pending.tried.add(formerLeader);
    this.pending.set(groupId, pending);
    this.hooks.started(groupId, formerLeader);
    this.askNext(groupId, pending);
  }

  private finish(groupId: string, leaderId: string): void {
    const pending = this.pending.get(groupId);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.pending.delete(groupId);
    const elapsedMs = this.nowMs() - pending.startMs;
    this.hooks.finished(groupId, leaderId, elapsedMs);
    this.logger.info({ group: groupId, leader: leaderId, elapsedMs }, 'failover finished');
  }

  private askNext(groupId: string, pending: Pending): void {
    if (this.stopped || this.pending.get(groupId) !== pending) return;
    // A leader appeared without a change reaching us (a NotLeader hint): the failover is over.
    const leader = this.view.leaderOf(groupId);
    if (leader !== null) return this.finish(groupId, leader);
    const attempts = pending.tried.size;
    if (attempts > this.options.attemptsMax) return this.giveUp(groupId, pending);
    const candidate = pickCandidate(this.view, groupId, pending.tried);
    if (candidate === null) return this.giveUp(groupId, pending);
    pending.tried.add(candidate);
    this.campaign(candidate, groupId).then(
      (reply) => {
        const outcome = reply.ok ? reply.outcome : reply.code;
        this.hooks.campaignAsked(candidate, outcome);
        this.logger.debug({ group: groupId, candidate, outcome }, 'campaign requested');
        if (!reply.ok && reply.code === 'TROUPE_ERR_LEADER_ALIVE') {
          this.askAgainSoon(groupId, pending, candidate);
        }
      },
      (error: unknown) => {
        this.hooks.campaignAsked(candidate, 'unreachable');
        this.logger.debug({ group: groupId, candidate, err: error }, 'campaign request failed');
      },
    );
    pending.timer = setTimeout(() => this.askNext(groupId, pending), this.options.retryMs);
  }

  /**
   * The candidate still heard the leader: it may simply not have noticed yet that the
   * leader's connection closed (that news and our request race on different sockets). Ask it
   * again shortly, a bounded number of times, before moving on to the next candidate.
   */
  private askAgainSoon(groupId: string, pending: Pending, candidate: string): void {
    if (this.stopped || this.pending.get(groupId) !== pending) return;
    if (pending.quickRetries >= quickRetriesMax) return;
    pending.quickRetries++;
    pending.tried.delete(candidate);
    clearTimeout(pending.timer);
    pending.timer = setTimeout(() => this.askNext(groupId, pending), quickRetryMs);
  }

  private giveUp(groupId: string, pending: Pending): void {
    // Raft's own election timeout still elects someone; the held requests keep waiting.
    this.logger.info({ group: groupId, asked: [...pending.tried] }, 'no more candidates to ask');
    pending.timer = undefined;
  }
}

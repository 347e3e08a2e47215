// What the balancer has seen happen lately, for the dashboard (GET /activity): requests per
// second with latency percentiles over the last two minutes, the latest leader changes and the
// latest failovers with how long each took. /status says how things are; this says what just
// happened. Every part has a fixed size (oldest entries drop off), and times come in as
// arguments, so the recorder is pure and tests drive it with made-up clocks.
import type { LeaderChange } from '../cluster/cluster-view.js';
import { SecondBuckets, type SecondSummary } from './second-buckets.js';

export interface ActivityLimits {
  readonly windowSeconds: number;
  readonly leaderChangesMax: number;
  readonly failoversMax: number;
}

export const activityLimitsDefault: ActivityLimits = {
  windowSeconds: 120,
  leaderChangesMax: 200,
  failoversMax: 50,
};

/**
 * Codes that answer the request as asked (a conditional write refused because the key moved
 * on): the cluster worked, so they are not counted as errors.
 */
const answeredCodes: ReadonlySet<string> = new Set([
  'TROUPE_ERR_VERSION_CONFLICT',
  'TROUPE_ERR_ALREADY_EXISTS',
]);

/** Whether a reply code counts as an error on the dashboard. */
export function isErrorCode(code: string): boolean {
  return code !== 'ok' && !answeredCodes.has(code);
}

export interface LeaderChangeRecord {
  readonly groupId: string;
  readonly from: string | null;
  /** null: the leader was lost (its node went down or is suspected) and none is known yet. */
  readonly to: string | null;
  readonly term: number;
  readonly atMs: number;
}

export interface FailoverRecord {
  readonly groupId: string;
  readonly lostLeader: string | null;
  /** null while the failover is in progress. */
  readonly newLeader: string | null;
  readonly startedAtMs: number;
  /** From losing the leader to seeing its successor; null while in progress. */
  readonly durationMs: number | null;
}

export interface ActivitySnapshot {
  readonly nowMs: number;
  readonly windowSeconds: number;
  /** The last `windowSeconds` whole seconds, oldest first, idle seconds included. */
  readonly seconds: readonly SecondSummary[];
  /** Oldest first; at most `leaderChangesMax`. */
  readonly leaderChanges: readonly LeaderChangeRecord[];
  /** Every leader change since the balancer started, also those dropped from the list. */
  readonly leaderChangesTotal: number;
  /** Oldest first; at most `failoversMax`. */
  readonly failovers: readonly FailoverRecord[];
  readonly failoversTotal: number;
}

/** A fixed-capacity list that drops its oldest entry to make room. */
class Ring<T> {
  private readonly items: T[] = [];
  private start = 0;

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }
}

interface MutableFailover {
  groupId: string;
  lostLeader: string | null;
  newLeader: string | null;
  startedAtMs: number;
  durationMs: number | null;
}

export class ActivityRecorder {
  private readonly seconds: SecondBuckets;
  private readonly changes: Ring<LeaderChangeRecord>;
  private readonly failovers: Ring<MutableFailover>;
  private changesTotal = 0;
  private failoversTotal = 0;

  constructor(private readonly limits: ActivityLimits = activityLimitsDefault) {
    this.seconds = new SecondBuckets(limits.windowSeconds);
    this.changes = new Ring(limits.leaderChangesMax);
    this.failovers = new Ring(limits.failoversMax);
  }

  /** A client request answered with `code` ('ok' or an error code) after `latencyMs`. */
  requestFinished(nowMs: number, code: string, latencyMs: number): void {
    this.seconds.record(nowMs, latencyMs, isErrorCode(code));
  }

  leaderChanges(nowMs: number, changes: readonly LeaderChange[]): void {
    for (const { groupId, from, to, term } of changes) {
      this.changes.push({ groupId, from, to, term, atMs: nowMs });
      this.changesTotal++;
    }
  }

  failoverStarted(nowMs: number, groupId: string, lostLeader: string | null): void {
    this.failovers.push({
      groupId,
      lostLeader,
      newLeader: null,
      startedAtMs: nowMs,
      durationMs: null,
    });
    this.failoversTotal++;
  }

  /** Ends the group's latest failover in progress; one already dropped from the list is lost. */
  failoverFinished(groupId: string, newLeader: string, durationMs: number): void {
    const entries = this.failovers.toArray();
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (entry?.groupId !== groupId || entry.durationMs !== null) continue;
      entry.newLeader = newLeader;
      entry.durationMs = durationMs;
      return;
    }
  }

  snapshot(nowMs: number): ActivitySnapshot {
    return {
      nowMs,
      windowSeconds: this.limits.windowSeconds,
      seconds: this.seconds.summaries(nowMs),
      leaderChanges: this.changes.toArray(),
      leaderChangesTotal: this.changesTotal,
      failovers: this.failovers.toArray().map((entry) => ({ ...entry })),
      failoversTotal: this.failoversTotal,
    };
  }
}

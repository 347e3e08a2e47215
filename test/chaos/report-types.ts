// The chaos run's report, as written to `report.json` and rendered to HTML: what ran, which
// faults were applied when, what the clients saw each second, availability measured inside
// and outside fault windows beside the model's prediction, and the checkers' verdicts. Times
// are milliseconds since the run's workload started. Types only.

/** What a nemesis did to which process or link, and for how long. */
export interface FaultRecord {
  /** e.g. 'kill', 'pause', 'partition-majority', 'isolate-leader', 'bridge', 'one-way'. */
  readonly kind: string;
  /** Human-readable: 'n2', 'n1 | n2 n3', 'b1', 'n1 -> n3 cut'. */
  readonly target: string;
  readonly startMs: number;
  readonly endMs: number;
  /**
   * Nodes the fault made unreachable from the majority side for its duration (killed, paused
   * or cut off); used for each node's fraction of time reachable.
   */
  readonly nodesDown: readonly string[];
  /** Balancers the fault made unreachable (killed) for its duration. */
  readonly balancersDown: readonly string[];
}

/** A shard's leader as one balancer saw it change. */
export interface LeaderChange {
  readonly timeMs: number;
  readonly shard: number;
  readonly term: number;
  /** null while the shard had no known leader. */
  readonly leader: string | null;
}

/** Operation kinds the availability figures are kept for. */
export type AvailabilityKind = 'get' | 'stale-get' | 'update' | 'create' | 'delete';

export interface OutcomeCounts {
  /** Completed with a definite answer from the system (including CAS refusals). */
  readonly ok: number;
  /** Refused as unavailable, overloaded or similar: the system did not serve it. */
  readonly failed: number;
  /** Outcome unknown (timeout, connection lost after sending). Counted as not served. */
  readonly unknown: number;
}

/** One second of the run, by the operations invoked in it. */
export interface SecondBucket {
  readonly second: number;
  readonly byKind: Readonly<Partial<Record<AvailabilityKind, OutcomeCounts>>>;
  /** served / attempted over all kinds; 1 when nothing was attempted. */
  readonly successRatio: number;
}

export interface MeasuredAvailability {
  readonly attempted: number;
  readonly served: number;
  /** served / attempted, or null when nothing was attempted. */
  readonly ratio: number | null;
}

export interface AvailabilityRow {
  readonly kind: AvailabilityKind;
  readonly duringFaults: MeasuredAvailability;
  readonly outsideFaults: MeasuredAvailability;
  readonly overall: MeasuredAvailability;
  /** The brief's formula for this kind, in words, e.g. 'majority of 3 nodes x any of 2 balancers'. */
  readonly formula: string;
  /** The formula with each node's p = its measured fraction of time reachable (independent). */
  readonly predictedIndependent: number;
  /** The fraction of run time the schedule actually left this kind servable (instant failover). */
  readonly predictedSchedule: number;
}

/** Latency of operations that completed (ok or fail), over some of the run. */
export interface LatencyRow {
  /** 'all operations', 'no fault in place', 'during kill', ... */
  readonly label: string;
  readonly completed: number;
  /** Operations of unknown outcome: never completed, not timed. */
  readonly unknown: number;
  /** null when nothing completed. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly p999Ms: number | null;
  readonly maxMs: number | null;
}

export interface CheckVerdicts {
  readonly linearizable: 'ok' | 'violation' | 'unknown';
  /** Checker explanation on a violation or unknown. */
  readonly detail?: string;
  /** The smallest window of one key's history that still fails, one operation per line. */
  readonly failingWindow?: readonly string[];
  readonly lostWrites: readonly string[];
  readonly versionOrderViolations: readonly string[];
  readonly checkMs: number;
}

export interface ChaosReport {
  readonly format: 'troupe-chaos-report/1';
  readonly startedAt: string;
  readonly command: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string };
  readonly options: {
    readonly timeS: number;
    readonly nemesis: readonly string[];
    readonly clients: number;
    readonly nodes: number;
    readonly balancers: number;
    readonly seed: number;
  };
  readonly durationMs: number;
  readonly faults: readonly FaultRecord[];
  readonly leaderChanges: readonly LeaderChange[];
  readonly perSecond: readonly SecondBucket[];
  /** Each node's (and balancer's) fraction of run time it was reachable. */
  readonly reachableFraction: Readonly<Record<string, number>>;
  readonly availability: readonly AvailabilityRow[];
  readonly latency: readonly LatencyRow[];
  readonly counts: {
    readonly invoked: number;
    readonly ok: number;
    readonly fail: number;
    readonly info: number;
  };
  readonly checks: CheckVerdicts;
  /** Where the JSONL history was written, relative to the report; null if not kept. */
  readonly historyFile: string | null;
}

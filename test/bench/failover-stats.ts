// The failover benchmark's figures, pure: one try's writes and fault time in, its time to the
// first acknowledged write issued after the fault and its longest gap between acknowledgements
// out; tries summed up per fault kind (min / median / max); and the plain-text table
// `pnpm bench` prints. No processes, no clocks: everything is handed in.
import type { AckedWrite, FailedWrite } from './failover-plan.js';

export const failoverKinds = ['crash', 'hang', 'partition'] as const;
/** crash: SIGKILL of the leader; hang: SIGSTOP; partition: the leader cut off from everyone. */
export type FailoverKind = (typeof failoverKinds)[number];

export type FailoverSystem = 'troupe' | 'etcd';

export interface FailoverTry {
  /** The node (or etcd member) the fault hit: the one leading the most shards. */
  readonly victim: string;
  /** The shards it led, whose keys the stream wrote; empty for etcd (one raft group). */
  readonly shards: readonly number[];
  /** When the fault was applied (wall clock, ms since the epoch), to line up with logs. */
  readonly faultAtMs: number;
  /** From the fault to the first acknowledgement of a write issued after it. */
  readonly firstAckMs: number;
  /** The longest time between consecutive acknowledgements, from the stream's start to the undo. */
  readonly longestGapMs: number;
  /** The median latency of writes acknowledged before the fault: the stream's normal pace. */
  readonly steadyWriteMs: number;
  readonly writesAcknowledged: number;
  /** Writes answered with an error (outcome unknown; not read back). */
  readonly writesFailed: number;
  /** The distinct error messages of those writes, the first few. */
  readonly failureSamples: readonly string[];
}

const failureSamplesMax = 3;

export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export interface FailoverKindResult {
  readonly kind: FailoverKind;
  readonly tries: readonly FailoverTry[];
  readonly firstAckMs: Spread;
  readonly longestGapMs: Spread;
  readonly writesAcknowledged: number;
  readonly writesFailed: number;
  /** Acknowledged writes whose key did not hold their value when read back; must be 0. */
  readonly writesLost: number;
  /** The first few lost keys and what was read, for the report. */
  readonly lostSamples: readonly string[];
}

export interface FailoverResults {
  readonly system: FailoverSystem;
  readonly kinds: readonly FailoverKindResult[];
}

/**
 * One try's figures from its writes (any order), the fault's wall-clock time and when the
 * fault began to be undone (acknowledgements after that do not count towards the gap).
 */
export function tryFigures(
  writes: { readonly acked: readonly AckedWrite[]; readonly failed: readonly FailedWrite[] },
  faultMs: number,
  undoMs: number,
): Omit<FailoverTry, 'victim' | 'shards' | 'faultAtMs'> {
  let firstAckMs = Number.POSITIVE_INFINITY;
  const steadyMs: number[] = [];
  for (const [issueMs, ackMs] of writes.acked) {
    if (issueMs >= faultMs) firstAckMs = Math.min(firstAckMs, ackMs - faultMs);
    if (ackMs < faultMs) steadyMs.push(ackMs - issueMs);
  }
  if (firstAckMs === Number.POSITIVE_INFINITY) {
    throw new Error('no write issued after the fault was acknowledged');
  }
  return {
    firstAckMs,
    longestGapMs: longestGap(writes.acked.map((w) => w[1]).filter((ackMs) => ackMs <= undoMs)),
    steadyWriteMs: steadyMs.length === 0 ? 0 : spread(steadyMs).median,
    writesAcknowledged: writes.acked.length,
    writesFailed: writes.failed.length,
    failureSamples: [...new Set(writes.failed.map((f) => f[3]))].slice(0, failureSamplesMax),
  };
}

/** The longest time between consecutive values once sorted; 0 for fewer than two. */
export function longestGap(timesMs: readonly number[]): number {
  const sorted = [...timesMs].sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < sorted.length; i++) {
    longest = Math.max(longest, (sorted[i] as number) - (sorted[i - 1] as number));
  }
  return longest;
}

/** Min, median (the mean of the middle two for an even count) and max; needs a value. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { min: sorted[0] as number, median, max: sorted[sorted.length - 1] as number };
}

/** The tries of one kind summed up, with what the read-back found lost. */
export function kindResult(
  kind: FailoverKind,
  tries: readonly FailoverTry[],
  lost: readonly string[],
): FailoverKindResult {
  return {
    kind,
    tries,
    firstAckMs: spread(tries.map((t) => t.firstAckMs)),
    longestGapMs: spread(tries.map((t) => t.longestGapMs)),
    writesAcknowledged: tries.reduce((sum, t) => sum + t.writesAcknowledged, 0),
    writesFailed: tries.reduce((sum, t) => sum + t.writesFailed, 0),
    writesLost: lost.length,
    lostSamples: lost.slice(0, 5),
  };
}

function ms(value: number): string {
  return value.toFixed(value < 100 ? 1 : 0);
}

function spreadCell(s: Spread): string {
  return `${ms(s.min)} / ${ms(s.median)} / ${ms(s.max)}`;
}

/** One row per system and fault kind: spreads in ms over the tries, writes, lost. */
export function failoverTable(results: FailoverResults | readonly FailoverResults[]): string {
  const all: readonly FailoverResults[] = 'system' in results ? [results] : results;
  const head =
    'system  fault      tries  first ack ms min/med/max  longest gap ms min/med/max' +
    '     acked  failed  lost';
  const rows = all.flatMap((r) =>
    r.kinds.map(
      (k) =>
        `${r.system.padEnd(7)} ${k.kind.padEnd(10)} ${String(k.tries.length).padStart(5)}  ` +
        `${spreadCell(k.firstAckMs).padStart(26)}  ${spreadCell(k.longestGapMs).padStart(28)} ` +
        `${String(k.writesAcknowledged).padStart(9)} ${String(k.writesFailed).padStart(7)} ` +
        `${String(k.writesLost).padStart(5)}`,
    ),
  );
  return [head, ...rows].join('\n');
}

// Availability as the chaos clients saw it, for the run report: each operation's outcome
// bucketed by the second it was invoked in, and per operation kind the fraction served inside
// and outside fault windows, set beside two predictions — the availability model fed with each
// node's measured fraction of time reachable (as if failures were independent), and the
// fraction of the run in which the fault schedule actually left enough nodes and a balancer
// reachable. "Served" means the system answered: an ok or a refusal from its state (a CAS
// conflict); unavailable, overloaded and unknown outcomes were not served. Pure: no I/O, no
// clock.
import { InvalidMessageError } from '@troupe/runtime';
import { assert } from '@troupe/runtime/assert';
import { anyAvailability, majorityAvailability } from '@troupe/runtime/availability';
import type { HistoryEvent } from '../sim/checkers/history.js';
import type {
  AvailabilityKind,
  AvailabilityRow,
  FaultRecord,
  MeasuredAvailability,
  OutcomeCounts,
  SecondBucket,
} from './report-types.js';

export interface AvailabilityInput {
  readonly events: readonly HistoryEvent[];
  /** The `performance.now()` at which the workload started; event times are on that clock. */
  readonly startTimeMs: number;
  readonly durationMs: number;
  /** Fault windows in ms since the start. */
  readonly faults: readonly FaultRecord[];
  readonly nodes: readonly string[];
  /** Empty when clients reach the nodes directly: then no balancer factor applies. */
  readonly balancers: readonly string[];
}

/** Report order of the kinds. */
const kinds: readonly AvailabilityKind[] = ['get', 'stale-get', 'update', 'create', 'delete'];

/**
 * Refusals that are answers from the store's state, so the system was available to give them.
 * The workload records only the first two; NotFound is the KV model's third such answer.
 */
const servedRefusals: ReadonlySet<string> = new Set([
  'VersionConflict',
  'AlreadyExists',
  'NotFound',
]);

type Outcome = keyof OutcomeCounts;

/** One invoked operation: its kind, invoke time in ms since the start, and how it ended. */
interface Attempt {
  readonly kind: AvailabilityKind;
  readonly invokeMs: number;
  outcome: Outcome;
}

interface Window {
  readonly startMs: number;
  readonly endMs: number;
}

/** The availability kind of an event; a get that asked for a stale read is a 'stale-get'. */
export function kindOf(event: Pick<HistoryEvent, 'f' | 'stale'>): AvailabilityKind {
  return event.f === 'get' && event.stale === true ? 'stale-get' : event.f;
}

/**
 * Counts of outcomes per second of the run, by the second each operation was invoked in.
 * Covers at least `durationMs`, and further if an operation was invoked after it (each client
 * times its own end, a little after the recorded start).
 */
export function perSecond(
  events: readonly HistoryEvent[],
  startTimeMs: number,
  durationMs: number,
): SecondBucket[] {
  checkDuration(durationMs);
  const attempts = attemptsOf(events, startTimeMs);
  let seconds = Math.ceil(durationMs / 1_000);
  for (const attempt of attempts) seconds = Math.max(seconds, secondOf(attempt) + 1);
  const counts = Array.from({ length: seconds }, () => new Map<AvailabilityKind, Counts>());
  for (const attempt of attempts) {
    const bucket = counts[secondOf(attempt)]!;
    const kindCounts = bucket.get(attempt.kind) ?? { ok: 0, failed: 0, unknown: 0 };
    kindCounts[attempt.outcome] += 1;
    bucket.set(attempt.kind, kindCounts);
  }
  return counts.map((bucket, second) => {
    const byKind: Partial<Record<AvailabilityKind, OutcomeCounts>> = {};
    let attempted = 0;
    let served = 0;
    for (const kind of kinds) {
      const kindCounts = bucket.get(kind);
      if (kindCounts === undefined) continue;
      byKind[kind] = kindCounts;
      attempted += kindCounts.ok + kindCounts.failed + kindCounts.unknown;
      served += kindCounts.ok;
    }
    return { second, byKind, successRatio: attempted === 0 ? 1 : served / attempted };
  });
}

type Counts = { -readonly [K in Outcome]: number };

/**
 * Each name's fraction of the run it was reachable: 1 minus the union of the windows of the
 * faults that list it in `nodesDown` or `balancersDown`, clipped to the run.
 */
export function reachableFractions(
  faults: readonly FaultRecord[],
  names: readonly string[],
  durationMs: number,
): Record<string, number> {
  checkDuration(durationMs);
  const fractions: Record<string, number> = {};
  for (const name of names) {
    const down = faults.filter((f) => f.nodesDown.includes(name) || f.balancersDown.includes(name));
    fractions[name] = 1 - coveredMs(mergeWindows(down), durationMs) / durationMs;
  }
  return fractions;
}

/** One row per operation kind that occurred in the history, in report order. */
export function measureAvailability(input: AvailabilityInput): AvailabilityRow[] {
  const { nodes, balancers, faults, durationMs } = input;
  checkDuration(durationMs);
  if (nodes.length === 0) throw new InvalidMessageError('availability needs at least one node');
  const attempts = attemptsOf(input.events, input.startTimeMs);
  const faultWindows = mergeWindows(faults);
  const inFault = (a: Attempt): boolean =>
    faultWindows.some((w) => w.startMs <= a.invokeMs && a.invokeMs < w.endMs);
  const fractions = reachableFractions(faults, [...nodes, ...balancers], durationMs);
  const fractionOf = (name: string): number => fractions[name]!;
  const balancerTier = balancers.length === 0 ? 1 : anyAvailability(balancers.map(fractionOf));
  const tierText = balancers.length === 0 ? '' : ` x any of ${balancers.length} balancers`;
  const quorum = Math.floor(nodes.length / 2) + 1;
  const rows: AvailabilityRow[] = [];
  for (const kind of kinds) {
    const ofKind = attempts.filter((a) => a.kind === kind);
    if (ofKind.length === 0) continue;
    // A stale get may be served by any replica; every other kind needs a majority (ReadIndex
    // confirms leadership with a quorum for a linearizable get).
    const anyNode = kind === 'stale-get';
    const nodeTier = (anyNode ? anyAvailability : majorityAvailability)(nodes.map(fractionOf));
    rows.push({
      kind,
      duringFaults: measured(ofKind.filter(inFault)),
      outsideFaults: measured(ofKind.filter((a) => !inFault(a))),
      overall: measured(ofKind),
      formula: `${anyNode ? 'any' : 'majority'} of ${nodes.length} nodes${tierText}`,
      predictedIndependent: nodeTier * balancerTier,
      predictedSchedule: servableFraction(input, anyNode ? 1 : quorum),
    });
  }
  return rows;
}

/**
 * The fraction of the run in which at least `nodesNeeded` nodes and (if there are any) one
 * balancer were reachable. Reachability only changes at fault boundaries, so it is constant
 * between consecutive boundaries and one probe per interval makes the sum exact.
 */
function servableFraction(input: AvailabilityInput, nodesNeeded: number): number {
  const { faults, nodes, balancers, durationMs } = input;
  const clip = (t: number): number => Math.min(durationMs, Math.max(0, t));
  const bounds = [0, durationMs, ...faults.flatMap((f) => [clip(f.startMs), clip(f.endMs)])];
  const sorted = [...new Set(bounds)].sort((a, b) => a - b);
  let servableMs = 0;
  for (let i = 1; i < sorted.length; i++) {
    const fromMs = sorted[i - 1]!;
    const toMs = sorted[i]!;
    const probeMs = (fromMs + toMs) / 2;
    const active = faults.filter((f) => f.startMs <= probeMs && probeMs < f.endMs);
    const nodesDown = new Set(active.flatMap((f) => f.nodesDown));
    const balancersDown = new Set(active.flatMap((f) => f.balancersDown));
    const nodesUp = nodes.filter((n) => !nodesDown.has(n)).length;
    const balancerUp = balancers.length === 0 || balancers.some((b) => !balancersDown.has(b));
    if (nodesUp >= nodesNeeded && balancerUp) servableMs += toMs - fromMs;
  }
  return servableMs / durationMs;
}

/**
 * Pairs each invoke with the next completion of the same process, in invoke order. An invoke
 * without a completion is unknown: the client may have given up on it.
 */
function attemptsOf(events: readonly HistoryEvent[], startTimeMs: number): Attempt[] {
  const open = new Map<number | string, { attempt: Attempt; f: HistoryEvent['f'] }>();
  const attempts: Attempt[] = [];
  for (const event of events) {
    const pending = open.get(event.process);
    if (event.type === 'invoke') {
      // Malformed histories mean a broken recorder, as in historyFromEvents.
      assert(pending === undefined, () => `two invokes outstanding on ${event.process}`);
      const attempt: Attempt = {
        kind: kindOf(event),
        invokeMs: event.time - startTimeMs,
        outcome: 'unknown',
      };
      attempts.push(attempt);
      open.set(event.process, { attempt, f: event.f });
      continue;
    }
    assert(pending !== undefined, () => `completion without an invoke on ${event.process}`);
    assert(pending.f === event.f, () => `completion f differs from invoke on ${event.process}`);
    open.delete(event.process);
    pending.attempt.outcome = outcomeOf(event);
  }
  return attempts;
}

function outcomeOf(completion: HistoryEvent): Outcome {
  if (completion.type === 'ok') return 'ok';
  if (completion.type === 'info') return 'unknown';
  return servedRefusals.has(completion.error ?? '') ? 'ok' : 'failed';
}

function measured(attempts: readonly Attempt[]): MeasuredAvailability {
  const served = attempts.filter((a) => a.outcome === 'ok').length;
  const attempted = attempts.length;
  return { attempted, served, ratio: attempted === 0 ? null : served / attempted };
}

/** An invoke a hair before the recorded start (clock rounding) counts in second 0. */
function secondOf(attempt: Attempt): number {
  return Math.max(0, Math.floor(attempt.invokeMs / 1_000));
}

/** Sorted, disjoint windows covering the same time; empty windows are dropped. */
function mergeWindows(windows: readonly Window[]): Window[] {
  const sorted = windows.filter((w) => w.endMs > w.startMs).sort((a, b) => a.startMs - b.startMs);
  const merged: Window[] = [];
  for (const w of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && w.startMs <= last.endMs) {
      merged[merged.length - 1] = { startMs: last.startMs, endMs: Math.max(last.endMs, w.endMs) };
    } else {
      merged.push({ startMs: w.startMs, endMs: w.endMs });
    }
  }
  return merged;
}

/** Total time the disjoint windows cover inside [0, durationMs]. */
function coveredMs(disjoint: readonly Window[], durationMs: number): number {
  let total = 0;
  for (const w of disjoint) {
    total += Math.max(0, Math.min(durationMs, w.endMs) - Math.max(0, w.startMs));
  }
  return total;
}

function checkDuration(durationMs: number): void {
  if (!(Number.isFinite(durationMs) && durationMs > 0)) {
    throw new InvalidMessageError(`durationMs must be a finite number > 0, got ${durationMs}`);
  }
}

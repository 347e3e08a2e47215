// How long the chaos clients waited, for the report: availability counts an operation served
// however long it waited, so the cost of a fault shows here instead — latency percentiles over
// the whole run, over the quiet time, and per fault kind for operations invoked while a fault
// of that kind was in place. Operations of unknown outcome never completed and are counted,
// not timed. Pure: events and fault windows in, figures out.
import type { HistoryEvent } from '../sim/checkers/history.js';
import type { FaultRecord, LatencyRow } from './report-types.js';

interface Timed {
  readonly invokeMs: number;
  /** null for an operation whose outcome is unknown. */
  readonly latencyMs: number | null;
}

/** Pairs each invoke with its process's next completion; times relative to `originMs`. */
function timedOps(events: readonly HistoryEvent[], originMs: number): Timed[] {
  const open = new Map<HistoryEvent['process'], number>();
  const ops: Timed[] = [];
  for (const event of events) {
    const invokeMs = open.get(event.process);
    if (event.type === 'invoke') {
      if (invokeMs !== undefined) ops.push({ invokeMs, latencyMs: null });
      open.set(event.process, event.time - originMs);
      continue;
    }
    if (invokeMs === undefined) continue;
    open.delete(event.process);
    const done = event.type === 'info' ? null : event.time - originMs - invokeMs;
    ops.push({ invokeMs, latencyMs: done });
  }
  for (const invokeMs of open.values()) ops.push({ invokeMs, latencyMs: null });
  return ops;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], fraction: number): number {
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

function row(label: string, ops: readonly Timed[]): LatencyRow {
  const sorted = ops
    .map((op) => op.latencyMs)
    .filter((ms): ms is number => ms !== null)
    .sort((a, b) => a - b);
  const unknown = ops.length - sorted.length;
  if (sorted.length === 0) {
    return { label, completed: 0, unknown, p50Ms: null, p99Ms: null, p999Ms: null, maxMs: null };
  }
  return {
    label,
    completed: sorted.length,
    unknown,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    p999Ms: percentile(sorted, 0.999),
    maxMs: sorted[sorted.length - 1] as number,
  };
}

function inside(faults: readonly FaultRecord[], timeMs: number): boolean {
  return faults.some((f) => f.startMs <= timeMs && timeMs < f.endMs);
}

/** Rows: all operations, those invoked with no fault in place, then one per fault kind. */
export function latencyRows(
  events: readonly HistoryEvent[],
  originMs: number,
  faults: readonly FaultRecord[],
): LatencyRow[] {
  const ops = timedOps(events, originMs);
  const rows = [
    row('all operations', ops),
    row(
      'no fault in place',
      ops.filter((op) => !inside(faults, op.invokeMs)),
    ),
  ];
  const kinds = [...new Set(faults.map((f) => f.kind))];
  for (const kind of kinds) {
    const ofKind = faults.filter((f) => f.kind === kind);
    rows.push(
      row(
        `during ${kind}`,
        ops.filter((op) => inside(ofKind, op.invokeMs)),
      ),
    );
  }
  return rows;
}

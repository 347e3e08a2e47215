// Latency rows from a hand-made history: percentiles over completed operations, unknown
// outcomes counted but not timed, and operations attributed to the fault in place when they
// were invoked.
import { expect, test } from 'vitest';
import type { HistoryEvent } from '../sim/checkers/history.js';
import { latencyRows } from './latency.js';
import type { FaultRecord } from './report-types.js';

/** One get by `process`, invoked at `invokeMs` and answered `latencyMs` later (or never). */
function get(
  process: number,
  invokeMs: number,
  latencyMs: number | 'info' | 'open',
): HistoryEvent[] {
  const invoke: HistoryEvent = { process, type: 'invoke', f: 'get', key: 'k', time: invokeMs };
  if (latencyMs === 'open') return [invoke];
  if (latencyMs === 'info') {
    return [invoke, { process, type: 'info', f: 'get', key: 'k', time: invokeMs + 5_000 }];
  }
  const done: HistoryEvent = {
    process,
    type: 'ok',
    f: 'get',
    key: 'k',
    time: invokeMs + latencyMs,
  };
  return [invoke, done];
}

const fault: FaultRecord = {
  kind: 'kill',
  target: 'n1',
  startMs: 1_000,
  endMs: 2_000,
  nodesDown: ['n1'],
  balancersDown: [],
};

test('percentiles over completed operations, by the fault in place at invoke', () => {
  const origin = 10_000;
  const events = [
    ...get(0, origin + 100, 10),
    ...get(0, origin + 200, 20),
    ...get(0, origin + 300, 30),
    ...get(1, origin + 1_100, 900),
    ...get(1, origin + 2_100, 'info'),
    ...get(2, origin + 1_500, 'open'),
  ];
  const rows = latencyRows(events, origin, [fault]);
  expect(rows).toEqual([
    {
      label: 'all operations',
      completed: 4,
      unknown: 2,
      p50Ms: 20,
      p99Ms: 900,
      p999Ms: 900,
      maxMs: 900,
    },
    {
      label: 'no fault in place',
      completed: 3,
      unknown: 1,
      p50Ms: 20,
      p99Ms: 30,
      p999Ms: 30,
      maxMs: 30,
    },
    {
      label: 'during kill',
      completed: 1,
      unknown: 1,
      p50Ms: 900,
      p99Ms: 900,
      p999Ms: 900,
      maxMs: 900,
    },
  ]);
});

test('nothing completed gives dashes, not NaN', () => {
  const rows = latencyRows(get(0, 5, 'info'), 0, []);
  expect(rows[0]).toEqual({
    label: 'all operations',
    completed: 0,
    unknown: 1,
    p50Ms: null,
    p99Ms: null,
    p999Ms: null,
    maxMs: null,
  });
});

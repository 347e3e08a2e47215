// Availability measurement on hand-made histories and fault schedules: per-second counts, what
// counts as served (a CAS refusal is, an info is not), stale gets as their own kind, merged
// fault windows, and both predictions — independent (the model on measured reachability) and
// schedule (the time the faults actually left a quorum and a balancer) — worked out by hand.
import {
  InvalidMessageError,
  majorityAvailability,
  primaryBackupAvailability,
} from '@troupe/runtime';
import { AssertionError } from '@troupe/runtime/assert';
import { describe, expect, test } from 'vitest';
import type { HistoryEvent } from '../sim/checkers/history.js';
import { kindOf, measureAvailability, perSecond, reachableFractions } from './availability.js';
import type { FaultRecord } from './report-types.js';

/** The workload's start on the `performance.now()` clock; events are recorded on that clock. */
const startMs = 50_000;

type Ending = 'ok' | 'info' | 'none' | { readonly fail: string };

/** One operation: its invoke at `atMs` since the start and its completion 10 ms later. */
function op(
  process: number,
  f: HistoryEvent['f'],
  atMs: number,
  ending: Ending,
  stale = false,
): HistoryEvent[] {
  const common = { process, f, key: 'k', ...(stale ? { stale: true as const } : {}) };
  const invoke: HistoryEvent = { ...common, type: 'invoke', time: startMs + atMs };
  const time = startMs + atMs + 10;
  if (ending === 'none') return [invoke];
  if (ending === 'ok') return [invoke, { ...common, type: 'ok', time }];
  if (ending === 'info') return [invoke, { ...common, type: 'info', error: 'timeout', time }];
  return [invoke, { ...common, type: 'fail', error: ending.fail, time }];
}

function fault(
  startAtMs: number,
  endAtMs: number,
  nodesDown: readonly string[],
  balancersDown: readonly string[] = [],
): FaultRecord {
  const target = [...nodesDown, ...balancersDown].join(' ');
  return { kind: 'kill', target, startMs: startAtMs, endMs: endAtMs, nodesDown, balancersDown };
}

const nodes = ['n1', 'n2', 'n3'];

describe('kindOf', () => {
  test('a stale get is its own kind; other kinds are their f', () => {
    const [get] = op(0, 'get', 0, 'none');
    const [staleGet] = op(0, 'get', 0, 'none', true);
    const [del] = op(0, 'delete', 0, 'none');
    expect([get, staleGet, del].map((e) => kindOf(e!))).toEqual(['get', 'stale-get', 'delete']);
  });
});

describe('perSecond', () => {
  test('counts each outcome by kind in the second of its invoke', () => {
    const events = [
      ...op(1, 'get', 100, 'ok'),
      ...op(1, 'update', 500, { fail: 'Unavailable' }),
      ...op(1, 'create', 1_200, 'info'),
      ...op(2, 'update', 900, { fail: 'Overloaded' }),
      ...op(2, 'update', 2_500, { fail: 'VersionConflict' }),
      ...op(2, 'get', 2_600, 'ok', true),
      ...op(2, 'create', 2_700, { fail: 'AlreadyExists' }),
      ...op(2, 'update', 2_800, { fail: 'StorageFull' }),
      // Never completed: the client gave up on it.
      ...op(1, 'delete', 1_500, 'none'),
    ];
    const buckets = perSecond(events, startMs, 4_000);
    expect(buckets.map((b) => b.second)).toEqual([0, 1, 2, 3]);
    expect(buckets[0]?.byKind).toEqual({
      get: { ok: 1, failed: 0, unknown: 0 },
      update: { ok: 0, failed: 2, unknown: 0 },
    });
    expect(buckets[0]?.successRatio).toBeCloseTo(1 / 3, 12);
    expect(buckets[1]?.byKind).toEqual({
      create: { ok: 0, failed: 0, unknown: 1 },
      delete: { ok: 0, failed: 0, unknown: 1 },
    });
    expect(buckets[1]?.successRatio).toBe(0);
    // A CAS refusal and a failed create are answers: served. StorageFull is not.
    expect(buckets[2]?.byKind).toEqual({
      'stale-get': { ok: 1, failed: 0, unknown: 0 },
      update: { ok: 1, failed: 1, unknown: 0 },
      create: { ok: 1, failed: 0, unknown: 0 },
    });
    expect(buckets[2]?.successRatio).toBe(0.75);
    expect(buckets[3]).toEqual({ second: 3, byKind: {}, successRatio: 1 });
  });

  test('an operation invoked after the duration gets its own bucket', () => {
    const buckets = perSecond(op(1, 'get', 2_300, 'ok'), startMs, 1_500);
    expect(buckets.map((b) => b.byKind.get?.ok ?? 0)).toEqual([0, 0, 1]);
  });

  test('a malformed history is a broken recorder', () => {
    const [, completion] = op(1, 'get', 0, 'ok');
    expect(() => perSecond([completion!], startMs, 1_000)).toThrow(AssertionError);
    const twoInvokes = [...op(1, 'get', 0, 'none'), ...op(1, 'get', 5, 'none')];
    expect(() => perSecond(twoInvokes, startMs, 1_000)).toThrow(AssertionError);
  });
});

describe('reachableFractions', () => {
  test('overlapping windows of one name merge; windows are clipped to the run', () => {
    const faults = [
      fault(1_000, 3_000, ['n1']),
      fault(2_000, 4_000, ['n1']),
      fault(3_500, 3_800, ['n1', 'n2']),
      fault(9_000, 12_000, [], ['b1']),
    ];
    expect(reachableFractions(faults, [...nodes, 'b1', 'b2'], 10_000)).toEqual({
      n1: 0.7,
      n2: 0.97,
      n3: 1,
      b1: 0.9,
      b2: 1,
    });
  });
});

describe('measureAvailability', () => {
  test('one node of three down half the time leaves quorum operations servable', () => {
    const rows = measureAvailability({
      events: [...op(1, 'update', 1_000, 'ok'), ...op(1, 'get', 2_000, 'ok', true)],
      startTimeMs: startMs,
      durationMs: 10_000,
      faults: [fault(0, 5_000, ['n1'])],
      nodes,
      balancers: ['b1'],
    });
    expect(rows.map((r) => [r.kind, r.predictedSchedule])).toEqual([
      ['stale-get', 1],
      ['update', 1],
    ]);
    // Independent: n2 and n3 are always up, so a majority always is.
    expect(rows.map((r) => r.predictedIndependent)).toEqual([1, 1]);
  });

  test('two nodes down at once and both balancers down make quorum operations unservable', () => {
    // n1 and n2 overlap over 2000..4000 and 4500..5000 (2500 ms); both balancers are down over
    // 9500..10000 (500 ms) while every node is up.
    const faults = [
      fault(0, 5_000, ['n1']),
      fault(2_000, 4_000, ['n2']),
      fault(4_500, 6_500, ['n2']),
      fault(9_000, 10_000, [], ['b1']),
      fault(9_500, 10_000, [], ['b2']),
    ];
    const events = [
      ...op(1, 'get', 1_000, { fail: 'Unavailable' }),
      ...op(1, 'get', 7_000, 'ok'),
      ...op(1, 'get', 9_200, 'info'),
      ...op(2, 'update', 6_500, { fail: 'VersionConflict' }),
      ...op(2, 'get', 3_000, 'ok', true),
    ];
    const rows = measureAvailability({
      events,
      startTimeMs: startMs,
      durationMs: 10_000,
      faults,
      nodes,
      balancers: ['b1', 'b2'],
    });
    expect(rows.map((r) => r.kind)).toEqual(['get', 'stale-get', 'update']);
    const [get, staleGet, update] = rows;

    expect(get?.duringFaults).toEqual({ attempted: 2, served: 0, ratio: 0 });
    expect(get?.outsideFaults).toEqual({ attempted: 1, served: 1, ratio: 1 });
    expect(get?.overall.ratio).toBeCloseTo(1 / 3, 12);
    // Invoked at the instant the last node fault ends: outside; a CAS refusal is served.
    expect(update?.duringFaults).toEqual({ attempted: 0, served: 0, ratio: null });
    expect(update?.outsideFaults).toEqual({ attempted: 1, served: 1, ratio: 1 });
    expect(staleGet?.duringFaults).toEqual({ attempted: 1, served: 1, ratio: 1 });

    expect(get?.formula).toBe('majority of 3 nodes x any of 2 balancers');
    expect(staleGet?.formula).toBe('any of 3 nodes x any of 2 balancers');

    expect(get?.predictedSchedule).toBeCloseTo(1 - (2_500 + 500) / 10_000, 12);
    expect(update?.predictedSchedule).toBeCloseTo(0.7, 12);
    // n3 is never down: a stale get only loses the 500 ms without balancers.
    expect(staleGet?.predictedSchedule).toBeCloseTo(0.95, 12);

    // Reachable: n1 0.5, n2 0.6, n3 1, b1 0.9, b2 0.95. Majority of three independent nodes:
    // p1p2 + p1p3 + p2p3 - 2 p1p2p3 = 0.3 + 0.5 + 0.6 - 0.6 = 0.8.
    const balancerTier = 1 - 0.1 * 0.05;
    expect(get?.predictedIndependent).toBeCloseTo(0.8 * balancerTier, 12);
    expect(get?.predictedIndependent).toBeCloseTo(
      majorityAvailability([0.5, 0.6, 1]) * primaryBackupAvailability(0.9, 0.95),
      12,
    );
    expect(staleGet?.predictedIndependent).toBeCloseTo(balancerTier, 12);
  });

  test('without balancers only the nodes count', () => {
    const [row] = measureAvailability({
      events: op(1, 'delete', 100, 'ok'),
      startTimeMs: startMs,
      durationMs: 1_000,
      faults: [fault(0, 500, ['n1', 'n2'])],
      nodes,
      balancers: [],
    });
    expect(row?.formula).toBe('majority of 3 nodes');
    expect(row?.predictedSchedule).toBe(0.5);
    // Taken as independent, n1 and n2 (each up half the time) are both down only a quarter of
    // the time: the model is optimistic about faults that strike together.
    expect(row?.predictedIndependent).toBeCloseTo(1 - 0.5 * 0.5, 12);
  });

  test('bad arguments throw a typed error with its code', () => {
    const input = {
      events: [],
      startTimeMs: startMs,
      durationMs: 1_000,
      faults: [],
      nodes,
      balancers: [],
    };
    for (const bad of [
      { ...input, durationMs: 0 },
      { ...input, nodes: [] },
    ]) {
      expect(() => measureAvailability(bad)).toThrow(InvalidMessageError);
    }
    expect(() => perSecond([], startMs, Number.NaN)).toThrow(
      expect.objectContaining({ code: 'TROUPE_ERR_INVALID_MESSAGE' }),
    );
  });
});

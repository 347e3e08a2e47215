// The dashboard's activity recorder (ActivityRecorder, SecondBuckets) driven by a made-up
// clock: requests land in per-second buckets with counts, errors and latency percentiles
// read from a log-scale histogram; seconds older than the window drop out and a reused slot
// starts empty; leader changes and failovers keep only the newest entries, failovers end with
// the new leader and their duration; totals count what was dropped too.
import { describe, expect, test } from 'vitest';
import { ActivityRecorder, isErrorCode } from '../src/activity/activity.js';
import { bucketUpperMs, latencyBucket, SecondBuckets } from '../src/activity/second-buckets.js';

/** A second boundary far from zero, as wall-clock times are. */
const t0 = 1_700_000_000_000;

describe('latency buckets', () => {
  test('each bucket holds latencies up to its upper bound, and bounds grow by √2', () => {
    for (const ms of [0.01, 0.05, 0.3, 1, 2.5, 17, 640, 9_999, 119_000]) {
      const bucket = latencyBucket(ms);
      expect(bucketUpperMs(bucket)).toBeGreaterThanOrEqual(Math.round(ms * 1_000) / 1_000);
      if (bucket > 0) expect(bucketUpperMs(bucket - 1)).toBeLessThan(ms);
    }
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(Number.NaN)).toBe(0);
    expect(latencyBucket(1e12)).toBe(latencyBucket(1e9));
    expect(bucketUpperMs(2) / bucketUpperMs(0)).toBeCloseTo(2, 2);
  });
});

describe('SecondBuckets', () => {
  test('counts, errors and percentiles per whole second; the current second is left out', () => {
    const buckets = new SecondBuckets(10);
    // Second 0: 98 fast requests, 2 slow failed ones.
    for (let i = 0; i < 98; i++) buckets.record(t0 + i, 1, false);
    buckets.record(t0 + 500, 400, true);
    buckets.record(t0 + 600, 400, true);
    // Second 2: one request.
    buckets.record(t0 + 2_100, 3, false);
    const summaries = buckets.summaries(t0 + 3_500);
    expect(summaries).toHaveLength(10);
    expect(summaries.map((s) => s.atMs)).toEqual(
      Array.from({ length: 10 }, (_, i) => t0 - 7_000 + i * 1_000),
    );
    const [s0, s1, s2] = summaries.slice(7);
    expect(s0).toEqual({
      atMs: t0,
      requests: 100,
      errors: 2,
      p50Ms: bucketUpperMs(latencyBucket(1)),
      p99Ms: bucketUpperMs(latencyBucket(400)),
    });
    expect(s1).toEqual({ atMs: t0 + 1_000, requests: 0, errors: 0, p50Ms: null, p99Ms: null });
    expect(s2).toMatchObject({ requests: 1, p50Ms: bucketUpperMs(latencyBucket(3)) });
    expect(s2?.p99Ms).toBe(s2?.p50Ms);
    // Still filling: not reported until the next second starts.
    buckets.record(t0 + 3_200, 1, false);
    expect(buckets.summaries(t0 + 3_900).at(-1)?.atMs).toBe(t0 + 2_000);
    expect(buckets.summaries(t0 + 4_000).at(-1)).toMatchObject({ atMs: t0 + 3_000, requests: 1 });
  });

  test('seconds past the window drop out, and a reused slot starts empty', () => {
    const buckets = new SecondBuckets(5);
    buckets.record(t0, 1, true);
    expect(buckets.summaries(t0 + 5_000)[0]).toMatchObject({ atMs: t0, requests: 1 });
    expect(buckets.summaries(t0 + 6_000).every((s) => s.requests === 0)).toBe(true);
    // t0 + 5 s shares t0's slot.
    buckets.record(t0 + 5_000, 2_000, false);
    const latest = buckets.summaries(t0 + 6_000).at(-1);
    expect(latest).toMatchObject({ atMs: t0 + 5_000, requests: 1, errors: 0 });
    expect(latest?.p50Ms).toBe(bucketUpperMs(latencyBucket(2_000)));
  });
});

describe('ActivityRecorder', () => {
  const limits = { windowSeconds: 120, leaderChangesMax: 3, failoversMax: 2 };

  test('requests: conditional-write refusals are answers, other codes are errors', () => {
    const activity = new ActivityRecorder(limits);
    for (const code of [
      'ok',
      'TROUPE_ERR_VERSION_CONFLICT',
      'TROUPE_ERR_ALREADY_EXISTS',
      'TROUPE_ERR_UNAVAILABLE',
      'TROUPE_ERR_INDETERMINATE',
    ]) {
      activity.requestFinished(t0, code, 2);
    }
    const snapshot = activity.snapshot(t0 + 1_000);
    expect(snapshot.windowSeconds).toBe(120);
    expect(snapshot.seconds).toHaveLength(120);
    expect(snapshot.seconds.at(-1)).toMatchObject({ atMs: t0, requests: 5, errors: 2 });
    expect(isErrorCode('ok')).toBe(false);
    expect(isErrorCode('TROUPE_ERR_TIMEOUT')).toBe(true);
  });

  test('leader changes: the newest few, oldest first, and a total of all', () => {
    const activity = new ActivityRecorder(limits);
    activity.leaderChanges(t0, [{ groupId: 's0', from: 'n1', to: null, term: 3 }]);
    activity.leaderChanges(t0 + 10, [
      { groupId: 's0', from: null, to: 'n2', term: 4 },
      { groupId: 's1', from: 'n1', to: 'n3', term: 2 },
    ]);
    activity.leaderChanges(t0 + 20, [{ groupId: 's2', from: 'n1', to: 'n2', term: 7 }]);
    const snapshot = activity.snapshot(t0 + 30);
    expect(snapshot.leaderChangesTotal).toBe(4);
    expect(snapshot.leaderChanges).toEqual([
      { groupId: 's0', from: null, to: 'n2', term: 4, atMs: t0 + 10 },
      { groupId: 's1', from: 'n1', to: 'n3', term: 2, atMs: t0 + 10 },
      { groupId: 's2', from: 'n1', to: 'n2', term: 7, atMs: t0 + 20 },
    ]);
  });

  test('failovers: in progress until the new leader shows, then with their duration', () => {
    const activity = new ActivityRecorder(limits);
    activity.failoverStarted(t0, 's0', 'n1');
    activity.failoverStarted(t0 + 5, 's1', 'n1');
    activity.failoverFinished('s1', 'n3', 42);
    activity.failoverFinished('s9', 'n3', 1); // never started: ignored
    expect(activity.snapshot(t0 + 50).failovers).toEqual([
      { groupId: 's0', lostLeader: 'n1', newLeader: null, startedAtMs: t0, durationMs: null },
      { groupId: 's1', lostLeader: 'n1', newLeader: 'n3', startedAtMs: t0 + 5, durationMs: 42 },
    ]);
    // A third pushes out the oldest; finishing it then changes nothing.
    activity.failoverStarted(t0 + 60, 's2', null);
    activity.failoverFinished('s0', 'n2', 70);
    const snapshot = activity.snapshot(t0 + 100);
    expect(snapshot.failoversTotal).toBe(3);
    expect(snapshot.failovers.map((f) => [f.groupId, f.durationMs])).toEqual([
      ['s1', 42],
      ['s2', null],
    ]);
  });

  test('a group failing over again: the finish goes to its latest failover', () => {
    const activity = new ActivityRecorder(limits);
    activity.failoverStarted(t0, 's0', 'n1');
    activity.failoverFinished('s0', 'n2', 30);
    activity.failoverStarted(t0 + 1_000, 's0', 'n2');
    activity.failoverFinished('s0', 'n3', 55);
    expect(activity.snapshot(t0 + 2_000).failovers.map((f) => f.durationMs)).toEqual([30, 55]);
  });

  test('a snapshot is a copy: finishing later does not change it', () => {
    const activity = new ActivityRecorder(limits);
    activity.failoverStarted(t0, 's0', 'n1');
    const before = activity.snapshot(t0 + 1);
    activity.failoverFinished('s0', 'n2', 9);
    expect(before.failovers[0]?.durationMs).toBeNull();
  });
});

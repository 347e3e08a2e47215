// NodeHealth, the balancer's per-node phi-accrual suspicion: a node that stops beating is
// reported once as newly suspected, a heartbeat clears the suspicion (and the outage does not
// count as an interval), and forget() drops a node's history when its connection closes. Pure given the times passed in, so the tests
// use explicit millisecond values and the options the balancer itself uses.
import { describe, expect, test } from 'vitest';
import { NodeHealth } from '../src/cluster/node-health.js';

function health(): NodeHealth {
  return new NodeHealth({
    threshold: 8,
    acceptablePauseMs: 200,
    minStdDevMs: 50,
    firstHeartbeatEstimateMs: 100,
  });
}

/** Beats `nodeId` every 100 ms from `fromMs` through `toMs`. */
function beatEvery100(h: NodeHealth, nodeId: string, fromMs: number, toMs: number): void {
  for (let t = fromMs; t <= toMs; t += 100) h.heartbeat(nodeId, t);
}

describe('NodeHealth', () => {
  test('a node beating on time is not suspected', () => {
    const h = health();
    beatEvery100(h, 'n1', 0, 2_000);
    expect(h.newlySuspected(2_100)).toEqual([]);
    expect(h.newlySuspected(2_400)).toEqual([]);
    expect(h.isSuspected('n1')).toBe(false);
  });

  test('a node silent for a second is newly suspected, once', () => {
    const h = health();
    beatEvery100(h, 'n1', 0, 2_000);
    beatEvery100(h, 'n2', 0, 3_000);
    expect(h.newlySuspected(3_000)).toEqual(['n1']);
    expect(h.isSuspected('n1')).toBe(true);
    expect(h.isSuspected('n2')).toBe(false);
    expect(h.phi('n1', 3_000)).toBeGreaterThan(8);
    expect(h.newlySuspected(3_100)).toEqual([]);
    expect(h.isSuspected('n1')).toBe(true);
  });

  test('a heartbeat clears the suspicion and says so', () => {
    const h = health();
    beatEvery100(h, 'n1', 0, 2_000);
    expect(h.newlySuspected(3_000)).toEqual(['n1']);
    expect(h.heartbeat('n1', 3_050)).toBe(true);
    expect(h.isSuspected('n1')).toBe(false);
    expect(h.heartbeat('n1', 3_150)).toBe(false);
    expect(h.newlySuspected(3_200)).toEqual([]);
  });

  test('forget drops the suspicion and the arrival history', () => {
    const h = health();
    beatEvery100(h, 'n1', 0, 2_000);
    expect(h.newlySuspected(3_000)).toEqual(['n1']);
    h.forget('n1');
    expect(h.isSuspected('n1')).toBe(false);
    expect(h.phi('n1', 10_000)).toBe(0);
    expect(h.newlySuspected(10_000)).toEqual([]);
    // A new process at that address starts from a fresh estimate, not the old rhythm.
    expect(h.heartbeat('n1', 10_000)).toBe(false);
    expect(h.newlySuspected(10_100)).toEqual([]);
  });

  test('a node never heard from has phi 0 and is never suspected', () => {
    const h = health();
    expect(h.phi('n9', 1_000_000)).toBe(0);
    expect(h.newlySuspected(1_000_000)).toEqual([]);
  });

  test('a hang that got a node suspected does not teach the detector to wait longer', () => {
    // Regression: the pause itself was recorded as a heartbeat interval, so each hang of the
    // same node (SIGSTOP, no closed connection) was suspected later than the last: measured
    // 504, 983, 1185, 1390, 1592 ms after five SIGSTOPs.
    const h = health();
    const suspectedAfterMs: number[] = [];
    let t = 0;
    h.heartbeat('n1', t);
    for (let hang = 0; hang < 5; hang++) {
      beatEvery100(h, 'n1', t + 100, t + 3_000);
      const stoppedAt = t + 3_000;
      let now = stoppedAt;
      while (h.newlySuspected(now).length === 0) now += 10;
      suspectedAfterMs.push(now - stoppedAt);
      // It resumes 1.8 s after it stopped.
      t = stoppedAt + 1_800;
      expect(h.heartbeat('n1', t)).toBe(true);
    }
    expect(new Set(suspectedAfterMs).size).toBe(1);
  });
});

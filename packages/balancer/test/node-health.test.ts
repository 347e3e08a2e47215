// NodeHealth, the balancer's per-node phi-accrual suspicion: a node that stops beating is
// reported once as newly suspected, a heartbeat clears the suspicion, and forget() drops a
// node's history when its connection closes. Pure given the times passed in, so the tests
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
});

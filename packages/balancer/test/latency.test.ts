// LatencyTracker, how stale reads choose a replica: a per-node exponentially weighted moving
// average of round trips (the newest sample weighs 0.2), a failed attempt counted as a slow
// one, and the fastest candidate, where a node never measured ranks as the average.
import { describe, expect, test } from 'vitest';
import { LatencyTracker } from '../src/routing/latency.js';

describe('LatencyTracker', () => {
  test('the first sample is taken as is, later ones move the average by a fifth', () => {
    const latency = new LatencyTracker();
    expect(latency.ewmaOf('n1')).toBeUndefined();
    latency.record('n1', 100);
    expect(latency.ewmaOf('n1')).toBe(100);
    latency.record('n1', 200);
    expect(latency.ewmaOf('n1')).toBeCloseTo(120, 9);
    latency.record('n1', 0);
    expect(latency.ewmaOf('n1')).toBeCloseTo(96, 9);
  });

  test('a penalty counts as one slow sample', () => {
    const latency = new LatencyTracker();
    latency.record('n1', 10);
    latency.penalize('n1', 3_010);
    expect(latency.ewmaOf('n1')).toBeCloseTo(610, 9);
  });

  test('fastest picks the candidate with the lowest average', () => {
    const latency = new LatencyTracker();
    latency.record('n1', 50);
    latency.record('n2', 5);
    latency.record('n3', 20);
    expect(latency.fastest(['n1', 'n2', 'n3'])).toBe('n2');
    expect(latency.fastest(['n1', 'n3'])).toBe('n3');
  });

  test('on equal averages, fastest picks the lowest id whatever the order given', () => {
    const latency = new LatencyTracker();
    latency.record('n3', 10);
    latency.record('n2', 10);
    expect(latency.fastest(['n3', 'n2'])).toBe('n2');
  });

  test('a node never measured ranks as the average of the measured ones', () => {
    const latency = new LatencyTracker();
    latency.record('n1', 100);
    latency.record('n2', 300);
    expect(latency.fastest(['n2', 'n9'])).toBe('n9');
    expect(latency.fastest(['n1', 'n9'])).toBe('n1');
    latency.record('n3', 200);
    expect(latency.fastest(['n3', 'n9'])).toBe('n3');
    expect(latency.fastest(['n9', 'n0'])).toBe('n0');
  });

  test('with nothing measured, fastest picks the lowest id; with no candidate, null', () => {
    const latency = new LatencyTracker();
    expect(latency.fastest(['n2', 'n1'])).toBe('n1');
    expect(latency.fastest([])).toBeNull();
  });
});

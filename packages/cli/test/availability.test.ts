// `troupe availability`: its rows are the model's (availabilityTable) unchanged, and the units
// operators read — percentage, nines, downtime per year — are derived from them correctly.
import { availabilityTable } from '@troupe/runtime/availability';
import { describe, expect, test } from 'vitest';
import {
  availabilityReport,
  formatDowntime,
  formatNines,
  formatPercent,
  renderAvailability,
  secondsPerYear,
} from '../src/availability-command.js';

const command = { kind: 'availability', p: 0.99, n: 3, tier: null, json: false } as const;

describe('troupe availability', () => {
  test('the rows are the model table, with the derived units', () => {
    const report = availabilityReport(command);
    const model = availabilityTable(0.99, 3);
    expect(
      report.rows.map(({ kind, formula, probability }) => ({ kind, formula, probability })),
    ).toEqual(model);
    expect(report.majority).toBe(2);
    const get = report.rows[0]!;
    expect(get.percent).toBeCloseTo(99.9702, 10);
    expect(get.nines).toBeCloseTo(-Math.log10(1 - 0.999702), 6);
    expect(get.downtimePerYearS).toBeCloseTo(0.000298 * secondsPerYear, 3);
  });

  test('a balancer tier multiplies every row, as the model does', () => {
    const tier = { balancers: 2, balancerP: 0.9 };
    const report = availabilityReport({ ...command, tier });
    const model = availabilityTable(0.99, 3, tier);
    expect(report.rows.map((r) => r.probability)).toEqual(model.map((r) => r.probability));
    expect(renderAvailability(report)).toContain('through 2 balancers, each up with 0.9');
  });

  test('percentages show the first digits of the unavailability', () => {
    expect(formatPercent(0.999702)).toBe('99.9702%');
    expect(formatPercent(0.999999)).toBe('99.9999%');
    expect(formatPercent(0.5)).toBe('50%');
    expect(formatPercent(0.99)).toBe('99%');
    expect(formatPercent(1)).toBe('100%');
  });

  test('downtime in the largest unit that fits, three significant digits', () => {
    expect(formatDowntime(9_404.16)).toBe('2.61 h');
    expect(formatDowntime(31.5576)).toBe('31.6 s');
    expect(formatDowntime(0.75 * secondsPerYear)).toBe('274 d');
    expect(formatDowntime(90)).toBe('1.5 min');
    expect(formatDowntime(0.002)).toBe('2 ms');
    expect(formatDowntime(0)).toBe('0 s');
    expect(formatDowntime(1e-9)).toBe('< 1 µs');
  });

  test('nines: infinite only when every input is 1', () => {
    expect(formatNines(3.5257, false)).toBe('3.53');
    expect(formatNines(null, true)).toBe('inf');
    expect(formatNines(null, false)).toBe('>15');
    const perfect = renderAvailability(availabilityReport({ ...command, p: 1 }));
    expect(perfect.split('\n')[3]).toMatch(/^get\s+100%\s+inf\s+0 s\s/);
    const nearly = renderAvailability(availabilityReport({ ...command, p: 0.9999, n: 9 }));
    expect(nearly.split('\n')[3]).toMatch(/^get\s+100%\s+>15\s+< 1 µs\s/);
  });

  test('the text table: a header, then one row per kind of operation', () => {
    const lines = renderAvailability(availabilityReport(command)).split('\n');
    expect(lines[0]).toBe('3 replicas, each up with p = 0.99; a majority is 2');
    expect(lines[2]).toMatch(/^OPERATION\s+AVAILABILITY\s+NINES\s+DOWNTIME\/YEAR\s+MODEL$/);
    expect(lines.slice(3).map((line) => line.split(/\s+/)[0])).toEqual([
      'get',
      'stale-get',
      'update',
      'create',
      'delete',
    ]);
    expect(lines[4]).toMatch(/^stale-get\s+99\.9999%\s+6\.00\s+31\.6 s\s+any of 3 nodes/);
  });
});

// `troupe availability`: the availability model (@troupe/runtime/availability) for given p and
// n, per kind of operation, in the units operators quote — a percentage, "nines", downtime per
// year — so capacity questions ("is 3 replicas at 99% enough?") need no spreadsheet. Pure
// arithmetic: nothing is contacted.
import { type AvailabilityTableRow, availabilityTable } from '@troupe/runtime/availability';
import type { AvailabilityCommand } from './args.js';
import type { Out } from './output.js';
import { renderColumns } from './status-table.js';

/** A Julian year, the usual base of "downtime per year". */
export const secondsPerYear = 365.25 * 24 * 3_600;

export interface AvailabilityFigures {
  readonly kind: AvailabilityTableRow['kind'];
  readonly formula: string;
  /** The model's figure, unrounded. */
  readonly probability: number;
  readonly percent: number;
  /** -log10(1 - probability); null when the probability is 1 in double precision. */
  readonly nines: number | null;
  readonly downtimePerYearS: number;
}

export function figuresOf(row: AvailabilityTableRow): AvailabilityFigures {
  const unavailable = 1 - row.probability;
  return {
    kind: row.kind,
    formula: row.formula,
    probability: row.probability,
    percent: row.probability * 100,
    nines: unavailable > 0 ? -Math.log10(unavailable) : null,
    downtimePerYearS: Math.max(0, unavailable) * secondsPerYear,
  };
}

/** Enough decimals to show the first digits of the unavailability: 0.999702 -> "99.9702%". */
export function formatPercent(probability: number): string {
  const unavailable = 1 - probability;
  if (unavailable <= 0) return '100%';
  const decimals = Math.min(14, Math.max(2, Math.floor(-Math.log10(unavailable)) + 1));
  const fixed = (probability * 100).toFixed(decimals).replace(/\.?0+$/, '');
  return `${fixed}%`;
}

const downtimeUnits: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['min', 60],
  ['s', 1],
  ['ms', 1e-3],
  ['µs', 1e-6],
];

/** Three significant digits in the largest unit that fits: 9401.4 -> "2.61 h". */
export function formatDowntime(seconds: number): string {
  if (seconds <= 0) return '0 s';
  for (const [unit, size] of downtimeUnits) {
    if (seconds >= size) return `${Number((seconds / size).toPrecision(3))} ${unit}`;
  }
  return '< 1 µs';
}

/**
 * Nines with two decimals. A probability of exactly 1 is infinite nines only when every input
 * is 1; otherwise it is past what a double resolves (about 15.6 nines).
 */
export function formatNines(nines: number | null, perfect: boolean): string {
  if (nines !== null) return nines.toFixed(2);
  return perfect ? 'inf' : '>15';
}

export function availabilityReport(command: AvailabilityCommand) {
  const { p, n, tier } = command;
  const rows = availabilityTable(p, n, tier ?? undefined).map(figuresOf);
  return { p, n, majority: Math.floor(n / 2) + 1, tier, rows };
}

export function renderAvailability(report: ReturnType<typeof availabilityReport>): string {
  const { p, n, majority, tier } = report;
  const perfect = p === 1 && (tier === null || tier.balancerP === 1);
  const plural = (count: number, word: string): string =>
    `${count} ${word}${count === 1 ? '' : 's'}`;
  const head = [`${plural(n, 'replica')}, each up with p = ${p}; a majority is ${majority}`];
  if (tier !== null) {
    head.push(`through ${plural(tier.balancers, 'balancer')}, each up with ${tier.balancerP}`);
  }
  const table = renderColumns([
    ['OPERATION', 'AVAILABILITY', 'NINES', 'DOWNTIME/YEAR', 'MODEL'],
    ...report.rows.map((row) => [
      row.kind,
      formatPercent(row.probability),
      formatNines(row.nines, perfect),
      row.probability === 1 && !perfect ? '< 1 µs' : formatDowntime(row.downtimePerYearS),
      row.formula,
    ]),
  ]);
  return `${head.join('; ')}\n\n${table}`;
}

export function runAvailability(command: AvailabilityCommand, out: Out): void {
  const report = availabilityReport(command);
  if (command.json) out.json(report);
  else out.line(renderAvailability(report));
}

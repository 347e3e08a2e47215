// Closed-loop load: `concurrency` workers, each issuing its next operation as soon as the last
// one is answered, for a warm-up (not recorded) and then a measured period. Latencies go into
// an HdrHistogram (hdr-histogram-js, microsecond resolution, 3 significant digits), so the
// percentiles of a long run cost constant memory. A failed operation is counted, not timed.
import { build } from 'hdr-histogram-js';
import type { BenchTarget } from './bench-target.js';
import { type BenchWorkload, operationFor } from './workloads.js';

export interface ClosedLoopOptions {
  readonly workload: BenchWorkload;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly seed: number;
}

export interface ClosedLoopResult {
  readonly workload: BenchWorkload;
  readonly concurrency: number;
  readonly ops: number;
  /** Every operation answered, warm-up and the edges of the window included. */
  readonly answeredTotal: number;
  readonly errors: number;
  readonly opsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** The first few error messages, for the report. */
  readonly errorSamples: readonly string[];
}

const errorSamplesMax = 5;
/** Latencies above this are clamped into the top bucket (a minute is a failure anyway). */
const highestTrackableUs = 60_000_000;

export async function runClosedLoop(
  target: BenchTarget,
  options: ClosedLoopOptions,
): Promise<ClosedLoopResult> {
  const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: highestTrackableUs });
  let ops = 0;
  let answeredTotal = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  const measureFromMs = performance.now() + options.warmupMs;
  const endMs = measureFromMs + options.durationMs;
  const worker = async (index: number): Promise<void> => {
    const next = operationFor(options.workload, options.seed * 10_007 + index);
    while (performance.now() < endMs) {
      const began = performance.now();
      let failure: unknown = null;
      try {
        await next(target);
      } catch (error) {
        failure = error;
      }
      const doneMs = performance.now();
      answeredTotal++;
      // Counted only if it ran wholly inside the measured period.
      if (began < measureFromMs || doneMs > endMs) continue;
      if (failure !== null) {
        errors++;
        if (errorSamples.length < errorSamplesMax) errorSamples.push(String(failure));
        continue;
      }
      const us = Math.round((doneMs - began) * 1_000);
      histogram.recordValue(Math.min(highestTrackableUs, Math.max(1, us)));
      ops++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => worker(i)));
  const ms = (us: number): number => us / 1_000;
  const result: ClosedLoopResult = {
    workload: options.workload,
    concurrency: options.concurrency,
    ops,
    answeredTotal,
    errors,
    opsPerS: (ops / options.durationMs) * 1_000,
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    p999Ms: ms(histogram.getValueAtPercentile(99.9)),
    maxMs: ms(histogram.maxValue),
    errorSamples,
  };
  histogram.destroy();
  return result;
}

// The measuring core of `troupe bench`: a closed loop of `concurrency` workers, each starting
// its next operation as soon as the last is answered, for a warm-up (not counted) and then a
// measured window. Memory stays constant however long it runs: latencies go into a fixed
// HdrHistogram (microseconds, 3 significant digits, capped at a minute) and errors into a
// bounded count per code. An operation counts only if it began and ended inside the window.
import { build } from 'hdr-histogram-js';

export interface LoopOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface LatencyMs {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export interface LoopResult {
  /** Operations that succeeded inside the window. */
  readonly ops: number;
  readonly opsPerS: number;
  /** Of successful operations; zeros when there were none. */
  readonly latencyMs: LatencyMs;
  /** Operations that failed inside the window, and how many of each error code. */
  readonly errors: number;
  readonly errorsByCode: Readonly<Record<string, number>>;
}

/** Latencies above this are recorded as this: a minute is a failure anyway. */
const highestTrackableUs = 60_000_000;
/** Distinct error codes counted by name; any beyond share one `other` count. */
export const errorCodesMax = 16;

/** The stable code of a Troupe error, else the error's class name. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return error instanceof Error ? error.name : 'unknown';
}

class ErrorCounts {
  readonly byCode = new Map<string, number>();
  total = 0;

  add(error: unknown): void {
    this.total++;
    let code = errorCode(error);
    if (!this.byCode.has(code) && this.byCode.size >= errorCodesMax) code = 'other';
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
  }
}

/**
 * Runs `worker(i)()` in a closed loop on `concurrency` workers. `worker` is called once per
 * worker and returns that worker's next-operation function (its own seeded choices).
 */
export async function closedLoop(
  worker: (index: number) => () => Promise<unknown>,
  options: LoopOptions,
  now: () => number = () => performance.now(),
): Promise<LoopResult> {
  const histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: highestTrackableUs,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });
  const errors = new ErrorCounts();
  let ops = 0;
  const measureFromMs = now() + options.warmupMs;
  const endMs = measureFromMs + options.durationMs;
  const loop = async (next: () => Promise<unknown>): Promise<void> => {
    while (now() < endMs) {
      const began = now();
      let failure: { error: unknown } | null = null;
      try {
        await next();
      } catch (error) {
        failure = { error };
      }
      const doneMs = now();
      if (began < measureFromMs || doneMs > endMs) continue;
      if (failure !== null) {
        errors.add(failure.error);
        continue;
      }
      const us = Math.round((doneMs - began) * 1_000);
      histogram.recordValue(Math.min(highestTrackableUs, Math.max(1, us)));
      ops++;
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, i) => loop(worker(i))));
    const ms = (us: number): number => (ops === 0 ? 0 : us / 1_000);
    // A percentile is its bucket's upper end, which can pass the largest value recorded.
    const at = (percentile: number): number =>
      ms(Math.min(histogram.getValueAtPercentile(percentile), histogram.maxValue));
    return {
      ops,
      opsPerS: (ops / options.durationMs) * 1_000,
      latencyMs: {
        p50: at(50),
        p99: at(99),
        p999: at(99.9),
        max: ms(histogram.maxValue),
        mean: ms(histogram.mean),
      },
      errors: errors.total,
      errorsByCode: Object.fromEntries(errors.byCode),
    };
  } finally {
    histogram.destroy();
  }
}

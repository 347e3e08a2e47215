// Shared by the benchmark commands: percentiles over sorted samples, and a sequential run of
// one operation at a time measured per operation.

export interface Measured {
  readonly scenario: string;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** The sample at fraction `p` of `sorted` (ascending); 0 for no samples. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** Runs `run(0..count-1)` one after another; rate and latency percentiles. */
export async function sequential(
  scenario: string,
  count: number,
  run: (i: number) => Promise<void>,
): Promise<Measured> {
  const latencies: number[] = [];
  const startMs = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await run(i);
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  const perSecond = (count / (performance.now() - startMs)) * 1_000;
  return {
    scenario,
    perSecond,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

/** `concurrency` loops, each one operation at a time, for `seconds`; rate and latencies. */
export async function concurrent(
  scenario: string,
  concurrency: number,
  seconds: number,
  run: (loop: number, i: number) => Promise<void>,
): Promise<Measured> {
  const endMs = Date.now() + seconds * 1_000;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      for (let i = 0; Date.now() < endMs; i++) {
        const t = performance.now();
        await run(loop, i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    scenario,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

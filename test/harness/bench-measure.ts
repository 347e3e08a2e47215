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

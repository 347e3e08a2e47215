// Shared by the benchmark processes: the ~100-byte message the issue asks to measure, the
// round-trip measurement loop, percentiles, and result output.

import { performance } from 'node:perf_hooks';
import { pack } from 'msgpackr';

const filler = 'x'.repeat(80);

export interface BenchPayload {
  seq: number;
  data: string;
}

export function payload(seq: number): BenchPayload {
  return { seq, data: filler };
}

export const payloadBytes = (pack(payload(1_000_000)) as Uint8Array).length;

/** Sorted-sample percentile (nearest rank). */
export function percentile(sortedMicros: number[], p: number): number {
  if (sortedMicros.length === 0) return Number.NaN;
  const rank = Math.min(sortedMicros.length - 1, Math.ceil((p / 100) * sortedMicros.length) - 1);
  return sortedMicros[Math.max(0, rank)] as number;
}

export function emit(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * Runs `total` request/response round trips with `inFlight` concurrent loops and emits the
 * rate and latency percentiles under `scenario`.
 */
export async function measureRoundTrips(
  scenario: string,
  total: number,
  inFlight: number,
  roundTrip: (n: number) => Promise<unknown>,
): Promise<void> {
  const latenciesMicros: number[] = [];
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < total) {
      const n = issued++;
      const t0 = performance.now();
      await roundTrip(n);
      latenciesMicros.push((performance.now() - t0) * 1_000);
    }
  };
  const startMs = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsedMs = performance.now() - startMs;
  latenciesMicros.sort((a, b) => a - b);
  emit({
    scenario,
    asks: total,
    asksPerSec: (total / elapsedMs) * 1_000,
    p50Micros: percentile(latenciesMicros, 50),
    p99Micros: percentile(latenciesMicros, 99),
  });
}

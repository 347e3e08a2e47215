// The benchmark message: about 100 bytes of msgpack, the size the issue asks to measure.
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

// Client requests per wall-clock second for the dashboard's ops/s and latency charts: a ring
// of one slot per second over a fixed window, each slot a count, an error count and a small
// log-scale latency histogram, so memory stays the same however busy the balancer is and a
// percentile costs one walk over a few dozen buckets. Pure: times come in as arguments.

/** Upper bound of the first latency bucket; every later bucket is √2 times wider. */
const firstBucketMs = 0.05;
/** √2 steps from 0.05 ms reach ~148 s, past the longest request deadline (120 s). */
const bucketCount = 44;

export interface SecondSummary {
  /** Start of the second, ms since the epoch. */
  readonly atMs: number;
  readonly requests: number;
  readonly errors: number;
  /** Upper bound of the latency bucket holding the median (null: no request that second). */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** The latency bucket of `latencyMs`: bucket i holds (0.05·√2^(i-1), 0.05·√2^i] ms. */
export function latencyBucket(latencyMs: number): number {
  if (!(latencyMs > firstBucketMs)) return 0;
  const index = Math.ceil(2 * Math.log2(latencyMs / firstBucketMs) - 1e-9);
  return Math.min(bucketCount - 1, index);
}

/** The largest latency bucket `index` holds, rounded to a microsecond. */
export function bucketUpperMs(index: number): number {
  return Math.round(firstBucketMs * Math.SQRT2 ** index * 1_000) / 1_000;
}

export class SecondBuckets {
  /** The second (ms since the epoch / 1000) each slot currently counts; -1 for none yet. */
  private readonly seconds: Float64Array;
  private readonly requests: Uint32Array;
  private readonly errors: Uint32Array;
  /** `windowSeconds` histograms of `bucketCount` counters, one after another. */
  private readonly histograms: Uint32Array;

  constructor(readonly windowSeconds: number) {
    this.seconds = new Float64Array(windowSeconds).fill(-1);
    this.requests = new Uint32Array(windowSeconds);
    this.errors = new Uint32Array(windowSeconds);
    this.histograms = new Uint32Array(windowSeconds * bucketCount);
  }

  record(nowMs: number, latencyMs: number, failed: boolean): void {
    const slot = this.slotFor(Math.floor(nowMs / 1_000));
    this.requests[slot] = (this.requests[slot] ?? 0) + 1;
    if (failed) this.errors[slot] = (this.errors[slot] ?? 0) + 1;
    const at = slot * bucketCount + latencyBucket(latencyMs);
    this.histograms[at] = (this.histograms[at] ?? 0) + 1;
  }

  /**
   * The `windowSeconds` whole seconds before the one `nowMs` falls in, oldest first. The
   * current second is left out: it is still filling, and would read as a dip in ops/s.
   */
  summaries(nowMs: number): SecondSummary[] {
    const nowSecond = Math.floor(nowMs / 1_000);
    const out: SecondSummary[] = [];
    for (let second = nowSecond - this.windowSeconds; second < nowSecond; second++) {
      const slot = second % this.windowSeconds;
      const counted = this.seconds[slot] === second;
      const requests = counted ? (this.requests[slot] ?? 0) : 0;
      out.push({
        atMs: second * 1_000,
        requests,
        errors: counted ? (this.errors[slot] ?? 0) : 0,
        p50Ms: requests === 0 ? null : this.percentile(slot, requests, 0.5),
        p99Ms: requests === 0 ? null : this.percentile(slot, requests, 0.99),
      });
    }
    return out;
  }

  /** The slot counting `second`, emptied first when it still holds an older one. */
  private slotFor(second: number): number {
    const slot = second % this.windowSeconds;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.requests[slot] = 0;
      this.errors[slot] = 0;
      this.histograms.fill(0, slot * bucketCount, (slot + 1) * bucketCount);
    }
    return slot;
  }

  private percentile(slot: number, count: number, quantile: number): number {
    const rank = Math.max(1, Math.ceil(quantile * count));
    let seen = 0;
    for (let bucket = 0; bucket < bucketCount; bucket++) {
      seen += this.histograms[slot * bucketCount + bucket] ?? 0;
      if (seen >= rank) return bucketUpperMs(bucket);
    }
    return bucketUpperMs(bucketCount - 1);
  }
}

// The phi accrual failure detector (Hayashibara, Défago, Yared, Katayama, SRDS 2004). Instead
// of a yes/no timeout it reports a suspicion level phi = -log10(P(a heartbeat arrives this
// late)) from the observed inter-arrival distribution, so a threshold of 8 means "wrong about
// one time in 10^8" under the fitted normal model. Pure: callers pass times from their clock.
import { assert } from '../assert.js';

export interface PhiAccrualOptions {
  /** Suspect the peer when phi exceeds this (Akka's default is 8). */
  threshold: number;
  /** Inter-arrival samples kept; older ones fall out of the window. */
  sampleSizeMax: number;
  /** Floor on the standard deviation, so a perfectly regular sender is not suspected at once. */
  minStdDevMs: number;
  /** Extra margin added to the mean: pauses this long (GC, a busy loop) are tolerated. */
  acceptablePauseMs: number;
  /** Assumed interval before any sample exists (the first heartbeat gives no interval). */
  firstHeartbeatEstimateMs: number;
}

export const defaultPhiAccrualOptions: Readonly<PhiAccrualOptions> = Object.freeze({
  threshold: 8,
  sampleSizeMax: 200,
  minStdDevMs: 100,
  acceptablePauseMs: 1_000,
  firstHeartbeatEstimateMs: 500,
});

export class PhiAccrualDetector {
  private readonly options: PhiAccrualOptions;
  private readonly intervalsMs: number[] = [];
  private nextSlot = 0;
  private sumMs = 0;
  private sumSquaresMs = 0;
  private lastArrivalMs: number | undefined;

  constructor(options: Partial<PhiAccrualOptions> = {}) {
    this.options = { ...defaultPhiAccrualOptions, ...options };
    assert(this.options.sampleSizeMax >= 1, 'sampleSizeMax >= 1');
    assert(this.options.minStdDevMs > 0, 'minStdDevMs > 0');
    assert(this.options.firstHeartbeatEstimateMs > 0, 'firstHeartbeatEstimateMs > 0');
    // Seed with two samples around the estimate (Akka does the same) so the first phi is sane.
    const estimateMs = this.options.firstHeartbeatEstimateMs;
    const spreadMs = estimateMs / 4;
    this.record(estimateMs - spreadMs);
    this.record(estimateMs + spreadMs);
  }

  get threshold(): number {
    return this.options.threshold;
  }

  /** Records a heartbeat that arrived at `arrivalMs`. */
  heartbeat(arrivalMs: number): void {
    if (this.lastArrivalMs !== undefined) {
      assert(arrivalMs >= this.lastArrivalMs, () => `time went back: ${arrivalMs}`);
      this.record(arrivalMs - this.lastArrivalMs);
    }
    this.lastArrivalMs = arrivalMs;
  }

  /** Suspicion at `nowMs`; 0 before the first heartbeat (nothing to suspect yet). */
  phi(nowMs: number): number {
    if (this.lastArrivalMs === undefined) return 0;
    const elapsedMs = Math.max(0, nowMs - this.lastArrivalMs);
    const count = this.intervalsMs.length;
    const meanMs = this.sumMs / count + this.options.acceptablePauseMs;
    const variance = Math.max(0, this.sumSquaresMs / count - (this.sumMs / count) ** 2);
    const stdDevMs = Math.max(Math.sqrt(variance), this.options.minStdDevMs);
    return phiOfNormal(elapsedMs, meanMs, stdDevMs);
  }

  /** True while phi is at or under the threshold. */
  isAvailable(nowMs: number): boolean {
    return this.phi(nowMs) <= this.options.threshold;
  }

  private record(intervalMs: number): void {
    const max = this.options.sampleSizeMax;
    if (this.intervalsMs.length < max) {
      this.intervalsMs.push(intervalMs);
    } else {
      const evicted = this.intervalsMs[this.nextSlot] ?? 0;
      this.sumMs -= evicted;
      this.sumSquaresMs -= evicted * evicted;
      this.intervalsMs[this.nextSlot] = intervalMs;
      this.nextSlot = (this.nextSlot + 1) % max;
    }
    this.sumMs += intervalMs;
    this.sumSquaresMs += intervalMs * intervalMs;
  }
}

/**
 * -log10 of the normal tail beyond `elapsedMs`, via the logistic approximation of the normal
 * CDF that Akka uses (error < 0.0002): exact erf is not needed for a threshold test, and the
 * approximation stays finite far into the tail where 1 - CDF underflows to 0.
 */
export function phiOfNormal(elapsedMs: number, meanMs: number, stdDevMs: number): number {
  assert(stdDevMs > 0, () => `stdDevMs ${stdDevMs} must be > 0`);
  const y = (elapsedMs - meanMs) / stdDevMs;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  if (elapsedMs > meanMs) return -Math.log10(e / (1 + e));
  return -Math.log10(1 - 1 / (1 + e));
}

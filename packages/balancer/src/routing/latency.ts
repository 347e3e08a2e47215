// Per-node latency as an exponentially weighted moving average of request round trips: how
// stale reads pick the healthiest replica. A node never measured ranks as average, so new
// nodes get traffic and get measured.

const weightOfNewest = 0.2;

export class LatencyTracker {
  private readonly ewmaMs = new Map<string, number>();

  record(nodeId: string, latencyMs: number): void {
    const previous = this.ewmaMs.get(nodeId);
    const next =
      previous === undefined ? latencyMs : previous + weightOfNewest * (latencyMs - previous);
    this.ewmaMs.set(nodeId, next);
  }

  /** A failed attempt counts as slow, so traffic moves away from a struggling node. */
  penalize(nodeId: string, penaltyMs: number): void {
    this.record(nodeId, penaltyMs);
  }

  ewmaOf(nodeId: string): number | undefined {
    return this.ewmaMs.get(nodeId);
  }

  /** The candidate with the lowest average; ties (and the unmeasured) by id order. */
  fastest(candidates: readonly string[]): string | null {
    const known = [...this.ewmaMs.values()];
    const defaultMs = known.length === 0 ? 0 : known.reduce((a, b) => a + b, 0) / known.length;
    let best: string | null = null;
    let bestMs = Number.POSITIVE_INFINITY;
    for (const id of [...candidates].sort()) {
      const ms = this.ewmaMs.get(id) ?? defaultMs;
      if (ms < bestMs) {
        best = id;
        bestMs = ms;
      }
    }
    return best;
  }
}

// One phi-accrual failure detector per node, fed by the node's heartbeats. A closed
// connection is believed at once (a crashed process's sockets close); phi catches what a
// closed socket does not show: a hung process, a partition, a stalled event loop.
import { PhiAccrualDetector, type PhiAccrualOptions } from '@troupe/runtime';

export class NodeHealth {
  private readonly detectors = new Map<string, PhiAccrualDetector>();
  private readonly suspected = new Set<string>();

  constructor(private readonly options: Partial<PhiAccrualOptions>) {}

  /** A heartbeat arrived; returns true when it clears an earlier suspicion. */
  heartbeat(nodeId: string, nowMs: number): boolean {
    const cleared = this.suspected.delete(nodeId);
    let detector = this.detectors.get(nodeId);
    // After a suspicion the silence just ended was an outage, not an interval: recorded, it
    // taught the detector to wait longer for the next hang of the same node (each SIGSTOP
    // was suspected ~200 ms later than the one before). Start from a fresh estimate instead.
    if (detector === undefined || cleared) {
      detector = new PhiAccrualDetector(this.options);
      this.detectors.set(nodeId, detector);
    }
    detector.heartbeat(nowMs);
    return cleared;
  }

  phi(nodeId: string, nowMs: number): number {
    return this.detectors.get(nodeId)?.phi(nowMs) ?? 0;
  }

  isSuspected(nodeId: string): boolean {
    return this.suspected.has(nodeId);
  }

  /** Nodes whose phi crossed the threshold since the last call. */
  newlySuspected(nowMs: number): string[] {
    const found: string[] = [];
    for (const [nodeId, detector] of this.detectors) {
      if (this.suspected.has(nodeId) || detector.isAvailable(nowMs)) continue;
      this.suspected.add(nodeId);
      found.push(nodeId);
    }
    return found;
  }

  /**
   * The connection closed: forget the arrival history, so the next process on that address
   * starts with a fresh estimate instead of being judged by the old one's rhythm.
   */
  forget(nodeId: string): void {
    this.detectors.delete(nodeId);
    this.suspected.delete(nodeId);
  }
}

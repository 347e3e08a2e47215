// Requests for a shard that has no reachable leader wait here until one is known (a failover
// is under way) instead of failing or spinning. The queue is bounded over all shards: past
// `heldMax` a request is refused at once with OverloadedError; each waiter also has a
// deadline, after which it is told so and the caller answers Unavailable.
import { OverloadedError } from '@troupe/runtime';

export type HoldOutcome = 'released' | 'deadline';

interface Waiter {
  readonly resolve: (outcome: HoldOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

export class HoldQueue {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private heldCount = 0;

  constructor(private readonly heldMax: number) {}

  /** Requests waiting now, over all groups. */
  get size(): number {
    return this.heldCount;
  }

  sizeOf(groupId: string): number {
    return this.waiters.get(groupId)?.size ?? 0;
  }

  /** Waits until `release(groupId)` or `waitMs` passed. Throws OverloadedError when full. */
  hold(groupId: string, waitMs: number): Promise<HoldOutcome> {
    if (this.heldCount >= this.heldMax) {
      throw new OverloadedError(`${this.heldCount} requests already wait for a leader`);
    }
    let group = this.waiters.get(groupId);
    if (group === undefined) {
      group = new Set();
      this.waiters.set(groupId, group);
    }
    const set = group;
    this.heldCount++;
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => this.settle(groupId, set, waiter, 'deadline'), Math.max(0, waitMs)),
      };
      set.add(waiter);
    });
  }

  /** Groups that have requests waiting. */
  waitingGroups(): string[] {
    return [...this.waiters.keys()];
  }

  /** A leader is known for `groupId`: everyone waiting for it tries again. */
  release(groupId: string): void {
    const group = this.waiters.get(groupId);
    if (group === undefined) return;
    for (const waiter of [...group]) this.settle(groupId, group, waiter, 'released');
  }

  /** Releases everyone (shutting down). */
  releaseAll(): void {
    for (const groupId of [...this.waiters.keys()]) this.release(groupId);
  }

  private settle(groupId: string, group: Set<Waiter>, waiter: Waiter, outcome: HoldOutcome): void {
    if (!group.delete(waiter)) return;
    clearTimeout(waiter.timer);
    this.heldCount--;
    if (group.size === 0) this.waiters.delete(groupId);
    waiter.resolve(outcome);
  }
}

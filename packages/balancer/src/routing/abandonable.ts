// Attempts in flight per node, so that the moment a node is suspected (or its connection
// closes) every request waiting on it stops waiting: a read or sessioned write is retried at
// the new leader at once instead of sitting out its attempt timeout on a hung process.
import { TroupeError } from '@troupe/runtime';

export class NodeAbandonedError extends TroupeError {
  override readonly name = 'NodeAbandonedError';
  constructor(nodeId: string, reason: string) {
    super('TROUPE_ERR_NODE_ABANDONED', `gave up waiting on ${nodeId}: ${reason}`);
  }
}

export class AbandonableAttempts {
  private readonly waiting = new Map<string, Set<(error: Error) => void>>();

  /** Settles like `attempt`, or rejects with NodeAbandonedError once `abandon(nodeId)` runs. */
  async run<T>(nodeId: string, attempt: Promise<T>): Promise<T> {
    let abandon: ((error: Error) => void) | undefined;
    const abandoned = new Promise<never>((_, reject) => {
      abandon = reject;
    });
    const set = this.waiting.get(nodeId) ?? new Set();
    this.waiting.set(nodeId, set);
    const reject = abandon as (error: Error) => void;
    set.add(reject);
    try {
      return await Promise.race([attempt, abandoned]);
    } finally {
      set.delete(reject);
      if (set.size === 0) this.waiting.delete(nodeId);
    }
  }

  /** Fails every attempt in flight at `nodeId`; returns how many there were. */
  abandon(nodeId: string, reason: string): number {
    const set = this.waiting.get(nodeId);
    if (set === undefined) return 0;
    this.waiting.delete(nodeId);
    for (const reject of set) reject(new NodeAbandonedError(nodeId, reason));
    return set.size;
  }
}

// The client requests a replica holds while Raft works on them: proposals waiting for their
// entry to apply, and linearizable reads waiting for a confirmed read index and the apply
// index to reach it. Bounded in count, each with a deadline in ticks, so a stuck group cannot
// pile up memory or leave a caller hanging.
import { assert } from '@troupe/runtime/assert';

/** How a request ends: a value for its asker, or a typed error. */
export type Completion = (outcome: Outcome) => void;
export type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: Error };

interface Waiting {
  readonly done: Completion;
  readonly deadlineTick: number;
}

export interface PendingRead extends Waiting {
  readonly serve: () => unknown;
  /** The confirmed read index, once the ReadState arrived. */
  index: number | null;
}

/** A bounded map of waiting requests keyed by id, expiring by tick. */
export class PendingTable<W extends Waiting> {
  private readonly waiting = new Map<string, W>();

  constructor(private readonly countMax: number) {
    assert(countMax >= 1, 'a pending table must hold at least one request');
  }

  get size(): number {
    return this.waiting.size;
  }

  get isFull(): boolean {
    return this.waiting.size >= this.countMax;
  }

  add(id: string, waiting: W): void {
    assert(!this.isFull, 'caller must check isFull before adding');
    assert(!this.waiting.has(id), () => `request id ${id} reused`);
    this.waiting.set(id, waiting);
  }

  has(id: string): boolean {
    return this.waiting.has(id);
  }

  get(id: string): W | undefined {
    return this.waiting.get(id);
  }

  /** Removes and returns the request, if it is still waiting. */
  take(id: string): W | undefined {
    const waiting = this.waiting.get(id);
    if (waiting !== undefined) this.waiting.delete(id);
    return waiting;
  }

  entries(): IterableIterator<[string, W]> {
    return this.waiting.entries();
  }

  /** Ends every request whose deadline passed with `error()`. */
  expire(nowTick: number, error: () => Error): void {
    for (const [id, waiting] of this.waiting) {
      if (waiting.deadlineTick > nowTick) continue;
      this.waiting.delete(id);
      waiting.done({ ok: false, error: error() });
    }
  }

  /** Ends every request with `error()` (leadership lost, replica stopping). */
  failAll(error: () => Error): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiting of all) waiting.done({ ok: false, error: error() });
  }
}

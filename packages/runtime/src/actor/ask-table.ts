// Asks waiting for replies. Bounded; each has a deadline timer; all asks to a node fail at once
// when its connection drops, because their replies can no longer arrive.
import { OverloadedError, TimeoutError } from '../errors.js';
import type { Clock, TimerHandle } from '../time/clock.js';

interface PendingAsk {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: TimerHandle;
  /** The remote node it was sent to; null for local asks. */
  nodeId: string | null;
}

export class AskTable {
  private readonly pending = new Map<number, PendingAsk>();
  private nextAskId = 1;

  constructor(
    private readonly clock: Clock,
    private readonly pendingMax: number,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Registers an ask; throws OverloadedError when too many are pending. */
  open(
    nodeId: string | null,
    timeoutMs: number,
    what: string,
  ): { askId: number; reply: Promise<unknown> } {
    if (this.pending.size >= this.pendingMax) {
      throw new OverloadedError(`${this.pending.size} asks already pending`);
    }
    const askId = this.nextAskId++;
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = this.clock.setTimer(timeoutMs, () => {
        this.pending.delete(askId);
        reject(new TimeoutError(`ask to ${what} got no reply within ${timeoutMs} ms`));
      });
      this.pending.set(askId, { resolve, reject, timer, nodeId });
    });
    return { askId, reply };
  }

  resolve(askId: number, value: unknown): boolean {
    const ask = this.take(askId);
    ask?.resolve(value);
    return ask !== undefined;
  }

  reject(askId: number, error: Error): boolean {
    const ask = this.take(askId);
    ask?.reject(error);
    return ask !== undefined;
  }

  /** Settles an ask from a remote reply; ignored unless the ask went to that very node. */
  resolveFrom(nodeId: string, askId: number, value: unknown): boolean {
    if (this.pending.get(askId)?.nodeId !== nodeId) return false;
    return this.resolve(askId, value);
  }

  rejectFrom(nodeId: string, askId: number, error: Error): boolean {
    if (this.pending.get(askId)?.nodeId !== nodeId) return false;
    return this.reject(askId, error);
  }

  /** Fails every ask sent to `nodeId` (its connection dropped). */
  rejectNode(nodeId: string, error: () => Error): void {
    for (const [askId, ask] of this.pending) {
      if (ask.nodeId === nodeId) this.reject(askId, error());
    }
  }

  rejectAll(error: () => Error): void {
    for (const askId of [...this.pending.keys()]) this.reject(askId, error());
  }

  private take(askId: number): PendingAsk | undefined {
    const ask = this.pending.get(askId);
    if (!ask) return undefined;
    this.pending.delete(askId);
    ask.timer.cancel();
    return ask;
  }
}

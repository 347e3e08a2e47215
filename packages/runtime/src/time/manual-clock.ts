// A virtual clock for tests and simulation: time moves only when `advance` is called, and
// timers fire in deadline order (ties in the order they were set), so runs are repeatable.
import { assert } from '../assert.js';
import type { Clock, TimerHandle } from './clock.js';

interface PendingTimer {
  dueMs: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  private currentMs: number;
  private nextOrder = 0;
  private timers: PendingTimer[] = [];

  constructor(startMs = 0) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer: PendingTimer = {
      dueMs: this.currentMs + Math.max(0, delayMs),
      order: this.nextOrder++,
      callback,
      cancelled: false,
    };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Timers still waiting to fire. */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `deltaMs`, firing every timer that falls due on the way. */
  advance(deltaMs: number): void {
    assert(deltaMs >= 0, () => `advance by a negative delta ${deltaMs}`);
    const targetMs = this.currentMs + deltaMs;
    for (;;) {
      const next = this.takeNextDue(targetMs);
      if (!next) break;
      this.currentMs = next.dueMs;
      next.callback();
    }
    this.currentMs = targetMs;
  }

  private takeNextDue(limitMs: number): PendingTimer | undefined {
    this.timers = this.timers.filter((t) => !t.cancelled);
    let best: PendingTimer | undefined;
    for (const t of this.timers) {
      if (t.dueMs > limitMs) continue;
      if (!best || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.order < best.order)) {
        best = t;
      }
    }
    if (best) best.cancelled = true;
    return best;
  }
}

// The clock port: everything in the runtime that reads time or waits goes through it, so a
// simulation can drive virtual time. Times are monotonic milliseconds, not wall-clock dates.

/** A scheduled callback that can be cancelled; cancelling twice is harmless. */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds since an arbitrary origin. */
  nowMs(): number;
  /**
   * Calls `callback` once, `delayMs` from now. Real timers do not keep the process alive
   * unless `keepAlive` is set (a reconnect in progress should; an ask deadline should not).
   */
  setTimer(delayMs: number, callback: () => void, options?: { keepAlive?: boolean }): TimerHandle;
}

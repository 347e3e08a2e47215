// The real clock: performance.now() for monotonic time and Node timers for waiting.
import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from './clock.js';

class NodeTimer implements TimerHandle {
  constructor(private readonly timer: NodeJS.Timeout) {}
  cancel(): void {
    clearTimeout(this.timer);
  }
}

/** Monotonic real time; timers are unref'd unless asked to keep the process alive. */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  setTimer(delayMs, callback, options) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    if (!options?.keepAlive) timer.unref();
    return new NodeTimer(timer);
  },
};

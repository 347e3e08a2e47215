// The real clock: performance.now() for monotonic time and Node timers for waiting.
import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from './clock.js';

class NodeTimer implements TimerHandle {
  constructor(private readonly timer: NodeJS.Timeout) {}
  cancel(): void {
    clearTimeout(this.timer);
  }
}

/** Monotonic real time. Timers are unref'd so a pending deadline never keeps a process alive. */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  setTimer(delayMs, callback) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    timer.unref();
    return new NodeTimer(timer);
  },
};

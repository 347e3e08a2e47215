// Delays between reconnects and between retries: exponential, capped, with full jitter over
// the upper half so that many clients that lost the same balancer do not return in step.

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 50, maxMs: 2_000 };

/** The delay before attempt `attempt` (0 = the first retry). */
export function backoffMs(options: BackoffOptions, attempt: number, random: () => number): number {
  const ceilingMs = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 20));
  return ceilingMs / 2 + random() * (ceilingMs / 2);
}

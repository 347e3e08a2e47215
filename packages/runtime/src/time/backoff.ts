// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
// Jitter"): spreading retries uniformly stops a restarted peer from being hit by every
// reconnecting node at the same instant.
import { assert } from '../assert.js';
import type { Rng } from './rng.js';

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const defaultReconnectBackoff: Readonly<BackoffPolicy> = Object.freeze({
  initialMs: 50,
  maxMs: 2_000,
  factor: 2,
});

/** The delay before retry number `attempt` (0-based): uniform in [cap/2, cap]. */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, rng: Rng): number {
  assert(attempt >= 0, () => `attempt ${attempt} < 0`);
  assert(policy.initialMs <= policy.maxMs, 'backoff initialMs <= maxMs');
  const capMs = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.min(attempt, 30));
  // Half fixed, half random: full jitter can pick ~0 and hammer a peer that just refused us.
  return capMs / 2 + rng.nextFloat() * (capMs / 2);
}

// Supervision: what happens when an actor's handler throws. The actor is restarted (a fresh
// instance from its factory, state reset, mailbox kept) after a backoff, unless it already
// restarted `maxRestarts` times within `withinMs`; then it is stopped and its watchers told.
import { assert } from '../assert.js';

export interface SupervisionPolicy {
  maxRestarts: number;
  withinMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export const defaultSupervisionPolicy: Readonly<SupervisionPolicy> = Object.freeze({
  maxRestarts: 3,
  withinMs: 60_000,
  backoffInitialMs: 100,
  backoffMaxMs: 5_000,
});

export type SupervisionDecision =
  | { action: 'restart'; delayMs: number; restartsMs: number[] }
  | { action: 'stop'; restartsMs: number[] };

/**
 * Pure decision from the times of earlier restarts. Backoff doubles with each restart inside
 * the window, so a crash loop slows down instead of spinning.
 */
export function decideSupervision(
  policy: SupervisionPolicy,
  earlierRestartsMs: readonly number[],
  nowMs: number,
): SupervisionDecision {
  assert(policy.maxRestarts >= 0, 'maxRestarts >= 0');
  assert(policy.backoffInitialMs <= policy.backoffMaxMs, 'backoffInitialMs <= backoffMaxMs');
  const recent = earlierRestartsMs.filter((t) => nowMs - t < policy.withinMs);
  if (recent.length >= policy.maxRestarts) return { action: 'stop', restartsMs: recent };
  const delayMs = Math.min(policy.backoffMaxMs, policy.backoffInitialMs * 2 ** recent.length);
  return { action: 'restart', delayMs, restartsMs: [...recent, nowMs] };
}

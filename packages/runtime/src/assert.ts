// Invariant checks for programmer errors. Never stripped: a broken invariant must stop the
// process (Raft tolerates the crash) rather than let it carry on with corrupt state.

/** Thrown when an internal invariant does not hold. Not an operating error: do not catch it. */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
  readonly code = 'TROUPE_ERR_ASSERTION';
}

/**
 * Checks an invariant. `detail` is only evaluated on failure, so callers can describe the
 * state that broke it without paying for the string on the hot path.
 */
export function assert(condition: boolean, detail: string | (() => string)): asserts condition {
  if (condition) return;
  throw new AssertionError(typeof detail === 'function' ? detail() : detail);
}

/** Marks a branch that the type system proves unreachable (exhaustive switches). */
export function unreachable(value: never, what: string): never {
  throw new AssertionError(`unreachable ${what}: ${JSON.stringify(value)}`);
}

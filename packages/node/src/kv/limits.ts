// Default bounds of the key-value state machine's exactly-once session table, per shard. Every
// replica of a shard must use the same values: expiry and eviction are part of the replicated
// state, so replicas configured differently would diverge.
import { assert } from '@troupe/runtime/assert';

/** Live sessions a shard remembers; past this the least recently seen are evicted. */
export const sessionsMax = 10_000;

/**
 * Expired (or evicted) session ids a shard remembers, so that a late retry of one is refused
 * with TROUPE_ERR_SESSION_EXPIRED instead of being applied a second time.
 */
export const expiredSessionsMax = sessionsMax;

/** A session idle (in state-machine time) for longer than this is expired. */
export const sessionTtlMs = 10 * 60 * 1000;

/** The session table is swept at every log index that is a multiple of this. */
export const sessionSweepEveryEntries = 1024;

/** A client retries an indeterminate write within about this long; its session must survive. */
const clientRetryHorizonMs = 60 * 1000;

/** Sessions a sweep may scan per applied entry, on average (a sweep scans the whole table). */
const sweepScanPerEntryMax = 32;

assert(Number.isSafeInteger(sessionsMax) && sessionsMax >= 1, 'sessionsMax must be >= 1');
assert(expiredSessionsMax >= 0, 'expiredSessionsMax must be >= 0');
assert(sessionTtlMs >= clientRetryHorizonMs, 'a session must outlive a client retry');
assert(sessionSweepEveryEntries >= 1, 'sessionSweepEveryEntries must be >= 1');
assert(
  (sessionsMax + expiredSessionsMax) / sessionSweepEveryEntries <= sweepScanPerEntryMax,
  'periodic sweeps must cost a bounded scan per applied entry',
);

// The key-value state machine of a shard: applies committed writes (update, create, delete,
// compare-and-set) with exactly-once sessions, and serves reads. Every replica applies the same
// log, so `apply` is a pure function of (store contents, index, command) and keeps no state of
// its own: whatever it must remember lives in the KvStore, where it commits with the applied
// index, survives restarts and travels in snapshots.
//
// Versions. A key's version is the Raft index of the write that produced it, 0 when absent.
// Indexes grow, so versions strictly grow per key, also across delete and re-create.
//
// Sessions. A client tags a write with (session id, seq); the shard keeps the last seq and its
// outcome per session, so a retry of the same seq gets the stored outcome instead of applying
// twice, and an older seq is refused as stale. A session's seqs are shared by all the shards
// it writes to, so a shard may first see a session at any seq: an unknown session is accepted
// at any seq. What would make that unsafe is a retry reaching a shard that has forgotten the
// session; so when a session expires (idle longer than sessionTtlMs) or is evicted (more than
// sessionsMax live), its record is not deleted but replaced by a tombstone (`seq` 0, which no
// request carries), and every later request of that session gets TROUPE_ERR_SESSION_EXPIRED.
// Tombstones are bounded too (expiredSessionsMax, oldest dropped first); past that bound a
// very late retry of a forgotten session could apply again, the documented limit of the
// guarantee.
//
// Clock. Expiry needs time, and replicas must agree on it: the machine's clock is the largest
// `nowMs` of any applied command (the proposer's clock), so it never goes back even when a new
// leader's clock is behind. It is kept, with the tombstone count, in one reserved session
// record whose id (with a space) no valid session id can take; see readMachineState. Keeping
// it among the sessions, rather than adding a method to the port, leaves the port as storage
// implements it, and snapshots and state hashes cover it with nothing added.
import type { GetReply, SessionTag } from '@troupe/client/protocol';
import { assert } from '@troupe/runtime/assert';
import * as limits from './limits.js';
import type { KvCommand, KvStore, KvWriteOutcome, SessionRecord } from './types.js';

/** Bounds of the session table; every replica of a shard must use the same values. */
export interface KvStateMachineOptions {
  readonly sessionTtlMs?: number;
  readonly sessionsMax?: number;
  readonly expiredSessionsMax?: number;
  readonly sessionSweepEveryEntries?: number;
}

/** The reserved session id of the machine's own state. Valid ids are printable, no spaces. */
export const machineSessionId = ' kv-state-machine';

/** The `seq` of a tombstone: the session expired on this shard. Requests carry seq >= 1. */
export const expiredSessionSeq = 0;

/** What the machine keeps about itself, in the reserved session record. */
export interface KvMachineState {
  /** The largest nowMs applied so far: the machine's clock. */
  readonly clockMs: number;
  /** Tombstones in the session table. */
  readonly expiredCount: number;
}

const machineMarker: KvWriteOutcome = {
  ok: false,
  code: 'TROUPE_ERR_SESSION_EXPIRED',
  message: 'reserved record: state-machine clock (lastSeenMs) and tombstone count (seq)',
};

const tombstoneOutcome: KvWriteOutcome = {
  ok: false,
  code: 'TROUPE_ERR_SESSION_EXPIRED',
  message: 'session expired on this shard',
};

/**
 * The machine's state as stored: the reserved record's lastSeenMs is the clock, its seq the
 * tombstone count. Absent before the first apply (an empty store is at time 0).
 */
export function readMachineState(store: KvStore): KvMachineState {
  return machineStateOf(store.getSession(machineSessionId));
}

function machineStateOf(record: SessionRecord | undefined): KvMachineState {
  if (record === undefined) return { clockMs: 0, expiredCount: 0 };
  return { clockMs: record.lastSeenMs, expiredCount: record.seq };
}

function writeMachineState(store: KvStore, state: KvMachineState): void {
  const record = { seq: state.expiredCount, outcome: machineMarker, lastSeenMs: state.clockMs };
  store.putSession(machineSessionId, record);
}

interface SessionAge {
  readonly id: string;
  readonly lastSeenMs: number;
}

/** Least recently seen first, ties by id: the order of eviction, the same on every replica. */
function oldestFirst(sessions: SessionAge[]): SessionAge[] {
  return sessions.sort((a, b) => {
    if (a.lastSeenMs !== b.lastSeenMs) return a.lastSeenMs - b.lastSeenMs;
    if (a.id === b.id) return 0;
    return a.id < b.id ? -1 : 1;
  });
}

function quoted(key: string): string {
  return JSON.stringify(key);
}

function versionMismatch(key: string, expected: number, current: number): KvWriteOutcome {
  const message = `key ${quoted(key)} is at version ${current}, not ${expected}`;
  return { ok: false, code: 'TROUPE_ERR_VERSION_CONFLICT', message, currentVersion: current };
}

function keyExists(key: string, current: number): KvWriteOutcome {
  const message = `key ${quoted(key)} exists (version ${current})`;
  return { ok: false, code: 'TROUPE_ERR_ALREADY_EXISTS', message, currentVersion: current };
}

function sessionExpired(tag: SessionTag): KvWriteOutcome {
  const message =
    `session ${quoted(tag.id)} expired on this shard (idle or evicted), so seq ${tag.seq} ` +
    'cannot be applied exactly once; start a new session';
  return { ok: false, code: 'TROUPE_ERR_SESSION_EXPIRED', message };
}

function sessionStale(tag: SessionTag, lastSeq: number): KvWriteOutcome {
  const message = `session ${quoted(tag.id)}: seq ${tag.seq} is older than the last, ${lastSeq}`;
  return { ok: false, code: 'TROUPE_ERR_SESSION_STALE', message };
}

interface SessionScan {
  /** Live sessions, except the spared one. */
  readonly live: SessionAge[];
  readonly tombstones: SessionAge[];
  /** Whether the session `currentId` is live (and so left out of `live`). */
  readonly spared: boolean;
}

/** The session table, sorted into live sessions and tombstones (the reserved record apart). */
function scanSessions(store: KvStore, currentId: string | undefined): SessionScan {
  const live: SessionAge[] = [];
  const tombstones: SessionAge[] = [];
  let spared = false;
  for (const [id, session] of store.sessions()) {
    if (id === machineSessionId) continue;
    const age = { id, lastSeenMs: session.lastSeenMs };
    if (session.seq === expiredSessionSeq) tombstones.push(age);
    else if (id === currentId) spared = true;
    else live.push(age);
  }
  return { live, tombstones, spared };
}

export class KvStateMachine {
  private readonly sessionTtlMs: number;
  private readonly sessionsMax: number;
  private readonly expiredSessionsMax: number;
  private readonly sessionSweepEveryEntries: number;

  constructor(options: KvStateMachineOptions = {}) {
    this.sessionTtlMs = options.sessionTtlMs ?? limits.sessionTtlMs;
    this.sessionsMax = options.sessionsMax ?? limits.sessionsMax;
    this.expiredSessionsMax = options.expiredSessionsMax ?? limits.expiredSessionsMax;
    this.sessionSweepEveryEntries =
      options.sessionSweepEveryEntries ?? limits.sessionSweepEveryEntries;
    assert(this.sessionTtlMs >= 0, 'sessionTtlMs must be >= 0');
    assert(Number.isSafeInteger(this.sessionsMax) && this.sessionsMax >= 1, 'sessionsMax >= 1');
    assert(Number.isSafeInteger(this.expiredSessionsMax), 'expiredSessionsMax is an integer');
    assert(this.expiredSessionsMax >= 0, 'expiredSessionsMax must be >= 0');
    const every = this.sessionSweepEveryEntries;
    assert(Number.isSafeInteger(every) && every >= 1, 'sessionSweepEveryEntries >= 1');
  }

  /**
   * Applies the committed write at log index `index` and returns its outcome; on success
   * `index` is the key's new version. Deterministic: same store, index and command, same
   * outcome and same resulting store.
   */
  apply(index: number, command: KvCommand, store: KvStore): KvWriteOutcome {
    assert(Number.isSafeInteger(index) && index >= 1, () => `bad log index ${index}`);
    assert(Number.isFinite(command.nowMs) && command.nowMs >= 0, 'nowMs must be >= 0');
    const state = this.advanceClock(store, command.nowMs);
    const outcome =
      command.session === undefined
        ? this.execute(index, command, store)
        : this.applyInSession(index, command, command.session, state.clockMs, store);
    if (this.sweepDue(index, state, store)) this.sweep(state.clockMs, command.session?.id, store);
    return outcome;
  }

  /** The current value and version of `key`: null and 0 when absent. */
  read(key: string, store: KvStore): GetReply {
    const record = store.get(key);
    if (record === undefined) return { ok: true, op: 'get', value: null, version: 0 };
    return { ok: true, op: 'get', value: record.value, version: record.version };
  }

  /** Moves the clock to max(clock, nowMs); also creates the reserved record on first apply. */
  private advanceClock(store: KvStore, nowMs: number): KvMachineState {
    const stored = store.getSession(machineSessionId);
    const state = machineStateOf(stored);
    if (stored !== undefined && nowMs <= state.clockMs) return state;
    const next = { ...state, clockMs: Math.max(state.clockMs, nowMs) };
    writeMachineState(store, next);
    return next;
  }

  private applyInSession(
    index: number,
    command: KvCommand,
    tag: SessionTag,
    clockMs: number,
    store: KvStore,
  ): KvWriteOutcome {
    assert(tag.id !== machineSessionId, 'a request used the reserved session id');
    assert(Number.isSafeInteger(tag.seq) && tag.seq >= 1, () => `bad session seq ${tag.seq}`);
    const known = store.getSession(tag.id);
    if (known !== undefined) {
      const answer = this.answerFromHistory(known, tag, clockMs, store);
      if (answer !== undefined) return answer;
    }
    // Unknown (first time on this shard, at any seq) or a newer seq: apply and remember.
    const outcome = this.execute(index, command, store);
    store.putSession(tag.id, { seq: tag.seq, outcome, lastSeenMs: clockMs });
    return outcome;
  }

  /** The answer a known session's history gives without applying, if any. */
  private answerFromHistory(
    known: SessionRecord,
    tag: SessionTag,
    clockMs: number,
    store: KvStore,
  ): KvWriteOutcome | undefined {
    if (known.seq === expiredSessionSeq) return sessionExpired(tag);
    if (tag.seq < known.seq) return sessionStale(tag, known.seq);
    if (tag.seq > known.seq) return undefined;
    // A retry: the client is alive, so it counts as seen; the outcome is the stored one.
    if (known.lastSeenMs < clockMs) store.putSession(tag.id, { ...known, lastSeenMs: clockMs });
    return known.outcome;
  }

  /** The write itself, sessions aside. */
  private execute(index: number, command: KvCommand, store: KvStore): KvWriteOutcome {
    const { key, op } = command;
    const current = store.get(key);
    const prevVersion = current?.version ?? 0;
    assert(index > prevVersion, () => `index ${index} <= version ${prevVersion} of ${key}`);
    // ifVersion is compare-and-set on any op (the protocol sends it with update and delete).
    if (command.ifVersion !== undefined && command.ifVersion !== prevVersion) {
      return versionMismatch(key, command.ifVersion, prevVersion);
    }
    if (op === 'create' && current !== undefined) return keyExists(key, prevVersion);
    if (op === 'delete') {
      if (current !== undefined) store.delete(key);
    } else {
      assert(command.value !== undefined, () => `${op} without a value`);
      store.put(key, { value: command.value, version: index });
    }
    return { ok: true, op, version: index, prevVersion };
  }

  /**
   * Sweep at every sessionSweepEveryEntries-th index, and whenever over sessionsMax. A sweep
   * scans the whole table, so at the bound each new session costs a scan; the bound is large
   * enough (limits.ts) that only a flood of sessions reaches it.
   */
  private sweepDue(index: number, state: KvMachineState, store: KvStore): boolean {
    if (index % this.sessionSweepEveryEntries === 0) return true;
    // Live sessions: all but the tombstones and the reserved record (present after apply).
    return store.sessionCount() - state.expiredCount - 1 > this.sessionsMax;
  }

  /**
   * Expires idle sessions, evicts the least recently seen while over sessionsMax, turning both
   * into tombstones, and drops the oldest tombstones while over expiredSessionsMax. The
   * session of the entry being applied is spared (it was just seen; this matters only when
   * others were seen at the same instant). Collects first and writes after, so the store need
   * not support writes while iterating.
   */
  private sweep(clockMs: number, currentId: string | undefined, store: KvStore): void {
    const { live, tombstones, spared } = scanSessions(store, currentId);
    const evicted = this.chooseEvictions(live, spared, clockMs);
    for (const id of evicted) tombstones.push({ id, lastSeenMs: clockMs });
    const dropCount = Math.max(0, tombstones.length - this.expiredSessionsMax);
    const dropped = new Set(
      oldestFirst(tombstones)
        .slice(0, dropCount)
        .map((t) => t.id),
    );
    const tombstone = { seq: expiredSessionSeq, outcome: tombstoneOutcome, lastSeenMs: clockMs };
    for (const id of evicted) {
      if (!dropped.has(id)) store.putSession(id, tombstone);
    }
    for (const id of dropped) store.deleteSession(id);
    writeMachineState(store, { clockMs, expiredCount: tombstones.length - dropped.size });
  }

  /** Ids of the live sessions to expire: idle past the TTL, then the oldest over the bound. */
  private chooseEvictions(live: SessionAge[], spared: boolean, clockMs: number): string[] {
    const isIdle = (s: SessionAge): boolean => clockMs - s.lastSeenMs > this.sessionTtlMs;
    const idle = live.filter(isIdle);
    const kept = live.filter((s) => !isIdle(s));
    // The spared current session (if any) is not in `live` but counts against the bound.
    const excess = kept.length + (spared ? 1 : 0) - this.sessionsMax;
    const oldest = excess > 0 ? oldestFirst(kept).slice(0, excess) : [];
    return [...idle, ...oldest].map((s) => s.id);
  }
}

// The plain data of the key-value state machine and the port through which it reads and writes
// its state. The port is synchronous: the host implements it over the lmdb transaction that
// also advances the applied index (storage/), and tests over a Map (kv/memory-kv-store.ts).
import type { SessionTag, WriteReply } from '@troupe/client/protocol';

/** One key's current state. `version` is the Raft index of the write that produced it. */
export interface KvRecord {
  readonly value: Uint8Array;
  readonly version: number;
}

/**
 * What the state machine decided for a write: a success, or a definite failure the node turns
 * into a typed error. Deterministic, so every replica computes the same one.
 */
export type KvWriteOutcome =
  | WriteReply
  | {
      readonly ok: false;
      readonly code:
        | 'TROUPE_ERR_VERSION_CONFLICT'
        | 'TROUPE_ERR_ALREADY_EXISTS'
        | 'TROUPE_ERR_SESSION_EXPIRED'
        | 'TROUPE_ERR_SESSION_STALE';
      readonly message: string;
      readonly currentVersion?: number;
    };

/**
 * The last reply of an exactly-once session, kept so a retry gets it instead of a re-apply.
 * The state machine also stores two special kinds (state-machine.ts): tombstones of expired
 * sessions (`seq` 0) and its own state under a reserved id that contains a space. To the port
 * they are ordinary session records.
 */
export interface SessionRecord {
  readonly seq: number;
  readonly outcome: KvWriteOutcome;
  /** State-machine time (from the entries) of the session's last request. */
  readonly lastSeenMs: number;
}

/** A write as proposed through Raft. `nowMs` is the proposer's clock, used for session expiry. */
export interface KvCommand {
  readonly op: 'update' | 'create' | 'delete';
  readonly key: string;
  readonly value?: Uint8Array;
  readonly ifVersion?: number;
  readonly session?: SessionTag;
  readonly nowMs: number;
}

/** Synchronous access to one shard's key-value state; writes join the caller's transaction. */
export interface KvStore {
  get(key: string): KvRecord | undefined;
  put(key: string, record: KvRecord): void;
  delete(key: string): void;
  /**
   * Every record in key order (for snapshots and state hashes). MemoryKvStore uses UTF-16
   * code-unit order (as `<` compares); UTF-8 byte order (lmdb's) differs only between
   * characters above U+FFFF and U+E000..U+FFFF. State hashes are comparable between stores
   * that iterate in the same order; the state machine itself does not depend on the order.
   */
  records(): Iterable<[string, KvRecord]>;
  getSession(id: string): SessionRecord | undefined;
  putSession(id: string, session: SessionRecord): void;
  deleteSession(id: string): void;
  /** Every session in id order (the same order as records). */
  sessions(): Iterable<[string, SessionRecord]>;
  /** Number of session records, special ones included. */
  sessionCount(): number;
  /** Removes every record and session (before restoring a snapshot). */
  clear(): void;
}

// Plain data shared by the Raft core and its host: entries, snapshots, persistent and volatile
// state, and the injected random source. Every type is a plain object (no classes) so the host
// can msgpack-encode it unchanged; byte payloads stay Uint8Array.

/** A node's identity: printable ASCII, at most `nodeIdBytesMax` characters. */
export type NodeId = string;

/**
 * The only source of randomness the core uses (election timeout jitter). Injected so that a
 * simulator run is a pure function of its seed.
 */
export interface Rng {
  /** A uniformly distributed integer in [0, maxExclusive). */
  nextInt(maxExclusive: number): number;
}

/** An entry carrying an opaque command for the host's state machine. */
export interface NormalEntry {
  readonly type: 'normal';
  readonly term: number;
  readonly index: number;
  readonly data: Uint8Array;
}

export type ConfChangeType = 'addVoter' | 'addLearner' | 'removeNode';

/**
 * One membership change. `addVoter` on a learner promotes it; `addLearner` on a voter demotes
 * it. `context` is opaque to the core (for example the new member's address).
 */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  readonly context?: Uint8Array;
}

/** An entry carrying a membership change; the host applies it with `applyConfChange`. */
export interface ConfChangeEntry {
  readonly type: 'confChange';
  readonly term: number;
  readonly index: number;
  readonly change: ConfChange;
}

export type Entry = NormalEntry | ConfChangeEntry;

/** What a proposal carries before the leader assigns it a term and an index. */
export type EntryPayload =
  | { readonly type: 'normal'; readonly data: Uint8Array }
  | { readonly type: 'confChange'; readonly change: ConfChange };

/** The membership of a group. Both lists are sorted and disjoint. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMetadata {
  /** Index of the last entry the snapshot covers. */
  readonly index: number;
  /** Term of the entry at `index`. */
  readonly term: number;
  /** Membership as of `index`. */
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The host state machine's serialized state; opaque to the core. */
  readonly data: Uint8Array;
}

/** State that must be on stable storage before the messages that depend on it are sent. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

export type RoleName = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state the host may want to observe (routing, metrics); never persisted. */
export interface SoftState {
  readonly leaderId: NodeId | null;
  readonly role: RoleName;
}

/**
 * A confirmed read index. The host may serve the read identified by `ctx` once its state
 * machine has applied at least `index`.
 */
export interface ReadState {
  readonly index: number;
  readonly ctx: Uint8Array;
}

export const emptyHardState: HardState = { term: 0, vote: null, commit: 0 };

export function hardStatesEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function softStatesEqual(a: SoftState, b: SoftState): boolean {
  return a.leaderId === b.leaderId && a.role === b.role;
}

// Options of a Raft node and their resolution into a complete, checked configuration. Limits
// default to limits.ts and may only be lowered. Also defines the testing-only fault flags.
import { assert } from '@troupe/runtime/assert';
import * as limits from './limits.js';
import type { RaftStorage } from './storage.js';
import type { NodeId, Rng } from './types.js';

/**
 * TESTING ONLY. Each flag switches on exactly one known-wrong behaviour so that the simulator
 * can prove its checkers catch it. Every flag defaults to false; production code never sets
 * them.
 */
export interface RaftTestingFaults {
  /** Commit an entry of an earlier term once a majority stores it (the Figure 8 bug). */
  readonly commitPreviousTermByCount: boolean;
  /** Grant (pre-)votes without the §5.4.1 "candidate's log is at least as up-to-date" check. */
  readonly voteWithoutLogCheck: boolean;
  /** Answer read-index requests at once, without the heartbeat round that confirms leadership. */
  readonly readIndexWithoutHeartbeat: boolean;
}

export const noTestingFaults: RaftTestingFaults = {
  commitPreviousTermByCount: false,
  voteWithoutLogCheck: false,
  readIndexWithoutHeartbeat: false,
};

/**
 * How read-index requests are confirmed. `safe` (default) confirms leadership with a heartbeat
 * round. `leaseBased` skips the round while the leader lease holds (a majority echoed a
 * heartbeat sent less than an election timeout ago, minus a tick of margin). It assumes ticks
 * advance at the same rate on every node, so that no other node can elect a leader while this
 * one still believes its lease (see docs/raft.md). Every node of a group must use the same.
 */
export type ReadOnlyOption = 'safe' | 'leaseBased';

/**
 * How followers learn that the commit index moved. `eager` (etcd's behaviour): the leader
 * sends every follower an App at once, empty if need be. `lazy`: the commit index rides on
 * the next App with entries or the next heartbeat, so a follower learns it at most one
 * heartbeat interval later; under a steady write stream this halves the messages and turns
 * per write. Commitment itself, and so every acknowledgement, is the same either way.
 */
export type CommitBroadcast = 'eager' | 'lazy';

export interface RaftOptions {
  readonly id: NodeId;
  readonly storage: RaftStorage;
  readonly rng: Rng;
  /** Ticks without hearing from a leader before campaigning; jittered up to twice this. */
  readonly electionTimeoutTicks: number;
  /** Ticks between leader heartbeats; must be less than the election timeout. */
  readonly heartbeatIntervalTicks: number;
  /** Index the host's state machine has already applied (it persists it); 0 if unknown. */
  readonly appliedIndex?: number;
  /** Run a pre-vote round before bumping the term. Default true. */
  readonly preVote?: boolean;
  /** Leader steps down when a majority was silent for an election timeout. Default true. */
  readonly checkQuorum?: boolean;
  readonly readOnlyOption?: ReadOnlyOption;
  /** Default 'eager'. */
  readonly commitBroadcast?: CommitBroadcast;
  readonly appendBytesMax?: number;
  readonly inflightMessagesMax?: number;
  readonly inflightBytesMax?: number;
  readonly uncommittedBytesMax?: number;
  readonly committedEntriesBytesMax?: number;
  readonly readRequestsPendingMax?: number;
  readonly snapshotChunkBytes?: number;
  /** TESTING ONLY: see RaftTestingFaults. */
  readonly testingFaults?: Partial<RaftTestingFaults>;
}

/** RaftOptions with every default filled in and every bound checked. */
export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: RaftStorage;
  readonly rng: Rng;
  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
  readonly appliedIndex: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly readOnlyOption: ReadOnlyOption;
  readonly commitBroadcast: CommitBroadcast;
  readonly appendBytesMax: number;
  readonly inflightMessagesMax: number;
  readonly inflightBytesMax: number;
  readonly uncommittedBytesMax: number;
  readonly committedEntriesBytesMax: number;
  readonly readRequestsPendingMax: number;
  readonly snapshotChunkBytes: number;
  readonly testingFaults: RaftTestingFaults;
}

const nodeIdPattern = /^[\x21-\x7e]+$/;

/** Node ids are printable ASCII without spaces, 1 to nodeIdBytesMax characters. */
export function isValidNodeId(id: string): boolean {
  return id.length >= 1 && id.length <= limits.nodeIdBytesMax && nodeIdPattern.test(id);
}

function bounded(value: number | undefined, fallback: number, max: number, name: string): number {
  const resolved = value ?? fallback;
  assert(Number.isSafeInteger(resolved), () => `${name} must be an integer, got ${resolved}`);
  assert(resolved >= 1 && resolved <= max, () => `${name} must be in [1, ${max}]: ${resolved}`);
  return resolved;
}

function resolveTicks(options: RaftOptions): { election: number; heartbeat: number } {
  const election = bounded(
    options.electionTimeoutTicks,
    options.electionTimeoutTicks,
    limits.electionTimeoutTicksMax,
    'electionTimeoutTicks',
  );
  const heartbeat = bounded(
    options.heartbeatIntervalTicks,
    options.heartbeatIntervalTicks,
    election,
    'heartbeatIntervalTicks',
  );
  // A follower must hear several heartbeats per election timeout or it campaigns needlessly.
  assert(heartbeat < election, () => `heartbeat ${heartbeat} must be < election ${election}`);
  return { election, heartbeat };
}

/** Fills defaults and checks every option; a bad option is a programmer error. */
export function resolveOptions(options: RaftOptions): RaftConfig {
  assert(isValidNodeId(options.id), () => `invalid node id ${JSON.stringify(options.id)}`);
  const ticks = resolveTicks(options);
  const appliedIndex = options.appliedIndex ?? 0;
  assert(Number.isSafeInteger(appliedIndex) && appliedIndex >= 0, 'appliedIndex must be >= 0');
  const checkQuorum = options.checkQuorum ?? true;
  const readOnlyOption = options.readOnlyOption ?? 'safe';
  // A lease is only as good as the CheckQuorum step-down that bounds it.
  assert(readOnlyOption === 'safe' || checkQuorum, 'leaseBased reads require checkQuorum');
  return {
    id: options.id,
    storage: options.storage,
    rng: options.rng,
    electionTimeoutTicks: ticks.election,
    heartbeatIntervalTicks: ticks.heartbeat,
    appliedIndex,
    preVote: options.preVote ?? true,
    checkQuorum,
    readOnlyOption,
    commitBroadcast: options.commitBroadcast ?? 'eager',
    ...resolveLimits(options),
    testingFaults: { ...noTestingFaults, ...options.testingFaults },
  };
}

type LimitKeys =
  | 'appendBytesMax'
  | 'inflightMessagesMax'
  | 'inflightBytesMax'
  | 'uncommittedBytesMax'
  | 'committedEntriesBytesMax'
  | 'readRequestsPendingMax'
  | 'snapshotChunkBytes';

function resolveLimits(options: RaftOptions): Pick<RaftConfig, LimitKeys> {
  const resolved = {
    appendBytesMax: bounded(
      options.appendBytesMax,
      limits.appendBytesMax,
      limits.appendBytesMax,
      'appendBytesMax',
    ),
    inflightMessagesMax: bounded(
      options.inflightMessagesMax,
      limits.inflightMessagesMax,
      limits.inflightMessagesMax,
      'inflightMessagesMax',
    ),
    inflightBytesMax: bounded(
      options.inflightBytesMax,
      limits.inflightBytesMax,
      limits.inflightBytesMax,
      'inflightBytesMax',
    ),
    uncommittedBytesMax: bounded(
      options.uncommittedBytesMax,
      limits.uncommittedBytesMax,
      limits.uncommittedBytesMax,
      'uncommittedBytesMax',
    ),
    committedEntriesBytesMax: bounded(
      options.committedEntriesBytesMax,
      limits.committedEntriesBytesMax,
      limits.committedEntriesBytesMax,
      'committedEntriesBytesMax',
    ),
    readRequestsPendingMax: bounded(
      options.readRequestsPendingMax,
      limits.readRequestsPendingMax,
      limits.readRequestsPendingMax,
      'readRequestsPendingMax',
    ),
    snapshotChunkBytes: bounded(
      options.snapshotChunkBytes,
      limits.snapshotChunkBytesMax,
      limits.snapshotChunkBytesMax,
      'snapshotChunkBytes',
    ),
  };
  // Lowered limits must keep the relations limits.ts asserts for the defaults.
  assert(resolved.appendBytesMax <= resolved.inflightBytesMax, 'append must fit inflight bytes');
  return resolved;
}

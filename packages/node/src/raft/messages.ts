// The messages Raft peers exchange: one discriminated union on `type`. They are plain objects the
// host msgpack-encodes as they are; which of them may leave before the Ready that produced them
// is persisted is decided by `canSendBeforePersist`.
import type { Entry, NodeId, SnapshotMetadata } from './types.js';

interface Header {
  readonly from: NodeId;
  readonly to: NodeId;
  /** The sender's term (for a pre-vote: the term it would campaign in). */
  readonly term: number;
}

interface VoteRequestFields extends Header {
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** Set by a leadership transfer: voters ignore their leader lease for this request. */
  readonly transfer: boolean;
}

/** RequestVote (§5.2). */
export interface VoteMsg extends VoteRequestFields {
  readonly type: 'vote';
}

/** Pre-vote (dissertation §9.6): "would you vote for me?" without anyone changing term. */
export interface PreVoteMsg extends VoteRequestFields {
  readonly type: 'preVote';
}

interface VoteAnswerFields extends Header {
  readonly reject: boolean;
  /**
   * On a rejection for a log that is behind but a prefix of the voter's: the voter's commit
   * index, capped at the candidate's last index. The candidate may commit up to it, which lets
   * it apply a conf change that removed the voter (and stop needing the voter's vote).
   */
  readonly commitHint?: number;
}

export interface VoteRespMsg extends VoteAnswerFields {
  readonly type: 'voteResp';
}

export interface PreVoteRespMsg extends VoteAnswerFields {
  readonly type: 'preVoteResp';
}

/** AppendEntries (§5.3). Also used, with no entries, to probe a follower's log. */
export interface AppMsg extends Header {
  readonly type: 'app';
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/**
 * AppendEntries response. On success `index` is the last index known to match the leader. On
 * rejection `index` echoes the rejected `prevLogIndex` and (`rejectHint`, `logTerm`) is the
 * follower's guess of the largest index where the logs may match, for fast backtracking.
 */
export interface AppRespMsg extends Header {
  readonly type: 'appResp';
  readonly reject: boolean;
  readonly index: number;
  readonly rejectHint: number;
  readonly logTerm: number;
}

/** Leader heartbeat; `ctx` is the newest pending read-index context, if any. */
export interface HeartbeatMsg extends Header {
  readonly type: 'heartbeat';
  readonly commit: number;
  readonly ctx: Uint8Array | null;
  /** The leader's tick count when it sent this; echoed back to time its lease. */
  readonly leaseTick: number;
}

export interface HeartbeatRespMsg extends Header {
  readonly type: 'heartbeatResp';
  readonly ctx: Uint8Array | null;
  readonly leaseTick: number;
}

/** One chunk of InstallSnapshot (Figure 13): bytes [offsetBytes, offsetBytes + data.length). */
export interface SnapMsg extends Header {
  readonly type: 'snap';
  readonly metadata: SnapshotMetadata;
  readonly offsetBytes: number;
  readonly totalBytes: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

/** Acknowledges snapshot chunks: the follower holds bytes [0, receivedBytes) of that snapshot. */
export interface SnapRespMsg extends Header {
  readonly type: 'snapResp';
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  readonly receivedBytes: number;
}

/** Leadership transfer (dissertation §3.10): campaign now, without waiting for a timeout. */
export interface TimeoutNowMsg extends Header {
  readonly type: 'timeoutNow';
}

/** Asks the leader to hand leadership to `transferee`; a follower forwards it to the leader. */
export interface TransferLeaderMsg extends Header {
  readonly type: 'transferLeader';
  readonly transferee: NodeId;
}

/** A linearizable read request; a follower forwards it to its leader. */
export interface ReadIndexMsg extends Header {
  readonly type: 'readIndex';
  readonly ctx: Uint8Array;
}

export interface ReadIndexRespMsg extends Header {
  readonly type: 'readIndexResp';
  readonly index: number;
  readonly ctx: Uint8Array;
}

export type Message =
  | VoteMsg
  | PreVoteMsg
  | VoteRespMsg
  | PreVoteRespMsg
  | AppMsg
  | AppRespMsg
  | HeartbeatMsg
  | HeartbeatRespMsg
  | SnapMsg
  | SnapRespMsg
  | TimeoutNowMsg
  | TransferLeaderMsg
  | ReadIndexMsg
  | ReadIndexRespMsg;

export type MessageType = Message['type'];

/** Every message type, for validators and exhaustive tests. */
export const messageTypes: readonly MessageType[] = [
  'vote',
  'preVote',
  'voteResp',
  'preVoteResp',
  'app',
  'appResp',
  'heartbeat',
  'heartbeatResp',
  'snap',
  'snapResp',
  'timeoutNow',
  'transferLeader',
  'readIndex',
  'readIndexResp',
];

/**
 * Whether a message may be sent before the Ready it came in has been persisted. Only a
 * leader's replication traffic qualifies (dissertation §10.2.1: the leader may write to its disk
 * in parallel with replicating). It is safe because the leader counts its own copy of an entry
 * towards commitment only after the host persisted it (RawNode.advance), so a commit index it
 * sends never relies on an entry its crash could lose. Everything else (vote requests, votes,
 * acknowledgements, forwarded requests) speaks for state that must be durable first.
 */
export function canSendBeforePersist(msg: Message): boolean {
  switch (msg.type) {
    case 'app':
    case 'heartbeat':
    case 'snap':
    case 'timeoutNow':
      return true;
    default:
      return false;
  }
}

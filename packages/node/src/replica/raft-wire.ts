// How the Raft messages of every group hosted on a node travel to another node: once per turn
// the node sends ONE batch per destination (one WebSocket frame). Heartbeats and their
// responses, one per group per interval and the bulk of idle traffic, travel as compact tuples;
// every other message as a map without from/to, which the batch carries once. The decoder is
// the network edge: it validates everything and returns (never throws) a RaftWireError.
import { TroupeError } from '@troupe/runtime';
import { assert } from '@troupe/runtime/assert';
import type { HeartbeatMsg, HeartbeatRespMsg, Message } from '../raft/messages.js';
import { isValidNodeId } from '../raft/options.js';
import type { Entry, NodeId } from '../raft/types.js';
import {
  type Addressing,
  checkHeartbeatRespTuple,
  checkHeartbeatTuple,
  checkWireMessage,
} from './raft-message-check.js';
import { describe, isGroupId, isPlainObject, own, WireReader } from './raft-wire-read.js';
import { wireMessageBytes, wireMessageBytesMax } from './raft-wire-size.js';

/**
 * Most Raft messages one node sends in one turn, over all groups and destinations; the
 * builder drops the rest (Raft tolerates loss and retransmits). Also bounds one batch.
 */
export const raftMessagesPerTurnMax = 65_536;

/**
 * Most bytes of messages (as wireMessageBytes over-counts them) in one batch; the builder
 * drops what would pass it. The transport's frame bound must exceed it by the batch header.
 */
export const raftBatchBytesMax = 8 * 1024 * 1024;

// An empty batch must take any valid message, or that message could never be sent.
assert(wireMessageBytesMax <= raftBatchBytesMax, 'the largest message must fit raftBatchBytesMax');

/** `[groupId, term, commit, leaseTick, ctx | null]`: a heartbeat; from/to are the batch's. */
export type HeartbeatTuple = readonly [
  groupId: string,
  term: number,
  commit: number,
  leaseTick: number,
  ctx: Uint8Array | null,
];

/** `[groupId, term, leaseTick, ctx | null]`: a heartbeat response. */
export type HeartbeatRespTuple = readonly [
  groupId: string,
  term: number,
  leaseTick: number,
  ctx: Uint8Array | null,
];

type WithoutAddress<M> = M extends Message ? Omit<M, 'from' | 'to'> : never;

/** Any other message, as a map without from/to (and without undefined fields). */
export type WireMessage = WithoutAddress<Exclude<Message, HeartbeatMsg | HeartbeatRespMsg>>;

export type GroupWireMessage = readonly [groupId: string, message: WireMessage];

/** The wire object: plain data, msgpack-encoded as it is. */
export interface RaftBatch {
  readonly clusterId: string;
  readonly from: NodeId;
  readonly to: NodeId;
  /** The meta configuration version the sender has applied. */
  readonly configVersion: number;
  readonly hb: readonly HeartbeatTuple[];
  readonly hbr: readonly HeartbeatRespTuple[];
  readonly msgs: readonly GroupWireMessage[];
}

export interface GroupMessage {
  readonly groupId: string;
  readonly message: Message;
}

export interface RaftBatchHeader {
  readonly clusterId: string;
  readonly from: NodeId;
  readonly configVersion: number;
}

/** A batch from a peer that is malformed, out of bounds or not meant for us. */
export class RaftWireError extends TroupeError {
  override readonly name = 'RaftWireError';
  constructor(message: string) {
    super('TROUPE_ERR_RAFT_WIRE', message);
  }
}

interface PendingBatch {
  readonly hb: HeartbeatTuple[];
  readonly hbr: HeartbeatRespTuple[];
  readonly msgs: GroupWireMessage[];
  bytes: number;
}

/**
 * Collects the messages of every group for one turn and drains them as one batch per
 * destination node. Bounded by raftMessagesPerTurnMax messages per turn and raftBatchBytesMax
 * bytes per batch: `add` drops (returns false) past either.
 */
export class RaftBatchBuilder {
  private readonly pending = new Map<NodeId, PendingBatch>();
  private sender: NodeId | null = null;
  private messagesThisTurn = 0;
  private droppedTotal = 0;

  /** Messages dropped over the limits since construction (a metric). */
  get droppedMessages(): number {
    return this.droppedTotal;
  }

  /** Queues `message` of `groupId` for `message.to`; false if a limit dropped it. */
  add(groupId: string, message: Message): boolean {
    assert(isGroupId(groupId), () => `invalid group id ${JSON.stringify(groupId)}`);
    assert(message.to !== message.from, () => `${message.type} from ${message.from} to itself`);
    this.sender ??= message.from;
    assert(message.from === this.sender, () => `one turn, two senders: ${message.from}`);
    const bytes = wireMessageBytes(message);
    const batch = this.pending.get(message.to);
    const full = this.messagesThisTurn >= raftMessagesPerTurnMax;
    if (full || (batch?.bytes ?? 0) + bytes > raftBatchBytesMax) {
      this.droppedTotal++;
      return false;
    }
    const into = batch ?? this.open(message.to);
    into.bytes += bytes;
    this.messagesThisTurn++;
    if (message.type === 'heartbeat') {
      into.hb.push([groupId, message.term, message.commit, message.leaseTick, message.ctx]);
    } else if (message.type === 'heartbeatResp') {
      into.hbr.push([groupId, message.term, message.leaseTick, message.ctx]);
    } else {
      into.msgs.push([groupId, toWire(message)]);
    }
    return true;
  }

  /** One batch per destination with everything added since the last drain; then empty. */
  drain(header: RaftBatchHeader): Map<NodeId, RaftBatch> {
    assert(isValidNodeId(header.from), () => `invalid sender id ${JSON.stringify(header.from)}`);
    assert(this.sender === null || this.sender === header.from, () => {
      return `messages from ${this.sender} drained as ${header.from}`;
    });
    assert(Number.isSafeInteger(header.configVersion) && header.configVersion >= 0, () => {
      return `invalid configVersion ${header.configVersion}`;
    });
    const { clusterId, from, configVersion } = header;
    const batches = new Map<NodeId, RaftBatch>();
    for (const [to, { hb, hbr, msgs }] of this.pending) {
      batches.set(to, { clusterId, from, to, configVersion, hb, hbr, msgs });
    }
    this.pending.clear();
    this.sender = null;
    this.messagesThisTurn = 0;
    return batches;
  }

  private open(to: NodeId): PendingBatch {
    const batch: PendingBatch = { hb: [], hbr: [], msgs: [], bytes: 0 };
    this.pending.set(to, batch);
    return batch;
  }
}

/** Drops from/to and undefined fields (msgpack would carry them); rebuilt by the decoder. */
function toWire(message: Exclude<Message, HeartbeatMsg | HeartbeatRespMsg>): WireMessage {
  const wire: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) {
    if (key !== 'from' && key !== 'to' && value !== undefined) wire[key] = value;
  }
  if (message.type === 'app') wire.entries = message.entries.map(entryToWire);
  return wire as unknown as WireMessage;
}

function entryToWire(entry: Entry): Entry {
  if (entry.type === 'normal' || entry.change.context !== undefined) return entry;
  const { type, nodeId } = entry.change;
  return { type: entry.type, term: entry.term, index: entry.index, change: { type, nodeId } };
}

export interface RaftBatchExpectation {
  readonly clusterId: string;
  /** This node's id: the only acceptable `to`. */
  readonly self: NodeId;
}

export type DecodedRaftBatch =
  | {
      readonly ok: true;
      readonly from: NodeId;
      readonly configVersion: number;
      /** Heartbeats, then heartbeat responses, then the rest, each in the order sent. */
      readonly messages: GroupMessage[];
    }
  | { readonly ok: false; readonly error: RaftWireError };

interface BatchHead {
  readonly from: NodeId;
  readonly configVersion: number;
  readonly hb: readonly unknown[];
  readonly hbr: readonly unknown[];
  readonly msgs: readonly unknown[];
}

/**
 * Validates a msgpack-decoded batch from the network and rebuilds its messages with from/to.
 * Never throws on bad input: the first problem comes back as a RaftWireError naming its path.
 */
export function decodeRaftBatch(raw: unknown, expect: RaftBatchExpectation): DecodedRaftBatch {
  assert(isValidNodeId(expect.self), () => `invalid self id ${JSON.stringify(expect.self)}`);
  const r = new WireReader();
  r.where = 'batch';
  const head = checkBatchHead(r, raw, expect);
  const messages = r.fault === null ? checkBatchBody(r, head, expect.self) : [];
  if (r.fault !== null) return { ok: false, error: new RaftWireError(r.fault) };
  return { ok: true, from: head.from, configVersion: head.configVersion, messages };
}

function checkBatchHead(r: WireReader, raw: unknown, expect: RaftBatchExpectation): BatchHead {
  if (!isPlainObject(raw)) r.fail('', '', `expected an object, got ${describe(raw)}`);
  const o = isPlainObject(raw) ? raw : {};
  const clusterId = own(o, 'clusterId');
  if (clusterId !== expect.clusterId) {
    r.fail('', 'clusterId', `expected ${describe(expect.clusterId)}, got ${describe(clusterId)}`);
  }
  const to = own(o, 'to');
  if (to !== expect.self)
    r.fail('', 'to', `expected ${describe(expect.self)}, got ${describe(to)}`);
  const from = r.nodeId(own(o, 'from'), '', 'from');
  if (from === expect.self) r.fail('', 'from', `a batch from ourselves (${describe(from)})`);
  const configVersion = r.index(own(o, 'configVersion'), '', 'configVersion');
  const hb = r.array(own(o, 'hb'), '', 'hb', raftMessagesPerTurnMax);
  const hbr = r.array(own(o, 'hbr'), '', 'hbr', raftMessagesPerTurnMax);
  const msgs = r.array(own(o, 'msgs'), '', 'msgs', raftMessagesPerTurnMax);
  const count = hb.length + hbr.length + msgs.length;
  if (count > raftMessagesPerTurnMax) {
    r.fail('', '', `${count} messages exceed raftMessagesPerTurnMax (${raftMessagesPerTurnMax})`);
  }
  return { from, configVersion, hb, hbr, msgs };
}

function checkBatchBody(r: WireReader, head: BatchHead, self: NodeId): GroupMessage[] {
  const addr: Addressing = { from: head.from, to: self };
  const messages: GroupMessage[] = [];
  for (let i = 0; i < head.hb.length && r.fault === null; i++) {
    r.where = `hb[${i}]`;
    messages.push(checkHeartbeatTuple(r, head.hb[i], addr));
  }
  for (let i = 0; i < head.hbr.length && r.fault === null; i++) {
    r.where = `hbr[${i}]`;
    messages.push(checkHeartbeatRespTuple(r, head.hbr[i], addr));
  }
  for (let i = 0; i < head.msgs.length && r.fault === null; i++) {
    r.where = `msgs[${i}]`;
    const [rawGroupId, raw] = r.tuple(head.msgs[i], '', '', 2);
    const groupId = r.groupId(rawGroupId, '', 'groupId');
    const message = checkWireMessage(r, raw, addr);
    if (message !== null) messages.push({ groupId, message });
  }
  r.where = 'batch';
  let totalBytes = 0;
  for (const { message } of messages) totalBytes += wireMessageBytes(message);
  if (totalBytes > raftBatchBytesMax) {
    r.fail('', '', `${totalBytes} message bytes exceed raftBatchBytesMax (${raftBatchBytesMax})`);
  }
  return messages;
}

// Validators that rebuild each Raft message type from untrusted wire data (the network edge):
// every field's type and bound, and the structure the core relies on (contiguous App entries,
// sorted disjoint member lists), so a bad peer is refused here instead of tripping a core
// assertion. Rebuilt messages hold only known fields and get `from`/`to` from the batch.
import { unreachable } from '@troupe/runtime/assert';
import { entryBytes } from '../raft/entries.js';
import {
  appendBytesMax,
  confChangeContextBytesMax,
  entryBytesMax,
  entryOverheadBytes,
  membersMax,
  readCtxBytesMax,
  snapshotBytesMax,
  snapshotChunkBytesMax,
} from '../raft/limits.js';
import {
  type AppMsg,
  type HeartbeatMsg,
  type HeartbeatRespMsg,
  type Message,
  type MessageType,
  messageTypes,
  type SnapMsg,
} from '../raft/messages.js';
import type {
  ConfChange,
  ConfChangeType,
  ConfState,
  Entry,
  NodeId,
  SnapshotMetadata,
} from '../raft/types.js';
import { describe, own, type WireObject, type WireReader } from './raft-wire-read.js';

/** The batch's sender and receiver, restored onto every message. */
export interface Addressing {
  readonly from: NodeId;
  readonly to: NodeId;
}

/** Every entry costs at least entryOverheadBytes, so appendBytesMax bounds the count. */
const appEntriesMax = Math.floor(appendBytesMax / entryOverheadBytes);
const entryTypes: readonly Entry['type'][] = ['normal', 'confChange'];
const confChangeTypes: readonly ConfChangeType[] = ['addVoter', 'addLearner', 'removeNode'];
const messageTypeSet: ReadonlySet<string> = new Set(messageTypes);

function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' && messageTypeSet.has(value);
}

function header(r: WireReader, o: WireObject, type: MessageType, addr: Addressing) {
  return { from: addr.from, to: addr.to, term: r.index(own(o, 'term'), type, 'term') };
}

/** A heartbeat tuple `[groupId, term, commit, leaseTick, ctx | null]`. */
export function checkHeartbeatTuple(
  r: WireReader,
  raw: unknown,
  addr: Addressing,
): { groupId: string; message: HeartbeatMsg } {
  const [groupId, term, commit, leaseTick, ctx] = r.tuple(raw, '', '', 5);
  const message: HeartbeatMsg = {
    type: 'heartbeat',
    ...addr,
    term: r.index(term, 'heartbeat', 'term'),
    commit: r.index(commit, 'heartbeat', 'commit'),
    leaseTick: r.index(leaseTick, 'heartbeat', 'leaseTick'),
    ctx: r.bytesOrNull(ctx, 'heartbeat', 'ctx', readCtxBytesMax),
  };
  return { groupId: r.groupId(groupId, '', 'groupId'), message };
}

/** A heartbeat response tuple `[groupId, term, leaseTick, ctx | null]`. */
export function checkHeartbeatRespTuple(
  r: WireReader,
  raw: unknown,
  addr: Addressing,
): { groupId: string; message: HeartbeatRespMsg } {
  const [groupId, term, leaseTick, ctx] = r.tuple(raw, '', '', 4);
  const message: HeartbeatRespMsg = {
    type: 'heartbeatResp',
    ...addr,
    term: r.index(term, 'heartbeatResp', 'term'),
    leaseTick: r.index(leaseTick, 'heartbeatResp', 'leaseTick'),
    ctx: r.bytesOrNull(ctx, 'heartbeatResp', 'ctx', readCtxBytesMax),
  };
  return { groupId: r.groupId(groupId, '', 'groupId'), message };
}

/**
 * Rebuilds one message of `msgs` (a map with `type`, without from/to). Returns null, with the
 * fault recorded on `r`, when it is not valid; a non-null result is valid only if `r.fault`
 * is still null.
 */
export function checkWireMessage(r: WireReader, raw: unknown, addr: Addressing): Message | null {
  const o = r.object(raw, '', 'message');
  const type = own(o, 'type');
  if (!isMessageType(type)) {
    r.fail('', 'type', `unknown message type ${describe(type)}`);
    return null;
  }
  switch (type) {
    case 'vote':
    case 'preVote':
      return { type, ...header(r, o, type, addr), ...voteRequestFields(r, o, type) };
    case 'voteResp':
    case 'preVoteResp':
      return { type, ...header(r, o, type, addr), ...voteAnswerFields(r, o, type) };
    case 'app':
      return checkApp(r, o, addr);
    case 'appResp':
      return { type, ...header(r, o, type, addr), ...appRespFields(r, o) };
    case 'heartbeat':
    case 'heartbeatResp':
      r.fail(type, '', `travels as a tuple in ${type === 'heartbeat' ? 'hb' : 'hbr'}, not msgs`);
      return null;
    case 'snap':
      return checkSnap(r, o, addr);
    case 'snapResp':
      return { type, ...header(r, o, type, addr), ...snapRespFields(r, o) };
    case 'timeoutNow':
      return { type, ...header(r, o, type, addr) };
    case 'transferLeader': {
      const transferee = r.nodeId(own(o, 'transferee'), type, 'transferee');
      return { type, ...header(r, o, type, addr), transferee };
    }
    case 'readIndex':
      return { type, ...header(r, o, type, addr), ctx: readCtx(r, o, type) };
    case 'readIndexResp': {
      const index = r.index(own(o, 'index'), type, 'index');
      return { type, ...header(r, o, type, addr), index, ctx: readCtx(r, o, type) };
    }
    default:
      return unreachable(type, 'message type');
  }
}

function readCtx(r: WireReader, o: WireObject, type: MessageType): Uint8Array {
  return r.bytes(own(o, 'ctx'), type, 'ctx', readCtxBytesMax);
}

function voteRequestFields(r: WireReader, o: WireObject, type: MessageType) {
  return {
    lastLogIndex: r.index(own(o, 'lastLogIndex'), type, 'lastLogIndex'),
    lastLogTerm: r.index(own(o, 'lastLogTerm'), type, 'lastLogTerm'),
    transfer: r.bool(own(o, 'transfer'), type, 'transfer'),
  };
}

/** `commitHint` is optional: an absent (or undefined) one stays absent. */
function voteAnswerFields(r: WireReader, o: WireObject, type: MessageType) {
  const reject = r.bool(own(o, 'reject'), type, 'reject');
  const commitHint = own(o, 'commitHint');
  if (commitHint === undefined) return { reject };
  return { reject, commitHint: r.index(commitHint, type, 'commitHint') };
}

function appRespFields(r: WireReader, o: WireObject) {
  return {
    reject: r.bool(own(o, 'reject'), 'appResp', 'reject'),
    index: r.index(own(o, 'index'), 'appResp', 'index'),
    rejectHint: r.index(own(o, 'rejectHint'), 'appResp', 'rejectHint'),
    logTerm: r.index(own(o, 'logTerm'), 'appResp', 'logTerm'),
  };
}

function snapRespFields(r: WireReader, o: WireObject) {
  const receivedBytes = r.index(own(o, 'receivedBytes'), 'snapResp', 'receivedBytes');
  if (receivedBytes > snapshotBytesMax) {
    r.fail('snapResp', 'receivedBytes', `exceeds snapshotBytesMax (${snapshotBytesMax})`);
  }
  return {
    snapshotIndex: r.index(own(o, 'snapshotIndex'), 'snapResp', 'snapshotIndex'),
    snapshotTerm: r.index(own(o, 'snapshotTerm'), 'snapResp', 'snapshotTerm'),
    receivedBytes,
  };
}

function checkApp(r: WireReader, o: WireObject, addr: Addressing): AppMsg {
  const head = header(r, o, 'app', addr);
  const prevLogIndex = r.index(own(o, 'prevLogIndex'), 'app', 'prevLogIndex');
  const prevLogTerm = r.index(own(o, 'prevLogTerm'), 'app', 'prevLogTerm');
  const commit = r.index(own(o, 'commit'), 'app', 'commit');
  const entries = checkEntries(r, own(o, 'entries'), { prevLogIndex, prevLogTerm, ...head });
  return { type: 'app', ...head, prevLogIndex, prevLogTerm, entries, commit };
}

/**
 * App entries: contiguous from prevLogIndex + 1, terms never decreasing from prevLogTerm nor
 * passing the message's term (Log Matching), at most appendBytesMax as the core counts them.
 */
function checkEntries(
  r: WireReader,
  raw: unknown,
  app: { readonly prevLogIndex: number; readonly prevLogTerm: number; readonly term: number },
): Entry[] {
  const items = r.array(raw, 'app', 'entries', appEntriesMax);
  const entries: Entry[] = [];
  let totalBytes = 0;
  let termMin = app.prevLogTerm;
  for (let i = 0; i < items.length && r.fault === null; i++) {
    const prefix = `app.entries[${i}]`;
    const entry = checkEntry(r, items[i], prefix);
    const indexExpected = app.prevLogIndex + 1 + i;
    if (entry.index !== indexExpected) {
      r.fail(prefix, 'index', `expected ${indexExpected} (contiguous after prevLogIndex)`);
    }
    if (entry.term < termMin || entry.term > app.term) {
      r.fail(prefix, 'term', `${entry.term} is outside [${termMin}, ${app.term}]`);
    }
    termMin = entry.term;
    totalBytes += entryBytes(entry);
    if (totalBytes > appendBytesMax) {
      r.fail('app', 'entries', `exceed appendBytesMax (${appendBytesMax}) bytes`);
    }
    entries.push(entry);
  }
  return entries;
}

function checkEntry(r: WireReader, raw: unknown, prefix: string): Entry {
  const o = r.object(raw, prefix, '');
  const type = r.oneOf(own(o, 'type'), entryTypes, prefix, 'type');
  const term = r.index(own(o, 'term'), prefix, 'term');
  const index = r.index(own(o, 'index'), prefix, 'index');
  if (type === 'normal') {
    return { type, term, index, data: r.bytes(own(o, 'data'), prefix, 'data', entryBytesMax) };
  }
  return { type, term, index, change: checkConfChange(r, own(o, 'change'), `${prefix}.change`) };
}

function checkConfChange(r: WireReader, raw: unknown, prefix: string): ConfChange {
  const o = r.object(raw, prefix, '');
  const type = r.oneOf(own(o, 'type'), confChangeTypes, prefix, 'type');
  const nodeId = r.nodeId(own(o, 'nodeId'), prefix, 'nodeId');
  const context = own(o, 'context');
  if (context === undefined) return { type, nodeId };
  return { type, nodeId, context: r.bytes(context, prefix, 'context', confChangeContextBytesMax) };
}

/** A snapshot chunk: [offsetBytes, offsetBytes + data.length) within totalBytes. */
function checkSnap(r: WireReader, o: WireObject, addr: Addressing): SnapMsg {
  const head = header(r, o, 'snap', addr);
  const metadata = checkSnapshotMetadata(r, own(o, 'metadata'), 'snap.metadata');
  const offsetBytes = r.index(own(o, 'offsetBytes'), 'snap', 'offsetBytes');
  const totalBytes = r.index(own(o, 'totalBytes'), 'snap', 'totalBytes');
  const data = r.bytes(own(o, 'data'), 'snap', 'data', snapshotChunkBytesMax);
  const done = r.bool(own(o, 'done'), 'snap', 'done');
  const endBytes = offsetBytes + data.byteLength;
  if (totalBytes > snapshotBytesMax) {
    r.fail('snap', 'totalBytes', `exceeds snapshotBytesMax (${snapshotBytesMax})`);
  } else if (endBytes > totalBytes) {
    r.fail('snap', 'data', `chunk ends at ${endBytes}, past totalBytes ${totalBytes}`);
  } else if (done !== (endBytes === totalBytes)) {
    r.fail('snap', 'done', `is ${done} for a chunk ending at ${endBytes} of ${totalBytes}`);
  }
  return { type: 'snap', ...head, metadata, offsetBytes, totalBytes, data, done };
}

function checkSnapshotMetadata(r: WireReader, raw: unknown, prefix: string): SnapshotMetadata {
  const o = r.object(raw, prefix, '');
  return {
    index: r.index(own(o, 'index'), prefix, 'index'),
    term: r.index(own(o, 'term'), prefix, 'term'),
    confState: checkConfState(r, own(o, 'confState'), `${prefix}.confState`),
  };
}

/** Voters and learners: sorted, unique, disjoint, at most membersMax together. */
function checkConfState(r: WireReader, raw: unknown, prefix: string): ConfState {
  const o = r.object(raw, prefix, '');
  const voters = checkMembers(r, own(o, 'voters'), prefix, 'voters');
  const learners = checkMembers(r, own(o, 'learners'), prefix, 'learners');
  if (voters.length + learners.length > membersMax) {
    r.fail(prefix, '', `more than membersMax (${membersMax}) members`);
  }
  const both = learners.find((id) => voters.includes(id));
  if (both !== undefined) r.fail(prefix, 'learners', `${describe(both)} is also a voter`);
  return { voters, learners };
}

function checkMembers(r: WireReader, raw: unknown, prefix: string, key: string): NodeId[] {
  const items = r.array(raw, prefix, key, membersMax);
  const listPath = `${prefix}.${key}`;
  const ids: NodeId[] = [];
  for (let i = 0; i < items.length; i++) {
    const id = r.nodeId(items[i], listPath, i);
    const previous = ids[i - 1];
    if (previous !== undefined && !(previous < id)) {
      r.fail(listPath, i, `${describe(id)} breaks the sorted, unique order`);
    }
    ids.push(id);
  }
  return ids;
}

// Leader-side replication (§5.3): appending proposals, advancing the commit index by counting
// matches (current-term entries only, §5.4.2), and sending Apps (batched, pipelined within the
// inflight window), heartbeats and snapshot chunks (Figure 13) to followers.
import { assert } from '@troupe/runtime/assert';
import { entriesBytes, payloadBytes } from './entries.js';
import { snapshotChunksInflightMax } from './limits.js';
import { mark } from './marks.js';
import type { Raft } from './raft.js';
import type { Progress } from './tracker/progress.js';
import type { Entry, EntryPayload, NodeId, Snapshot } from './types.js';

/**
 * Appends payloads at the end of the leader's log in its term. Returns false, appending
 * nothing, when they would push the uncommitted payload past its bound.
 */
export function appendEntries(r: Raft, payloads: readonly EntryPayload[]): boolean {
  assert(r.role === 'leader', () => `${r.role} appending proposals`);
  let bytes = 0;
  for (const payload of payloads) bytes += payloadBytes(payload);
  // Always admit a proposal when nothing is pending, so one large entry cannot wedge the leader.
  if (
    r.uncommittedBytes > 0 &&
    bytes > 0 &&
    r.uncommittedBytes + bytes > r.config.uncommittedBytesMax
  ) {
    mark('propose: uncommitted bytes bound reached');
    return false;
  }
  r.uncommittedBytes += bytes;
  const last = r.log.lastIndex();
  const entries: Entry[] = payloads.map((payload, i) => {
    const index = last + 1 + i;
    return payload.type === 'normal'
      ? { type: 'normal', term: r.term, index, data: payload.data }
      : { type: 'confChange', term: r.term, index, change: payload.change };
  });
  r.log.append(entries);
  // The leader's own copy counts towards a majority only once the host persisted it (see
  // leaderPersisted), so no commit index ever relies on an entry that a crash could lose.
  return true;
}

/** Moves the commit index to what a majority matched, if that entry is of our term. */
export function maybeCommit(r: Raft): boolean {
  const index = r.tracker.committed();
  const byCount = r.config.testingFaults.commitPreviousTermByCount;
  const committed = r.log.maybeCommit(index, r.term, byCount);
  if (!committed && index > r.log.committed) mark('commit: majority index is of an older term');
  return committed;
}

/** Applied entries leave the uncommitted bound (etcd counts them down at apply time). */
export function reduceUncommittedBytes(r: Raft, entries: readonly Entry[]): void {
  if (r.role !== 'leader') return;
  let bytes = 0;
  for (const entry of entries) bytes += payloadBytes(entry);
  r.uncommittedBytes = Math.max(0, r.uncommittedBytes - bytes);
}

/** Sorted ids of every member but ourselves. */
function peers(r: Raft): NodeId[] {
  return r.tracker.ids.filter((id) => id !== r.id);
}

/** One App to every follower, empty ones included (they carry the commit index). */
export function bcastAppend(r: Raft): void {
  for (const id of peers(r)) maybeSendAppend(r, id, true);
}

/** Sends as many Apps to `to` as its flow control allows, without empty ones. */
export function sendAppendsWhileAllowed(r: Raft, to: NodeId): void {
  // Each App either fills an inflight slot or moves `next` to the end of the log, so this
  // loop ends within inflightMessagesMax + 1 rounds; the counter asserts it.
  let rounds = 0;
  while (maybeSendAppend(r, to, false)) {
    rounds++;
    assert(rounds <= r.config.inflightMessagesMax + 1, () => `append loop to ${to} ran ${rounds}`);
  }
}

/**
 * Sends `to` the entries from its `next` index (or a snapshot if they are compacted), unless
 * flow control pauses it. Returns whether a message was sent.
 */
export function maybeSendAppend(r: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = r.tracker.mustProgress(to);
  assert(to !== r.id, 'the leader sends no App to itself');
  if (pr.isPaused()) return false;
  assert(pr.next <= r.log.lastIndex() + 1, () => `next ${pr.next} beyond ${r.log.lastIndex()}`);
  const prevLogIndex = pr.next - 1;
  const prevLogTerm = r.log.term(prevLogIndex);
  if (prevLogTerm === undefined) return maybeSendSnapshot(r, to, pr);
  let entries: Entry[] = [];
  // With a full window only an empty App goes out: its answer frees the window even if every
  // App in flight was lost.
  if (pr.state !== 'replicate' || !pr.inflights.full()) {
    const slice = r.log.entriesFrom(pr.next, r.config.appendBytesMax);
    if (slice === 'compacted') return maybeSendSnapshot(r, to, pr);
    entries = slice;
  }
  if (entries.length === 0 && !sendIfEmpty) return false;
  const commit = r.log.committed;
  r.send({ type: 'app', from: r.id, to, term: r.term, prevLogIndex, prevLogTerm, entries, commit });
  pr.updateOnEntriesSend(entries.length, entriesBytes(entries));
  pr.sentCommit = commit;
  return true;
}

/** Starts sending the newest snapshot to a follower whose next entries are compacted. */
function maybeSendSnapshot(r: Raft, to: NodeId, pr: Progress): boolean {
  if (!pr.recentActive) {
    // Do not stream a snapshot at a member that may be down; wait until it answers.
    mark('snapshot: follower not recently active');
    return false;
  }
  const snapshot = r.log.snapshot();
  assert(snapshot.metadata.index > 0, () => `entries before ${pr.next} compacted but no snapshot`);
  mark('snapshot: sending to follower');
  pr.becomeSnapshot(snapshot.metadata.index);
  sendSnapshotChunks(r, to, pr);
  return true;
}

/**
 * Sends snapshot chunks from `snapshotSentBytes` until a window of snapshotChunksInflightMax
 * chunks beyond the acknowledged bytes is out. Lost chunks are resent go-back-N style when the
 * follower answers a heartbeat (see restartSnapshotWindow).
 */
export function sendSnapshotChunks(r: Raft, to: NodeId, pr: Progress): void {
  const snapshot = snapshotFor(r, pr);
  const chunkBytes = r.config.snapshotChunkBytes;
  const totalBytes = snapshot.data.byteLength;
  const windowEnd = pr.snapshotAckedBytes + snapshotChunksInflightMax * chunkBytes;
  // An empty snapshot still takes one (empty, final) chunk, hence the floor of 1.
  const allSentBytes = Math.max(totalBytes, 1);
  for (let chunk = 0; chunk < snapshotChunksInflightMax; chunk++) {
    const offsetBytes = pr.snapshotSentBytes;
    if (offsetBytes >= allSentBytes || offsetBytes >= windowEnd) return;
    const data = snapshot.data.subarray(offsetBytes, offsetBytes + chunkBytes);
    const done = offsetBytes + data.byteLength === totalBytes;
    const metadata = snapshot.metadata;
    const term = r.term;
    r.send({ type: 'snap', from: r.id, to, term, metadata, offsetBytes, totalBytes, data, done });
    pr.snapshotSentBytes = offsetBytes + Math.max(data.byteLength, 1);
  }
}

/** Go-back-N: resend from what the follower acknowledged. */
export function restartSnapshotWindow(r: Raft, to: NodeId, pr: Progress): void {
  pr.snapshotSentBytes = pr.snapshotAckedBytes;
  sendSnapshotChunks(r, to, pr);
}

/** The snapshot to send; if the host compacted again meanwhile, start over with the newer one. */
function snapshotFor(r: Raft, pr: Progress): Snapshot {
  assert(pr.state === 'snapshot', () => `sending a snapshot chunk in ${pr.state}`);
  const snapshot = r.log.snapshot();
  if (snapshot.metadata.index !== pr.pendingSnapshotIndex) {
    assert(snapshot.metadata.index > pr.pendingSnapshotIndex, 'snapshots never go back');
    mark('snapshot: newer snapshot replaces the one being sent');
    pr.becomeSnapshot(snapshot.metadata.index);
  }
  const totalBytes = snapshot.data.byteLength;
  assert(pr.snapshotAckedBytes <= totalBytes, () => `acked ${pr.snapshotAckedBytes}/${totalBytes}`);
  return snapshot;
}

/** Heartbeats to every follower; they carry the newest pending read ctx (§8). */
export function bcastHeartbeat(r: Raft): void {
  bcastHeartbeatWithCtx(r, r.readOnly.lastPendingCtx());
}

export function bcastHeartbeatWithCtx(r: Raft, ctx: Uint8Array | null): void {
  for (const id of peers(r)) {
    const pr = r.tracker.mustProgress(id);
    // Never tell a follower to commit past what it is known to hold.
    const commit = Math.min(pr.match, r.log.committed);
    const leaseTick = r.tickCount;
    r.send({ type: 'heartbeat', from: r.id, to: id, term: r.term, commit, ctx, leaseTick });
    pr.sentCommit = Math.max(pr.sentCommit, commit);
  }
}

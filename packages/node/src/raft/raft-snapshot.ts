// Follower side of chunked InstallSnapshot (§7, Figure 13): assemble chunks in order, bounded
// by snapshotBytesMax, then restore the log and membership from the whole snapshot. Chunks are
// acknowledged with the bytes held, so the leader resends exactly what is missing.
import { assert } from '@troupe/runtime/assert';
import { isMember } from './confchange.js';
import { snapshotBytesMax, snapshotChunkBytesMax } from './limits.js';
import { mark } from './marks.js';
import type { SnapMsg } from './messages.js';
import type { Raft } from './raft.js';
import { switchToConfig } from './raft-conf.js';
import type { Snapshot } from './types.js';

/** The snapshot being received: its identity and the chunks held so far, in order. */
export interface SnapshotReceive {
  readonly index: number;
  readonly term: number;
  readonly totalBytes: number;
  readonly chunks: Uint8Array[];
  receivedBytes: number;
}

function wellFormed(msg: SnapMsg): boolean {
  const end = msg.offsetBytes + msg.data.byteLength;
  return (
    Number.isSafeInteger(msg.offsetBytes) &&
    msg.offsetBytes >= 0 &&
    msg.data.byteLength <= snapshotChunkBytesMax &&
    msg.totalBytes <= snapshotBytesMax &&
    end <= msg.totalBytes &&
    msg.done === (end === msg.totalBytes)
  );
}

export function handleSnap(r: Raft, msg: SnapMsg): void {
  const reply = { from: r.id, to: msg.from, term: r.term } as const;
  if (msg.metadata.index <= r.log.committed) {
    // We already hold everything it covers (a retransmission after we restored, say).
    mark('snapshot: already covered by commit index');
    r.snapshotReceive = null;
    const committed = r.log.committed;
    r.send({
      ...reply,
      type: 'appResp',
      reject: false,
      index: committed,
      rejectHint: 0,
      logTerm: 0,
    });
    return;
  }
  if (!wellFormed(msg)) {
    mark('snapshot: malformed chunk dropped');
    return;
  }
  const receive = acceptChunk(r, msg);
  if (receive === null || receive.receivedBytes < receive.totalBytes) {
    const receivedBytes = receive?.receivedBytes ?? 0;
    const { index, term } = msg.metadata;
    r.send({ ...reply, type: 'snapResp', snapshotIndex: index, snapshotTerm: term, receivedBytes });
    return;
  }
  r.snapshotReceive = null;
  const snapshot = { metadata: msg.metadata, data: concat(receive.chunks, receive.totalBytes) };
  const restored = restoreSnapshot(r, snapshot);
  // Either way the leader learns how far our log now matches its own.
  const index = restored ? r.log.lastIndex() : r.log.committed;
  r.send({ ...reply, type: 'appResp', reject: false, index, rejectHint: 0, logTerm: 0 });
}

/**
 * Adds the chunk if it continues the snapshot being received; a chunk at offset 0 of another
 * snapshot starts over with it (a new leader may hold an older snapshot than the one the last
 * leader was sending). Returns the receive state, or null when the chunk fits none.
 */
function acceptChunk(r: Raft, msg: SnapMsg): SnapshotReceive | null {
  const { index, term } = msg.metadata;
  let receive = r.snapshotReceive;
  const same =
    receive !== null &&
    receive.index === index &&
    receive.term === term &&
    receive.totalBytes === msg.totalBytes;
  if (!same) {
    if (msg.offsetBytes !== 0) {
      mark('snapshot: chunk of an unknown snapshot');
      return null;
    }
    receive = { index, term, totalBytes: msg.totalBytes, chunks: [], receivedBytes: 0 };
    r.snapshotReceive = receive;
  }
  assert(receive !== null, 'receive state must exist here');
  if (msg.offsetBytes === receive.receivedBytes) {
    receive.chunks.push(msg.data);
    receive.receivedBytes += msg.data.byteLength;
  } else {
    // A duplicate or a gap: our acknowledgement tells the leader where to resume.
    mark('snapshot: out-of-order chunk');
  }
  return receive;
}

function concat(chunks: readonly Uint8Array[], totalBytes: number): Uint8Array {
  const whole = new Uint8Array(totalBytes);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  assert(offset === totalBytes, () => `snapshot chunks sum to ${offset}, expected ${totalBytes}`);
  return whole;
}

/**
 * Figure 13: "If existing log entry has same index and term as snapshot's last included entry,
 * retain log entries following it and reply"; otherwise "Discard the entire log". Returns
 * whether the snapshot replaced the log.
 */
export function restoreSnapshot(r: Raft, snapshot: Snapshot): boolean {
  const { index, term, confState } = snapshot.metadata;
  if (index <= r.log.committed) return false;
  assert(r.role === 'follower', () => `${r.role} ${r.id} restoring a snapshot`);
  if (r.log.matchTerm(index, term)) {
    // Our log already contains it: it only tells us how far is committed.
    mark('snapshot: log already holds it, fast-forwarding commit');
    r.log.commitTo(index);
    return false;
  }
  if (!isMember(confState, r.id)) mark('snapshot: recipient not in its configuration');
  r.log.restore(snapshot);
  switchToConfig(r, confState);
  assert(r.log.lastIndex() === index && r.log.committed === index, () => {
    return `restored ${index} but last ${r.log.lastIndex()}, commit ${r.log.committed}`;
  });
  return true;
}

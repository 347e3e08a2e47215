// Upper bounds of the msgpack bytes one Raft message adds to a batch, so the batch builder can
// keep every batch (one WebSocket frame) under raftBatchBytesMax without encoding anything.
// The constants over-count on purpose; a property test checks they never under-count.
import { entryBytes } from '../raft/entries.js';
import {
  appendBytesMax,
  entryOverheadBytes,
  membersMax,
  nodeIdBytesMax,
  snapshotChunkBytesMax,
} from '../raft/limits.js';
import type { Message } from '../raft/messages.js';
import type { ConfState } from '../raft/types.js';

/** A heartbeat(Resp) tuple without its ctx: array header, group id, three integers, bin header. */
export const wireHeartbeatOverheadBytes = 48;

/** A `[groupId, message]` pair without its variable-length fields: keys, integers, headers. */
export const wireMessageOverheadBytes = 256;

/**
 * What an entry's msgpack framing (map, keys, integers) costs beyond entryBytes(entry), which
 * already charges entryOverheadBytes per entry.
 */
export const wireEntrySlackBytes = 32;

/** The string header of one node id in a member list (ids are at most 255 bytes). */
const wireMemberOverheadBytes = 2;

function confStateBytes(confState: ConfState): number {
  let total = 0;
  for (const id of confState.voters) total += id.length + wireMemberOverheadBytes;
  for (const id of confState.learners) total += id.length + wireMemberOverheadBytes;
  return total;
}

/** An upper bound of the bytes `message` adds to a batch, group id included. */
export function wireMessageBytes(message: Message): number {
  switch (message.type) {
    case 'heartbeat':
    case 'heartbeatResp':
      return wireHeartbeatOverheadBytes + (message.ctx?.byteLength ?? 0);
    case 'app': {
      let total = wireMessageOverheadBytes;
      for (const entry of message.entries) total += entryBytes(entry) + wireEntrySlackBytes;
      return total;
    }
    case 'snap':
      return (
        wireMessageOverheadBytes +
        message.data.byteLength +
        confStateBytes(message.metadata.confState)
      );
    case 'readIndex':
    case 'readIndexResp':
      return wireMessageOverheadBytes + message.ctx.byteLength;
    case 'transferLeader':
      return wireMessageOverheadBytes + message.transferee.length;
    default:
      return wireMessageOverheadBytes;
  }
}

/**
 * The largest wireMessageBytes of a message the decoder accepts: an App of appendBytesMax
 * made of empty entries (each charged entryOverheadBytes by the core) or a largest snapshot
 * chunk with a full membership, whichever is larger.
 */
export const wireMessageBytesMax = Math.max(
  wireMessageOverheadBytes +
    appendBytesMax +
    Math.floor(appendBytesMax / entryOverheadBytes) * wireEntrySlackBytes,
  wireMessageOverheadBytes +
    snapshotChunkBytesMax +
    membersMax * (nodeIdBytesMax + wireMemberOverheadBytes),
);

// Every bound of the Raft core, named once. Options may lower a bound but never raise it; the
// assertions at the bottom run at module load and check how the bounds relate, so a bad edit
// fails at startup instead of in production.
import { assert } from '@troupe/runtime/assert';

const kibBytes = 1024;
const mibBytes = 1024 * kibBytes;

/** Longest node id; ids are printable ASCII, so characters and bytes coincide. */
export const nodeIdBytesMax = 64;

/** Most members (voters plus learners) in one group. */
export const membersMax = 15;

/** Largest payload of one proposed entry. */
export const entryBytesMax = 1 * mibBytes;

/** What an entry is assumed to cost on the wire beyond its payload (term, index, type). */
export const entryOverheadBytes = 64;

/** Largest opaque context on a conf change (for example the new member's address). */
export const confChangeContextBytesMax = 1 * kibBytes;

/** Default and largest byte size of the entries one App message carries. */
export const appendBytesMax = 4 * mibBytes;

/** Default and largest number of App messages in flight to one follower. */
export const inflightMessagesMax = 256;

/** Default and largest number of entry bytes in flight to one follower. */
export const inflightBytesMax = 64 * mibBytes;

/** Default and largest uncommitted payload a leader holds before it drops proposals. */
export const uncommittedBytesMax = 64 * mibBytes;

/** Default and largest entry bytes handed out for application in one Ready. */
export const committedEntriesBytesMax = 16 * mibBytes;

/** Default and largest number of read-index requests pending at a leader. */
export const readRequestsPendingMax = 4096;

/** Largest read-index context (the host's request id). */
export const readCtxBytesMax = 256;

/** Default and largest chunk of snapshot data one Snap message carries. */
export const snapshotChunkBytesMax = 1 * mibBytes;

/** Snapshot chunks in flight to one follower (go-back-N from what it acknowledged). */
export const snapshotChunksInflightMax = 4;

/** Largest snapshot a follower assembles from chunks. */
export const snapshotBytesMax = 1024 * mibBytes;

/** Most messages queued between two Readys; beyond it the core drops (Raft tolerates loss). */
export const outboundMessagesMax = 64 * kibBytes;

/** Most read states queued between two Readys. */
export const readStatesMax = readRequestsPendingMax;

/** Bytes a message may spend outside its entries or snapshot chunk (ids, indices, ctx). */
export const messageHeaderBytesMax = 2 * kibBytes;

/** Largest message the core produces; the wire's payload bound must be at least this. */
export const messageBytesMax = appendBytesMax + messageHeaderBytesMax;

/** Longest election timeout, in ticks. */
export const electionTimeoutTicksMax = 10_000;

// A single largest entry must fit one App message, since every App carries at least one entry.
assert(entryBytesMax + entryOverheadBytes <= appendBytesMax, 'entryBytesMax must fit one App');
// One full App must fit the inflight byte window, or a follower could never be sent one.
assert(appendBytesMax <= inflightBytesMax, 'appendBytesMax must fit inflightBytesMax');
// The leader must be able to hold at least one largest proposal uncommitted.
assert(entryBytesMax <= uncommittedBytesMax, 'entryBytesMax must fit uncommittedBytesMax');
// Any committed entry must fit one Ready's batch, or application could stall.
assert(
  entryBytesMax + entryOverheadBytes <= committedEntriesBytesMax,
  'entryBytesMax must fit committedEntriesBytesMax',
);
// A snapshot chunk travels in one message, like an App batch.
assert(snapshotChunkBytesMax <= appendBytesMax, 'snapshotChunkBytesMax must fit appendBytesMax');
assert(snapshotChunkBytesMax <= snapshotBytesMax, 'a chunk cannot exceed the whole snapshot');
assert(
  snapshotChunksInflightMax * snapshotChunkBytesMax <= inflightBytesMax,
  'the snapshot chunk window must fit inflightBytesMax',
);
// Headers carry ids and a read ctx; both must fit the header allowance.
assert(
  2 * nodeIdBytesMax + readCtxBytesMax + confChangeContextBytesMax < messageHeaderBytesMax,
  'ids, read ctx and conf change context must fit messageHeaderBytesMax',
);
assert(confChangeContextBytesMax + nodeIdBytesMax <= entryBytesMax, 'conf change must fit');
assert(readRequestsPendingMax >= 1, 'readRequestsPendingMax must allow one read');
assert(inflightMessagesMax >= 1, 'inflightMessagesMax must allow one message');
assert(outboundMessagesMax >= 2 * membersMax, 'a broadcast must fit the outbound queue');
assert(membersMax >= 1, 'a group needs at least one member');

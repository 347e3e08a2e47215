// Fuzz target: a Raft batch from a peer node, as the `raft` actor receives it (the tell's
// payload, msgpack-decoded with the frame) and passes it to decodeRaftBatch. Valid batches hold
// every Raft message type (snapshot chunks included), built and drained by RaftBatchBuilder.
import { decodeFrame, encodeValue } from '@troupe/runtime/internal';
import fc from 'fast-check';
import {
  confChangeContextBytesMax,
  readCtxBytesMax,
  snapshotChunkBytesMax,
} from '../../../packages/node/src/raft/limits.js';
import type { Message } from '../../../packages/node/src/raft/messages.js';
import type { Entry } from '../../../packages/node/src/raft/types.js';
import {
  decodeRaftBatch,
  type GroupMessage,
  RaftBatchBuilder,
  RaftWireError,
  raftBatchBytesMax,
  raftMessagesPerTurnMax,
} from '../../../packages/node/src/replica/raft-wire.js';
import { wireMessageBytes } from '../../../packages/node/src/replica/raft-wire-size.js';
import {
  checkReason,
  defineTarget,
  expectEqual,
  expectNoThrow,
  type Sample,
  violation,
} from '../target.js';

const clusterId = 'fuzz-cluster';
const self = 'n2';
const from = 'n1';
const expectation = { clusterId, self };

const groupIdArb = fc.oneof(
  fc.constant('meta'),
  fc.nat(9_999).map((n) => `s${n}`),
);
const indexArb = fc.oneof(fc.nat(1_000), fc.maxSafeNat());
const nodeIdArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
const ctxArb = fc.uint8Array({ maxLength: 24 });
const addr = { from, to: self };

function entriesArb(prevLogIndex: number, prevLogTerm: number, term: number) {
  const one = fc.oneof(
    fc.uint8Array({ maxLength: 40 }).map((data) => ({ type: 'normal' as const, data })),
    fc
      .record({
        type: fc.constantFrom('addVoter' as const, 'addLearner' as const, 'removeNode' as const),
        nodeId: nodeIdArb,
        context: fc.option(fc.uint8Array({ maxLength: confChangeContextBytesMax / 64 }), {
          nil: undefined,
        }),
      })
      .map((change) => {
        const { context, ...rest } = change;
        return { type: 'confChange' as const, change: context ? change : rest };
      }),
  );
  return fc
    .array(fc.tuple(fc.integer({ min: prevLogTerm, max: term }), one), { maxLength: 4 })
    .map((items) => {
      const terms = items.map(([t]) => t).sort((a, b) => a - b);
      return items.map(([, e], i): Entry => {
        const index = prevLogIndex + 1 + i;
        return { ...e, term: terms[i]!, index } as Entry;
      });
    });
}

const appArb: fc.Arbitrary<Message> = fc
  .tuple(fc.nat(1_000), fc.nat(1_000), fc.nat(1_000))
  .chain(([a, b, prevLogIndex]) => {
    const [prevLogTerm, term] = [Math.min(a, b), Math.max(a, b)];
    return fc
      .record({ entries: entriesArb(prevLogIndex, prevLogTerm, term), commit: indexArb })
      .map(({ entries, commit }): Message => {
        return { type: 'app', ...addr, term, prevLogIndex, prevLogTerm, entries, commit };
      });
  });

const membersArb = fc.uniqueArray(nodeIdArb, { maxLength: 6 }).chain((ids) => {
  const sorted = [...ids].sort();
  return fc.nat(sorted.length).map((cut) => ({
    voters: sorted.slice(0, cut),
    learners: sorted.slice(cut),
  }));
});

/** A snapshot chunk: offset + data within totalBytes, done exactly on the last one. */
const snapArb: fc.Arbitrary<Message> = fc
  .record({
    term: indexArb,
    index: indexArb,
    metaTerm: indexArb,
    confState: membersArb,
    offsetBytes: fc.nat(1_000_000),
    data: fc.uint8Array({ maxLength: 64 }),
    tail: fc.oneof(fc.constant(0), fc.nat(snapshotChunkBytesMax)),
  })
  .map((s): Message => {
    const totalBytes = s.offsetBytes + s.data.byteLength + s.tail;
    const metadata = { index: s.index, term: s.metaTerm, confState: s.confState };
    const chunk = { offsetBytes: s.offsetBytes, totalBytes, data: s.data, done: s.tail === 0 };
    return { type: 'snap', ...addr, term: s.term, metadata, ...chunk };
  });

const termArb = fc.record({ term: indexArb }).map((t) => ({ ...addr, ...t }));
export const raftMessageArb: fc.Arbitrary<Message> = fc.oneof(
  fc
    .record({
      h: termArb,
      type: fc.constantFrom('vote' as const, 'preVote' as const),
      lastLogIndex: indexArb,
      lastLogTerm: indexArb,
      transfer: fc.boolean(),
    })
    .map(({ h, ...m }): Message => ({ ...h, ...m })),
  fc
    .record({
      h: termArb,
      type: fc.constantFrom('voteResp' as const, 'preVoteResp' as const),
      reject: fc.boolean(),
      commitHint: fc.option(indexArb, { nil: undefined }),
    })
    .map(({ h, commitHint, ...m }): Message => {
      return commitHint === undefined ? { ...h, ...m } : { ...h, ...m, commitHint };
    }),
  appArb,
  fc
    .record({
      h: termArb,
      reject: fc.boolean(),
      index: indexArb,
      rejectHint: indexArb,
      logTerm: indexArb,
    })
    .map(({ h, ...m }): Message => ({ type: 'appResp', ...h, ...m })),
  fc
    .record({
      h: termArb,
      commit: indexArb,
      leaseTick: indexArb,
      ctx: fc.option(ctxArb, { nil: null }),
    })
    .map(({ h, ...m }): Message => ({ type: 'heartbeat', ...h, ...m })),
  fc
    .record({ h: termArb, leaseTick: indexArb, ctx: fc.option(ctxArb, { nil: null }) })
    .map(({ h, ...m }): Message => ({ type: 'heartbeatResp', ...h, ...m })),
  snapArb,
  fc
    .record({
      h: termArb,
      snapshotIndex: indexArb,
      snapshotTerm: indexArb,
      receivedBytes: fc.nat(1_000_000),
    })
    .map(({ h, ...m }): Message => ({ type: 'snapResp', ...h, ...m })),
  termArb.map((h): Message => ({ type: 'timeoutNow', ...h })),
  fc
    .record({ h: termArb, transferee: nodeIdArb })
    .map(({ h, ...m }): Message => ({ type: 'transferLeader', ...h, ...m })),
  fc
    .record({ h: termArb, ctx: fc.uint8Array({ maxLength: readCtxBytesMax }) })
    .map(({ h, ...m }): Message => ({ type: 'readIndex', ...h, ...m })),
  fc
    .record({ h: termArb, index: indexArb, ctx: ctxArb })
    .map(({ h, ...m }): Message => ({ type: 'readIndexResp', ...h, ...m })),
);

const valid: fc.Arbitrary<Sample> = fc
  .record({
    messages: fc.array(fc.tuple(groupIdArb, raftMessageArb), { minLength: 1, maxLength: 6 }),
    configVersion: indexArb,
  })
  .map(({ messages, configVersion }) => {
    const builder = new RaftBatchBuilder();
    for (const [groupId, message] of messages) builder.add(groupId, message);
    const batch = builder.drain({ clusterId, from, configVersion }).get(self);
    const rank = (m: Message) => (m.type === 'heartbeat' ? 0 : m.type === 'heartbeatResp' ? 1 : 2);
    const expected: GroupMessage[] = messages
      .map(([groupId, message]) => ({ groupId, message }))
      .sort((a, b) => rank(a.message) - rank(b.message));
    return { bytes: Uint8Array.from(encodeValue(batch)), value: expected };
  });

function decode(input: Uint8Array) {
  const decoded = decodeFrame(input);
  if (!decoded.ok) return null;
  return decodeRaftBatch(decoded.value, expectation);
}

export const raftBatch = defineTarget({
  name: 'raft-batch',
  entry: 'msgpack decode + decodeRaftBatch (raftEndpoint)',
  codec: 'msgpack',
  valid,
  run(input) {
    const result = expectNoThrow(() => decode(input));
    if (result === null) return;
    if (!result.ok) {
      if (!(result.error instanceof RaftWireError)) violation('refusal is not a RaftWireError');
      return checkReason(result.error.message);
    }
    if (result.messages.length > raftMessagesPerTurnMax) violation('too many messages accepted');
    let bytes = 0;
    for (const { message } of result.messages) {
      if (message.from !== result.from || message.to !== self) violation('message misaddressed');
      bytes += wireMessageBytes(message);
    }
    if (bytes > raftBatchBytesMax) violation(`${bytes} bytes exceed raftBatchBytesMax`);
  },
  roundTrip(sample) {
    const result = decode(sample.bytes);
    if (result === null || !result.ok) {
      return violation(
        `a valid batch was refused: ${result?.ok === false && result.error.message}`,
      );
    }
    expectEqual(result.messages, sample.value, 'raft batch');
  },
});

// The Raft batch wire format between two nodes: every message type round-trips through the
// builder, msgpack and the decoder unchanged; heartbeats of many groups coalesce into one
// compact batch; the builder's bounds hold; and the decoder refuses every malformed or foreign
// batch with a RaftWireError naming the problem, and never throws, whatever it is given.
import { TroupeError } from '@troupe/runtime';
import { AssertionError } from '@troupe/runtime/assert';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  confChangeContextBytesMax,
  entryBytesMax,
  membersMax,
  readCtxBytesMax,
  snapshotBytesMax,
  snapshotChunkBytesMax,
} from '../../src/raft/limits.js';
import type { Message, MessageType } from '../../src/raft/messages.js';
import { messageTypes } from '../../src/raft/messages.js';
import type { ConfChangeType, Entry, NodeId } from '../../src/raft/types.js';
import {
  decodeRaftBatch,
  type GroupMessage,
  type RaftBatch,
  RaftBatchBuilder,
  RaftWireError,
  raftBatchBytesMax,
  raftMessagesPerTurnMax,
} from '../../src/replica/raft-wire.js';
import { wireMessageBytes } from '../../src/replica/raft-wire-size.js';

const packr = new Packr({ useRecords: false });
const property = { seed: 5, numRuns: 300 };
const clusterId = 'cluster-1';
const sender = 'node-a';
const peers = ['node-b', 'node-c'] as const;
const header = { clusterId, from: sender, configVersion: 7 };

type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Arbitraries: one per message type, with from = sender and to = one of the peers.

const nodeIdArb = fc.stringMatching(/^[\x21-\x7e]{1,64}$/);
const indexArb = fc.oneof(fc.nat(1_000), fc.maxSafeNat());
const ctxArb = fc.uint8Array({ maxLength: readCtxBytesMax });
const groupIdArb = fc.oneof(
  fc.constant('meta'),
  fc.nat(9_999).map((n) => `s${n}`),
);
const toArb = fc.constantFrom(...peers);
const addressArb = fc.record({ to: toArb, term: indexArb }).map((a) => ({ ...a, from: sender }));
const confChangeTypes: ConfChangeType[] = ['addVoter', 'addLearner', 'removeNode'];

const voteArb = fc
  .record({
    type: fc.constantFrom('vote' as const, 'preVote' as const),
    address: addressArb,
    lastLogIndex: indexArb,
    lastLogTerm: indexArb,
    transfer: fc.boolean(),
  })
  .map(({ address, ...rest }): Message => ({ ...address, ...rest }));

const voteAnswerArb = fc
  .record({
    type: fc.constantFrom('voteResp' as const, 'preVoteResp' as const),
    address: addressArb,
    reject: fc.boolean(),
    commitHint: fc.option(indexArb, { nil: undefined }),
  })
  .map(({ address, commitHint, ...rest }): Message => {
    const answer = { ...address, ...rest };
    return commitHint === undefined ? answer : { ...answer, commitHint };
  });

type PayloadOf = (term: number, index: number) => Entry;

const payloadArb: fc.Arbitrary<PayloadOf> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((data): PayloadOf => {
    return (term, index) => ({ type: 'normal', term, index, data });
  }),
  fc
    .record({
      type: fc.constantFrom(...confChangeTypes),
      nodeId: nodeIdArb,
      context: fc.option(fc.uint8Array({ maxLength: 32 }), { nil: undefined }),
    })
    .map(({ type, nodeId, context }): PayloadOf => {
      const change = context === undefined ? { type, nodeId } : { type, nodeId, context };
      return (term, index) => ({ type: 'confChange', term, index, change });
    }),
);

const appArb: fc.Arbitrary<Message> = fc
  .tuple(fc.nat(1_000_000), fc.nat(1_000_000))
  .chain(([a, b]) => {
    const prevLogTerm = Math.min(a, b);
    const term = Math.max(a, b);
    const entryArb = fc.tuple(fc.integer({ min: prevLogTerm, max: term }), payloadArb);
    return fc
      .record({
        to: toArb,
        prevLogIndex: fc.oneof(fc.nat(1_000), fc.constant(Number.MAX_SAFE_INTEGER - 8)),
        commit: indexArb,
        entries: fc.array(entryArb, { maxLength: 6 }),
      })
      .map(({ to, prevLogIndex, commit, entries }): Message => {
        const terms = entries.map(([entryTerm]) => entryTerm).sort((x, y) => x - y);
        const built = entries.map(([, of], i) => of(terms[i]!, prevLogIndex + 1 + i));
        const base = { type: 'app' as const, from: sender, to, term, prevLogIndex, prevLogTerm };
        return { ...base, entries: built, commit };
      });
  });

const appRespArb = fc
  .record({
    address: addressArb,
    reject: fc.boolean(),
    index: indexArb,
    rejectHint: indexArb,
    logTerm: indexArb,
  })
  .map(({ address, ...rest }): Message => ({ type: 'appResp', ...address, ...rest }));

const heartbeatArb = fc
  .record({
    address: addressArb,
    commit: indexArb,
    ctx: fc.option(ctxArb, { nil: null }),
    leaseTick: indexArb,
  })
  .map(({ address, ...rest }): Message => ({ type: 'heartbeat', ...address, ...rest }));

const heartbeatRespArb = fc
  .record({ address: addressArb, ctx: fc.option(ctxArb, { nil: null }), leaseTick: indexArb })
  .map(({ address, ...rest }): Message => ({ type: 'heartbeatResp', ...address, ...rest }));

const snapArb = fc
  .record({
    address: addressArb,
    index: indexArb,
    term: indexArb,
    members: fc.uniqueArray(nodeIdArb, { maxLength: membersMax }),
    votersCount: fc.nat(membersMax),
    data: fc.uint8Array({ maxLength: 64 }),
    offsetBytes: fc.nat(1_000_000),
    restBytes: fc.oneof(fc.constant(0), fc.nat(1_000_000)),
  })
  .map(({ address, index, term, members, votersCount, data, offsetBytes, restBytes }) => {
    const voters = members.slice(0, votersCount).sort();
    const learners = members.slice(votersCount).sort();
    const metadata = { index, term, confState: { voters, learners } };
    const totalBytes = offsetBytes + data.byteLength + restBytes;
    const chunk = { metadata, offsetBytes, totalBytes, data, done: restBytes === 0 };
    return { type: 'snap', ...address, ...chunk } satisfies Message;
  });

const snapRespArb = fc
  .record({
    address: addressArb,
    snapshotIndex: indexArb,
    snapshotTerm: indexArb,
    receivedBytes: fc.nat(snapshotBytesMax),
  })
  .map(({ address, ...rest }): Message => ({ type: 'snapResp', ...address, ...rest }));

const timeoutNowArb = addressArb.map((address): Message => ({ type: 'timeoutNow', ...address }));

const transferLeaderArb = fc
  .record({ address: addressArb, transferee: nodeIdArb })
  .map(({ address, transferee }): Message => ({ type: 'transferLeader', ...address, transferee }));

const readIndexArb = fc
  .record({ address: addressArb, ctx: ctxArb })
  .map(({ address, ctx }): Message => ({ type: 'readIndex', ...address, ctx }));

const readIndexRespArb = fc
  .record({ address: addressArb, index: indexArb, ctx: ctxArb })
  .map(({ address, ...rest }): Message => ({ type: 'readIndexResp', ...address, ...rest }));

/** Typed as a record over MessageType, so a new message type fails to compile here. */
const arbsByType: Record<MessageType, fc.Arbitrary<Message>> = {
  vote: voteArb.filter((m) => m.type === 'vote'),
  preVote: voteArb.filter((m) => m.type === 'preVote'),
  voteResp: voteAnswerArb.filter((m) => m.type === 'voteResp'),
  preVoteResp: voteAnswerArb.filter((m) => m.type === 'preVoteResp'),
  app: appArb,
  appResp: appRespArb,
  heartbeat: heartbeatArb,
  heartbeatResp: heartbeatRespArb,
  snap: snapArb,
  snapResp: snapRespArb,
  timeoutNow: timeoutNowArb,
  transferLeader: transferLeaderArb,
  readIndex: readIndexArb,
  readIndexResp: readIndexRespArb,
};

const anyMessageArb = fc.oneof(...Object.values(arbsByType));

function groupMessagesArb(messageArb: fc.Arbitrary<Message>): fc.Arbitrary<GroupMessage[]> {
  return fc.array(fc.record({ groupId: groupIdArb, message: messageArb }), { maxLength: 24 });
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function build(messages: readonly GroupMessage[]): Map<NodeId, RaftBatch> {
  const builder = new RaftBatchBuilder();
  for (const { groupId, message } of messages) expect(builder.add(groupId, message)).toBe(true);
  return builder.drain(header);
}

/** What the peer `to` should decode: heartbeats, then responses, then the rest, in order. */
function expectedFor(messages: readonly GroupMessage[], to: NodeId): GroupMessage[] {
  const mine = messages.filter(({ message }) => message.to === to);
  const ofType = (type: MessageType) => mine.filter(({ message }) => message.type === type);
  const rest = mine.filter(({ message }) => !message.type.startsWith('heartbeat'));
  return [...ofType('heartbeat'), ...ofType('heartbeatResp'), ...rest];
}

function wireRoundTrip(batch: RaftBatch, self: NodeId) {
  return decodeRaftBatch(packr.unpack(packr.pack(batch)), { clusterId, self });
}

function roundTrips(messages: readonly GroupMessage[]): void {
  const batches = build(messages);
  const destinations = new Set(messages.map(({ message }) => message.to));
  expect([...batches.keys()].sort()).toEqual([...destinations].sort());
  for (const [to, batch] of batches) {
    const decoded = wireRoundTrip(batch, to);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.from).toBe(sender);
    expect(decoded.configVersion).toBe(header.configVersion);
    expect(decoded.messages).toEqual(expectedFor(messages, to));
  }
}

function heartbeat(groupId: string, to: NodeId, ctx: Uint8Array | null = null): GroupMessage {
  const message: Message = {
    type: 'heartbeat',
    from: sender,
    to,
    term: 12,
    commit: 3456,
    ctx,
    leaseTick: 98_765,
  };
  return { groupId, message };
}

// ---------------------------------------------------------------------------------------------

describe('round trip through builder, msgpack and decoder', () => {
  it.each(messageTypes)('%s messages come back deep-equal', (type) => {
    fc.assert(fc.property(groupMessagesArb(arbsByType[type]), roundTrips), property);
  });

  it('a mix of every type to two peers comes back deep-equal', () => {
    fc.assert(fc.property(groupMessagesArb(anyMessageArb), roundTrips), property);
  });

  it('never puts undefined fields on the wire', () => {
    const app: Message = {
      type: 'app',
      from: sender,
      to: 'node-b',
      term: 2,
      prevLogIndex: 0,
      prevLogTerm: 0,
      commit: 0,
      entries: [
        { type: 'confChange', term: 2, index: 1, change: { type: 'addVoter', nodeId: 'x' } },
      ],
    };
    const voteResp: Message = {
      type: 'voteResp',
      from: sender,
      to: 'node-b',
      term: 2,
      reject: true,
      commitHint: undefined,
    };
    const batch = build([
      { groupId: 's1', message: app },
      { groupId: 's1', message: voteResp },
    ]).get('node-b')!;
    expect(packr.pack(batch).includes(0xd4)).toBe(false); // msgpackr's undefined marker
    expect(batch.msgs[1]![1]).toEqual({ type: 'voteResp', term: 2, reject: true });
    expect(Object.keys(batch.msgs[1]![1])).not.toContain('commitHint');
    const wireApp = batch.msgs[0]![1];
    if (wireApp.type !== 'app') throw new Error(`expected app, got ${wireApp.type}`);
    const entry = wireApp.entries[0]!;
    expect(entry).toEqual(app.entries[0]);
    expect(entry.type === 'confChange' && Object.keys(entry.change)).toEqual(['type', 'nodeId']);
  });
});

describe('coalescing', () => {
  it("many groups' heartbeats to one peer become one batch with one tuple per group", () => {
    const groups = ['meta', ...Array.from({ length: 100 }, (_, i) => `s${i}`)];
    const batches = build(groups.map((groupId) => heartbeat(groupId, 'node-b')));
    expect([...batches.keys()]).toEqual(['node-b']);
    const batch = batches.get('node-b')!;
    expect(batch.hb.map(([groupId]) => groupId)).toEqual(groups);
    expect(batch.hb[0]).toEqual(['meta', 12, 3456, 98_765, null]);
    expect(batch.hbr).toEqual([]);
    expect(batch.msgs).toEqual([]);
    expect(batch).toMatchObject({ clusterId, from: sender, to: 'node-b', configVersion: 7 });
  });

  it('heartbeat responses travel as [groupId, term, leaseTick, ctx] tuples', () => {
    const ctx = new Uint8Array([1, 2, 3]);
    const message: Message = {
      type: 'heartbeatResp',
      from: sender,
      to: 'node-c',
      term: 4,
      ctx,
      leaseTick: 9,
    };
    const batch = build([{ groupId: 's7', message }]).get('node-c')!;
    expect(batch.hbr).toEqual([['s7', 4, 9, ctx]]);
  });

  it('messages to two peers go to two batches', () => {
    const batches = build([
      heartbeat('s1', 'node-b'),
      heartbeat('s1', 'node-c'),
      heartbeat('s2', 'node-b'),
    ]);
    expect([...batches.keys()].sort()).toEqual(['node-b', 'node-c']);
    expect(batches.get('node-b')!.hb.map(([groupId]) => groupId)).toEqual(['s1', 's2']);
    expect(batches.get('node-c')!.hb.map(([groupId]) => groupId)).toEqual(['s1']);
    expect(batches.get('node-c')!.to).toBe('node-c');
  });

  it("a batch of 16 groups' heartbeats is smaller than the 16 heartbeats encoded alone", () => {
    const ctx = new Uint8Array(16).fill(7);
    const messages = Array.from({ length: 16 }, (_, i) =>
      heartbeat(`s${i}`, 'node-b', i % 4 === 0 ? ctx : null),
    );
    const batchBytes = packr.pack(build(messages).get('node-b')!).byteLength;
    let separateBytes = 0;
    for (const { groupId, message } of messages) {
      separateBytes += packr.pack({ clusterId, groupId, message }).byteLength;
    }
    expect(batchBytes).toBeLessThan(separateBytes / 2);
  });

  it('wireMessageBytes never under-counts the encoded batch', () => {
    fc.assert(
      fc.property(groupMessagesArb(anyMessageArb), (messages) => {
        for (const [to, batch] of build(messages)) {
          let estimate = 0;
          for (const { message } of expectedFor(messages, to))
            estimate += wireMessageBytes(message);
          const headerBytes = 128 + clusterId.length + sender.length + to.length;
          expect(packr.pack(batch).byteLength).toBeLessThanOrEqual(headerBytes + estimate);
        }
      }),
      property,
    );
  });
});

describe('builder bounds and programmer errors', () => {
  it('drops messages past raftMessagesPerTurnMax per turn, then starts afresh', () => {
    const builder = new RaftBatchBuilder();
    const { groupId, message } = heartbeat('s1', 'node-b');
    for (let i = 0; i < raftMessagesPerTurnMax; i++) builder.add(groupId, message);
    expect(builder.add(groupId, message)).toBe(false);
    expect(builder.droppedMessages).toBe(1);
    expect(builder.drain(header).get('node-b')!.hb.length).toBe(raftMessagesPerTurnMax);
    expect(builder.add(groupId, message)).toBe(true);
    expect(builder.drain(header).get('node-b')!.hb.length).toBe(1);
    expect(builder.drain(header).size).toBe(0);
  });

  it('drops messages that would take a batch past raftBatchBytesMax, per destination', () => {
    const builder = new RaftBatchBuilder();
    const data = new Uint8Array(entryBytesMax);
    const app = (to: NodeId): Message => ({
      type: 'app',
      from: sender,
      to,
      term: 1,
      prevLogIndex: 0,
      prevLogTerm: 1,
      commit: 0,
      entries: [{ type: 'normal', term: 1, index: 1, data }],
    });
    const fits = Math.floor(raftBatchBytesMax / wireMessageBytes(app('node-b')));
    for (let i = 0; i < fits; i++) expect(builder.add('s1', app('node-b'))).toBe(true);
    expect(builder.add('s1', app('node-b'))).toBe(false);
    expect(builder.add('s1', app('node-c'))).toBe(true);
    expect(builder.add('s1', heartbeat('s1', 'node-b').message)).toBe(true);
    const batches = builder.drain(header);
    expect(batches.get('node-b')!.msgs.length).toBe(fits);
    const decoded = wireRoundTrip(batches.get('node-b')!, 'node-b');
    expect(decoded.ok).toBe(true);
  });

  it('asserts on programmer errors', () => {
    const builder = new RaftBatchBuilder();
    const { message } = heartbeat('s1', 'node-b');
    expect(() => builder.add('shard-1', message)).toThrow(AssertionError);
    expect(() => builder.add('s1', { ...message, to: sender })).toThrow(AssertionError);
    builder.add('s1', message);
    expect(() => builder.add('s1', { ...message, from: 'node-z' })).toThrow(AssertionError);
    expect(() => builder.drain({ ...header, from: 'node-z' })).toThrow(AssertionError);
    expect(() => builder.drain({ ...header, configVersion: -1 })).toThrow(AssertionError);
    expect(() => decodeRaftBatch({}, { clusterId, self: 'bad id' })).toThrow(AssertionError);
  });
});

// ---------------------------------------------------------------------------------------------
// Rejection: a valid batch to node-b with every message type, mutated one way per row.

const sampleCtx = new Uint8Array([9, 9]);
const sampleMessages: Message[] = [
  heartbeat('s1', 'node-b', sampleCtx).message,
  { type: 'heartbeatResp', from: sender, to: 'node-b', term: 3, ctx: null, leaseTick: 5 },
  {
    type: 'vote',
    from: sender,
    to: 'node-b',
    term: 3,
    lastLogIndex: 10,
    lastLogTerm: 2,
    transfer: false,
  },
  { type: 'voteResp', from: sender, to: 'node-b', term: 3, reject: true, commitHint: 4 },
  {
    type: 'app',
    from: sender,
    to: 'node-b',
    term: 3,
    prevLogIndex: 10,
    prevLogTerm: 2,
    commit: 9,
    entries: [
      { type: 'normal', term: 2, index: 11, data: new Uint8Array([1]) },
      {
        type: 'confChange',
        term: 3,
        index: 12,
        change: { type: 'addLearner', nodeId: 'node-d', context: new Uint8Array([2]) },
      },
    ],
  },
  {
    type: 'appResp',
    from: sender,
    to: 'node-b',
    term: 3,
    reject: false,
    index: 12,
    rejectHint: 0,
    logTerm: 0,
  },
  {
    type: 'snap',
    from: sender,
    to: 'node-b',
    term: 3,
    metadata: { index: 20, term: 3, confState: { voters: ['node-a', 'node-b'], learners: [] } },
    offsetBytes: 0,
    totalBytes: 4,
    data: new Uint8Array([1, 2]),
    done: false,
  },
  {
    type: 'snapResp',
    from: sender,
    to: 'node-b',
    term: 3,
    snapshotIndex: 20,
    snapshotTerm: 3,
    receivedBytes: 2,
  },
  { type: 'timeoutNow', from: sender, to: 'node-b', term: 3 },
  { type: 'transferLeader', from: sender, to: 'node-b', term: 3, transferee: 'node-c' },
  { type: 'readIndex', from: sender, to: 'node-b', term: 3, ctx: sampleCtx },
  { type: 'readIndexResp', from: sender, to: 'node-b', term: 3, index: 12, ctx: sampleCtx },
];
const samplePacked = packr.pack(
  build(sampleMessages.map((message) => ({ groupId: 's1', message }))).get('node-b')!,
);

function freshSample(): Obj {
  return packr.unpack(samplePacked) as Obj;
}

function list(raw: Obj, key: 'hb' | 'hbr' | 'msgs'): unknown[][] {
  return raw[key] as unknown[][];
}

/** The position in msgs and the map of the first message of `type`. */
function msgOf(raw: Obj, type: MessageType): { i: number; m: Obj } {
  const i = list(raw, 'msgs').findIndex(([, m]) => (m as Obj).type === type);
  return { i, m: list(raw, 'msgs')[i]![1] as Obj };
}

function entries(raw: Obj): Obj[] {
  return msgOf(raw, 'app').m.entries as Obj[];
}

function confState(raw: Obj): { voters: unknown[]; learners: unknown[] } {
  const metadata = msgOf(raw, 'snap').m.metadata as Obj;
  return metadata.confState as { voters: unknown[]; learners: unknown[] };
}

/** Applies `edit` to a fresh copy of the sample and returns the batch to decode. */
function edited(edit: (raw: Obj) => void): () => unknown {
  return () => {
    const raw = freshSample();
    edit(raw);
    return raw;
  };
}

function setMsg(type: MessageType, key: string, value: unknown): () => unknown {
  return edited((raw) => {
    msgOf(raw, type).m[key] = value;
  });
}

const appAt = msgOf(freshSample(), 'app').i;
const megabyte = new Uint8Array(entryBytesMax);
const bigChunk = new Uint8Array(snapshotChunkBytesMax);

const rejections: [name: string, input: () => unknown, error: string | RegExp][] = [
  ['a string batch', () => 'batch', 'batch: expected an object, got "batch"'],
  ['a null batch', () => null, 'batch: expected an object, got null'],
  ['an array batch', () => [1, 2], 'batch: expected an object, got an array of 2'],
  ['bytes as a batch', () => new Uint8Array(4), 'batch: expected an object, got 4 bytes'],
  [
    'a wrong cluster id',
    edited((raw) => {
      raw.clusterId = 'cluster-2';
    }),
    'batch: clusterId: expected "cluster-1", got "cluster-2"',
  ],
  [
    'no cluster id',
    edited((raw) => {
      delete raw.clusterId;
    }),
    'batch: clusterId: expected "cluster-1", got undefined',
  ],
  [
    'a batch for another node',
    edited((raw) => {
      raw.to = 'node-c';
    }),
    'batch: to: expected "node-b", got "node-c"',
  ],
  [
    'a batch from ourselves',
    edited((raw) => {
      raw.from = 'node-b';
    }),
    'batch: from: a batch from ourselves',
  ],
  [
    'an invalid sender id',
    edited((raw) => {
      raw.from = 'node a';
    }),
    'batch: from: expected a node id, got "node a"',
  ],
  [
    'a negative config version',
    edited((raw) => {
      raw.configVersion = -1;
    }),
    'batch: configVersion: expected a non-negative integer, got -1',
  ],
  [
    'hb not an array',
    edited((raw) => {
      raw.hb = { 0: 1 };
    }),
    'batch: hb: expected an array',
  ],
  [
    'no msgs',
    edited((raw) => {
      delete raw.msgs;
    }),
    'batch: msgs: expected an array, got undefined',
  ],
  [
    'more hb tuples than raftMessagesPerTurnMax',
    edited((raw) => {
      raw.hb = new Array(raftMessagesPerTurnMax + 1).fill(list(raw, 'hb')[0]);
    }),
    `batch: hb: ${raftMessagesPerTurnMax + 1} elements exceed the bound`,
  ],
  [
    'more messages in all than raftMessagesPerTurnMax',
    edited((raw) => {
      raw.hb = new Array(raftMessagesPerTurnMax).fill(list(raw, 'hb')[0]);
    }),
    'exceed raftMessagesPerTurnMax',
  ],
  [
    'an unknown message type',
    setMsg('vote', 'type', 'bogus'),
    /^msgs\[\d+\]: type: unknown message type "bogus"$/,
  ],
  [
    'a message without a type',
    setMsg('vote', 'type', undefined),
    /^msgs\[\d+\]: type: unknown message type undefined$/,
  ],
  [
    'a prototype key as the type',
    setMsg('vote', 'type', 'constructor'),
    'unknown message type "constructor"',
  ],
  [
    'a message that is not a map',
    edited((raw) => {
      list(raw, 'msgs')[0]![1] = [1, 2];
    }),
    'msgs[0]: message: expected an object, got an array of 2',
  ],
  [
    'a heartbeat in msgs',
    edited((raw) => {
      list(raw, 'msgs').push(['s1', { type: 'heartbeat', term: 1, commit: 1, leaseTick: 1 }]);
    }),
    /msgs\[\d+\]: heartbeat: travels as a tuple in hb, not msgs/,
  ],
  [
    'a bad group id in msgs',
    edited((raw) => {
      list(raw, 'msgs')[0]![0] = 's12345';
    }),
    'msgs[0]: groupId: expected a group id (meta or s<n>), got "s12345"',
  ],
  [
    'a bad group id in hb',
    edited((raw) => {
      list(raw, 'hb')[0]![0] = 'Meta';
    }),
    'hb[0]: groupId: expected a group id',
  ],
  [
    'a numeric group id in hbr',
    edited((raw) => {
      list(raw, 'hbr')[0]![0] = 1;
    }),
    'hbr[0]: groupId: expected a group id (meta or s<n>), got 1',
  ],
  [
    'a truncated hb tuple',
    edited((raw) => {
      list(raw, 'hb')[0]!.pop();
    }),
    'hb[0]: expected a tuple of 5, got an array of 4',
  ],
  [
    'an hbr tuple too long',
    edited((raw) => {
      list(raw, 'hbr')[0]!.push(0);
    }),
    'hbr[0]: expected a tuple of 4, got an array of 5',
  ],
  [
    'a truncated msgs pair',
    edited((raw) => {
      list(raw, 'msgs')[0] = ['s1'];
    }),
    'msgs[0]: expected a tuple of 2, got an array of 1',
  ],
  [
    'a map as an hb tuple',
    edited((raw) => {
      list(raw, 'hb')[0] = { groupId: 's1' } as unknown as unknown[];
    }),
    'hb[0]: expected a tuple of 5, got a value of type object',
  ],
  [
    'a negative heartbeat term',
    edited((raw) => {
      list(raw, 'hb')[0]![1] = -3;
    }),
    'hb[0]: heartbeat.term: expected a non-negative integer, got -3',
  ],
  [
    'a string heartbeat commit',
    edited((raw) => {
      list(raw, 'hb')[0]![2] = '5';
    }),
    'hb[0]: heartbeat.commit: expected a non-negative integer, got "5"',
  ],
  [
    'an oversized heartbeat ctx',
    edited((raw) => {
      list(raw, 'hb')[0]![4] = new Uint8Array(readCtxBytesMax + 1);
    }),
    `hb[0]: heartbeat.ctx: ${readCtxBytesMax + 1} bytes exceed the bound of ${readCtxBytesMax}`,
  ],
  [
    'a string heartbeatResp ctx',
    edited((raw) => {
      list(raw, 'hbr')[0]![3] = 'ctx';
    }),
    'hbr[0]: heartbeatResp.ctx: expected bytes, got "ctx"',
  ],
  [
    'a negative term',
    setMsg('vote', 'term', -1),
    /msgs\[\d+\]: vote\.term: expected a non-negative integer, got -1$/,
  ],
  ['a fractional term', setMsg('appResp', 'term', 2.5), 'appResp.term: expected a non-negative'],
  ['an unsafe integer', setMsg('vote', 'lastLogIndex', 2 ** 53), 'vote.lastLogIndex: expected'],
  ['an infinite index', setMsg('appResp', 'index', Infinity), 'got Infinity'],
  ['a missing field', setMsg('vote', 'lastLogTerm', undefined), 'vote.lastLogTerm: expected'],
  ['a numeric boolean', setMsg('vote', 'transfer', 1), 'vote.transfer: expected a boolean, got 1'],
  ['a null commit hint', setMsg('voteResp', 'commitHint', null), 'voteResp.commitHint: expected'],
  ['a string reject', setMsg('appResp', 'reject', 'no'), 'appResp.reject: expected a boolean'],
  [
    'a non-integer entry index',
    edited((raw) => {
      entries(raw)[0]!.index = 1.5;
    }),
    `msgs[${appAt}]: app.entries[0].index: expected a non-negative integer, got 1.5`,
  ],
  [
    'entries not contiguous',
    edited((raw) => {
      entries(raw)[1]!.index = 13;
    }),
    'app.entries[1].index: expected 12 (contiguous after prevLogIndex)',
  ],
  [
    'entry terms going down',
    edited((raw) => {
      entries(raw)[1]!.term = 1;
    }),
    'app.entries[1].term: 1 is outside [2, 3]',
  ],
  [
    'an entry term above the message term',
    edited((raw) => {
      entries(raw)[1]!.term = 4;
    }),
    'app.entries[1].term: 4 is outside [2, 3]',
  ],
  [
    'entries not an array',
    setMsg('app', 'entries', { 0: {} }),
    'app.entries: expected an array, got a value of type object',
  ],
  [
    'an entry that is not a map',
    edited((raw) => {
      entries(raw)[0] = 5 as unknown as Obj;
    }),
    'app.entries[0]: expected an object, got 5',
  ],
  [
    'an unknown entry type',
    edited((raw) => {
      entries(raw)[0]!.type = 'noop';
    }),
    'app.entries[0].type: expected one of normal|confChange, got "noop"',
  ],
  [
    'entry data as a string',
    edited((raw) => {
      entries(raw)[0]!.data = 'x';
    }),
    'app.entries[0].data: expected bytes, got "x"',
  ],
  [
    'oversized entry data',
    edited((raw) => {
      entries(raw)[0]!.data = new Uint8Array(entryBytesMax + 1);
    }),
    `app.entries[0].data: ${entryBytesMax + 1} bytes exceed the bound of ${entryBytesMax}`,
  ],
  [
    'entries past appendBytesMax',
    edited((raw) => {
      const app = msgOf(raw, 'app').m;
      app.entries = Array.from({ length: 5 }, (_, i) => ({
        type: 'normal',
        term: 2,
        index: 11 + i,
        data: megabyte,
      }));
    }),
    'app.entries: exceed appendBytesMax',
  ],
  [
    'an unknown conf change type',
    edited((raw) => {
      (entries(raw)[1]!.change as Obj).type = 'promote';
    }),
    'app.entries[1].change.type: expected one of addVoter|addLearner|removeNode, got "promote"',
  ],
  [
    'an invalid conf change node id',
    edited((raw) => {
      (entries(raw)[1]!.change as Obj).nodeId = '';
    }),
    'app.entries[1].change.nodeId: expected a node id, got ""',
  ],
  [
    'an oversized conf change context',
    edited((raw) => {
      (entries(raw)[1]!.change as Obj).context = new Uint8Array(confChangeContextBytesMax + 1);
    }),
    'app.entries[1].change.context: 1025 bytes exceed the bound of 1024',
  ],
  [
    'a conf change without a change',
    edited((raw) => {
      delete entries(raw)[1]!.change;
    }),
    'app.entries[1].change: expected an object, got undefined',
  ],
  [
    'an invalid transferee',
    setMsg('transferLeader', 'transferee', 'a'.repeat(65)),
    'transferLeader.transferee: expected a node id',
  ],
  [
    'an oversized read ctx',
    setMsg('readIndex', 'ctx', new Uint8Array(readCtxBytesMax + 1)),
    'readIndex.ctx: 257 bytes exceed the bound of 256',
  ],
  ['a missing read ctx', setMsg('readIndexResp', 'ctx', null), 'readIndexResp.ctx: expected bytes'],
  [
    'receivedBytes past snapshotBytesMax',
    setMsg('snapResp', 'receivedBytes', snapshotBytesMax + 1),
    'snapResp.receivedBytes: exceeds snapshotBytesMax',
  ],
  [
    'an oversized snapshot chunk',
    setMsg('snap', 'data', new Uint8Array(snapshotChunkBytesMax + 1)),
    'snap.data: 1048577 bytes exceed the bound of 1048576',
  ],
  [
    'a chunk past totalBytes',
    setMsg('snap', 'totalBytes', 1),
    'snap.data: chunk ends at 2, past totalBytes 1',
  ],
  [
    'totalBytes past snapshotBytesMax',
    setMsg('snap', 'totalBytes', snapshotBytesMax + 1),
    'snap.totalBytes: exceeds snapshotBytesMax',
  ],
  [
    'a final chunk not marked done',
    setMsg('snap', 'totalBytes', 2),
    'snap.done: is false for a chunk ending at 2 of 2',
  ],
  ['no snapshot metadata', setMsg('snap', 'metadata', null), 'snap.metadata: expected an object'],
  [
    'unsorted voters',
    edited((raw) => {
      confState(raw).voters.reverse();
    }),
    'snap.metadata.confState.voters[1]: "node-a" breaks the sorted, unique order',
  ],
  [
    'a voter twice',
    edited((raw) => {
      confState(raw).voters[1] = 'node-a';
    }),
    'snap.metadata.confState.voters[1]: "node-a" breaks the sorted, unique order',
  ],
  [
    'a learner who is also a voter',
    edited((raw) => {
      confState(raw).learners.push('node-b');
    }),
    'snap.metadata.confState.learners: "node-b" is also a voter',
  ],
  [
    'more than membersMax members',
    edited((raw) => {
      const ids = Array.from(
        { length: membersMax + 1 },
        (_, i) => `m${String(i).padStart(2, '0')}`,
      );
      confState(raw).voters = ids.slice(0, 8);
      (confState(raw) as Obj).learners = ids.slice(8);
    }),
    `more than membersMax (${membersMax}) members`,
  ],
  [
    'a non-string member',
    edited((raw) => {
      confState(raw).learners.push(7);
    }),
    'snap.metadata.confState.learners[0]: expected a node id, got 7',
  ],
  [
    'a batch past raftBatchBytesMax',
    edited((raw) => {
      const snap = msgOf(raw, 'snap').m;
      const chunk = { ...snap, data: bigChunk, totalBytes: bigChunk.byteLength, done: true };
      const count = Math.ceil(raftBatchBytesMax / bigChunk.byteLength) + 1;
      for (let i = 0; i < count; i++) list(raw, 'msgs').push(['s2', chunk]);
    }),
    /^batch: \d+ message bytes exceed raftBatchBytesMax/,
  ],
];

describe('decodeRaftBatch refuses', () => {
  it('accepts the unmodified sample (so each row below fails for its own reason)', () => {
    const decoded = decodeRaftBatch(freshSample(), { clusterId, self: 'node-b' });
    if (!decoded.ok) throw decoded.error;
    expect(decoded.messages.map(({ message }) => message)).toEqual(sampleMessages);
  });

  it.each(rejections)('%s', (_name, input, error) => {
    const decoded = decodeRaftBatch(input(), { clusterId, self: 'node-b' });
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.error).toBeInstanceOf(RaftWireError);
    expect(decoded.error).toBeInstanceOf(TroupeError);
    expect(decoded.error.code).toBe('TROUPE_ERR_RAFT_WIRE');
    expect(decoded.error.name).toBe('RaftWireError');
    expect(decoded.error.message).toMatch(error);
  });

  it('ignores unknown fields and drops them from the rebuilt messages', () => {
    const raw = freshSample();
    raw.extension = { anything: true };
    msgOf(raw, 'vote').m.priority = 3;
    entries(raw)[0]!.extra = 'x';
    const decoded = decodeRaftBatch(raw, { clusterId, self: 'node-b' });
    if (!decoded.ok) throw decoded.error;
    expect(decoded.messages.map(({ message }) => message)).toEqual(sampleMessages);
  });
});

describe('decodeRaftBatch never throws', () => {
  const expectation = { clusterId, self: 'node-b' };

  it('on any value (fc.anything)', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const decoded = decodeRaftBatch(value, expectation);
        expect(decoded.ok).toBe(false);
        if (!decoded.ok) expect(decoded.error).toBeInstanceOf(RaftWireError);
      }),
      property,
    );
  });

  it('on any value msgpack decodes from random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), (bytes) => {
        let value: unknown;
        try {
          value = packr.unpack(bytes);
        } catch {
          return; // not msgpack: the transport refuses it before the decoder
        }
        expect(decodeRaftBatch(value, expectation).ok).toBe(false);
      }),
      property,
    );
  });

  it('on the sample with any value planted anywhere in it', () => {
    fc.assert(
      fc.property(fc.nat(), fc.anything(), (pick, value) => {
        const raw = freshSample();
        const slots = containers(raw);
        const [container, key] = slots[pick % slots.length]!;
        (container as Record<string | number, unknown>)[key] = value;
        const decoded = decodeRaftBatch(raw, expectation);
        if (!decoded.ok) expect(decoded.error).toBeInstanceOf(RaftWireError);
      }),
      property,
    );
  });

  it('on the sample with random bytes flipped before msgpack decoding', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
        (flips) => {
          const bytes = Uint8Array.from(samplePacked);
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          let value: unknown;
          try {
            value = packr.unpack(bytes);
          } catch {
            return;
          }
          const decoded = decodeRaftBatch(value, expectation);
          if (!decoded.ok) expect(decoded.error).toBeInstanceOf(RaftWireError);
        },
      ),
      property,
    );
  });
});

/** Every (container, key) slot of a decoded batch, bytes excluded, for planting values. */
function containers(root: unknown): [object, string | number][] {
  const slots: [object, string | number][] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        slots.push([value, i]);
        visit(item);
      });
    } else if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
      for (const [key, item] of Object.entries(value)) {
        slots.push([value, key]);
        visit(item);
      }
    }
  };
  visit(root);
  return slots;
}

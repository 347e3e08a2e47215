// MultiRaft, the node's turn loop, driven in memory: three nodes hosting four groups each,
// messages carried through the real batch codec. It checks the host-side contract: one store
// transaction per turn for all groups (group commit), one batch per peer per turn, a leader's
// appends sent before its own persistence, replies only after the transaction, and no write
// for a group removed while its turn was in flight.
import { silentLogger } from '@troupe/runtime';
import { createSeededRng } from '@troupe/runtime/rng';
import { Packr } from 'msgpackr';
import { describe, expect, test } from 'vitest';
import { encodeKvCommand } from '../../src/kv/command-codec.js';
import { MemoryKvStore } from '../../src/kv/memory-kv-store.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import { KvGroupMachine } from '../../src/replica/kv-group-machine.js';
import { MultiRaft } from '../../src/replica/multi-raft.js';
import type { Outcome } from '../../src/replica/pending-requests.js';
import { decodeRaftBatch, type RaftBatch } from '../../src/replica/raft-wire.js';
import { Replica } from '../../src/replica/replica.js';
import { MemoryReplicaStore } from './memory-replica-store.js';

const packr = new Packr({ useRecords: false });
const nodeIds = ['n1', 'n2', 'n3'];
const groupIds = ['s0', 's1', 's2', 's3'];

interface TestNode {
  readonly multi: MultiRaft;
  readonly replicas: Map<string, Replica>;
  /** Every store transaction: the groups whose entries it persisted. */
  readonly writes: string[][];
  /** Whether each transaction asked to be durable. */
  readonly durable: boolean[];
  /** Every batch sent, with whether a transaction was open (it must not be). */
  readonly sent: { to: string; batch: RaftBatch; inWrite: boolean; turn: number }[];
}

function createNode(
  nodeId: string,
  outbox: (from: string, to: string, batch: RaftBatch) => void,
): TestNode {
  let inWrite = false;
  const node: TestNode = {
    multi: undefined as unknown as MultiRaft,
    replicas: new Map(),
    writes: [],
    durable: [],
    sent: [],
  };
  const multi = new MultiRaft({
    nodeId,
    clusterId: 'test-cluster',
    logger: silentLogger(),
    configVersion: () => 1,
    store: {
      write<T>(fn: () => T, options?: { readonly durable: boolean }): T {
        inWrite = true;
        node.writes.push([]);
        node.durable.push(options?.durable ?? true);
        try {
          return fn();
        } finally {
          inWrite = false;
        }
      },
    },
    send: (to, batch) => {
      node.sent.push({ to, batch, inWrite, turn: multi.turns });
      outbox(nodeId, to, batch);
    },
    onFatal: (error) => {
      throw error;
    },
  });
  (node as { multi: MultiRaft }).multi = multi;
  for (const [i, groupId] of groupIds.entries()) {
    const store = MemoryReplicaStore.founding(nodeIds);
    const original = store.append.bind(store);
    store.append = (entries) => {
      node.writes[node.writes.length - 1]?.push(groupId);
      original(entries);
    };
    const machine = new KvGroupMachine(new KvStateMachine(), new MemoryKvStore());
    const replica = new Replica({
      groupId,
      nodeId,
      origin: `${nodeId}/test`,
      store,
      machine,
      rng: createSeededRng(nodeIds.indexOf(nodeId) * 10 + i + 1),
      logger: silentLogger(),
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 1,
      snapshotEveryEntries: 1_000,
      logKeepEntries: 10,
      pendingRequestsMax: 100,
      requestTimeoutTicks: 100,
    });
    node.replicas.set(groupId, replica);
    multi.add(replica);
  }
  return node;
}

/** Three nodes whose batches travel through msgpack and the validating decoder. */
function createCluster(): Map<string, TestNode> {
  const nodes = new Map<string, TestNode>();
  const deliver = (from: string, to: string, batch: RaftBatch): void => {
    const decoded = decodeRaftBatch(packr.unpack(packr.pack(batch)), {
      clusterId: 'test-cluster',
      self: to,
    });
    if (!decoded.ok) throw decoded.error;
    expect(decoded.from).toBe(from);
    // Delivery happens in a later turn, as over a socket.
    setImmediate(() => {
      for (const { groupId, message } of decoded.messages)
        nodes.get(to)?.multi.step(groupId, message);
    });
  };
  for (const id of nodeIds) nodes.set(id, createNode(id, deliver));
  return nodes;
}

async function turns(count = 20): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function electN1(nodes: Map<string, TestNode>): Promise<TestNode> {
  const n1 = nodes.get('n1') as TestNode;
  for (const replica of n1.replicas.values()) replica.campaign();
  await turns(40);
  for (const replica of n1.replicas.values()) expect(replica.isLeader).toBe(true);
  // Let the first entries of the new term commit, so proposals below start from quiet groups.
  await turns(40);
  return n1;
}

function proposeEverywhere(n1: TestNode, outcomes: Outcome[]): void {
  for (const [groupId, replica] of n1.replicas) {
    const command = encodeKvCommand({
      op: 'update',
      key: groupId,
      value: new Uint8Array([1]),
      nowMs: 1,
    });
    replica.propose(command, (outcome) => outcomes.push(outcome));
  }
}

describe('MultiRaft', () => {
  test('one store transaction persists the new entries of every group (group commit)', async () => {
    const nodes = createCluster();
    const n1 = await electN1(nodes);
    n1.writes.length = 0;
    const outcomes: Outcome[] = [];
    proposeEverywhere(n1, outcomes);
    await turns(40);
    const appended = n1.writes.filter((groups) => groups.length > 0);
    expect(appended[0]?.sort()).toEqual(groupIds);
    expect(outcomes).toHaveLength(4);
    expect(outcomes.every((o) => o.ok)).toBe(true);
  });

  test('one batch per peer carries the appends of every group proposed in a turn', async () => {
    const nodes = createCluster();
    const n1 = await electN1(nodes);
    n1.sent.length = 0;
    proposeEverywhere(n1, []);
    await turns(40);
    const hasAppend = (s: { batch: RaftBatch }): boolean =>
      s.batch.msgs.some(([, m]) => m.type === 'app' && m.entries.length > 0);
    const firstTurn = n1.sent.find(hasAppend)?.turn;
    for (const peer of ['n2', 'n3']) {
      const batches = n1.sent.filter((s) => s.turn === firstTurn && s.to === peer && hasAppend(s));
      expect(batches).toHaveLength(1);
      const groups = batches[0]?.batch.msgs.map(([groupId]) => groupId);
      expect([...new Set(groups)].sort()).toEqual(groupIds);
    }
  });

  test("a leader's appends leave outside the transaction that persists them", async () => {
    const nodes = createCluster();
    const n1 = await electN1(nodes);
    n1.sent.length = 0;
    proposeEverywhere(n1, []);
    await turns(40);
    const appends = n1.sent.filter((s) => s.batch.msgs.some(([, m]) => m.type === 'app'));
    expect(appends.length).toBeGreaterThan(0);
    expect(appends.every((s) => !s.inWrite)).toBe(true);
  });

  test('a reply comes only after the transaction that applied its entry', async () => {
    const nodes = createCluster();
    const n1 = await electN1(nodes);
    const writesAtReply: number[] = [];
    const replica = n1.replicas.get('s0') as Replica;
    const before = n1.writes.length;
    const command = encodeKvCommand({
      op: 'create',
      key: 'k',
      value: new Uint8Array([7]),
      nowMs: 1,
    });
    replica.propose(command, () => writesAtReply.push(n1.writes.length));
    await turns(40);
    // Append, then (after the followers answered) the apply: at least two transactions.
    expect(writesAtReply[0]).toBeGreaterThanOrEqual(before + 2);
  });

  test('a group removed while its turn was in flight is not written back', async () => {
    const nodes = createCluster();
    const n1 = await electN1(nodes);
    proposeEverywhere(n1, []);
    // The turn runs in two steps (appends out, then persist); remove a group in between.
    await new Promise((resolve) => setImmediate(resolve));
    n1.multi.remove('s3', 'test removes it');
    const writesBefore = n1.writes.length;
    await turns(40);
    const later = n1.writes.slice(writesBefore).flat();
    expect(later).not.toContain('s3');
  });

  test('linearizable reads that arrive together share one ReadIndex round', async () => {
    const nodes = createCluster();
    const n1 = await electN1(nodes);
    const replica = n1.replicas.get('s0') as Replica;
    n1.sent.length = 0;
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 10; i++) {
      replica.readLinearizable(
        () => i,
        (outcome) => outcomes.push(outcome),
      );
    }
    await turns(40);
    expect(outcomes.map((o) => (o.ok ? o.value : o.error.message))).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expect(readRounds(n1, 's0')).toBe(1);
  });

  test('a read arriving while a round is in flight waits for the next round', async () => {
    const nodes = createCluster();
    const n1 = await electN1(nodes);
    const replica = n1.replicas.get('s0') as Replica;
    n1.sent.length = 0;
    const served: number[] = [];
    const read = (i: number): void =>
      replica.readLinearizable(
        () => i,
        (outcome) => outcome.ok && served.push(outcome.value as number),
      );
    for (let i = 0; i < 3; i++) read(i);
    // The first round's heartbeats are on their way; these must not use its answer.
    await new Promise((resolve) => setImmediate(resolve));
    expect(readRounds(n1, 's0')).toBe(1);
    for (let i = 3; i < 6; i++) read(i);
    await turns(40);
    expect(served).toEqual([0, 1, 2, 3, 4, 5]);
    expect(readRounds(n1, 's0')).toBe(2);
  });

  test('turns with new entries are durable; turns that only apply are not', async () => {
    const nodes = createCluster();
    const n1 = await electN1(nodes);
    const n2 = nodes.get('n2') as TestNode;
    for (const node of [n1, n2]) {
      node.writes.length = 0;
      node.durable.length = 0;
    }
    const outcomes: Outcome[] = [];
    proposeEverywhere(n1, outcomes);
    await turns(40);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    for (const node of [n1, n2]) {
      const appending = node.writes.map((groups) => groups.length > 0);
      expect(appending.some(Boolean)).toBe(true);
      // Every transaction that appended was durable, and some apply-only ones were not.
      expect(node.durable.filter((durable, i) => appending[i] && !durable)).toEqual([]);
      expect(node.durable.some((durable, i) => !appending[i] && !durable)).toBe(true);
    }
  });
});

/** ReadIndex rounds `node` started for `groupId`: distinct heartbeat ctxs sent. */
function readRounds(node: TestNode, groupId: string): number {
  const ctxs = new Set<string>();
  for (const { batch } of node.sent) {
    for (const [group, , , , ctx] of batch.hb) {
      if (group === groupId && ctx !== null) ctxs.add(Buffer.from(ctx).toString('hex'));
    }
  }
  return ctxs.size;
}

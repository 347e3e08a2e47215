// One simulated replica: a RawNode over storage that survives crashes (only what a Ready told
// it to persist, and only once the simulated fsync finished), a volatile KV state machine, and
// the client requests it is serving. It follows the Ready contract of docs/raft.md: persist
// (possibly slowly), then send, then apply, then advance; a leader's early messages go first.
import {
  type CommitBroadcast,
  type ConfState,
  canSendBeforePersist,
  type Entry,
  MemoryStorage,
  type Message,
  type RaftTestingFaults,
  RawNode,
  type ReadState,
  type Ready,
} from '@troupe/node/raft';
import type { Rng } from '@troupe/runtime/rng';
import {
  decodeOp,
  encodeOp,
  KvMachine,
  type KvOp,
  type KvRead,
  type KvResult,
} from './kv-machine.js';
import type { Trace } from './trace.js';

export interface ReplicaHooks {
  send(message: Message): void;
  /** Every applied entry with the replica's term at the time, for state-machine safety. */
  applied(nodeId: string, entry: Entry, currentTerm: number): void;
  /** Entries just made durable, for the incremental log-matching check. */
  persisted(nodeId: string, entries: readonly Entry[]): void;
  /** Role or leader changes, for election safety. */
  role(nodeId: string, term: number, role: string, tick: number): void;
  /**
   * The replica just became leader; `termAt` reads its whole log (disk plus what this Ready
   * appends), for leader completeness.
   */
  becameLeader(
    nodeId: string,
    term: number,
    termAt: (index: number) => number | undefined,
    firstIndex: number,
  ): void;
}

export interface ReplicaConfig {
  id: string;
  voters: readonly string[];
  rng: Rng;
  electionTimeoutTicks: number;
  heartbeatIntervalTicks: number;
  snapshotEveryEntries: number;
  appendBytesMax: number;
  inflightMessagesMax: number;
  commitBroadcast: CommitBroadcast;
  slowDiskRate: number;
  slowDiskTicksMax: number;
  faults: Partial<RaftTestingFaults>;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

type WriteCallback = (result: KvResult) => void;
type ReadCallback = (read: KvRead | null) => void;

interface PendingRead {
  key: string;
  index: number | undefined;
  callback: ReadCallback;
}

export class SimReplica {
  readonly id: string;
  up = true;
  /** While set and in the future, the replica is frozen (no ticks, no Ready handling). */
  pausedUntilTick: number | undefined;
  node: RawNode | undefined;
  /** What is on "disk": survives crashes. */
  readonly durable: MemoryStorage;
  private kv = new KvMachine();
  private applied = 0;
  private appliedSinceSnapshot = 0;
  private readonly confState: ConfState;
  private stalledUntilTick: number | undefined;
  private pendingReady: Ready | undefined;
  private readonly writes = new Map<string, WriteCallback>();
  private readonly reads = new Map<string, PendingRead>();

  constructor(
    private config: ReplicaConfig,
    private readonly hooks: ReplicaHooks,
    private readonly trace: Trace,
  ) {
    this.id = config.id;
    this.confState = { voters: [...config.voters], learners: [] };
    this.durable = MemoryStorage.bootstrap(this.confState);
    this.boot();
  }

  /** Faults off: from now on every fsync is quick. */
  calm(): void {
    this.config.slowDiskRate = 0;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  crash(tick: number): void {
    this.up = false;
    this.pausedUntilTick = undefined;
    this.node = undefined;
    this.pendingReady = undefined;
    this.stalledUntilTick = undefined;
    this.writes.clear();
    this.reads.clear();
    this.trace.add(tick, `${this.id} crash (unpersisted state lost)`);
  }

  restart(tick: number): void {
    this.up = true;
    this.boot();
    this.trace.add(tick, `${this.id} restart at applied ${this.applied}`);
  }

  tick(tick: number): void {
    if (!this.isPaused(tick)) this.node?.tick();
  }

  isPaused(tick: number): boolean {
    return this.pausedUntilTick !== undefined && tick < this.pausedUntilTick;
  }

  step(message: Message): void {
    this.node?.step(message);
  }

  /** Proposes a write; throws ProposalDroppedError when this node cannot take it. */
  propose(op: KvOp, callback: WriteCallback): void {
    if (!this.node) throw new Error('replica is down');
    this.node.propose(encodeOp(op));
    this.writes.set(op.id, callback);
  }

  /** Starts a linearizable read; throws ReadIndexDroppedError when it cannot. */
  read(id: string, key: string, callback: ReadCallback): void {
    if (!this.node) throw new Error('replica is down');
    this.node.readIndex(textEncoder.encode(id));
    this.reads.set(id, { key, index: undefined, callback });
  }

  forget(id: string): void {
    this.writes.delete(id);
    this.reads.delete(id);
  }

  /** Handles at most one Ready (or finishes a slow one); returns whether anything happened. */
  processReady(tick: number): boolean {
    const node = this.node;
    if (!node || this.isPaused(tick)) return false;
    if (this.pendingReady) {
      if (this.stalledUntilTick !== undefined && tick < this.stalledUntilTick) return false;
      this.finish(node, this.pendingReady, tick);
      return true;
    }
    if (!node.hasReady()) return false;
    const ready = node.ready();
    if (ready.softState) this.hooks.role(this.id, node.status().term, ready.softState.role, tick);
    if (ready.softState?.role === 'leader' && !ready.snapshot) {
      this.reportLeaderLog(ready, node.status().term);
    }
    for (const message of ready.messages)
      if (canSendBeforePersist(message)) this.hooks.send(message);
    const slow = ready.mustSync && this.config.rng.nextFloat() < this.config.slowDiskRate;
    this.pendingReady = ready;
    this.stalledUntilTick = slow
      ? tick + 1 + this.config.rng.nextInt(this.config.slowDiskTicksMax)
      : undefined;
    if (!slow) this.finish(node, ready, tick);
    return true;
  }

  private reportLeaderLog(ready: Ready, term: number): void {
    const appended = new Map(ready.entries.map((entry) => [entry.index, entry.term]));
    const firstAppended = ready.entries[0]?.index ?? Number.POSITIVE_INFINITY;
    const termAt = (index: number): number | undefined => {
      if (index >= firstAppended) return appended.get(index);
      if (index > this.durable.lastIndex()) return undefined;
      return this.durable.term(index);
    };
    this.hooks.becameLeader(this.id, term, termAt, this.durable.firstIndex());
  }

  private boot(): void {
    const snapshot = this.durable.snapshot();
    this.kv = KvMachine.restore(snapshot.data);
    this.applied = snapshot.metadata.index;
    this.appliedSinceSnapshot = 0;
    this.node = new RawNode({
      id: this.id,
      storage: this.durable,
      rng: this.config.rng,
      electionTimeoutTicks: this.config.electionTimeoutTicks,
      heartbeatIntervalTicks: this.config.heartbeatIntervalTicks,
      appliedIndex: this.applied,
      appendBytesMax: this.config.appendBytesMax,
      inflightMessagesMax: this.config.inflightMessagesMax,
      commitBroadcast: this.config.commitBroadcast,
      testingFaults: this.config.faults,
    });
  }

  private finish(node: RawNode, ready: Ready, tick: number): void {
    this.pendingReady = undefined;
    this.stalledUntilTick = undefined;
    if (ready.snapshot) this.durable.applySnapshot(ready.snapshot);
    this.durable.append(ready.entries);
    if (ready.hardState) this.durable.setHardState(ready.hardState);
    if (ready.entries.length > 0) this.hooks.persisted(this.id, ready.entries);
    for (const message of ready.messages)
      if (!canSendBeforePersist(message)) this.hooks.send(message);
    if (ready.snapshot) this.loadSnapshot(ready.snapshot.data, ready.snapshot.metadata.index, tick);
    for (const entry of ready.committedEntries) this.apply(entry, tick);
    for (const readState of ready.readStates) this.noteReadIndex(readState);
    this.serveReads();
    node.advance(ready);
    this.maybeSnapshot(tick);
  }

  private loadSnapshot(data: Uint8Array, index: number, tick: number): void {
    this.kv = KvMachine.restore(data);
    this.applied = index;
    this.trace.add(tick, `${this.id} installed snapshot at ${index}`);
  }

  private apply(entry: Entry, tick: number): void {
    if (entry.index <= this.applied) return;
    this.applied = entry.index;
    this.appliedSinceSnapshot++;
    this.hooks.applied(this.id, entry, this.node?.status().term ?? 0);
    if (entry.type !== 'normal' || entry.data.length === 0) return;
    const op = decodeOp(entry.data);
    const result = this.kv.apply(op);
    this.trace.add(
      tick,
      `${this.id} apply ${entry.index}/${entry.term} ${op.id} ${op.f} ${op.key} -> ${JSON.stringify(result)}`,
    );
    const callback = this.writes.get(op.id);
    this.writes.delete(op.id);
    callback?.(result);
  }

  private noteReadIndex(readState: ReadState): void {
    const id = textDecoder.decode(readState.ctx);
    const pending = this.reads.get(id);
    if (pending) pending.index = readState.index;
  }

  private serveReads(): void {
    for (const [id, pending] of this.reads) {
      if (pending.index === undefined || pending.index > this.applied) continue;
      this.reads.delete(id);
      pending.callback(this.kv.read(pending.key));
    }
  }

  private maybeSnapshot(tick: number): void {
    if (this.appliedSinceSnapshot < this.config.snapshotEveryEntries) return;
    if (this.applied <= this.durable.snapshot().metadata.index) return;
    if (this.applied > this.durable.lastIndex()) return;
    this.durable.createSnapshot(this.applied, this.confState, this.kv.snapshot());
    // Keep a few entries behind the snapshot so a slightly lagging follower needs no snapshot.
    this.durable.compact(Math.max(this.durable.firstIndex() - 1, this.applied - 3));
    this.appliedSinceSnapshot = 0;
    this.trace.add(tick, `${this.id} snapshot+compact at ${this.applied}`);
  }
}

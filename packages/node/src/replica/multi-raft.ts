// Drives every Raft group hosted on this node, one turn at a time (etcd's multi-raft host,
// TigerBeetle's "batch per turn"): tick all groups together, then collect every group's Ready,
// persist and apply all of them in ONE durable store transaction (group commit: one fsync per
// turn for all shards), send the outgoing messages as one batch per peer node, and only then
// answer clients and advance. Messages stepped in meanwhile wait for the next turn. What each
// turn did (commit time, batch sizes) goes to an optional observer: metrics, not prom-client here.
import type { Logger } from '@troupe/runtime';
import { assert } from '@troupe/runtime/assert';
import { canSendBeforePersist, type Message, type Ready } from '../raft/index.js';
import { type RaftBatch, RaftBatchBuilder } from './raft-wire.js';
import type { AfterCommit, Replica } from './replica.js';

/**
 * The store as the driver needs it: one transaction per call, fsynced before it returns. A
 * turn that only applies committed entries may ask for `durable: false`: its data is synced
 * but not its commit record, so an OS crash may undo that one transaction, never corrupt.
 */
export interface TurnStore {
  write<T>(fn: () => T, options?: { readonly durable: boolean }): T;
}

/** Hears what each turn did, for metrics: called on the hot path, so it must be cheap. */
export interface TurnObserver {
  /** One store transaction committed (fsync included) in `seconds`. */
  storeCommitted(durable: boolean, seconds: number): void;
  /** A turn ended: entries it appended and applied, Raft messages it sent (all groups). */
  turnFinished(entriesAppended: number, entriesApplied: number, messages: number): void;
}

export interface MultiRaftOptions {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly store: TurnStore;
  readonly logger: Logger;
  /** The meta config version this node has applied; stamped on outgoing batches. */
  configVersion(): number;
  /** Hands one batch to the transport; it must not throw for a peer that is down. */
  send(toNodeId: string, batch: RaftBatch): void;
  /** A turn could not be made durable: the process must stop (Raft tolerates the crash). */
  onFatal(error: unknown): void;
  readonly observer?: TurnObserver;
}

/** Whether handling `ready` writes anything: state to persist or entries to apply. */
function changesStore(ready: Ready): boolean {
  return (
    ready.hardState !== undefined ||
    ready.snapshot !== undefined ||
    ready.entries.length > 0 ||
    ready.committedEntries.length > 0
  );
}

export type StepResult = 'stepped' | 'unknownGroup' | 'notInConfig';

export class MultiRaft {
  private readonly replicas = new Map<string, Replica>();
  private scheduled = false;
  /** Between sending a turn's early messages and persisting it: no new turn may start. */
  private persisting = false;
  private stopped = false;
  /** Turns run so far; exported as a metric and used by tests to wait for progress. */
  turns = 0;
  /** Store transactions so far: durable ones, and apply-only ones (durable: false). */
  durableWrites = 0;
  applyOnlyWrites = 0;

  constructor(private readonly options: MultiRaftOptions) {}

  add(replica: Replica): void {
    assert(!this.replicas.has(replica.groupId), () => `group ${replica.groupId} hosted twice`);
    this.replicas.set(replica.groupId, replica);
    // Local work (a proposal, a read, a campaign) must not wait for the next tick.
    replica.onWork = () => this.schedule();
    this.schedule();
  }

  /** Stops hosting a group; its requests in flight fail. Its storage is the caller's. */
  remove(groupId: string, reason: string): void {
    const replica = this.replicas.get(groupId);
    if (replica === undefined) return;
    this.replicas.delete(groupId);
    replica.failAll(reason);
  }

  get(groupId: string): Replica | undefined {
    return this.replicas.get(groupId);
  }

  groups(): IterableIterator<Replica> {
    return this.replicas.values();
  }

  tick(): void {
    for (const replica of this.replicas.values()) replica.tick();
    this.schedule();
  }

  /**
   * Steps a peer's message. Refused (not stepped) when the group is not hosted here, or the
   * sender is not in the group's configuration: a stale member must not disturb the group.
   */
  step(groupId: string, message: Message): StepResult {
    const replica = this.replicas.get(groupId);
    if (replica === undefined) return 'unknownGroup';
    if (!replica.isInConfig(message.from)) return 'notInConfig';
    replica.step(message);
    this.schedule();
    return 'stepped';
  }

  /** Runs a turn soon (after the current I/O callbacks), once however often it is asked. */
  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(this.turn);
  }

  /** Stops turning; requests in flight fail with `reason`. */
  stop(reason: string): void {
    this.stopped = true;
    for (const replica of this.replicas.values()) replica.failAll(reason);
  }

  private readonly turn = (): void => {
    this.scheduled = false;
    if (this.stopped || this.persisting) return;
    const readies: [Replica, Ready][] = [];
    for (const replica of this.replicas.values()) {
      replica.issueReadRound();
      if (replica.hasReady()) readies.push([replica, replica.ready()]);
    }
    if (readies.length === 0) return;
    this.turns++;
    const early = (message: Message): boolean => canSendBeforePersist(message);
    if (!readies.some(([, ready]) => changesStore(ready) && ready.messages.some(early))) {
      return this.finishTurn(readies, () => true);
    }
    // A leader's appends may leave before its own fsync (the Ready contract allows it), so
    // followers persist while the leader does. The transport flushes on the next check phase,
    // which runs before ours: the appends are on the wire when the fsync starts.
    const sentEarly = this.sendAll(readies, early);
    this.persisting = true;
    setImmediate(() => {
      this.persisting = false;
      this.finishTurn(readies, (message) => !early(message), sentEarly);
    });
  };

  /** Persist, apply, send what is left, answer and advance: the rest of a turn. */
  private finishTurn(
    all: readonly [Replica, Ready][],
    sendNow: (m: Message) => boolean,
    sentEarly = 0,
  ): void {
    if (this.stopped) return;
    // A group removed meanwhile must not be written back after its data was deleted.
    const readies = all.filter(([replica]) => this.replicas.get(replica.groupId) === replica);
    const after: AfterCommit[] = [];
    // A turn of heartbeats and their answers changes nothing durable: no transaction, no fsync.
    if (readies.some(([, ready]) => changesStore(ready)) && !this.persist(readies, after)) return;
    const sent = sentEarly + this.sendAll(readies, sendNow);
    for (const run of after) run();
    for (const [replica, ready] of readies) replica.finish(ready);
    this.observeTurn(readies, sent);
    // Advancing may have released more work (the next committed entries, say).
    this.schedule();
  }

  /** Persists and applies every Ready in one transaction; false when the node must stop. */
  private persist(readies: readonly [Replica, Ready][], after: AfterCommit[]): boolean {
    // Raft needs new entries, snapshots, terms and votes on disk before anyone hears of
    // them. Applying committed entries does not: they are in a majority's logs, and an undone
    // apply is redone from the log at restart. Such turns skip lmdb's second fsync.
    const durable = readies.some(([replica, ready]) => replica.needsDurability(ready));
    if (durable) this.durableWrites++;
    else this.applyOnlyWrites++;
    const startedMs = performance.now();
    try {
      this.options.store.write(
        () => {
          for (const [replica, ready] of readies) replica.persist(ready);
          for (const [replica, ready] of readies) replica.apply(ready, after);
        },
        { durable },
      );
    } catch (error) {
      this.stopped = true;
      this.options.onFatal(error);
      return false;
    }
    this.options.observer?.storeCommitted(durable, (performance.now() - startedMs) / 1_000);
    return true;
  }

  private observeTurn(readies: readonly [Replica, Ready][], messages: number): void {
    const observer = this.options.observer;
    if (observer === undefined) return;
    let appended = 0;
    let applied = 0;
    for (const [, ready] of readies) {
      appended += ready.entries.length;
      applied += ready.committedEntries.length;
    }
    observer.turnFinished(appended, applied, messages);
  }

  /** Hands the chosen messages to the transport, one batch per peer; returns how many. */
  private sendAll(readies: readonly [Replica, Ready][], which: (m: Message) => boolean): number {
    const builder = new RaftBatchBuilder();
    let count = 0;
    for (const [replica, ready] of readies) {
      for (const message of ready.messages) {
        if (!which(message)) continue;
        builder.add(replica.groupId, message);
        count++;
      }
    }
    const header = {
      clusterId: this.options.clusterId,
      from: this.options.nodeId,
      configVersion: this.options.configVersion(),
    };
    for (const [to, batch] of builder.drain(header)) this.options.send(to, batch);
    return count;
  }
}

// One Raft node as a host drives it in tests: a RawNode over a MemoryStorage (the "disk"), and a
// tiny state machine that records applied commands. handleReady follows the Ready contract:
// persist, then hand out messages, then apply, then advance. restart() models a crash: only
// what was persisted to the storage survives.

import type { MemoryStorage } from '../../../src/raft/memory-storage.js';
import { canSendBeforePersist, type Message } from '../../../src/raft/messages.js';
import type { RaftOptions } from '../../../src/raft/options.js';
import { RawNode, type Ready } from '../../../src/raft/raw-node.js';
import type { ConfState, Entry, ReadState, Snapshot, SoftState } from '../../../src/raft/types.js';
import { bytes, text } from './builders.js';
import { fixedRng } from './rng.js';

export type TestNodeOptions = Partial<Omit<RaftOptions, 'id' | 'storage'>>;

export const defaultTestOptions = {
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 1,
  preVote: false,
  checkQuorum: false,
} as const;

/** State machine snapshots are JSON arrays of commands; anything else is kept as one blob. */
function decodeState(data: Uint8Array): string[] {
  if (data.byteLength === 0) return [];
  try {
    const parsed: unknown = JSON.parse(text(data));
    if (Array.isArray(parsed)) return parsed.map(String);
  } catch {
    // Not JSON: a test's opaque snapshot.
  }
  return [`blob:${text(data)}`];
}

export class TestNode {
  readonly id: string;
  readonly storage: MemoryStorage;
  readonly options: TestNodeOptions;
  node: RawNode;
  /** Commands applied, in order (the state machine). */
  applied: string[] = [];
  /** Every committed entry handed out for application, in order. */
  appliedEntries: Entry[] = [];
  appliedIndex = 0;
  readStates: ReadState[] = [];
  softState: SoftState | null = null;
  confStates: ConfState[] = [];
  snapshotsLoaded: Snapshot[] = [];

  constructor(id: string, storage: MemoryStorage, options: TestNodeOptions = {}) {
    this.id = id;
    this.storage = storage;
    this.options = options;
    this.node = this.open();
  }

  private open(): RawNode {
    const snapshot = this.storage.snapshot();
    this.applied = decodeState(snapshot.data);
    this.appliedIndex = snapshot.metadata.index;
    return new RawNode({
      ...defaultTestOptions,
      rng: fixedRng(),
      ...this.options,
      id: this.id,
      storage: this.storage,
    });
  }

  /** Crash and restart: everything not persisted to storage is lost. */
  restart(): void {
    this.readStates = [];
    this.node = this.open();
  }

  step(msg: Message): void {
    this.node.step(msg);
  }

  /** Handles one Ready if there is one; returns the messages to send. */
  handleReady(): Message[] {
    if (!this.node.hasReady()) return [];
    const rd = this.node.ready();
    this.persist(rd);
    const messages = [...rd.messages];
    this.apply(rd);
    this.node.advance(rd);
    return messages;
  }

  /**
   * Takes a Ready, sends only what may leave before persistence, and crashes before persisting
   * anything: the worst moment the contract allows. Returns the messages that escaped.
   */
  crashMidReady(): Message[] {
    if (!this.node.hasReady()) return [];
    const rd = this.node.ready();
    const escaped = rd.messages.filter(canSendBeforePersist);
    this.restart();
    return escaped;
  }

  /** Handles Readys until there is none; returns all messages to send. */
  drain(): Message[] {
    const out: Message[] = [];
    for (let round = 0; round < 1000 && this.node.hasReady(); round++) {
      out.push(...this.handleReady());
    }
    return out;
  }

  private persist(rd: Ready): void {
    if (rd.snapshot !== undefined) this.storage.applySnapshot(rd.snapshot);
    this.storage.append(rd.entries);
    if (rd.hardState !== undefined) this.storage.setHardState(rd.hardState);
    if (rd.softState !== undefined) this.softState = rd.softState;
  }

  private apply(rd: Ready): void {
    if (rd.snapshot !== undefined) {
      this.snapshotsLoaded.push(rd.snapshot);
      this.applied = decodeState(rd.snapshot.data);
      this.appliedIndex = rd.snapshot.metadata.index;
    }
    for (const entry of rd.committedEntries) {
      this.appliedEntries.push(entry);
      this.appliedIndex = entry.index;
      if (entry.type === 'confChange') {
        this.confStates.push(this.node.applyConfChange(entry.change));
      } else if (entry.data.byteLength > 0) {
        this.applied.push(text(entry.data));
      }
    }
    this.readStates.push(...rd.readStates);
  }

  /** Snapshot of the state machine at what it applied, and compaction up to it. */
  snapshotAndCompact(compactTo = this.appliedIndex): Snapshot {
    const cs = this.node.status().confState;
    const data = bytes(JSON.stringify(this.applied));
    const snapshot = this.storage.createSnapshot(this.appliedIndex, cs, data);
    this.storage.compact(compactTo);
    return snapshot;
  }
}

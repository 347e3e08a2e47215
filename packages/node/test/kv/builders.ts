// Small builders shared by the key-value state machine tests: commands with defaults, bytes
// from numbers, and a driver that applies commands at increasing log indexes.

import { MemoryKvStore } from '../../src/kv/memory-kv-store.js';
import { KvStateMachine, type KvStateMachineOptions } from '../../src/kv/state-machine.js';
import type { KvCommand, KvStore, KvWriteOutcome } from '../../src/kv/types.js';

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

type Extra = Partial<Omit<KvCommand, 'op' | 'key'>>;

export function update(key: string, value: Uint8Array, extra: Extra = {}): KvCommand {
  return { op: 'update', key, value, nowMs: 0, ...extra };
}

export function create(key: string, value: Uint8Array, extra: Extra = {}): KvCommand {
  return { op: 'create', key, value, nowMs: 0, ...extra };
}

export function remove(key: string, extra: Extra = {}): KvCommand {
  return { op: 'delete', key, nowMs: 0, ...extra };
}

/** A machine over a fresh memory store, applying at indexes 1, 2, 3... unless told one. */
export class Shard {
  readonly store: KvStore;
  machine: KvStateMachine;
  index = 0;

  constructor(
    readonly options: KvStateMachineOptions = {},
    store: KvStore = new MemoryKvStore(),
  ) {
    this.store = store;
    this.machine = new KvStateMachine(options);
  }

  /** Applies at the next index (or at `index`, which must be ahead). */
  apply(command: KvCommand, index = this.index + 1): KvWriteOutcome {
    this.index = index;
    return this.machine.apply(index, command, this.store);
  }

  read(key: string): { value: Uint8Array | null; version: number } {
    const { value, version } = this.machine.read(key, this.store);
    return { value, version };
  }

  /** A new machine object over the same store, as after a process restart. */
  restart(): void {
    this.machine = new KvStateMachine(this.options);
  }
}

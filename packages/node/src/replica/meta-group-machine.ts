// The meta group's state machine as a replica sees it: the cluster configuration (members,
// zones, shard placement, config version) kept as one record in the group's slice of the node
// store, so it commits with the applied index and travels in snapshots like any shard's data.
import { assert } from '@troupe/runtime/assert';
import { MemoryKvStore } from '../kv/memory-kv-store.js';
import { encodeKvSnapshot, restoreKvSnapshot } from '../kv/snapshot.js';
import { kvStateHash } from '../kv/state-hash.js';
import type { KvStore } from '../kv/types.js';
import { decodeMetaCommand, decodeMetaState, encodeMetaState } from '../meta/meta-codec.js';
import { applyMetaCommand, type MetaReply, type MetaState } from '../meta/meta-state.js';
import type { GroupMachine } from './group-machine.js';

/** The key under which the meta group keeps its state. */
const stateKey = 'meta/state';

/** The snapshot a founding meta member bootstraps from: the initial state at version 1. */
export function metaBootstrapData(state: MetaState): Uint8Array {
  const store = new MemoryKvStore();
  store.put(stateKey, { value: encodeMetaState(state), version: 1 });
  return encodeKvSnapshot(store);
}

export class MetaGroupMachine implements GroupMachine {
  private current: MetaState | null = null;

  constructor(
    private readonly store: KvStore,
    /** Called after every change (apply or snapshot restore) with the new state. */
    private readonly onChange: (state: MetaState) => void,
  ) {}

  /** The state as of the applied index; null before the group's bootstrap snapshot loaded. */
  state(): MetaState | null {
    if (this.current === null) {
      const record = this.store.get(stateKey);
      this.current = record === undefined ? null : decodeMetaState(record.value);
    }
    return this.current;
  }

  apply(index: number, command: Uint8Array): MetaReply {
    const state = this.state();
    assert(state !== null, 'meta group applied a command before its bootstrap');
    const { state: next, reply } = applyMetaCommand(state, decodeMetaCommand(command));
    if (next !== state) {
      this.store.put(stateKey, { value: encodeMetaState(next), version: index });
      this.current = next;
      this.onChange(next);
    }
    return reply;
  }

  snapshotData(): Uint8Array {
    return encodeKvSnapshot(this.store);
  }

  restore(data: Uint8Array): void {
    restoreKvSnapshot(data, this.store);
    this.current = null;
    const state = this.state();
    if (state !== null) this.onChange(state);
  }

  stateHash(): string {
    return kvStateHash(this.store);
  }
}

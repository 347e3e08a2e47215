// A shard's state machine as a replica sees it: the key-value machine over the shard's slice
// of the node store. Reads and writes go through the same KvStore, so an apply lands in the
// turn's transaction together with the applied index.
import type { GetReply } from '@troupe/client/protocol';
import { decodeKvCommand } from '../kv/command-codec.js';
import { encodeKvSnapshot, restoreKvSnapshot } from '../kv/snapshot.js';
import { kvStateHash } from '../kv/state-hash.js';
import type { KvStateMachine } from '../kv/state-machine.js';
import type { KvStore, KvWriteOutcome } from '../kv/types.js';
import type { GroupMachine } from './group-machine.js';

export class KvGroupMachine implements GroupMachine {
  constructor(
    private readonly machine: KvStateMachine,
    private readonly store: KvStore,
  ) {}

  apply(index: number, command: Uint8Array): KvWriteOutcome {
    return this.machine.apply(index, decodeKvCommand(command), this.store);
  }

  read(key: string): GetReply {
    return this.machine.read(key, this.store);
  }

  snapshotData(): Uint8Array {
    return encodeKvSnapshot(this.store);
  }

  restore(data: Uint8Array): void {
    restoreKvSnapshot(data, this.store);
  }

  stateHash(): string {
    return kvStateHash(this.store);
  }
}

// The in-memory adapter of the replica's storage port (the lmdb one is storage/group-store.ts):
// MemoryStorage plus the applied index and the configuration as of it.
import { MemoryStorage } from '../../src/raft/memory-storage.js';
import type { ConfState, Snapshot } from '../../src/raft/types.js';
import type { ReplicaStore } from '../../src/replica/replica.js';

export class MemoryReplicaStore extends MemoryStorage implements ReplicaStore {
  private applied = 0;
  private appliedConf: ConfState = { voters: [], learners: [] };

  static founding(voters: string[]): MemoryReplicaStore {
    const store = new MemoryReplicaStore();
    const confState = { voters: [...voters].sort(), learners: [] };
    store.applySnapshot({ metadata: { index: 1, term: 1, confState }, data: new Uint8Array() });
    store.setHardState({ term: 1, vote: null, commit: 1 });
    return store;
  }

  override applySnapshot(snapshot: Snapshot): void {
    super.applySnapshot(snapshot);
    this.setApplied(snapshot.metadata.index, snapshot.metadata.confState);
  }

  appliedIndex(): number {
    return this.applied;
  }

  setApplied(index: number, confState: ConfState): void {
    this.applied = index;
    this.appliedConf = confState;
  }

  confStateAtApplied(): ConfState {
    return this.appliedConf;
  }
}

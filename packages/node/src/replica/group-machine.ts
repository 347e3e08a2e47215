// The port between a replica and the state machine of its group (the key-value machine of a
// shard, or the meta group's configuration machine). Calls happen inside the node's store
// transaction, so what `apply` writes commits together with the applied index.

export interface GroupMachine {
  /** Applies one committed command at `index`; returns the reply for its proposer. */
  apply(index: number, command: Uint8Array): unknown;
  /** The whole state, for a Raft snapshot. */
  snapshotData(): Uint8Array;
  /** Replaces the whole state with a snapshot's. */
  restore(data: Uint8Array): void;
  /** A digest of the state, equal on replicas that applied the same entries. */
  stateHash(): string;
}

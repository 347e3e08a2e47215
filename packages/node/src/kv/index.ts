// The key-value state machine of a shard, its port to storage and the encodings of its log
// entries and snapshots: what the replica layer and the tests import.
export { decodeKvCommand, encodeKvCommand } from './command-codec.js';
export { CorruptEntryError } from './errors.js';
export * as kvMachineLimits from './limits.js';
export { compareKeys, MemoryKvStore } from './memory-kv-store.js';
export { encodeKvSnapshot, restoreKvSnapshot } from './snapshot.js';
export { kvStateHash } from './state-hash.js';
export {
  expiredSessionSeq,
  type KvMachineState,
  KvStateMachine,
  type KvStateMachineOptions,
  machineSessionId,
  readMachineState,
} from './state-machine.js';
export type { KvCommand, KvRecord, KvStore, KvWriteOutcome, SessionRecord } from './types.js';

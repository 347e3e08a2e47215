// Public surface of the Raft core: RawNode, its Ready contract and the plain data it speaks.
// Everything else under raft/ is internal; tests may import modules directly.

export type { ProposalDroppedReason, ReadIndexDroppedReason } from './errors.js';
export { ProposalDroppedError, ReadIndexDroppedError } from './errors.js';
export * as raftLimits from './limits.js';
export type { MarkSink } from './marks.js';
export { mark, recordMarks, setMarkSink } from './marks.js';
export { MemoryStorage } from './memory-storage.js';
export type * from './messages.js';
export { canSendBeforePersist, messageTypes } from './messages.js';
export type {
  CommitBroadcast,
  RaftOptions,
  RaftTestingFaults,
  ReadOnlyOption,
} from './options.js';
export { isValidNodeId, noTestingFaults } from './options.js';
export type { ProgressStatus, RaftStatus, Ready } from './raw-node.js';
export { RawNode } from './raw-node.js';
export type { RaftInitialState, RaftStorage } from './storage.js';
export type * from './types.js';
export { emptyHardState } from './types.js';

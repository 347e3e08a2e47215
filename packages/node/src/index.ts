// Public surface of @troupe/node. Today: the pure Raft core (also importable on its own as
// `@troupe/node/raft`). The node process, storage and the KV state machine follow (issue 4).
export * from './raft/index.js';

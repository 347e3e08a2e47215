// The node's embedded store over lmdb (one store.mdb per node): NodeStore opens and checks the
// data dir and runs the group-commit write; GroupStore is one Raft group's durable state.
export { DataDirError } from './errors.js';
export { GroupStore } from './group-store.js';
export type { Identity } from './identity.js';
export { formatVersion, storeFileName } from './layout.js';
export { NodeStore, type NodeStoreOptions } from './node-store.js';
export { highWaterBytes, reserveBytes, storageBytesMin } from './space.js';
export type { VerifyReport } from './verify-store.js';

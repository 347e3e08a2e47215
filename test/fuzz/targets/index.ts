// Every fuzz target, in the order reports list them. A new decoder of untrusted input gets a
// target here (docs/testing.md, "Fuzzing").
import type { FuzzTarget } from '../target.js';
import { balancerClientConnection, clientReplies, nodeHeartbeat } from './client-protocol.js';
import { cleanupClusterScratch, clusterFile } from './cluster-file.js';
import { nodeCodecTargets } from './node-codecs.js';
import { raftBatch } from './raft-batch.js';
import { runtimeFrame } from './runtime-frame.js';
import { runtimeHandshake } from './runtime-handshake.js';
import { cleanupStorageScratch, lmdbMeta, storageRecord } from './storage.js';

export const fuzzTargets: readonly FuzzTarget[] = [
  runtimeFrame,
  runtimeHandshake,
  raftBatch,
  ...nodeCodecTargets,
  balancerClientConnection,
  clientReplies,
  nodeHeartbeat,
  storageRecord,
  lmdbMeta,
  clusterFile,
];

/** Removes the scratch files of the targets that read from disk. */
export function cleanupFuzzScratch(): void {
  cleanupStorageScratch();
  cleanupClusterScratch();
}

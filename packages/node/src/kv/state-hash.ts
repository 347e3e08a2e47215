// A digest of a key-value group's whole state, so tests (and operators) can check that
// replicas which applied the same log agree. Covers records and session records (the machine's
// reserved record and tombstones included): replicas that applied the same entries have equal
// session tables too. Hashes the snapshot's per-entry fields one entry at a time, so it never
// holds an encoded copy of the whole store.
import { createHash } from 'node:crypto';
import { kvPackr } from './command-codec.js';
import { recordFields, sessionFields } from './snapshot.js';
import type { KvStore } from './types.js';

/**
 * Hex SHA-256 over every record, then every session, in the store's order. Each entry is a
 * self-delimiting msgpack array and the two sections are headed by their names, so no two
 * different states give the same byte stream.
 */
export function kvStateHash(store: KvStore): string {
  const hash = createHash('sha256');
  hash.update(kvPackr.pack('records'));
  for (const [key, record] of store.records()) hash.update(kvPackr.pack(recordFields(key, record)));
  hash.update(kvPackr.pack('sessions'));
  for (const [id, session] of store.sessions()) {
    hash.update(kvPackr.pack(sessionFields(id, session)));
  }
  return hash.digest('hex');
}

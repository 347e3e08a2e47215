// Fuzz targets: what a node reads from its data dir at start. Records of store.mdb go through
// decodeRecord (checksum, then msgpack) and the typed reads of group-store.ts and
// node-store.ts (hard state, compaction point, applied, snapshot, entry, identity); the LMDB
// meta pages are parsed with plain I/O by readStoreFile before lmdb may map the file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { readStoreFile } from '../../../packages/node/src/storage/data-dir-check.js';
import { DataDirError } from '../../../packages/node/src/storage/errors.js';
import { checkIdentity } from '../../../packages/node/src/storage/identity.js';
import { entryKey, identityKey, raftKey } from '../../../packages/node/src/storage/layout.js';
import {
  asApplied,
  asCompactionPoint,
  asEntry,
  asHardState,
  asSnapshot,
} from '../../../packages/node/src/storage/raft-records.js';
import {
  canonicalKey,
  decodeRecord,
  encodeRecord,
} from '../../../packages/node/src/storage/records.js';
import { defineTarget, expectEqual, expectTypedThrow, type Sample, violation } from '../target.js';

const file = '/fuzz/store.mdb';
const expectedIdentity = { clusterId: 'fuzz-cluster', nodeId: 'n1' };
const isDataDir = (e: unknown) => e instanceof DataDirError;
const entryIndex = 7;

/** One record of each kind a node reads at start, with the key it is stored under. */
const recordKinds = {
  identity: { key: identityKey, db: 'node' as const },
  hardState: { key: raftKey('s0', 'hardState'), db: 'raft' as const },
  compacted: { key: raftKey('s0', 'compacted'), db: 'raft' as const },
  applied: { key: raftKey('s0', 'applied'), db: 'raft' as const },
  snapshot: { key: raftKey('s0', 'snapshot'), db: 'raft' as const },
  entry: { key: entryKey('s0', entryIndex), db: 'raft' as const },
};
type RecordKind = keyof typeof recordKinds;
const kindNames = Object.keys(recordKinds) as RecordKind[];

const idArb = fc.stringMatching(/^n[0-9]{1,2}$/);
const confStateArb = fc.record({
  voters: fc.uniqueArray(idArb, { maxLength: 5 }),
  learners: fc.uniqueArray(idArb, { maxLength: 2 }),
});
const recordValueArb: Record<RecordKind, fc.Arbitrary<unknown>> = {
  identity: fc.record({
    clusterId: fc.constant(expectedIdentity.clusterId),
    nodeId: fc.constant(expectedIdentity.nodeId),
    formatVersion: fc.constant(1),
    createdAtMs: fc.nat(),
  }),
  hardState: fc.record({
    term: fc.maxSafeNat(),
    vote: fc.option(idArb, { nil: null }),
    commit: fc.maxSafeNat(),
  }),
  compacted: fc.record({ index: fc.maxSafeNat(), term: fc.maxSafeNat() }),
  applied: fc.record({ index: fc.maxSafeNat(), confState: confStateArb }),
  snapshot: fc.record({
    metadata: fc.record({ index: fc.maxSafeNat(), term: fc.maxSafeNat(), confState: confStateArb }),
    data: fc.uint8Array({ maxLength: 64 }),
  }),
  entry: fc.oneof(
    fc.record({
      type: fc.constant('normal'),
      term: fc.maxSafeNat(),
      index: fc.constant(entryIndex),
      data: fc.uint8Array({ maxLength: 32 }),
    }),
    fc.record({
      type: fc.constant('confChange'),
      term: fc.maxSafeNat(),
      index: fc.constant(entryIndex),
      change: fc.record({
        type: fc.constantFrom('addVoter', 'addLearner', 'removeNode'),
        nodeId: idArb,
      }),
    }),
  ),
};

/** The reader the node applies to each kind of record. */
function readAs(kind: RecordKind, value: unknown): unknown {
  const what = `record ${kind}`;
  switch (kind) {
    case 'identity':
      return checkIdentity(file, value, expectedIdentity);
    case 'hardState':
      return asHardState(file, what, value);
    case 'compacted':
      return asCompactionPoint(file, what, value);
    case 'applied':
      return asApplied(file, what, value);
    case 'snapshot':
      return asSnapshot(file, what, value);
    case 'entry':
      return asEntry(file, what, value, entryIndex);
  }
}

/** The first byte of an input picks the record kind, so one input type covers them all. */
const valid: fc.Arbitrary<Sample> = fc.nat(kindNames.length - 1).chain((which) => {
  const kind = kindNames[which]!;
  return recordValueArb[kind].map((value): Sample => {
    const record = encodeRecord(recordKinds[kind].key, value);
    return { bytes: Uint8Array.from([which, ...record]), value };
  });
});

function kindOf(input: Uint8Array): RecordKind {
  return kindNames[(input[0] ?? 0) % kindNames.length]!;
}

/** The record with its checksum made right again, so the payload's own checks run too. */
function resealed(kind: RecordKind, record: Uint8Array): Uint8Array {
  const payload = record.subarray(Math.min(4, record.length));
  const sealed = new Uint8Array(4 + payload.length);
  const key = recordKinds[kind].key;
  new DataView(sealed.buffer).setUint32(0, crc32(payload, crc32(canonicalKey(key))));
  sealed.set(payload, 4);
  return sealed;
}

function readRecord(kind: RecordKind, record: Uint8Array): unknown {
  const { key, db } = recordKinds[kind];
  return readAs(kind, decodeRecord({ file, db }, key, record));
}

export const storageRecord = defineTarget({
  name: 'storage-record',
  entry: 'decodeRecord + asHardState/asCompactionPoint/asApplied/asSnapshot/asEntry/checkIdentity',
  codec: 'raw',
  valid,
  run(input) {
    const kind = kindOf(input);
    const record = input.subarray(1);
    expectTypedThrow(() => readRecord(kind, record), isDataDir);
    const result = expectTypedThrow(() => readRecord(kind, resealed(kind, record)), isDataDir);
    if (result.ok) checkWellFormed(kind, result.value);
  },
  roundTrip(sample) {
    const kind = kindOf(sample.bytes);
    expectEqual(readRecord(kind, sample.bytes.subarray(1)), sample.value, `record ${kind}`);
  },
});

const isIds = (v: unknown) => Array.isArray(v) && v.every((id) => typeof id === 'string');
function isConfState(v: unknown): boolean {
  const c = v as { voters?: unknown; learners?: unknown };
  return isIds(c.voters) && isIds(c.learners);
}

/** What an accepted record must be for the code that uses it to be safe. */
function checkWellFormed(kind: RecordKind, value: unknown): void {
  const v = value as Record<string, unknown>;
  const bad = (what: string) => violation(`accepted ${kind} record with ${what}`);
  if (kind === 'applied' && !isConfState(v.confState)) bad('a malformed confState');
  if (kind === 'snapshot') {
    const m = v.metadata as Record<string, unknown>;
    if (!isConfState(m.confState)) bad('a malformed confState');
  }
  if (kind === 'entry' && v.type === 'confChange') {
    const change = v.change as Record<string, unknown>;
    if (!['addVoter', 'addLearner', 'removeNode'].includes(change.type as string)) {
      bad('an unknown conf change type');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// LMDB meta pages (data-dir-check.ts), as the dumps of lmdb-js 3.5.6 lay them out.

const pageSize = 4_096;

function metaPage(pageNumber: number, txnId: number, lastPage: number): Buffer {
  const page = Buffer.alloc(pageSize);
  page.writeBigUInt64LE(BigInt(pageNumber), 0);
  page.writeBigUInt64LE(BigInt(txnId), 8);
  page.writeUInt16LE(0x08, 18);
  page.writeUInt32LE(0xbeefc0de, 24);
  page.writeUInt32LE(2, 28);
  page.writeBigUInt64LE(10_485_760n, 40);
  page.writeUInt32LE(pageSize, 48);
  page.writeBigUInt64LE(0xffffffffffffffffn, 48 + 40);
  page.writeBigUInt64LE(BigInt(Math.min(3, lastPage)), 96 + 40);
  page.writeBigUInt64LE(BigInt(lastPage), 144);
  page.writeBigUInt64LE(BigInt(txnId), 152);
  return page;
}

let scratchDir: string | null = null;
function scratchFile(): string {
  scratchDir ??= mkdtempSync(join(tmpdir(), 'troupe-fuzz-lmdb-'));
  return join(scratchDir, 'store.mdb');
}

/** Removes the scratch dir the file targets write into. */
export function cleanupStorageScratch(): void {
  if (scratchDir !== null) rmSync(scratchDir, { recursive: true, force: true });
  scratchDir = null;
}

export const lmdbMeta = defineTarget({
  name: 'lmdb-meta',
  entry: 'readStoreFile (data-dir-check.ts, before lmdb maps store.mdb)',
  codec: 'raw',
  valid: fc
    .record({
      txn: fc.tuple(fc.nat(1_000), fc.nat(1_000)),
      lastPage: fc.integer({ min: 3, max: 40 }),
    })
    .map(({ txn, lastPage }): Sample => {
      const bytes = Buffer.concat([metaPage(0, txn[0], lastPage), metaPage(1, txn[1], lastPage)]);
      const newer = Math.max(txn[0], txn[1]);
      return { bytes: Uint8Array.from(bytes), value: { txnId: newer, lastPageNumber: lastPage } };
    }),
  run(input) {
    const path = scratchFile();
    writeFileSync(path, input);
    const result = expectTypedThrow(() => readStoreFile(path), isDataDir);
    if (!result.ok) return;
    const { meta, neededBytes } = result.value;
    if (!Number.isSafeInteger(neededBytes) || neededBytes <= 0) violation(`needs ${neededBytes}`);
    if (meta.roots.some((root) => root > meta.lastPageNumber)) violation('root past last page');
  },
  roundTrip(sample) {
    const path = scratchFile();
    writeFileSync(path, sample.bytes);
    const { meta } = readStoreFile(path);
    expectEqual({ txnId: meta.txnId, lastPageNumber: meta.lastPageNumber }, sample.value, 'meta');
  },
});

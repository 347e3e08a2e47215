// Checks on a data dir before lmdb may map it: is it new, or does it hold a store.mdb whose
// meta pages are sound? lmdb trusts its file: a missing page in a truncated file is a SIGBUS
// and a corrupt page can be a SIGSEGV, so these checks read the file with plain I/O.
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirError } from './errors.js';
import { storeFileName } from './layout.js';

/**
 * Found in a fresh file system's root, or left by a process that died before creating its
 * store (data-dir-lock.ts); says nothing about a store.
 */
const ignoredNames = new Set(['lost+found', 'LOCK']);

/**
 * `fresh`: the dir is missing or empty (created now). `existing`: it holds store.mdb. A dir
 * holding other files but no store.mdb is refused: its store was lost or moved, and a node
 * that forgot its votes must not rejoin under the same id.
 */
export function inspectDataDir(dataDir: string): 'fresh' | 'existing' {
  mkdirSync(dataDir, { recursive: true });
  const names = readdirSync(dataDir)
    .filter((name) => !ignoredNames.has(name) && !name.startsWith('LOCK.'))
    .sort();
  if (names.length === 0) return 'fresh';
  if (names.includes(storeFileName)) return 'existing';
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ', ...' : '');
  throw new DataDirError(join(dataDir, storeFileName), `missing, but the dir holds ${shown}`);
}

/*
 * The LMDB meta pages, as found by dumping fresh environments of lmdb-js 3.5.6 (its LMDB fork,
 * data format version 2, 64-bit) and reading its mdb.c. Pages 0 and 1 are meta pages, at
 * offsets 0 and pageSize; a commit writes the one with the older txn id. All little-endian:
 *
 *   page header (24 bytes): pgno u64 @0, txnid u64 @8, pad u16 @16, flags u16 @18
 *     (P_META = 0x08), lower/upper u32 @20
 *   MDB_meta @24: magic u32 @24 = 0xBEEFC0DE, version u32 @28 (low 16 bits = 2),
 *     address u64 @32, mapsize u64 @40,
 *     free-list db @48 (its pad u32 @48 is the page size, its flags u16 @52 the env flags),
 *     main db @96 (each db: pad u32, flags u16, depth u16, branch, leaf and overflow page
 *     counts u64, entry count u64 @+32, root page u64 @+40; no root = 2^64 - 1),
 *     last used page number u64 @144, txn id u64 @152.
 *
 * A fresh env with one write has last page 40 and a 41-page file. The newer meta (higher txn
 * id) is the one lmdb uses. The file may be a few pages shorter than (last page + 1) x page
 * size: LMDB does not write "loose" pages (dirtied, then freed in the same transaction), and
 * such a page at the tail leaves the file short (measured: 6 commits of 3,000 in a churn test,
 * 1 page each). Those pages are free, so lmdb never reads them; whether a short file lost
 * pages that are in use is for the verification scan (verify-store.ts) to find out.
 */
const metaBytes = 168;
const metaMagic = 0xbeefc0de;
const dataVersion = 2;
const metaPageFlag = 0x08;
const pageBytesMin = 512;
const pageBytesMax = 65536;
const noPage = 0xffffffffffffffffn;

export interface LmdbMeta {
  readonly pageSize: number;
  readonly txnId: number;
  readonly lastPageNumber: number;
  readonly mapSizeBytes: number;
  /** Root pages of the main db (which holds the named dbs) and the free-list db. */
  readonly roots: readonly number[];
}

/** What the newer meta page says, plus the file's size; refuses a file lmdb could not read. */
export interface StoreFileFacts {
  readonly meta: LmdbMeta;
  readonly fileBytes: number;
  /** (last page + 1) x page size. */
  readonly neededBytes: number;
}

export function readStoreFile(file: string): StoreFileFacts {
  const fd = openSync(file, 'r');
  try {
    const fileBytes = fstatSync(fd).size;
    const first = parseMeta(file, readAt(fd, 0, metaBytes), 0);
    const second = parseMeta(file, readAt(fd, first.pageSize, metaBytes), 1);
    if (second.pageSize !== first.pageSize) {
      refuse(file, `meta pages disagree on the page size (${first.pageSize}, ${second.pageSize})`);
    }
    const meta = second.txnId > first.txnId ? second : first;
    const neededBytes = (meta.lastPageNumber + 1) * meta.pageSize;
    return { meta, fileBytes, neededBytes };
  } finally {
    closeSync(fd);
  }
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, read);
}

function refuse(file: string, problem: string): never {
  throw new DataDirError(file, problem);
}

/** Parses meta page `pageNumber` from its first bytes; refuses anything lmdb would misread. */
function parseMeta(file: string, page: Buffer, pageNumber: number): LmdbMeta {
  const what = `meta page ${pageNumber}`;
  if (page.byteLength < metaBytes) refuse(file, `${what} unreadable: the file is too short`);
  if (page.readBigUInt64LE(0) !== BigInt(pageNumber)) refuse(file, `${what}: wrong page number`);
  if ((page.readUInt16LE(18) & metaPageFlag) === 0) refuse(file, `${what}: not a meta page`);
  if (page.readUInt32LE(24) !== metaMagic) refuse(file, `${what}: bad magic (not an lmdb file)`);
  const version = page.readUInt32LE(28) & 0xffff;
  if (version !== dataVersion) refuse(file, `${what}: lmdb data version ${version} unknown`);
  const pageSize = page.readUInt32LE(48);
  const sizeOk = pageSize >= pageBytesMin && pageSize <= pageBytesMax;
  if (!sizeOk || (pageSize & (pageSize - 1)) !== 0) refuse(file, `${what}: page size ${pageSize}`);
  const lastPage = page.readBigUInt64LE(144);
  const roots = [page.readBigUInt64LE(96 + 40), page.readBigUInt64LE(48 + 40)];
  for (const root of roots) {
    if (root !== noPage && root > lastPage) refuse(file, `${what}: root page beyond last page`);
  }
  if (lastPage < 1n || lastPage > BigInt(Number.MAX_SAFE_INTEGER) / BigInt(pageSize)) {
    refuse(file, `${what}: last page number ${lastPage} out of range`);
  }
  return {
    pageSize,
    txnId: Number(page.readBigUInt64LE(152)),
    lastPageNumber: Number(lastPage),
    mapSizeBytes: Number(page.readBigUInt64LE(40)),
    roots: roots.filter((root) => root !== noPage).map(Number),
  };
}

// The lmdb environment of one node: opens store.mdb and its named databases, reads and writes
// checksummed records, and runs the single durable transaction of a write (the node's group
// commit). It also enforces the quota, which lmdb-js itself does not: its LMDB fork grows the
// map (doubling it) when a transaction outgrows it, instead of failing with MDB_MAP_FULL
// (measured: from a 1 MiB map the file reached 10 GiB before the test was stopped). So a
// transaction that grows the map is rolled back with StorageFullError, and the environment is
// reopened to set the map back to the quota.
import { assert } from '@troupe/runtime/assert';
import { type Database, type Key, open, type RootDatabase } from 'lmdb';
import { type DbName, dbNames, type RecordKey } from './layout.js';
import { decodeRecord, encodeRecord, type RecordSite } from './records.js';
import { isFullError, storageFullError } from './space.js';

/** Something holding state staged in the current transaction (a cache), told how it ended. */
export interface TxnParticipant {
  /** Called inside the transaction after the caller's function: write what was deferred. */
  flushTxn?(): void;
  commitTxn(): void;
  abortTxn(): void;
}

/** A key range [start, end), optionally reversed (then start is the high end). */
export interface RangeQuery {
  readonly start?: RecordKey;
  readonly end?: RecordKey;
  readonly exclusiveStart?: boolean;
  readonly reverse?: boolean;
  readonly limit?: number;
}

export interface EnvStats {
  readonly pageSize: number;
  readonly lastPageNumber: number;
  readonly mapSizeBytes: number;
  /** Pages that hold data: both meta pages and every B-tree's pages (free pages excluded). */
  readonly livePages: number;
}

type Store = Database<Buffer, Key>;

interface Handles {
  readonly root: RootDatabase<Buffer, Key>;
  readonly dbs: ReadonlyMap<DbName, Store>;
}

// lmdb-js's transactionSync flags: its default (3, an abortable write transaction), and the
// same with LMDB's MDB_NOMETASYNC (0x40000, passed on to mdb_txn_begin): the data pages are
// fsynced, the meta page is written but not fsynced — the next durable commit's fsync covers
// it. A crash may undo that last transaction; the database stays consistent (LMDB's
// documented guarantee), unlike MDB_NOSYNC, which may corrupt it. Measured here: 470 vs
// 290 us per commit.
const durableTxnFlags = 3;
const metaUnsyncedTxnFlags = 3 | 0x40000;

/** Thrown inside a transaction whose writes grew lmdb's map past the quota: rolls it back. */
class MapGrewError extends Error {}

function openHandles(file: string, mapSizeBytes: number): Handles {
  const root = open<Buffer, Key>({
    path: file,
    compression: false,
    mapSize: mapSizeBytes,
    // Classic LMDB commits (pages, fsync, meta page, fsync) and two meta pages: lmdb-js's
    // overlapping sync was no faster here (measured 2,000 vs 2,100 commits/s).
    overlappingSync: false,
    maxDbs: dbNames.length + 2,
  });
  const dbs = new Map<DbName, Store>();
  for (const name of dbNames) {
    dbs.set(
      name,
      root.openDB<Buffer, Key>(name, { encoding: 'binary', keyEncoding: 'ordered-binary' }),
    );
  }
  return { root, dbs };
}

function lmdbKey(key: RecordKey): Key {
  return key as (string | number)[];
}

function recordKey(key: Key): RecordKey {
  if (Array.isArray(key)) return key as RecordKey;
  assert(typeof key === 'string' || typeof key === 'number', 'record keys are arrays');
  return [key];
}

function pagesOf(stats: unknown): number {
  const tree = stats as {
    treeBranchPageCount: number;
    treeLeafPageCount: number;
    overflowPages: number;
  };
  return tree.treeBranchPageCount + tree.treeLeafPageCount + tree.overflowPages;
}

export class StoreEnv {
  /** Absolute path of store.mdb. */
  readonly file: string;
  /** The quota, and the map size the environment is (re)opened with. */
  readonly storageBytesMax: number;
  private handles: Handles;
  private writing = false;
  private readonly participants = new Set<TxnParticipant>();
  /** Times the environment was reopened to reset a grown map (for tests and metrics). */
  reopenCount = 0;

  constructor(file: string, storageBytesMax: number) {
    this.file = file;
    this.storageBytesMax = storageBytesMax;
    this.handles = openHandles(file, storageBytesMax);
  }

  /** Whether a write transaction is running (writes are only valid then). */
  get inWrite(): boolean {
    return this.writing;
  }

  assertWriting(what: string): void {
    assert(this.writing, () => `${what} outside NodeStore.write`);
  }

  /** Registers a participant for the current transaction's commit or abort. */
  enlist(participant: TxnParticipant): void {
    this.assertWriting('staging state');
    this.participants.add(participant);
  }

  private db(name: DbName): Store {
    const db = this.handles.dbs.get(name);
    assert(db !== undefined, () => `no database ${name}`);
    return db;
  }

  private site(db: DbName): RecordSite {
    return { file: this.file, db };
  }

  get(db: DbName, key: RecordKey): unknown {
    const bytes = this.db(db).get(lmdbKey(key));
    return bytes === undefined ? undefined : decodeRecord(this.site(db), key, bytes);
  }

  has(db: DbName, key: RecordKey): boolean {
    return this.db(db).doesExist(lmdbKey(key));
  }

  put(db: DbName, key: RecordKey, value: unknown): void {
    this.assertWriting(`put ${db}`);
    this.db(db).putSync(lmdbKey(key), encodeRecord(key, value));
  }

  /** Removes a record; returns whether it existed. */
  remove(db: DbName, key: RecordKey): boolean {
    this.assertWriting(`remove ${db}`);
    return this.db(db).removeSync(lmdbKey(key));
  }

  /** Records in a key range, checked and decoded lazily. */
  *range(db: DbName, query: RangeQuery): Generator<[RecordKey, unknown]> {
    const site = this.site(db);
    const options = { ...query, start: query.start && lmdbKey(query.start) };
    const range = this.db(db).getRange({ ...options, end: query.end && lmdbKey(query.end) });
    for (const { key, value } of range) {
      const stored = recordKey(key);
      yield [stored, decodeRecord(site, stored, value)];
    }
  }

  /** Keys in a key range, without reading values. */
  keys(db: DbName, query: RangeQuery): RecordKey[] {
    const options = { ...query, start: query.start && lmdbKey(query.start) };
    const keys = this.db(db).getKeys({ ...options, end: query.end && lmdbKey(query.end) });
    return Array.from(keys, recordKey);
  }

  /** Whether no named database holds a record. */
  isEmpty(): boolean {
    return dbNames.every((name) => this.keys(name, { limit: 1 }).length === 0);
  }

  /**
   * Runs `fn` in one transaction, durable (fsync of data and commit record) unless `durable`
   * is false (see metaUnsyncedTxnFlags). If `fn` throws, or the commit fails, nothing it wrote
   * happened. A full map or disk becomes StorageFullError.
   */
  write<T>(fn: () => T, durable = true): T {
    assert(!this.writing, 'NodeStore.write does not nest');
    const mapBefore = this.mapSizeBytes();
    this.writing = true;
    let result: T;
    try {
      result = this.handles.root.transactionSync(
        () => this.runWithinQuota(fn, mapBefore),
        durable ? durableTxnFlags : metaUnsyncedTxnFlags,
      );
    } catch (error) {
      this.endTxn(false);
      this.resetMapIfGrown(mapBefore);
      throw this.translate(error);
    }
    this.endTxn(true);
    // The commit itself may grow the map (pages for lmdb's free list). The data is committed;
    // the reset holds the next write to the quota again (at most a few pages over, measured).
    this.resetMapIfGrown(mapBefore);
    return result;
  }

  private runWithinQuota<T>(fn: () => T, mapBefore: number): T {
    const result = fn();
    assert(!(result instanceof Promise), 'a write must be synchronous');
    for (const participant of [...this.participants]) participant.flushTxn?.();
    if (this.mapSizeBytes() > mapBefore) throw new MapGrewError('lmdb grew its map');
    return result;
  }

  private endTxn(committed: boolean): void {
    this.writing = false;
    const participants = [...this.participants];
    this.participants.clear();
    for (const participant of participants) {
      if (committed) participant.commitTxn();
      else participant.abortTxn();
    }
  }

  private translate(error: unknown): unknown {
    if (error instanceof MapGrewError) return storageFullError(this.storageBytesMax);
    return isFullError(error) ? storageFullError(this.storageBytesMax, error) : error;
  }

  private mapSizeBytes(): number {
    // Asked three times per write: root.getStats() also walks every database's and the free
    // list's stats (4% of a node's CPU under write load, profiled), so ask mdb_env_info alone
    // through lmdb-js's environment handle when it has one.
    const env = (this.handles.root as { env?: { info?(): { mapSize: number } } }).env;
    if (typeof env?.info === 'function') return env.info().mapSize;
    return (this.handles.root.getStats() as { mapSize: number }).mapSize;
  }

  /** Reopens the environment so that its map is the quota again (lmdb rounds up to the file). */
  private resetMapIfGrown(mapBefore: number): void {
    if (this.mapSizeBytes() <= mapBefore) return;
    const closing = this.handles.root;
    void closing.close();
    assert((closing as { status?: string }).status === 'closed', 'lmdb closes synchronously');
    this.handles = openHandles(this.file, this.storageBytesMax);
    this.reopenCount++;
  }

  stats(): EnvStats {
    const stats = this.handles.root.getStats() as {
      pageSize: number;
      lastPageNumber: number;
      mapSize: number;
      root: unknown;
      free: unknown;
    };
    let livePages = 2 + pagesOf(stats.root) + pagesOf(stats.free);
    for (const name of dbNames) livePages += pagesOf(this.db(name).getStats());
    return {
      pageSize: stats.pageSize,
      lastPageNumber: stats.lastPageNumber,
      mapSizeBytes: stats.mapSize,
      livePages,
    };
  }

  async close(): Promise<void> {
    assert(!this.writing, 'close during a write');
    await this.handles.root.close();
  }
}

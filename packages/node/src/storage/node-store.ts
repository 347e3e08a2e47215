// The node's embedded store: one lmdb environment at <dataDir>/store.mdb holding every group's
// Raft state and key-value state, opened only after the data dir proved to be this node's and
// sound (identity, meta pages, a checksum scan of every record). `write` is the node's group
// commit: all shards' Ready persistence and applies of one event-loop turn in one fsync.
import { join, resolve } from 'node:path';
import type { Logger } from '@troupe/runtime';
import { assert } from '@troupe/runtime/assert';
import { inspectDataDir, readStoreFile } from './data-dir-check.js';
import { lockDataDir } from './data-dir-lock.js';
import { DataDirError } from './errors.js';
import { GroupStore } from './group-store.js';
import { checkIdentity, type Identity, newIdentity } from './identity.js';
import { groupRange, identityKey, isGroupId, type RecordKey, storeFileName } from './layout.js';
import { highWaterBytes, storageBytesMin } from './space.js';
import { type EnvStats, StoreEnv } from './store-env.js';
import { type VerifyReport, verifyStore } from './verify-store.js';

export interface NodeStoreOptions {
  readonly dataDir: string;
  readonly clusterId: string;
  readonly nodeId: string;
  /** The quota for store.mdb; client writes stop at highWaterBytes (space.ts), below it. */
  readonly storageBytesMax: number;
  readonly logger?: Logger;
}

/**
 * A file this many pages shorter than its meta page says is truncated, full stop. Fewer missing
 * pages may all be free "loose" pages that LMDB never wrote (data-dir-check.ts: measured 1).
 */
const looseTailPagesMax = 256;

/**
 * Refuses an existing store.mdb that lmdb could not safely map, then reads every record in a
 * child process. A file a little short of its meta page is left to the scan: it finds out
 * whether any missing page is in use (the child dies of SIGBUS reading it).
 */
function checkExistingStore(file: string): VerifyReport {
  const { meta, fileBytes, neededBytes } = readStoreFile(file);
  const truncation = `${fileBytes} bytes, its meta page says ${neededBytes}`;
  const shortPages = Math.ceil((neededBytes - fileBytes) / meta.pageSize);
  const rootMissing = meta.roots.some((root) => (root + 1) * meta.pageSize > fileBytes);
  if (shortPages > looseTailPagesMax || rootMissing) {
    throw new DataDirError(file, `truncated (${truncation})`);
  }
  return verifyStore(file, shortPages > 0 ? truncation : null);
}

/** Reads (or on a new store, writes) the identity record; refuses another node's store. */
function establishIdentity(env: StoreEnv, options: NodeStoreOptions): Identity {
  const stored = env.get('node', identityKey);
  if (stored !== undefined) return checkIdentity(env.file, stored, options);
  // A node that crashed while creating its store leaves it empty: that is still a new store.
  if (!env.isEmpty()) throw new DataDirError(env.file, 'no identity record, yet it holds data');
  const identity = newIdentity(options, Date.now());
  env.write(() => env.put('node', identityKey, identity));
  return identity;
}

export class NodeStore {
  /** Whose store this is (checked against the options at every open). */
  readonly identity: Identity;
  /** Absolute path of store.mdb. */
  readonly file: string;
  readonly storageBytesMax: number;
  /** Above this many used bytes writesAllowed() is false. */
  readonly highWaterBytes: number;
  /** The startup scan's findings (null for a store created by this open). */
  readonly verified: VerifyReport | null;
  private readonly env: StoreEnv;
  private readonly groups = new Map<string, GroupStore>();
  private stats: EnvStats | null = null;
  private closed = false;

  private constructor(
    env: StoreEnv,
    identity: Identity,
    verified: VerifyReport | null,
    private readonly unlock: () => void,
  ) {
    this.env = env;
    this.file = env.file;
    this.identity = identity;
    this.verified = verified;
    this.storageBytesMax = env.storageBytesMax;
    this.highWaterBytes = highWaterBytes(env.storageBytesMax);
  }

  /**
   * Opens (or creates) the store of `dataDir`, synchronously: the verification scan runs in a
   * child process and blocks until it is done. Throws DataDirError if the dir is not this
   * node's or is damaged.
   */
  static open(options: NodeStoreOptions): NodeStore {
    assert(
      options.storageBytesMax >= storageBytesMin,
      () => `storageBytesMax ${options.storageBytesMax} below ${storageBytesMin}`,
    );
    const dataDir = resolve(options.dataDir);
    const file = join(dataDir, storeFileName);
    const existing = inspectDataDir(dataDir) === 'existing';
    const unlock = lockDataDir(dataDir);
    let env: StoreEnv | null = null;
    try {
      const verified = existing ? checkExistingStore(file) : null;
      env = new StoreEnv(file, options.storageBytesMax);
      const store = new NodeStore(env, establishIdentity(env, options), verified, unlock);
      options.logger?.info(
        { file, verified, usedBytes: store.usedBytes(), fileBytes: store.fileBytes() },
        existing ? 'store opened' : 'store created',
      );
      return store;
    } catch (error) {
      void env?.close();
      unlock();
      throw error;
    }
  }

  /**
   * Runs `fn` in one durable transaction: everything it writes commits together, fsynced, or
   * (if it throws) none of it does. Store full: StorageFullError, with nothing written.
   */
  write<T>(fn: () => T, options: { readonly durable: boolean } = { durable: true }): T {
    assert(!this.closed, 'write after close');
    try {
      return this.env.write(fn, options.durable);
    } finally {
      this.stats = null;
    }
  }

  /** The store of one group (created empty on first use); the same object on every call. */
  group(groupId: string): GroupStore {
    assert(!this.closed, 'group after close');
    assert(isGroupId(groupId), () => `group id ${JSON.stringify(groupId)}`);
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = new GroupStore(this.env, groupId);
      this.groups.set(groupId, group);
    }
    return group;
  }

  /** Groups with stored Raft state, sorted. Skips from group to group: one seek per group. */
  groupIds(): string[] {
    const ids: string[] = [];
    let start: RecordKey | undefined;
    for (;;) {
      const [key] = this.env.keys('raft', start === undefined ? { limit: 1 } : { start, limit: 1 });
      if (key === undefined) return ids;
      const groupId = String(key[0]);
      ids.push(groupId);
      start = groupRange(groupId).end;
    }
  }

  private envStats(): EnvStats {
    this.stats ??= this.env.stats();
    return this.stats;
  }

  /**
   * Bytes holding data: the pages of every B-tree plus the two meta pages. Pages lmdb freed
   * (deleted records, compacted log) do not count: lmdb reuses them before it grows the file.
   */
  usedBytes(): number {
    const stats = this.envStats();
    return stats.livePages * stats.pageSize;
  }

  /** Size of store.mdb as lmdb sees it: (last page number + 1) x page size. */
  fileBytes(): number {
    const stats = this.envStats();
    return (stats.lastPageNumber + 1) * stats.pageSize;
  }

  /** False once usedBytes exceeds the high-water mark: refuse new client writes then. */
  writesAllowed(): boolean {
    return this.usedBytes() <= this.highWaterBytes;
  }

  /** Times lmdb's grown map was reset (space.ts, store-env.ts); for tests and metrics. */
  mapResets(): number {
    return this.env.reopenCount;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.env.close();
    this.unlock();
  }
}

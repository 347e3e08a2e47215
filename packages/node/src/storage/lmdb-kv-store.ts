// The KvStore port over lmdb: one group's records in the `kv` db and its sessions in the
// `sessions` db, each under [groupId, escaped key]. Reads and writes join the node's current
// transaction, so a state machine's apply commits together with the applied index.
import { assert } from '@troupe/runtime/assert';
import type { KvRecord, KvStore, SessionRecord } from '../kv/types.js';
import { DataDirError } from './errors.js';
import { type DbName, groupItemKey, groupRange, type RecordKey, unescapeItem } from './layout.js';
import { recordName } from './records.js';
import type { RangeQuery, StoreEnv, TxnParticipant } from './store-env.js';

/** Records fetched per step of an iteration; a write during it refetches from where it is. */
const iterationChunkRecords = 256;

type ItemDb = Extract<DbName, 'kv' | 'sessions'>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isKvRecord(value: unknown): value is KvRecord {
  return isObject(value) && value.value instanceof Uint8Array && typeof value.version === 'number';
}

function isSessionRecord(value: unknown): value is SessionRecord {
  if (!isObject(value) || typeof value.seq !== 'number') return false;
  return typeof value.lastSeenMs === 'number' && isObject(value.outcome);
}

export class LmdbKvStore implements KvStore, TxnParticipant {
  private readonly env: StoreEnv;
  private readonly groupId: string;
  /** Sessions stored, counted on first use; null until then. */
  private sessionsCommitted: number | null = null;
  private sessionsStaged: number | null = null;
  /** Bumped by every write, so an iteration in progress knows to refetch. */
  private writes = 0;

  constructor(env: StoreEnv, groupId: string) {
    this.env = env;
    this.groupId = groupId;
  }

  private decode<T>(db: ItemDb, key: RecordKey, value: unknown, ok: (v: unknown) => boolean): T {
    if (!ok(value)) {
      throw new DataDirError(
        this.env.file,
        `${recordName({ file: this.env.file, db }, key)}: malformed`,
      );
    }
    return value as T;
  }

  private read<T>(db: ItemDb, item: string, ok: (v: unknown) => boolean): T | undefined {
    const key = groupItemKey(this.groupId, item);
    const value = this.env.get(db, key);
    return value === undefined ? undefined : this.decode<T>(db, key, value, ok);
  }

  get(key: string): KvRecord | undefined {
    return this.read<KvRecord>('kv', key, isKvRecord);
  }

  put(key: string, record: KvRecord): void {
    assert(isKvRecord(record), 'a record is bytes and a version');
    this.writes++;
    this.env.put('kv', groupItemKey(this.groupId, key), record);
  }

  delete(key: string): void {
    this.env.assertWriting('kv delete');
    this.writes++;
    this.env.remove('kv', groupItemKey(this.groupId, key));
  }

  records(): Iterable<[string, KvRecord]> {
    return this.iterate<KvRecord>('kv', isKvRecord);
  }

  getSession(id: string): SessionRecord | undefined {
    return this.read<SessionRecord>('sessions', id, isSessionRecord);
  }

  putSession(id: string, session: SessionRecord): void {
    assert(isSessionRecord(session), 'a session has a seq, an outcome and a time');
    const count = this.sessionCount();
    const key = groupItemKey(this.groupId, id);
    const existed = this.env.has('sessions', key);
    this.env.put('sessions', key, session);
    this.writes++;
    if (!existed) this.stageSessions(count + 1);
  }

  deleteSession(id: string): void {
    this.env.assertWriting('session delete');
    const count = this.sessionCount();
    this.writes++;
    if (this.env.remove('sessions', groupItemKey(this.groupId, id))) this.stageSessions(count - 1);
  }

  sessions(): Iterable<[string, SessionRecord]> {
    return this.iterate<SessionRecord>('sessions', isSessionRecord);
  }

  /**
   * Counted once (always before this store's first write of a transaction, so the count is the
   * committed one), then kept up to date by the writes.
   */
  sessionCount(): number {
    if (this.sessionsStaged !== null) return this.sessionsStaged;
    this.sessionsCommitted ??= this.env.keys('sessions', groupRange(this.groupId)).length;
    return this.sessionsCommitted;
  }

  clear(): void {
    this.env.assertWriting('kv clear');
    this.sessionCount();
    const range = groupRange(this.groupId);
    for (const db of ['kv', 'sessions'] as const) {
      for (const key of this.env.keys(db, range)) this.env.remove(db, key);
    }
    this.writes++;
    this.stageSessions(0);
  }

  private stageSessions(count: number): void {
    assert(count >= 0, () => `session count ${count}`);
    if (this.sessionsStaged === null) this.env.enlist(this);
    this.sessionsStaged = count;
  }

  // TxnParticipant: called by StoreEnv.write only.

  commitTxn(): void {
    if (this.sessionsStaged !== null) this.sessionsCommitted = this.sessionsStaged;
    this.sessionsStaged = null;
  }

  abortTxn(): void {
    this.sessionsStaged = null;
  }

  /**
   * Every item of `db` in key order. Fetches a chunk at a time; a write made while the caller
   * holds the iterator (allowed, as with MemoryKvStore) makes it refetch after the last item
   * it yielded, so deleted items are not yielded. Unlike MemoryKvStore, items added after that
   * point are visited.
   */
  private *iterate<T>(db: ItemDb, ok: (v: unknown) => boolean): Generator<[string, T]> {
    const { start, end } = groupRange(this.groupId);
    let after: RecordKey | null = null;
    for (;;) {
      const writes = this.writes;
      const from: RangeQuery = after === null ? { start } : { start: after, exclusiveStart: true };
      const chunk: [RecordKey, unknown][] = [
        ...this.env.range(db, { ...from, end, limit: iterationChunkRecords }),
      ];
      for (const [key, value] of chunk) {
        if (this.writes !== writes) break;
        after = key;
        yield [unescapeItem(String(key[1])), this.decode<T>(db, key, value, ok)];
      }
      if (chunk.length < iterationChunkRecords && this.writes === writes) return;
    }
  }
}

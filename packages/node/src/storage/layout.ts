// Where everything lives in the node's lmdb environment: the file name, the named databases,
// the key of every record and the format version. One place, so that the store, the startup
// verifier (verify-child.mjs repeats dbNames) and the tests agree on the layout.

/** The lmdb data file inside the data dir; lmdb adds `store.mdb-lock` next to it. */
export const storeFileName = 'store.mdb';

/**
 * Format of the records in store.mdb. Bump it when a record changes shape; a node refuses a
 * data dir written in a version it does not know.
 */
export const formatVersion = 1;

/** The named databases. Keys are ordered-binary arrays; values are checksummed records. */
export const dbNames = ['node', 'raft', 'kv', 'sessions'] as const;
export type DbName = (typeof dbNames)[number];

/** A record key: an ordered-binary array (strings and non-negative integers). */
export type RecordKey = readonly (string | number)[];

/** `node` db: the identity record (who this data dir belongs to). */
export const identityKey: RecordKey = ['identity'];

/** `raft` db, per group: the kinds of singleton record (a group's log is under entryKind). */
export type RaftRecordKind = 'hardState' | 'applied' | 'snapshot' | 'compacted';
export const entryKind = 'entry';

export function raftKey(groupId: string, kind: RaftRecordKind): RecordKey {
  return [groupId, kind];
}

export function entryKey(groupId: string, index: number): RecordKey {
  return [groupId, entryKind, index];
}

/**
 * ordered-binary writes strings of 64 or more characters as raw UTF-8, so a character <= 4
 * in one (its escape and separator bytes) comes back split or changed (found by test). Keys and
 * session ids are therefore escaped: each of U+0000..U+0005 becomes U+0005 and a digit '0'..'5'.
 * The mapping keeps the order of code points, so records still iterate in key order.
 */
const escapeCode = 5;
const escapeChar = String.fromCharCode(escapeCode);
const digitZero = 0x30;

export function escapeItem(item: string): string {
  let escaped = '';
  let from = 0;
  for (let i = 0; i < item.length; i++) {
    const code = item.charCodeAt(i);
    if (code > escapeCode) continue;
    escaped += item.slice(from, i) + escapeChar + String.fromCharCode(digitZero + code);
    from = i + 1;
  }
  return from === 0 ? item : escaped + item.slice(from);
}

export function unescapeItem(stored: string): string {
  let item = '';
  let from = 0;
  for (let i = stored.indexOf(escapeChar); i !== -1; i = stored.indexOf(escapeChar, from)) {
    item += stored.slice(from, i) + String.fromCharCode(stored.charCodeAt(i + 1) - digitZero);
    from = i + 2;
  }
  return from === 0 ? stored : item + stored.slice(from);
}

/** `kv` db key of a record, and `sessions` db key of a session: [groupId, escaped item]. */
export function groupItemKey(groupId: string, item: string): RecordKey {
  return [groupId, escapeItem(item)];
}

/**
 * Bounds [start, end) covering every key [groupId, ...]. ordered-binary separates array
 * elements with a 0 byte and escapes characters <= 4 as (4, c), so `groupId + '\0'` encodes
 * as groupId, 4, 0: above every [groupId, ...] (groupId, 0, ...) and below any other group.
 */
export function groupRange(groupId: string): { start: RecordKey; end: RecordKey } {
  return { start: [groupId], end: [`${groupId}\u0000`] };
}

/** Group ids are short printable ASCII ('meta', 's0'..): the range trick above needs that. */
export function isGroupId(groupId: string): boolean {
  return /^[\x21-\x7e]{1,64}$/.test(groupId);
}

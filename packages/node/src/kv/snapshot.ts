// The snapshot of a key-value group: every record and every session record (the machine's
// reserved record and tombstones included, so its clock and expiry state travel too), in the
// store's order, as one msgpack array. Fields are positional and every value has one encoding,
// so equal stores give equal bytes, and state-hash.ts hashes the same per-entry fields.
// Restoring checks everything before it clears the store, so bad bytes leave it untouched.
import {
  isNat,
  isTimeMs,
  kvPackr,
  opCodes,
  opsByCode,
  ownBytes,
  unpackStored,
} from './command-codec.js';
import { CorruptEntryError } from './errors.js';
import type { KvRecord, KvStore, KvWriteOutcome, SessionRecord } from './types.js';

/** Bumped when the layout changes; a snapshot of another format is refused, not misread. */
const snapshotFormat = 1;

type FailureCode = Extract<KvWriteOutcome, { ok: false }>['code'];

const failureCodes: ReadonlySet<string> = new Set<FailureCode>([
  'TROUPE_ERR_VERSION_CONFLICT',
  'TROUPE_ERR_ALREADY_EXISTS',
  'TROUPE_ERR_SESSION_EXPIRED',
  'TROUPE_ERR_SESSION_STALE',
]);

/** A record as positional fields: key, value, version. */
export function recordFields(key: string, record: KvRecord): unknown[] {
  return [key, record.value, record.version];
}

/** A session as positional fields: id, seq, lastSeenMs, outcome. */
export function sessionFields(id: string, session: SessionRecord): unknown[] {
  return [id, session.seq, session.lastSeenMs, outcomeFields(session.outcome)];
}

/** Success: [op code, version, prevVersion]; failure: [code, message, currentVersion?]. */
function outcomeFields(outcome: KvWriteOutcome): unknown[] {
  if (outcome.ok) return [opCodes[outcome.op], outcome.version, outcome.prevVersion];
  const fields: unknown[] = [outcome.code, outcome.message];
  if (outcome.currentVersion !== undefined) fields.push(outcome.currentVersion);
  return fields;
}

/** The store's contents as snapshot bytes. */
export function encodeKvSnapshot(store: KvStore): Uint8Array {
  const records: unknown[] = [];
  for (const [key, record] of store.records()) records.push(...recordFields(key, record));
  const sessions: unknown[] = [];
  for (const [id, session] of store.sessions()) sessions.push(...sessionFields(id, session));
  // A copy of exact size: pack returns a view into msgpackr's growing buffer, about four
  // times the data, and replicas keep their latest snapshot cached.
  return Uint8Array.prototype.slice.call(kvPackr.pack([snapshotFormat, records, sessions]));
}

/** Replaces the store's contents with the snapshot's; throws CorruptEntryError on bad bytes. */
export function restoreKvSnapshot(bytes: Uint8Array, store: KvStore): void {
  const raw = unpackStored(bytes, 'kv snapshot');
  if (!Array.isArray(raw) || raw.length !== 3) throw corrupt('not an array of 3');
  const [format, records, sessions] = raw as unknown[];
  if (format !== snapshotFormat) {
    // typeof for anything but a number: String() throws on a map such as { toString: 1 }.
    const shown = typeof format === 'number' ? String(format) : typeof format;
    throw corrupt(`format ${shown} is not ${snapshotFormat}`);
  }
  const decodedRecords = decodeRecords(records);
  const decodedSessions = decodeSessions(sessions);
  store.clear();
  for (const [key, record] of decodedRecords) store.put(key, record);
  for (const [id, session] of decodedSessions) store.putSession(id, session);
}

function corrupt(message: string): CorruptEntryError {
  return new CorruptEntryError(`kv snapshot ${message}`);
}

/** `fields` as rows of `width` (a flat array of whole rows), or a CorruptEntryError. */
function rowsOf(fields: unknown, width: number, what: string): unknown[][] {
  if (!Array.isArray(fields) || fields.length % width !== 0) throw corrupt(`${what} malformed`);
  const rows: unknown[][] = [];
  for (let i = 0; i < fields.length; i += width) rows.push(fields.slice(i, i + width));
  return rows;
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function decodeRecords(fields: unknown): Array<[string, KvRecord]> {
  return rowsOf(fields, 3, 'records').map(([key, value, version]) => {
    if (!isName(key)) throw corrupt('record key malformed');
    if (!(value instanceof Uint8Array)) throw corrupt('record value is not bytes');
    if (!isNat(version)) throw corrupt('record version malformed');
    return [key, { value: ownBytes(value), version }];
  });
}

function decodeSessions(fields: unknown): Array<[string, SessionRecord]> {
  return rowsOf(fields, 4, 'sessions').map(([id, seq, lastSeenMs, outcome]) => {
    if (!isName(id)) throw corrupt('session id malformed');
    if (!isNat(seq)) throw corrupt('session seq malformed');
    if (!isTimeMs(lastSeenMs)) throw corrupt('session lastSeenMs malformed');
    return [id, { seq, lastSeenMs, outcome: decodeOutcome(outcome) }];
  });
}

function decodeOutcome(fields: unknown): KvWriteOutcome {
  if (!Array.isArray(fields)) throw corrupt('session outcome malformed');
  const [first, second, third] = fields as unknown[];
  if (typeof first === 'number') {
    const op = opsByCode[first];
    if (fields.length !== 3 || op === undefined) throw corrupt('session outcome op malformed');
    if (!isNat(second) || !isNat(third)) throw corrupt('session outcome versions malformed');
    return { ok: true, op, version: second, prevVersion: third };
  }
  if (typeof first !== 'string' || !failureCodes.has(first)) {
    throw corrupt('session outcome code malformed');
  }
  const code = first as FailureCode;
  if (typeof second !== 'string') throw corrupt('session outcome message malformed');
  if (fields.length === 2) return { ok: false, code, message: second };
  if (fields.length !== 3 || !isNat(third)) throw corrupt('session outcome currentVersion bad');
  return { ok: false, code, message: second, currentVersion: third };
}

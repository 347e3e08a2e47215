// The checksummed record codec: every value in store.mdb is [crc32 (4 bytes, big-endian) |
// msgpack payload]. The checksum also covers the record's key, so a record that a torn or
// misdirected write moved under another key fails too. Checked on every read; a mismatch is
// a DataDirError naming the file and the record. verify-child.mjs applies the same rule.
import { crc32 } from 'node:zlib';
import { assert } from '@troupe/runtime/assert';
import { Packr } from 'msgpackr';
import { DataDirError } from './errors.js';
import type { DbName, RecordKey } from './layout.js';

const packr = new Packr({ useRecords: false });
const checksumBytes = 4;

/** Where a record was read from, for the error that names it. */
export interface RecordSite {
  /** Absolute path of store.mdb. */
  readonly file: string;
  readonly db: DbName;
}

/**
 * The key as the checksum sees it: JSON of the key array. A one-element array and its element
 * encode alike in ordered-binary, so a lone element is wrapped again (the verifier does too).
 */
export function canonicalKey(key: RecordKey | string | number): string {
  return JSON.stringify(Array.isArray(key) ? key : [key]);
}

function checksumOf(key: RecordKey, payload: Uint8Array): number {
  return crc32(payload, crc32(canonicalKey(key)));
}

/** Encodes `value` as the record stored under `key`. */
export function encodeRecord(key: RecordKey, value: unknown): Buffer {
  const payload = packr.pack(value);
  const record = Buffer.allocUnsafe(checksumBytes + payload.byteLength);
  record.writeUInt32BE(checksumOf(key, payload), 0);
  record.set(payload, checksumBytes);
  assert(record.byteLength > checksumBytes, 'a record always has a payload');
  return record;
}

export function recordName(site: RecordSite, key: RecordKey): string {
  return `record ${site.db} ${canonicalKey(key)}`;
}

/**
 * Checks and decodes a record read from `site` under `key`. Byte payloads come back as plain
 * Uint8Arrays that share the memory of `record` (which lmdb handed over as a fresh copy).
 */
export function decodeRecord(site: RecordSite, key: RecordKey, record: Uint8Array): unknown {
  if (record.byteLength <= checksumBytes) {
    throw new DataDirError(site.file, `${recordName(site, key)}: ${record.byteLength} bytes`);
  }
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const stored = view.getUint32(0);
  const payloadBytes = record.byteLength - checksumBytes;
  const payload = new Uint8Array(record.buffer, record.byteOffset + checksumBytes, payloadBytes);
  const computed = checksumOf(key, payload);
  if (stored !== computed) {
    const problem = `checksum mismatch (stored ${hex(stored)}, computed ${hex(computed)})`;
    throw new DataDirError(site.file, `${recordName(site, key)}: ${problem}`);
  }
  try {
    return packr.unpack(payload);
  } catch (cause) {
    throw new DataDirError(site.file, `${recordName(site, key)}: undecodable`, { cause });
  }
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

// The startup verification scan, run in a child process by verify-store.ts. lmdb reads its
// B-tree pages unchecked: on a corrupt page it may die of SIGSEGV, SIGBUS or SIGABRT rather
// than throw (measured on a 20k-record store: 2 scans in 100 died after 1-64 random bytes were
// overwritten, 23 in 60 after a whole page was), so the one pass that reads every record runs
// where a crash costs only the child. Plain JavaScript so that bare
// `node` runs it whatever loader the parent uses. It checks the rule of records.ts: a value is
// [crc32 big-endian | payload] with crc32 = crc32(payload, crc32(JSON of the key array)).
// Checksums cannot see a record that is gone, so it also checks that each database yields as
// many records, in strictly increasing key order, as lmdb's own count (kept in the database's
// header, on another page) says: a damaged leaf or branch page loses records silently.
// Usage: node verify-child.mjs <store.mdb>; prints one JSON line; exit 0 (sound) or 3.
import { crc32 } from 'node:zlib';
import { keyValueToBuffer, open } from 'lmdb';

/** The named databases of layout.ts (dbNames). */
const dbNames = ['node', 'raft', 'kv', 'sessions'];

function canonicalKey(key) {
  return JSON.stringify(Array.isArray(key) ? key : [key]);
}

/** What is wrong with one record, or null. */
function recordProblem(canonical, value) {
  if (value.byteLength <= 4) return `${value.byteLength} bytes`;
  const stored = value.readUInt32BE(0);
  const computed = crc32(value.subarray(4), crc32(canonical));
  if (stored === computed) return null;
  const hex = (n) => `0x${n.toString(16).padStart(8, '0')}`;
  return `checksum mismatch (stored ${hex(stored)}, computed ${hex(computed)})`;
}

/** Checks every record of one database; returns [records, bytes] or a failed report. */
function scanDb(db, name) {
  let records = 0;
  let bytes = 0;
  let previous = null;
  for (const { key, value } of db.getRange({})) {
    const canonical = canonicalKey(key);
    // Compared as bytes, re-encoded: lmdb's compareKeys orders decoded strings by UTF-16 code
    // units, not as lmdb sorts them (a property test found '\uffff' vs an emoji).
    const keyBytes = keyValueToBuffer(key);
    if (previous !== null && Buffer.compare(previous, keyBytes) >= 0) {
      return { ok: false, db: name, key: canonical, problem: 'key out of order' };
    }
    const problem = recordProblem(canonical, value);
    if (problem !== null) return { ok: false, db: name, key: canonical, problem };
    previous = keyBytes;
    records++;
    bytes += value.byteLength;
  }
  const counted = db.getStats().entryCount;
  if (records !== counted) {
    const problem = `${records} readable records, but lmdb counts ${counted}: a page is damaged`;
    return { ok: false, db: name, problem };
  }
  return { ok: true, records, bytes };
}

/** Reads every record of every named database; returns the report to print. */
function scan(file) {
  const startMs = performance.now();
  const env = open({ path: file, readOnly: true, compression: false, overlappingSync: false });
  let records = 0;
  let bytes = 0;
  try {
    for (const name of dbNames) {
      const db = env.openDB(name, { encoding: 'binary', keyEncoding: 'ordered-binary' });
      if (db === undefined) continue;
      const report = scanDb(db, name);
      if (!report.ok) return report;
      records += report.records;
      bytes += report.bytes;
    }
  } finally {
    void env.close();
  }
  return { ok: true, records, bytes, elapsedMs: Math.round(performance.now() - startMs) };
}

function main() {
  let report;
  try {
    report = scan(process.argv[2]);
  } catch (error) {
    report = { ok: false, problem: `lmdb: ${error instanceof Error ? error.message : error}` };
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exitCode = report.ok ? 0 : 3;
}

main();

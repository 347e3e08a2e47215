// The quota: how much of storageBytesMax the store uses, when client writes stop, and which
// lmdb errors mean "full". Client writes stop at a high-water mark below the quota so that Raft
// metadata, compaction and snapshots (which free space) still fit after they stop.
import { StorageFullError } from '@troupe/client/protocol';

const mebibyte = 1024 * 1024;

/** Room kept free for Raft metadata and compaction: 10% of the quota, at least 4 MiB. */
export const reserveBytesMin = 4 * mebibyte;
export const reserveFraction = 0.1;
/** The smallest quota the node accepts: the reserve and as much again for data. */
export const storageBytesMin = 2 * reserveBytesMin;

export function reserveBytes(storageBytesMax: number): number {
  return Math.max(Math.ceil(storageBytesMax * reserveFraction), reserveBytesMin);
}

/** Above this many used bytes, the node refuses new client writes. */
export function highWaterBytes(storageBytesMax: number): number {
  return storageBytesMax - reserveBytes(storageBytesMax);
}

/** lmdb's MDB_MAP_FULL, and the errnos of a full disk or exhausted disk quota. */
const fullCodes = new Set<number>([-30792, 28, 122]);

/** Whether `error` (from lmdb) says the map or the disk is full. */
export function isFullError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'number' && fullCodes.has(code)) return true;
  if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  return /MDB_MAP_FULL|No space left on device|Disk quota exceeded/.test(error.message);
}

export function storageFullError(storageBytesMax: number, cause?: unknown): StorageFullError {
  const message = `the node's store is full (storageBytesMax ${storageBytesMax} bytes)`;
  return new StorageFullError(message, cause === undefined ? undefined : { cause });
}

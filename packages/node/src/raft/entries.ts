// Sizes of entries and size-bounded slicing. Sizes decide batching (appendBytesMax), the
// inflight byte window, the uncommitted-proposal bound and the per-Ready apply bound.
import { assert } from '@troupe/runtime/assert';
import { entryOverheadBytes } from './limits.js';
import type { ConfChange, Entry, EntryPayload } from './types.js';

/** Fixed bytes charged for a conf change's type and framing. */
const confChangeFixedBytes = 8;

function confChangeBytes(change: ConfChange): number {
  // Node ids are printable ASCII, so their length is their size in bytes.
  return confChangeFixedBytes + change.nodeId.length + (change.context?.byteLength ?? 0);
}

/** Payload bytes: what the uncommitted bound counts. The leader's empty entry costs 0. */
export function payloadBytes(payload: Entry | EntryPayload): number {
  return payload.type === 'normal' ? payload.data.byteLength : confChangeBytes(payload.change);
}

/** Bytes an entry is assumed to occupy in a message. */
export function entryBytes(entry: Entry): number {
  return payloadBytes(entry) + entryOverheadBytes;
}

export function entriesBytes(entries: readonly Entry[]): number {
  let total = 0;
  for (const entry of entries) total += entryBytes(entry);
  return total;
}

export function entriesPayloadBytes(entries: readonly Entry[]): number {
  let total = 0;
  for (const entry of entries) total += payloadBytes(entry);
  return total;
}

/**
 * The longest prefix of `entries` whose size is at most bytesMax, but never empty when entries
 * is not: a message always makes progress even if one entry alone exceeds the budget.
 */
export function limitSize(entries: Entry[], bytesMax: number): Entry[] {
  if (entries.length === 0) return entries;
  let total = entryBytes(entries[0]!);
  let count = 1;
  while (count < entries.length) {
    total += entryBytes(entries[count]!);
    if (total > bytesMax) break;
    count++;
  }
  return count === entries.length ? entries : entries.slice(0, count);
}

/** Asserts that entries are contiguous and their terms never decrease (Log Matching). */
export function assertContiguous(entries: readonly Entry[], what: string): void {
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1]!;
    const entry = entries[i]!;
    assert(
      entry.index === prev.index + 1,
      () => `${what}: index gap ${prev.index}->${entry.index}`,
    );
    assert(entry.term >= prev.term, () => `${what}: term drops ${prev.term}->${entry.term}`);
  }
}

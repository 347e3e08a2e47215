// The tail of the log not yet known to be on stable storage: entries (and possibly a snapshot)
// that the next Ready hands to the host to persist. Entries here supersede storage's from
// `offset` on, which is how a conflicting suffix is replaced before the host rewrites it.
import { assert } from '@troupe/runtime/assert';
import { assertContiguous } from './entries.js';
import type { Entry, Snapshot } from './types.js';

export class Unstable {
  /** A snapshot received from the leader and not yet persisted. */
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];
  /** Index of entries[0], or where it would be. */
  offset: number;

  constructor(offset: number) {
    assert(offset >= 1, () => `unstable offset ${offset} must be >= 1`);
    this.offset = offset;
  }

  /** First log index when a pending snapshot defines it. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === null ? undefined : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot === null ? undefined : this.snapshot.metadata.index;
  }

  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      const snap = this.snapshot;
      return snap !== null && snap.metadata.index === index ? snap.metadata.term : undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || index > last) return undefined;
    return this.entries[index - this.offset]?.term;
  }

  /**
   * The host persisted entries up to (index, term). They leave the unstable tail unless a
   * conflicting append replaced them meanwhile (the term no longer matches).
   */
  stableTo(index: number, term: number): void {
    if (index < this.offset || this.maybeTerm(index) !== term) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.snapshot !== null && this.snapshot.metadata.index === index) this.snapshot = null;
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  /** Appends entries, first truncating whatever they overwrite (here or in storage). */
  truncateAndAppend(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assertContiguous(entries, 'appended entries');
    const after = first.index;
    if (after <= this.offset) {
      // The new entries replace the tail of stable storage too; the host's append truncates it.
      this.offset = after;
      this.entries = entries.slice();
      return;
    }
    const kept = after - this.offset;
    assert(kept <= this.entries.length, () => `append at ${after} leaves a gap after ${kept}`);
    const prev = this.entries[kept - 1]!;
    assert(prev.term <= first.term, () => `append term ${first.term} < previous ${prev.term}`);
    // Truncate in place, then push: the array is never shared (Ready gets a copy).
    this.entries.length = kept;
    for (const entry of entries) this.entries.push(entry);
  }

  /** Entries [lo, hi); both bounds must lie within the unstable entries. */
  slice(lo: number, hi: number): Entry[] {
    assert(
      lo >= this.offset && lo <= hi,
      () => `unstable slice [${lo}, ${hi}) offset ${this.offset}`,
    );
    const upper = this.offset + this.entries.length;
    assert(hi <= upper, () => `unstable slice [${lo}, ${hi}) beyond ${upper}`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}

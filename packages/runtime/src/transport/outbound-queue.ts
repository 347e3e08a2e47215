// The bounded queue of encoded envelopes waiting for the next flush to one peer. Bounded by
// count and bytes; `takeFrame` hands out at most one frame's worth at a time.
import { assert } from '../assert.js';

export class OutboundQueue {
  private items: Uint8Array[] = [];
  private head = 0;
  private bytes = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  push(encoded: Uint8Array): void {
    this.items.push(encoded);
    this.bytes += encoded.length;
  }

  /** Removes up to `bytesTarget` bytes (at least one envelope) and `countMax` envelopes. */
  takeFrame(bytesTarget: number, countMax: number): { pieces: Uint8Array[]; bytes: number } {
    assert(this.length > 0, 'takeFrame on an empty queue');
    const pieces: Uint8Array[] = [];
    let bytes = 0;
    while (this.head < this.items.length && pieces.length < countMax) {
      const next = this.items[this.head] as Uint8Array;
      if (pieces.length > 0 && bytes + next.length > bytesTarget) break;
      pieces.push(next);
      bytes += next.length;
      this.head++;
    }
    this.bytes -= bytes;
    this.compact();
    assert(this.bytes >= 0, () => `queue bytes went negative: ${this.bytes}`);
    return { pieces, bytes };
  }

  /** Removes everything (for handing over to another connection). */
  drain(): Uint8Array[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return rest;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4_096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

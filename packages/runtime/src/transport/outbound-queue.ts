// The bounded queue of envelopes waiting for the next flush to one peer. Envelopes are kept
// as values and encoded a batch at a time when the flush builds a frame (one msgpack call per
// frame, not per message); `onError` hears about an envelope that could not be encoded.
import { assert } from '../assert.js';
import type { Envelope } from '../wire/envelope.js';

export interface PendingEnvelope {
  envelope: Envelope;
  /** Told when the envelope cannot be sent (too large, not encodable, connection closed). */
  onError: ((error: Error) => void) | undefined;
}

export class OutboundQueue {
  private items: PendingEnvelope[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: PendingEnvelope): void {
    this.items.push(item);
  }

  /** Removes up to `countMax` envelopes, oldest first. */
  take(countMax: number): PendingEnvelope[] {
    assert(countMax > 0, () => `take(${countMax})`);
    const end = Math.min(this.items.length, this.head + countMax);
    const batch = this.items.slice(this.head, end);
    this.head = end;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4_096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  /** Removes everything (handing over to another connection, or failing on close). */
  drain(): PendingEnvelope[] {
    return this.take(Math.max(1, this.length));
  }
}

// The App messages in flight to one follower, as a ring buffer bounded both by count and by
// bytes (etcd tracker/inflights.go). When it is full the leader stops pipelining to that
// follower until acknowledgements free room, so a slow follower cannot make it queue unbounded
// data.
import { assert } from '@troupe/runtime/assert';

export class Inflights {
  readonly messagesMax: number;
  readonly bytesMax: number;
  /** Last entry index of each in-flight message, oldest first from `start`. */
  private readonly indexes: number[];
  private readonly sizes: number[];
  private start = 0;
  private countValue = 0;
  private bytesValue = 0;

  constructor(messagesMax: number, bytesMax: number) {
    assert(Number.isInteger(messagesMax) && messagesMax >= 1, () => `messagesMax ${messagesMax}`);
    assert(Number.isInteger(bytesMax) && bytesMax >= 1, () => `bytesMax ${bytesMax}`);
    this.messagesMax = messagesMax;
    this.bytesMax = bytesMax;
    this.indexes = new Array<number>(messagesMax).fill(0);
    this.sizes = new Array<number>(messagesMax).fill(0);
  }

  get count(): number {
    return this.countValue;
  }

  get bytes(): number {
    return this.bytesValue;
  }

  /** Room for no more messages: by count, or because the bytes in flight reached the bound. */
  full(): boolean {
    return this.countValue === this.messagesMax || this.bytesValue >= this.bytesMax;
  }

  /** Records a message whose last entry is `index`; indices must increase. */
  add(index: number, bytes: number): void {
    assert(!this.full(), () => `inflights full: ${this.countValue} msgs, ${this.bytesValue} bytes`);
    const newest = this.newestIndex();
    assert(newest === undefined || index > newest, () => `inflight ${index} after ${newest}`);
    const slot = (this.start + this.countValue) % this.messagesMax;
    this.indexes[slot] = index;
    this.sizes[slot] = bytes;
    this.countValue++;
    this.bytesValue += bytes;
  }

  /** Frees every message whose last index is at most `index` (the follower acknowledged it). */
  freeLE(index: number): void {
    while (this.countValue > 0 && this.indexes[this.start]! <= index) {
      this.bytesValue -= this.sizes[this.start]!;
      this.start = (this.start + 1) % this.messagesMax;
      this.countValue--;
    }
    if (this.countValue === 0) this.start = 0;
    assert(this.bytesValue >= 0, () => `inflight bytes went negative: ${this.bytesValue}`);
  }

  reset(): void {
    this.start = 0;
    this.countValue = 0;
    this.bytesValue = 0;
  }

  private newestIndex(): number | undefined {
    if (this.countValue === 0) return undefined;
    return this.indexes[(this.start + this.countValue - 1) % this.messagesMax];
  }
}

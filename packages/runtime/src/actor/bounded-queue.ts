// A FIFO ring buffer with a hard capacity: the mailbox. It grows by doubling up to the
// capacity, so an idle actor costs little while a busy one never reallocates per message.
import { assert } from '../assert.js';

export class BoundedQueue<T> {
  private slots: Array<T | undefined>;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity > 0, () => `capacity ${capacity}`);
    this.slots = new Array(Math.min(capacity, 16));
  }

  get length(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.capacity;
  }

  /** Adds at the tail; returns false (and changes nothing) when full. */
  push(item: T): boolean {
    if (this.count >= this.capacity) return false;
    if (this.count === this.slots.length) this.grow();
    this.slots[(this.head + this.count) % this.slots.length] = item;
    this.count++;
    return true;
  }

  /** Adds even past the capacity; for the few control items that must never be lost. */
  pushForced(item: T): void {
    if (this.count === this.slots.length) this.grow(true);
    this.slots[(this.head + this.count) % this.slots.length] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    return item;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const items: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) items.push(item);
    return items;
  }

  private grow(beyondCapacity = false): void {
    const size = this.slots.length;
    const target = beyondCapacity ? size * 2 : Math.min(this.capacity, size * 2);
    assert(target > size, () => `cannot grow queue of ${size} (capacity ${this.capacity})`);
    const next = new Array<T | undefined>(target);
    for (let i = 0; i < this.count; i++) next[i] = this.slots[(this.head + i) % size];
    this.slots = next;
    this.head = 0;
  }
}

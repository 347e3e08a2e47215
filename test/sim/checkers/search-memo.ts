// The linearizability search's memory: the set of linearized operations as a bitset with an
// incrementally updated hash, and Lowe's memo of (set, model state) pairs already explored,
// kept in flat typed arrays bounded by bytes. Split out of linearizability.ts.
import { assert } from '@troupe/runtime/assert';

/** A 32-bit mixer (murmur3's finaliser): fixed, so hashes are the same on every run. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * The set of linearized ops, as a bitset with a Zobrist hash of its definite ops kept up to
 * date on every toggle (each op owns a fixed random-looking 32-bit word, xored in and out),
 * so hashing costs O(1) per step instead of O(ops). Optional info ops stay out of the hash
 * so that sets differing only in them meet in one memo bucket (see Memo).
 */
export class OpSet {
  readonly words: Uint32Array;
  /** Bits of the optional info ops. */
  readonly optional: Uint32Array;
  hash = 0;

  constructor(optional: Uint8Array) {
    this.words = new Uint32Array(Math.ceil(optional.length / 32));
    this.optional = new Uint32Array(this.words.length);
    for (const [index, flag] of optional.entries()) {
      if (flag === 1) this.optional[index >>> 5]! |= 1 << (index & 31);
    }
  }

  toggle(index: number): void {
    const word = index >>> 5;
    const bit = 1 << (index & 31);
    assert(word < this.words.length, 'op index in range');
    this.words[word]! ^= bit;
    if ((this.optional[word]! & bit) === 0) this.hash = (this.hash ^ mix32(index)) >>> 0;
  }
}

/**
 * Lowe's memo: the (set, state) pairs already explored. Entries live in flat typed arrays
 * (set words, state number, hash chain) that grow by doubling up to what `bytesMax` allows;
 * a hash of the definite ops and the state finds a chain and exact comparison decides, so a
 * collision costs time, never a wrong answer. A set matches a stored one with the same
 * definite ops and a subset of its optional ones. Once full it stops adding, which keeps
 * memory bounded and the search correct.
 */
export class Memo {
  private readonly buckets = new Map<number, number>();
  private readonly entriesMax: number;
  private words: Uint32Array;
  private states: Int32Array;
  private chain: Int32Array;
  size = 0;

  constructor(
    private readonly width: number,
    bytesMax: number,
  ) {
    // Per entry: the set's words, its state and chain slots, and about 32 bytes of Map entry.
    this.entriesMax = Math.floor(bytesMax / (4 * width + 8 + 32));
    const initial = Math.min(this.entriesMax, 1024);
    this.words = new Uint32Array(initial * width);
    this.states = new Int32Array(initial);
    this.chain = new Int32Array(initial);
  }

  has(set: OpSet, state: number): boolean {
    let entry = this.buckets.get(Memo.hash(set, state)) ?? -1;
    while (entry !== -1) {
      if (this.states[entry] === state && this.covers(entry, set)) return true;
      entry = this.chain[entry]!;
    }
    return false;
  }

  add(set: OpSet, state: number): void {
    if (this.size >= this.entriesMax) return;
    if (this.size === this.states.length) this.grow();
    const entry = this.size++;
    const bucket = Memo.hash(set, state);
    const start = entry * this.width;
    // A plain loop: TypedArray.prototype.set costs more than it saves on a few words.
    for (let i = 0; i < this.width; i++) this.words[start + i] = set.words[i]!;
    this.states[entry] = state;
    this.chain[entry] = this.buckets.get(bucket) ?? -1;
    this.buckets.set(bucket, entry);
  }

  /** 30 bits, so V8 keeps bucket keys as small integers instead of allocating doubles. */
  private static hash(set: OpSet, state: number): number {
    return (set.hash ^ mix32(~state)) & 0x3fffffff;
  }

  /** Same definite ops, and the stored optional ones are a subset of the set's. */
  private covers(entry: number, set: OpSet): boolean {
    const start = entry * this.width;
    const { words, optional } = set;
    for (let i = 0; i < this.width; i++) {
      const stored = this.words[start + i]!;
      if (((stored ^ words[i]!) & ~optional[i]!) !== 0 || (stored & ~words[i]!) !== 0) {
        return false;
      }
    }
    return true;
  }

  private grow(): void {
    const capacity = Math.min(this.entriesMax, this.states.length * 2);
    const words = new Uint32Array(capacity * this.width);
    words.set(this.words);
    this.words = words;
    const states = new Int32Array(capacity);
    states.set(this.states);
    this.states = states;
    const chain = new Int32Array(capacity);
    chain.set(this.chain);
    this.chain = chain;
  }
}

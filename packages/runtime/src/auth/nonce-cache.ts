// The nonces a process has seen in handshakes, its own and its peers', so that a recorded
// handshake replayed later, or a nonce reflected back at its sender, is refused. Fixed
// capacity, oldest forgotten first: a replay must then come after 65,536 newer handshakes, and
// by then the acceptor's own fresh nonce in the transcript already makes the old proof useless.

export const handshakeNoncesMax = 65_536;

export class NonceCache {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity: number = handshakeNoncesMax) {}

  /** Records `nonce`; false when it was already there (a replay or a reflection). */
  remember(nonce: string): boolean {
    if (this.seen.has(nonce)) return false;
    this.seen.add(nonce);
    if (this.seen.size > this.capacity) {
      // A Set iterates in insertion order: the first entry is the oldest.
      const oldest = this.seen.values().next().value as string;
      this.seen.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

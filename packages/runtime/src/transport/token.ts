// Shared-secret comparison for the handshake. Hashing both sides first gives equal-length
// inputs, so timingSafeEqual leaks neither the token's bytes nor its length.
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function tokensEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

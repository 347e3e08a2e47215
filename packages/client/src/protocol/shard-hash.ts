// The documented, stable key -> shard function (docs/sharding.md): 32-bit FNV-1a over the
// key's UTF-8 bytes, modulo the shard count. Chosen because any language can implement it in a
// few lines and get the same shard; it must never change for an existing cluster.
import { assert } from '@troupe/runtime/assert';

const fnvOffsetBasis = 0x811c9dc5;
const fnvPrime = 0x01000193;
const utf8 = new TextEncoder();

/** FNV-1a (32-bit) of the bytes, as an unsigned integer. */
export function fnv1a32(bytes: Uint8Array): number {
  let hash = fnvOffsetBasis;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, fnvPrime) >>> 0;
  }
  return hash >>> 0;
}

/** The shard that owns `key`: fnv1a32(utf8(key)) mod shardCount. */
export function shardOf(key: string, shardCount: number): number {
  assert(Number.isSafeInteger(shardCount) && shardCount >= 1, 'shardCount must be >= 1');
  return fnv1a32(utf8.encode(key)) % shardCount;
}

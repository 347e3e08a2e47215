// Bounds every party checks on key-value requests: the client before sending, the balancer
// when routing and the node before proposing. One place so that all three agree.
import { assert } from '@troupe/runtime/assert';

/** A key is a UTF-8 string of 1 to keyBytesMax bytes. */
export const keyBytesMax = 1024;

/** A value is any msgpack value; its encoded form is at most valueBytesMax bytes. */
export const valueBytesMax = 256 * 1024;

/** Session ids are printable ASCII (a nanoid is 21 characters). */
export const sessionIdBytesMax = 64;

/** Shards per cluster, fixed at init. */
export const shardCountMax = 1024;

/** Replicas per shard. */
export const replicationFactorMax = 7;

assert(keyBytesMax < valueBytesMax, 'keys are small next to values');
assert(valueBytesMax + keyBytesMax < 1024 * 1024, 'a write must fit one Raft entry (1 MiB)');

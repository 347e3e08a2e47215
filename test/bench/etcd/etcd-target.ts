// The benchmark's etcd target: one etcd3 client over every member's client URL, with the
// client's defaults, so `--compare etcd` measures etcd as an application would meet it.
//
// etcd3 1.1.2's defaults, which shape what a failover costs (lib/connection-pool.js):
// - no per-call deadline: a call waits as long as the server holds it;
// - a global cockatiel retry of up to 3 more attempts, with no backoff, on "recoverable"
//   errors (gRPC UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN, CANCELLED,
//   RESOURCE_EXHAUSTED, ABORTED); each attempt goes to the next host of a shuffled order;
// - per host, a circuit breaker that stops sending to it for 5 s after 3 consecutive
//   recoverable failures.
// A call to a dead member fails fast (connection refused) and is retried elsewhere. A put that
// a live follower accepted just before the leader died is held by etcd 3.4 until its server
// request timeout, 5 s + 2 × election timeout (7 s with election 1000 ms), then answered
// "request timed out" (UNAVAILABLE) and retried: hence failover near 7 s through this client
// (measured here: a put issued just after SIGKILL of the leader took 7.0 s, 3 trials of 3).
import { Etcd3 } from 'etcd3';
import type { BenchTarget } from '../bench-target.js';

export type ReadConsistency = 'linearizable' | 'stale';

export class EtcdTarget implements BenchTarget {
  readonly name = 'etcd';

  private constructor(private readonly client: Etcd3) {}

  static create(clientUrls: readonly string[]): EtcdTarget {
    if (clientUrls.length === 0) throw new Error('EtcdTarget needs at least one client URL');
    return new EtcdTarget(new Etcd3({ hosts: [...clientUrls] }));
  }

  async write(key: string, value: Uint8Array): Promise<void> {
    // A put is acknowledged only once committed by a quorum and fsynced (etcd's default).
    await this.client.put(key).value(asBuffer(value)).exec();
  }

  async readLinearizable(key: string): Promise<void> {
    await this.read(key, 'linearizable');
  }

  async readStale(key: string): Promise<void> {
    await this.read(key, 'stale');
  }

  /**
   * The value under `key`, or undefined. Not part of BenchTarget: the benchmark discards
   * values, but a test must see them. 'linearizable' is etcd's default range (a ReadIndex
   * round through the leader); 'stale' is a serializable range served by whichever member
   * the client picked, from its own state.
   */
  async read(key: string, consistency: ReadConsistency): Promise<Uint8Array | undefined> {
    const response = await this.client
      .get(key)
      .serializable(consistency === 'stale')
      .exec();
    return response.kvs[0]?.value;
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** etcd3 takes a Buffer; a view over the same memory avoids copying the value. */
function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value)
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

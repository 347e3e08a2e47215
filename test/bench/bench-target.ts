// What a benchmark drives: one system under test seen as durable writes, linearizable reads
// and stale reads of opaque values. Troupe (through its SDK and a balancer) and etcd (through
// the etcd3 client) both implement it, so the same workload code measures both in one run.

export interface BenchTarget {
  readonly name: string;
  /** A durable, acknowledged write (Troupe: update; etcd: put). */
  write(key: string, value: Uint8Array): Promise<void>;
  /** A read that sees every write acknowledged before it began. */
  readLinearizable(key: string): Promise<void>;
  /** A read any replica may serve, possibly behind. */
  readStale(key: string): Promise<void>;
  close(): Promise<void>;
}

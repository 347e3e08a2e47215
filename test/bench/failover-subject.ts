// What the failover benchmark's try loop (failover.ts) needs of a system under test, so that
// Troupe (failover-troupe.ts) and etcd (failover-etcd.ts) go through the same tries: wait
// until whole, name the victim, apply a fault and undo it, read acknowledged writes back.
// Also the shared read-back: every key once, a few at a time, each retried a few times.
import type { FailoverKind, FailoverSystem } from './failover-stats.js';
import type { TargetSpec } from './target-spec.js';

/** The process a fault hits, and the shards it leads (null: every key is affected). */
export interface Victim {
  readonly victim: string;
  readonly shards: readonly number[] | null;
}

export interface FailoverSubject {
  readonly system: FailoverSystem;
  /** Where the load process sends its writes. */
  readonly target: TargetSpec;
  readonly shardCount: number;
  /**
   * Resolves once every member is up, led and caught up; throws if that takes too long.
   * A long wait is reported through `note`, saying what is still missing.
   */
  whole(note: (why: string) => void): Promise<void>;
  /** The leader a fault should hit now. */
  victim(): Promise<Victim>;
  /** Applies the fault to `victim` and returns what undoes it. */
  fault(kind: FailoverKind, victim: string): Promise<() => Promise<void>>;
  /** The keys whose linearizable read did not return `expected(key)`. */
  readBack(keys: readonly string[], expected: (key: string) => string): Promise<string[]>;
  stop(): Promise<void>;
}

const readersMax = 32;
const readAttemptsMax = 3;

/** Reads every key with `read` (`readersMax` at a time); returns `key: got ...` per mismatch. */
export async function readBackAll(
  keys: readonly string[],
  expected: (key: string) => string,
  read: (key: string) => Promise<string | undefined>,
): Promise<string[]> {
  const lost: string[] = [];
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++] as string;
      const got = await retried(() => read(key));
      if (got !== expected(key)) lost.push(`${key}: got ${got ?? 'nothing'}`);
    }
  };
  await Promise.all(Array.from({ length: readersMax }, reader));
  return lost.sort();
}

async function retried<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= readAttemptsMax) throw error;
    }
  }
}

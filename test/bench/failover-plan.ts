// The contract between the failover benchmark's orchestrator (failover.ts) and its load
// process (failover-load.ts): the plan handed over as JSON in argv, the JSON lines printed
// back, and how keys and values are named. It lives apart from both so that each side can
// import it without running the other; the orchestrator reads back acknowledged writes with
// the same naming the writers used.
import { shardOf } from '@troupe/client/protocol';
import type { TargetSpec } from './target-spec.js';

export interface FailoverLoadPlan {
  readonly target: TargetSpec;
  /** Writers, each issuing its next write as soon as the last one is answered. */
  readonly concurrency: number;
  /** Makes every key of this try unique across the run. */
  readonly keyPrefix: string;
  /** Only keys of these shards are written; null: any key (etcd has one raft group). */
  readonly shards: readonly number[] | null;
  readonly shardCount: number;
  /** How often writes done so far are printed. */
  readonly flushIntervalMs: number;
}

/** An acknowledged write: when it was issued and acknowledged (wall clock, ms), and its key. */
export type AckedWrite = readonly [issueMs: number, ackMs: number, key: string];

/** A write that failed: when it was issued and failed, its key and the error. */
export type FailedWrite = readonly [issueMs: number, failMs: number, key: string, error: string];

export type FailoverLoadLine =
  | {
      readonly event: 'writes';
      readonly acked: readonly AckedWrite[];
      readonly failed: readonly FailedWrite[];
    }
  | { readonly event: 'done' };

/**
 * Wall-clock time in ms with sub-ms precision, comparable across processes on this machine:
 * both the orchestrator (fault times) and the load process (issue and ack times) use it.
 */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The value written under `key`: keys are never reused, so each write's value is unique. */
export function failoverValue(key: string): string {
  return `v:${key}`;
}

/**
 * The keys one writer writes, in order: `${prefix}-w${writer}-${n}` for n = 0, 1, ..., keeping
 * only names whose shard (the SDK's FNV-1a key -> shard function) is one of `shards`.
 */
export function* writerKeys(
  plan: Pick<FailoverLoadPlan, 'keyPrefix' | 'shards' | 'shardCount'>,
  writer: number,
): Generator<string, never> {
  const wanted = plan.shards === null ? null : new Set(plan.shards);
  if (wanted !== null && wanted.size === 0) throw new Error('a plan with no shards writes nothing');
  for (let n = 0; ; n++) {
    const key = `${plan.keyPrefix}-w${writer}-${n}`;
    if (wanted === null || wanted.has(shardOf(key, plan.shardCount))) yield key;
  }
}

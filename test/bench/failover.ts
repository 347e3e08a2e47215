// The failover part of `pnpm bench`: under a steady stream of writes from a separate load
// process (through the SDK, or etcd3), a fault hits the node leading the most shards —
// SIGKILL (crash), SIGSTOP (hang) or a partition cutting it off — and each try measures the
// time from the fault to the first acknowledged write issued after it, and the longest gap
// between acknowledgements, over writes to the shards the victim led (the only ones the fault
// affects). Each try waits for the cluster to be whole, streams for about a second, applies
// the fault, waits for writes to be acknowledged again, undoes the fault and stops the stream.
// After every try, each acknowledged key is read back linearizably: writes lost must be 0.
import { createSeededRng, type Rng } from '@troupe/runtime';
import { EtcdFailover } from './failover-etcd.js';
import { type AckedWrite, failoverValue, wallMs } from './failover-plan.js';
import {
  type FailoverKind,
  type FailoverKindResult,
  type FailoverResults,
  type FailoverTry,
  kindResult,
  tryFigures,
} from './failover-stats.js';
import { LoadStream } from './failover-stream.js';
import type { FailoverSubject } from './failover-subject.js';
import { TroupeFailover } from './failover-troupe.js';

export type {
  FailoverKind,
  FailoverKindResult,
  FailoverResults,
  FailoverTry,
  Spread,
} from './failover-stats.js';
export { failoverKinds, failoverTable } from './failover-stats.js';

export interface FailoverOptions {
  readonly tries: number;
  readonly kinds: readonly FailoverKind[];
  /** Seeds the jitter of each fault's moment, so runs repeat their timing pattern. */
  readonly seed: number;
  readonly progress: (line: string) => void;
  /** Keep every node's and balancer's log lines in `<logDir>/<id>.log` (default: none). */
  readonly logDir?: string;
}

/** etcd is measured for crash only (see failover-etcd.ts for why not hang or partition). */
export interface EtcdFailoverOptions {
  readonly tries: number;
  readonly progress: (line: string) => void;
}

/** Writers in the load process: a modest, steady closed loop. */
const concurrency = 16;
/** Streaming before the fault, after the first acknowledgement... */
const steadyMs = 1_000;
/** ...plus up to this much (seeded), so faults do not keep one phase of the nodes' ticks. */
const steadyJitterMs = 100;
/** Streaming after the first acknowledgement that follows the fault, before the undo. */
const afterMs = 500;
const flushIntervalMs = 20;
const firstAckTimeoutMs = 60_000;

interface TryRun {
  readonly figures: FailoverTry;
  readonly acked: readonly AckedWrite[];
}

/** One try: stream, fault, wait for acknowledgements after it, undo, stop the stream. */
async function oneTry(
  subject: FailoverSubject,
  kind: FailoverKind,
  keyPrefix: string,
  rng: Rng,
  progress: (line: string) => void,
): Promise<TryRun> {
  await subject.whole(progress);
  const { victim, shards } = await subject.victim();
  const stream = LoadStream.start({
    target: subject.target,
    concurrency,
    keyPrefix,
    shards,
    shardCount: subject.shardCount,
    flushIntervalMs,
  });
  try {
    await stream.steady(steadyMs + rng.nextInt(steadyJitterMs), 30_000);
    const faultMs = wallMs();
    const undo = await subject.fault(kind, victim);
    let undoMs = Number.POSITIVE_INFINITY;
    try {
      await stream.firstAckAfter(faultMs, firstAckTimeoutMs);
      await sleep(afterMs);
    } finally {
      // Undone before the stream stops: a client without deadlines (etcd3) may wait on a
      // stopped process until it runs again. The gap counts acknowledgements up to here.
      undoMs = wallMs();
      await undo();
    }
    const writes = await stream.stop();
    const figures = { victim, shards: shards ?? [], faultAtMs: faultMs };
    return { figures: { ...figures, ...tryFigures(writes, faultMs, undoMs) }, acked: writes.acked };
  } catch (error) {
    stream.kill();
    throw error;
  }
}

function describeTry(t: FailoverTry): string {
  const led = t.shards.length > 0 ? `leading ${t.shards.length} shards` : 'leader';
  const failures = t.failureSamples.length > 0 ? ` (${t.failureSamples[0]})` : '';
  return (
    `${t.victim} (${led}): first ack ${t.firstAckMs.toFixed(1)} ms, longest gap ` +
    `${t.longestGapMs.toFixed(1)} ms (a write took ${t.steadyWriteMs.toFixed(1)} ms before); ` +
    `${t.writesAcknowledged} acked, ${t.writesFailed} failed${failures}`
  );
}

/** Every try of every kind, then the read-back of every acknowledged key, per kind. */
async function runTries(
  subject: FailoverSubject,
  options: Omit<FailoverOptions, 'logDir'>,
): Promise<FailoverResults> {
  const rng = createSeededRng(options.seed);
  const runs = new Map<FailoverKind, TryRun[]>();
  for (const kind of options.kinds) {
    const done: TryRun[] = [];
    runs.set(kind, done);
    for (let i = 0; i < options.tries; i++) {
      const prefix = `${subject.system}-${kind}-s${options.seed}-t${i}`;
      const run = await oneTry(subject, kind, prefix, rng, options.progress);
      done.push(run);
      options.progress(`${kind} ${i + 1}/${options.tries}: ${describeTry(run.figures)}`);
    }
  }
  await subject.whole(options.progress);
  const kinds: FailoverKindResult[] = [];
  for (const [kind, done] of runs) {
    const keys = done.flatMap((run) => run.acked.map((w) => w[2]));
    options.progress(`${kind}: reading back ${keys.length} acknowledged writes`);
    const lost = await subject.readBack(keys, failoverValue);
    kinds.push(
      kindResult(
        kind,
        done.map((run) => run.figures),
        lost,
      ),
    );
  }
  return { system: subject.system, kinds };
}

/** Troupe: 3 nodes (16 shards, RF 3) and 1 balancer, links through proxies. */
export async function measureFailover(options: FailoverOptions): Promise<FailoverResults> {
  const progress = (line: string): void => options.progress(`troupe failover: ${line}`);
  progress('starting 3 nodes and 1 balancer behind link proxies');
  const subject = await TroupeFailover.start(options.logDir, progress);
  try {
    return await runTries(subject, { ...options, progress });
  } finally {
    await subject.stop();
  }
}

/** etcd: 3 members (heartbeat 100 ms, election 1000 ms); writes through etcd3's defaults. */
export async function measureEtcdFailover(options: EtcdFailoverOptions): Promise<FailoverResults> {
  const progress = (line: string): void => options.progress(`etcd failover: ${line}`);
  progress('starting a 3-member etcd');
  const subject = await EtcdFailover.start();
  try {
    const kinds = ['crash'] as const;
    return await runTries(subject, { tries: options.tries, kinds, seed: 1, progress });
  } finally {
    await subject.stop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// What the recovery benchmark produces (recovery.ts measures it): the fill, the restarted
// node's catch-up per group, each node's disk and memory, and the proof that the node holds
// the data; and which of those a run failed to produce, for bench-cli's exit status.
import type { DiskUsage, MemoryUsage } from './node-footprint.js';
import type { SpotCheck } from './replica-check.js';

export interface FillResult {
  readonly written: number;
  readonly failed: number;
  readonly retries: number;
  readonly concurrency: number;
  readonly clients: number;
  readonly ms: number;
  readonly writesPerS: number;
  readonly errorSamples: readonly string[];
}

/** One group of the stopped node: how far behind it was and how it caught up. */
export interface GroupRecovery {
  readonly groupId: string;
  readonly leader: string;
  readonly appliedBefore: number;
  readonly lastIndexBefore: number;
  /** The leader's commit index when the node restarted: what it had to apply. */
  readonly targetCommit: number;
  /** The leader's first log index then: above lastIndexBefore + 1 means a snapshot is due. */
  readonly leaderFirstIndex: number;
  /** Index of the snapshot it installed (its log now starts past where it ended), or null. */
  readonly snapshotIndex: number | null;
  /** Entries applied one by one from the log (after the snapshot, if any). */
  readonly replayedEntries: number;
  /** From the process spawn until a status showed this group caught up. */
  readonly caughtUpMs: number;
}

export interface RecoveryTiming {
  readonly nodeId: string;
  readonly signal: 'SIGKILL';
  readonly spawnToReadyMs: number;
  /** From the process spawn until every group caught up. */
  readonly fromSpawnMs: number;
  /** From its `ready` line until every group caught up. */
  readonly fromReadyMs: number;
  readonly entriesBehind: number;
  readonly snapshotGroups: number;
  readonly replayedEntries: number;
  readonly pollMs: number;
  readonly polls: number;
}

export interface NodeFootprint {
  readonly nodeId: string;
  readonly role: 'survivor' | 'recovered';
  readonly pid: number;
  readonly disk: DiskUsage;
  /** Bytes of lmdb pages holding data, as the node reports them (free pages excluded). */
  readonly storeUsedBytes: number;
  readonly memory: MemoryUsage;
}

export interface RecoveryResult {
  readonly writes: number;
  readonly valueBytes: number;
  readonly fill: FillResult;
  readonly recovery: RecoveryTiming;
  readonly groups: readonly GroupRecovery[];
  /** Sampled right after the catch-up, with every key on every node. */
  readonly footprint: readonly NodeFootprint[];
  readonly spotCheck: SpotCheck;
  /** Every group's state hash equal on all three nodes; null: not checked at this scale. */
  readonly replicasAgree: boolean | null;
}

const isFigure = (n: number): boolean => Number.isFinite(n) && n > 0;

/**
 * What a run failed to produce or prove, for bench-cli's "figures missing" exit status:
 * empty when every figure is there and the recovered node holds the data.
 */
export function recoveryGaps(result: RecoveryResult): string[] {
  const gaps: string[] = [];
  const { fill, recovery } = result;
  if (fill.failed > 0 || !isFigure(fill.writesPerS)) gaps.push(`fill: ${fill.failed} failed`);
  if (!isFigure(recovery.fromSpawnMs) || !isFigure(recovery.spawnToReadyMs)) {
    gaps.push('recovery time');
  }
  if (result.groups.some((g) => !Number.isFinite(g.caughtUpMs))) gaps.push('group catch-up');
  for (const n of result.footprint) {
    const { disk, memory } = n;
    const figures = [disk.apparentBytes, disk.allocatedBytes, n.storeUsedBytes];
    figures.push(memory.rssBytes, memory.rssAnonBytes, memory.peakRssBytes);
    if (!figures.every(isFigure)) gaps.push(`footprint of ${n.nodeId}`);
  }
  if (result.footprint.length !== 3) gaps.push('footprint of every node');
  const spot = result.spotCheck;
  if (spot.found !== spot.keys) gaps.push(`read back ${spot.found} of ${spot.keys} keys`);
  if (result.replicasAgree === false) gaps.push('state hashes differ');
  return gaps;
}

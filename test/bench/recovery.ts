// The recovery-and-footprint part of `pnpm bench`: a three-node cluster (16 shards, RF 3,
// acknowledged once a majority fsynced) behind one balancer loses a node (SIGKILL), takes
// `writes` distinct keys without it from a separate load-generator process, then the node is
// restarted and timed until it caught up: for every group it applied its leader's commit
// index as of the restart. Then disk and memory of each node with all the keys in.
import type { NodeStatus } from '@troupe/node';
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { KvTestClient } from '../harness/kv-test-client.js';
import { spawnTs } from '../harness/processes.js';
import {
  type GroupTarget,
  groupTargets,
  nodeStatus,
  waitForCatchUp,
  waitForLeaders,
} from './catch-up.js';
import type { FillLine, FillPlan } from './fill-load.js';
import { diskUsage, memoryUsage } from './node-footprint.js';
import type {
  FillResult,
  GroupRecovery,
  NodeFootprint,
  RecoveryResult,
  RecoveryTiming,
} from './recovery-result.js';
import { replicasAgree, spotCheck } from './replica-check.js';
import { valueBytes } from './workloads.js';

export type {
  FillResult,
  GroupRecovery,
  NodeFootprint,
  RecoveryResult,
  RecoveryTiming,
} from './recovery-result.js';
export { recoveryGaps } from './recovery-result.js';
export { recoveryTable } from './recovery-table.js';

export interface RecoveryOptions {
  /** Distinct keys written while the node is down (the full run: 1,000,000). */
  readonly writes: number;
  /** Chooses the keys read back from the recovered node. */
  readonly seed: number;
  readonly progress: (line: string) => void;
  /** Writes in flight (default 256), over `clients` SDK connections (default 4). */
  readonly concurrency?: number;
  readonly clients?: number;
  /** Extra flags for every node, e.g. ['--snapshot-entries', '100'] to test snapshots small. */
  readonly nodeArgs?: readonly string[];
  /** How often the restarted node's status is read (default 25 ms). */
  readonly pollMs?: number;
}

const stoppedNodeId = 'n3';
const survivorIds = ['n1', 'n2'];
const spotCheckKeys = 1_000;
/**
 * State hashes are compared only up to this many keys. A node hashes every record in one
 * synchronous call (0.6-1.2 s per 100k keys measured here), and peers drop a node that is
 * silent for more than about a second (phi accrual, acceptablePauseMs 1000 in the runtime): at
 * 1M keys the check would disconnect the very nodes it inspects. Above it the spot check and
 * the applied indexes are the evidence.
 */
const hashCheckKeysMax = 50_000;

/** Runs the fill in a load-generator process; resolves with its `filled` line. */
async function runFill(plan: FillPlan, progress: (line: string) => void): Promise<FillResult> {
  const child = spawnTs('test/bench/fill-load.ts', [JSON.stringify(plan)], {
    env: { TROUPE_LOG_LEVEL: 'warn' },
  });
  child.onLine((text) => {
    const line = JSON.parse(text) as FillLine;
    if (line.event !== 'progress' || line.ms === 0) return;
    const rate = (line.written / line.ms) * 1_000;
    progress(`fill: ${line.written} of ${plan.writes} written, ${rate.toFixed(0)} writes/s`);
  });
  // Far longer than any healthy fill (1,000-3,000 writes/s measured on 2 cores): a stuck one
  // fails instead of hanging.
  const timeoutMs = 60_000 + plan.writes * 3;
  const filled = await child.waitForEvent<Extract<FillLine, { event: 'filled' }>>(
    'filled',
    timeoutMs,
  );
  const { written, failed, retries, ms, errorSamples } = filled;
  const { concurrency, clients } = plan;
  const writesPerS = (written / ms) * 1_000;
  return { written, failed, retries, concurrency, clients, ms, writesPerS, errorSamples };
}

interface Rig {
  readonly cluster: TestCluster;
  readonly balancers: TestBalancers;
  readonly probe: KvTestClient;
}

async function startRig(nodeArgs: readonly string[]): Promise<Rig> {
  const cluster = await TestCluster.create({ size: 3, args: nodeArgs });
  const balancers = await TestBalancers.create(cluster, 1);
  try {
    await cluster.startAll();
    await balancers.startAll();
    const probe = await KvTestClient.connect(
      cluster.nodes.map((n) => n.url),
      16,
    );
    return { cluster, balancers, probe };
  } catch (error) {
    await balancers.killAll();
    await cluster.destroy();
    throw error;
  }
}

async function stopRig(rig: Rig): Promise<void> {
  await rig.probe.close();
  await rig.balancers.killAll();
  await rig.cluster.destroy();
}

/**
 * SIGKILL, not SIGTERM: a crash is what recovery is for, and the node gets no chance to hand
 * over leadership or flush anything (lmdb commits are durable, so nothing is lost either way).
 * Returns the node's status just before, and waits until the others lead every group.
 */
async function stopNode(rig: Rig): Promise<NodeStatus> {
  const all = rig.cluster.nodes.map((n) => n.id);
  const groupIds = (await nodeStatus(rig.probe, stoppedNodeId)).groups.map((g) => g.groupId);
  await waitForLeaders(rig.probe, all, groupIds, 20_000);
  const before = await nodeStatus(rig.probe, stoppedNodeId);
  await rig.cluster.kill(stoppedNodeId, 'SIGKILL');
  await waitForLeaders(rig.probe, survivorIds, groupIds, 20_000);
  return before;
}

/** Per group: where the node stood, what it had to reach, and how it got there. */
function groupRecoveries(
  before: NodeStatus,
  after: NodeStatus,
  targets: readonly GroupTarget[],
  caughtUpMs: ReadonlyMap<string, number>,
): GroupRecovery[] {
  return targets.map((target) => {
    const was = before.groups.find((g) => g.groupId === target.groupId);
    const now = after.groups.find((g) => g.groupId === target.groupId);
    const appliedBefore = was?.applied ?? 0;
    const lastIndexBefore = was?.lastIndex ?? 0;
    // Its log starting past where it ended can only come from an installed snapshot (its own
    // snapshots compact to logKeepEntries behind applied, far past any replay measured here).
    const compacted = (now?.firstIndex ?? 1) - 1;
    const snapshotIndex = compacted > lastIndexBefore ? compacted : null;
    return {
      groupId: target.groupId,
      leader: target.leader,
      appliedBefore,
      lastIndexBefore,
      targetCommit: target.commit,
      leaderFirstIndex: target.leaderFirstIndex,
      snapshotIndex,
      replayedEntries: Math.max(0, target.commit - Math.max(appliedBefore, snapshotIndex ?? 0)),
      caughtUpMs: caughtUpMs.get(target.groupId) ?? Number.NaN,
    };
  });
}

/** Restarts the stopped node and times it until every group applied its target. */
async function restartAndTime(
  rig: Rig,
  before: NodeStatus,
  pollMs: number,
  progress: (line: string) => void,
): Promise<{ timing: RecoveryTiming; groups: GroupRecovery[] }> {
  const groupIds = before.groups.map((g) => g.groupId);
  const targets = await groupTargets(rig.probe, survivorIds, groupIds);
  const entriesBehind = targets.reduce((sum, t) => {
    const was = before.groups.find((g) => g.groupId === t.groupId);
    return sum + t.commit - (was?.applied ?? 0);
  }, 0);
  progress(`restarting ${stoppedNodeId}: ${entriesBehind} entries behind`);
  const spawnedMs = performance.now();
  const ready = rig.cluster.start(stoppedNodeId).then(() => performance.now() - spawnedMs);
  // Awaited below; this only keeps a failed start from being unhandled if catch-up throws first.
  ready.catch(() => {});
  const timeoutMs = 600_000;
  const catchUp = await waitForCatchUp(rig.probe, stoppedNodeId, targets, {
    sinceMs: spawnedMs,
    pollMs,
    timeoutMs,
  });
  const spawnToReadyMs = await ready;
  const groups = groupRecoveries(before, catchUp.status, targets, catchUp.groupMs);
  const fromSpawnMs = Math.max(...catchUp.groupMs.values());
  const timing: RecoveryTiming = {
    nodeId: stoppedNodeId,
    signal: 'SIGKILL',
    spawnToReadyMs,
    fromSpawnMs,
    fromReadyMs: fromSpawnMs - spawnToReadyMs,
    entriesBehind,
    snapshotGroups: groups.filter((g) => g.snapshotIndex !== null).length,
    replayedEntries: groups.reduce((sum, g) => sum + g.replayedEntries, 0),
    pollMs,
    polls: catchUp.polls,
  };
  progress(`${stoppedNodeId} caught up ${fromSpawnMs.toFixed(0)} ms after its spawn`);
  return { timing, groups };
}

async function footprints(rig: Rig): Promise<NodeFootprint[]> {
  const result: NodeFootprint[] = [];
  for (const node of rig.cluster.nodes) {
    const pid = node.process?.pid;
    if (pid === undefined) throw new Error(`${node.id} is not running`);
    const status = await nodeStatus(rig.probe, node.id);
    result.push({
      nodeId: node.id,
      role: node.id === stoppedNodeId ? 'recovered' : 'survivor',
      pid,
      disk: diskUsage(node.dataDir),
      storeUsedBytes: status.usedBytes,
      memory: memoryUsage(pid),
    });
  }
  return result;
}

export async function measureRecovery(options: RecoveryOptions): Promise<RecoveryResult> {
  const { progress, writes } = options;
  progress('starting 3 nodes and 1 balancer');
  const rig = await startRig(options.nodeArgs ?? []);
  try {
    const before = await stopNode(rig);
    progress(`${stoppedNodeId} stopped (SIGKILL); writing ${writes} keys without it`);
    const fill = await runFill(
      {
        balancers: rig.balancers.urls,
        writes,
        concurrency: options.concurrency ?? 256,
        clients: options.clients ?? 4,
        progressEveryMs: 5_000,
      },
      progress,
    );
    progress(`filled ${fill.written} keys in ${(fill.ms / 1_000).toFixed(1)} s`);
    const { timing, groups } = await restartAndTime(rig, before, options.pollMs ?? 25, progress);
    const footprint = await footprints(rig);
    const spot = await spotCheck(rig.probe, stoppedNodeId, {
      writes,
      seed: options.seed,
      samples: spotCheckKeys,
    });
    progress(`read back ${spot.found} of ${spot.keys} keys from ${stoppedNodeId}`);
    const nodeIds = rig.cluster.nodes.map((n) => n.id);
    const agree =
      writes > hashCheckKeysMax ? null : await replicasAgree(rig.probe, nodeIds, 30_000);
    return {
      writes,
      valueBytes,
      fill,
      recovery: timing,
      groups,
      footprint,
      spotCheck: spot,
      replicasAgree: agree,
    };
  } finally {
    await stopRig(rig);
  }
}

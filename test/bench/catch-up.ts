// Raft progress of a real cluster, read from the nodes themselves through their `admin` actor
// (the status a node computes from its Raft core when asked, not the balancer's view, which
// lags by a heartbeat interval): every group has a leader, what each leader has committed, and
// how long a restarted node takes until it applied at least that much in every group.
import type { GroupStatus, NodeStatus } from '@troupe/node';
import type { KvTestClient } from '../harness/kv-test-client.js';

/** What a rejoining replica of one group must reach: its leader's commit index at restart. */
export interface GroupTarget {
  readonly groupId: string;
  readonly leader: string;
  readonly commit: number;
  /** The leader's first log index: a replica whose log ends before it needs a snapshot. */
  readonly leaderFirstIndex: number;
}

export interface CatchUp {
  /** From `sinceMs` until the status showing the group caught up arrived, per group. */
  readonly groupMs: ReadonlyMap<string, number>;
  /** The first status of the restarted node showing every group caught up. */
  readonly status: NodeStatus;
  readonly polls: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function nodeStatus(probe: KvTestClient, nodeId: string, timeoutMs = 10_000) {
  return probe.admin<NodeStatus>(nodeId, { type: 'status' }, timeoutMs);
}

/** The leader's status of every group, among `nodeIds`; groups without one are left out. */
async function leaderStatuses(
  probe: KvTestClient,
  nodeIds: readonly string[],
): Promise<Map<string, GroupStatus & { readonly leader: string }>> {
  const leaders = new Map<string, GroupStatus & { readonly leader: string }>();
  for (const nodeId of nodeIds) {
    const status = await nodeStatus(probe, nodeId);
    for (const group of status.groups) {
      if (group.role === 'leader') leaders.set(group.groupId, { ...group, leader: nodeId });
    }
  }
  return leaders;
}

/** Waits until each of `groupIds` has a leader among `nodeIds` (after a node was stopped). */
export async function waitForLeaders(
  probe: KvTestClient,
  nodeIds: readonly string[],
  groupIds: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const endMs = performance.now() + timeoutMs;
  let missing: string[] = [...groupIds];
  while (performance.now() < endMs) {
    const leaders = await leaderStatuses(probe, nodeIds).catch(() => new Map());
    missing = groupIds.filter((id) => !leaders.has(id));
    if (missing.length === 0) return;
    await sleep(50);
  }
  throw new Error(`no leader among ${nodeIds.join(', ')} for ${missing.join(', ')}`);
}

/** Each group's leader commit, read from the nodes that stayed up (writes have stopped). */
export async function groupTargets(
  probe: KvTestClient,
  nodeIds: readonly string[],
  groupIds: readonly string[],
): Promise<GroupTarget[]> {
  const leaders = await leaderStatuses(probe, nodeIds);
  return groupIds.map((groupId) => {
    const leader = leaders.get(groupId);
    if (leader === undefined) throw new Error(`${groupId} has no leader among ${nodeIds}`);
    return {
      groupId,
      leader: leader.leader,
      commit: leader.commit,
      leaderFirstIndex: leader.firstIndex,
    };
  });
}

/**
 * Polls `nodeId` (redialing while it restarts) every `pollMs` until it applied each target's
 * commit index; times are measured from `sinceMs` (performance.now()).
 */
export async function waitForCatchUp(
  probe: KvTestClient,
  nodeId: string,
  targets: readonly GroupTarget[],
  timing: { readonly sinceMs: number; readonly pollMs: number; readonly timeoutMs: number },
): Promise<CatchUp> {
  const groupMs = new Map<string, number>();
  const endMs = timing.sinceMs + timing.timeoutMs;
  let polls = 0;
  while (performance.now() < endMs) {
    if (!probe.system.isConnected(nodeId)) {
      probe.system.redialNow(nodeId);
      await sleep(timing.pollMs);
      continue;
    }
    polls++;
    const status = await nodeStatus(probe, nodeId).catch(() => null);
    const atMs = performance.now() - timing.sinceMs;
    for (const target of targets) {
      const applied = status?.groups.find((g) => g.groupId === target.groupId)?.applied ?? 0;
      if (applied >= target.commit && !groupMs.has(target.groupId)) {
        groupMs.set(target.groupId, atMs);
      }
    }
    if (status !== null && groupMs.size === targets.length) return { groupMs, status, polls };
    await sleep(timing.pollMs);
  }
  const behind = targets.filter((t) => !groupMs.has(t.groupId)).map((t) => t.groupId);
  throw new Error(`${nodeId} not caught up after ${timing.timeoutMs} ms: ${behind.join(', ')}`);
}

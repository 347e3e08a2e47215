// What a node tells every balancer it knows, every 100 ms and at once when a group's
// leadership changes: per group, role, term, leader, commit and applied index. Shared here so
// the balancer reads it without importing node code; checked as untrusted input on arrival.

/** [groupId, role, term, leaderId, commit, applied] */
export type GroupBeat = readonly [string, string, number, string | null, number, number];

export interface NodeHeartbeat {
  readonly type: 'nodeHeartbeat';
  readonly nodeId: string;
  readonly zone: string;
  /** Where the node listens for peers (and balancers). */
  readonly url: string | null;
  /** The meta configuration version the node has applied. */
  readonly configVersion: number;
  /** Grows with every heartbeat of one process; a restart starts again at 1. */
  readonly seq: number;
  readonly groups: readonly GroupBeat[];
}

/** The name of the actor every balancer runs to receive node heartbeats. */
export const balancerHealthActor = 'health';

const groupsPerBeatMax = 4_096;
const idCharsMax = 128;

function isShortString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= idCharsMax;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isGroupBeat(value: unknown): value is GroupBeat {
  if (!Array.isArray(value) || value.length !== 6) return false;
  const [groupId, role, term, leaderId, commit, applied] = value as unknown[];
  return (
    isShortString(groupId) &&
    isShortString(role) &&
    isCount(term) &&
    (leaderId === null || isShortString(leaderId)) &&
    isCount(commit) &&
    isCount(applied)
  );
}

/** Whether `message` is a well-formed heartbeat (bounded sizes, right types). */
export function isNodeHeartbeat(message: unknown): message is NodeHeartbeat {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  return (
    m.type === 'nodeHeartbeat' &&
    isShortString(m.nodeId) &&
    typeof m.zone === 'string' &&
    m.zone.length <= idCharsMax &&
    (m.url === null || (typeof m.url === 'string' && m.url.length <= 1_024)) &&
    isCount(m.configVersion) &&
    isCount(m.seq) &&
    Array.isArray(m.groups) &&
    m.groups.length <= groupsPerBeatMax &&
    m.groups.every(isGroupBeat)
  );
}

// What a node reports about itself: to balancers in heartbeats, to operators and tests through
// the `admin` actor. Plain data, msgpack-friendly.
import type { Replica } from '../replica/replica.js';

export interface GroupStatus {
  readonly groupId: string;
  readonly role: string;
  readonly term: number;
  readonly leaderId: string | null;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly voters: readonly string[];
  readonly learners: readonly string[];
}

export interface NodeStatus {
  readonly nodeId: string;
  readonly zone: string;
  readonly url: string | null;
  readonly clusterId: string;
  readonly configVersion: number;
  readonly usedBytes: number;
  readonly writesAllowed: boolean;
  readonly groups: readonly GroupStatus[];
}

export function groupStatus(replica: Replica): GroupStatus {
  const status = replica.status();
  return {
    groupId: replica.groupId,
    role: status.role,
    term: status.term,
    leaderId: status.leaderId,
    commit: status.commit,
    applied: status.applied,
    firstIndex: status.firstIndex,
    lastIndex: status.lastIndex,
    voters: status.confState.voters,
    learners: status.confState.learners,
  };
}

/**
 * The heartbeat a node sends every balancer: per group, role, term, leader, commit and applied
 * index, as compact tuples (16+ groups every 100 ms per balancer).
 */
export interface NodeHeartbeat {
  readonly type: 'nodeHeartbeat';
  readonly nodeId: string;
  readonly zone: string;
  readonly url: string | null;
  readonly configVersion: number;
  /** Increases with every heartbeat of this process. */
  readonly seq: number;
  /** [groupId, role, term, leaderId, commit, applied] */
  readonly groups: readonly (readonly [string, string, number, string | null, number, number])[];
}

// What a node reports about itself: to balancers in heartbeats, to operators and tests through
// the `admin` actor. Plain data, msgpack-friendly.
import type { Replica } from '../replica/replica.js';

export type { NodeHeartbeat } from '@troupe/client/protocol';

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
  /** Work done since start: turns of the multi-raft loop and store transactions by kind. */
  readonly turns: number;
  readonly durableWrites: number;
  readonly applyOnlyWrites: number;
  readonly groups: readonly GroupStatus[];
}

export function groupStatus(replica: Replica): GroupStatus {
  const status = replica.status();
  // Raft calls a learner a follower; balancers must not ask one to campaign.
  const isLearner = status.confState.learners.includes(status.id);
  return {
    groupId: replica.groupId,
    role: isLearner ? 'learner' : status.role,
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

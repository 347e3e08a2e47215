// What a group's leader should do next so that the group matches its placement in the meta
// group: add missing replicas as learners, promote them once caught up, remove replicas no
// longer placed (handing leadership away first when that is us), and hand leadership to the
// preferred leader so leaders stay spread over nodes. Pure: one decision per call, from the
// leader's Raft status; Raft alone decides membership and leadership, this only proposes.
import type { RaftStatus } from '../raft/index.js';

export type ReconcileAction =
  | { readonly type: 'addLearner'; readonly nodeId: string }
  | { readonly type: 'promote'; readonly nodeId: string }
  | { readonly type: 'remove'; readonly nodeId: string }
  | { readonly type: 'transferLeader'; readonly to: string }
  | { readonly type: 'none' };

export interface ReconcileInput {
  readonly self: string;
  /** The placement: replicas of the group, preferred leader first. */
  readonly desired: readonly string[];
  readonly status: RaftStatus;
  isConnected(nodeId: string): boolean;
}

const none: ReconcileAction = { type: 'none' };

/** Whether `nodeId`'s log holds everything the leader committed. */
function caughtUp(status: RaftStatus, nodeId: string): boolean {
  const progress = status.progress?.[nodeId];
  return progress !== undefined && progress.match >= status.commit;
}

export function reconcileGroup(input: ReconcileInput): ReconcileAction {
  const { status, desired, self } = input;
  if (status.role !== 'leader' || status.progress === null) return none;
  const { voters, learners } = status.confState;
  const members = new Set([...voters, ...learners]);
  const missing = desired.find((id) => !members.has(id));
  if (missing !== undefined) return { type: 'addLearner', nodeId: missing };
  const ready = learners.find((id) => desired.includes(id) && caughtUp(status, id));
  if (ready !== undefined) return { type: 'promote', nodeId: ready };
  if (desired.every((id) => voters.includes(id))) {
    const extra = [...members].filter((id) => !desired.includes(id)).sort();
    const removable = extra.find((id) => id !== self);
    if (removable !== undefined) return { type: 'remove', nodeId: removable };
    if (extra.includes(self)) return handOver(input, desired);
  }
  return preferLeader(input);
}

/** Leadership to the first placed voter that is connected and caught up. */
function handOver(input: ReconcileInput, candidates: readonly string[]): ReconcileAction {
  const to = candidates.find(
    (id) => id !== input.self && input.isConnected(id) && caughtUp(input.status, id),
  );
  return to === undefined ? none : { type: 'transferLeader', to };
}

function preferLeader(input: ReconcileInput): ReconcileAction {
  const preferred = input.desired[0];
  if (preferred === undefined || preferred === input.self) return none;
  if (!input.status.confState.voters.includes(preferred)) return none;
  return handOver(input, [preferred]);
}

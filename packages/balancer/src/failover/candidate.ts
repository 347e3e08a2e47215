// Which follower a balancer asks to campaign when a shard's leader is gone. Several balancers
// decide this independently from beats that reach them at slightly different moments, and two
// different candidates campaigning at once can split the vote, so the choice must not hinge
// on a few entries of difference: among the followers whose node is up (learners cannot win)
// and whose commit index is within `lagToleranceEntries` of the best one seen, take the first
// in the meta placement order (then by id). A follower far behind is skipped: its vote
// requests would be refused by more up-to-date voters (§5.4.1).
import type { ClusterView } from '../cluster/cluster-view.js';

const campaigningRoles = new Set(['follower', 'preCandidate', 'candidate']);

/** Commit indexes this close to the best count as equally up to date. */
export const lagToleranceEntries = 64;

export function pickCandidate(
  view: ClusterView,
  groupId: string,
  exclude: ReadonlySet<string>,
): string | null {
  const group = view.groups.get(groupId);
  if (group === undefined) return null;
  const placed = view.replicasOf(groupId);
  const eligible = [...group.replicas].filter(
    ([id, beat]) =>
      !exclude.has(id) &&
      view.isUp(id) &&
      campaigningRoles.has(beat.role) &&
      (placed.length === 0 || placed.includes(id)),
  );
  if (eligible.length === 0) return null;
  const bestCommit = Math.max(...eligible.map(([, beat]) => beat.commit));
  const rank = (id: string): number => {
    const index = placed.indexOf(id);
    return index < 0 ? placed.length : index;
  };
  const [first] = eligible
    .filter(([, beat]) => beat.commit + lagToleranceEntries >= bestCommit)
    .map(([id]) => id)
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
  return first ?? null;
}

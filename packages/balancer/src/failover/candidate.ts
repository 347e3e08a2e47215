// Which follower a balancer asks to campaign when a shard's leader is gone: one whose node is
// up, that voted in the last beats as a follower (learners cannot win), with the most of the
// log — highest commit, then applied — so that its vote requests are granted (Raft's
// up-to-date check, §5.4.1). Ties go to the lowest node id, so several balancers choosing
// independently pick the same node instead of splitting the vote.
import type { ClusterView } from '../cluster/cluster-view.js';

const campaigningRoles = new Set(['follower', 'preCandidate', 'candidate']);

export function pickCandidate(
  view: ClusterView,
  groupId: string,
  exclude: ReadonlySet<string>,
): string | null {
  const group = view.groups.get(groupId);
  if (group === undefined) return null;
  const placed = new Set(view.replicasOf(groupId));
  let best: { id: string; commit: number; applied: number } | null = null;
  for (const [id, beat] of group.replicas) {
    if (exclude.has(id) || !view.isUp(id) || !campaigningRoles.has(beat.role)) continue;
    if (placed.size > 0 && !placed.has(id)) continue;
    const better =
      best === null ||
      beat.commit > best.commit ||
      (beat.commit === best.commit && beat.applied > best.applied) ||
      (beat.commit === best.commit && beat.applied === best.applied && id < best.id);
    if (better) best = { id, commit: beat.commit, applied: beat.applied };
  }
  return best?.id ?? null;
}

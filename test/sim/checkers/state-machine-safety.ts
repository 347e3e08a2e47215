// State Machine Safety (Figure 3): if a server has applied a log entry at a given index, no
// other server will ever apply a different entry for that index. Also the record of which
// entries are committed, used by the leader-completeness check.
import type { Entry } from '@troupe/node/raft';

function entryKey(entry: Entry): string {
  if (entry.type === 'confChange') return `conf:${JSON.stringify(entry.change)}`;
  let hash = 2166136261;
  for (const byte of entry.data) hash = Math.imul(hash ^ byte, 16777619) >>> 0;
  return `data:${entry.data.length}:${hash}`;
}

/** What is known about a committed index. */
export interface CommittedEntry {
  term: number;
  key: string;
  /**
   * An upper bound on the term in which the entry was committed: the smallest current term of
   * any replica when it applied the entry (a replica learns a commit index from a leader of its
   * current term or an earlier one). Leader completeness binds leaders of later terms only.
   */
  committedByTermMax: number;
}

export class StateMachineSafety {
  readonly committed = new Map<number, CommittedEntry>();

  /** `currentTerm`: the applying replica's term at the time it applies. */
  observe(nodeId: string, entry: Entry, currentTerm: number): string | undefined {
    const key = entryKey(entry);
    const seen = this.committed.get(entry.index);
    if (!seen) {
      this.committed.set(entry.index, { term: entry.term, key, committedByTermMax: currentTerm });
      return undefined;
    }
    seen.committedByTermMax = Math.min(seen.committedByTermMax, currentTerm);
    if (seen.term === entry.term && seen.key === key) return undefined;
    return (
      `state machine safety: ${nodeId} applied ${entry.index}/${entry.term} (${key}) but ` +
      `another replica applied ${entry.index}/${seen.term} (${seen.key})`
    );
  }
}

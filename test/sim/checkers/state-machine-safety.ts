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

export class StateMachineSafety {
  /** index -> [term, content key] of the entry applied there. */
  readonly committed = new Map<number, [number, string]>();

  observe(nodeId: string, entry: Entry): string | undefined {
    const key = entryKey(entry);
    const seen = this.committed.get(entry.index);
    if (!seen) {
      this.committed.set(entry.index, [entry.term, key]);
      return undefined;
    }
    if (seen[0] === entry.term && seen[1] === key) return undefined;
    return (
      `state machine safety: ${nodeId} applied ${entry.index}/${entry.term} (${key}) but ` +
      `another replica applied ${entry.index}/${seen[0]} (${seen[1]})`
    );
  }
}

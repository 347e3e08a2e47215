// The node's log components: each part of the node logs under a name whose level
// `--log-level` / TROUPE_LOG_LEVEL can set apart from the rest (docs/logging.md). One list, so
// the flag parser refuses a misspelt component instead of silently changing nothing.
import { componentLogger, type Logger, runtimeLogComponents } from '@troupe/runtime';

export const nodeLogComponents = [
  ...runtimeLogComponents,
  'raft',
  'multi-raft',
  'store',
  'kv',
  'admin',
  'meta',
  'reconcile',
] as const;

export type NodeLogComponent = (typeof nodeLogComponents)[number];

/** The component loggers TroupeNode hands to its parts; actors get theirs through spawn. */
export interface NodeLogs {
  /** Replicas and the `raft` endpoint: elections, rejected batches, snapshots. */
  readonly raft: Logger;
  /** Batching every group's turn into one durable write. */
  readonly multiRaft: Logger;
  /** The embedded store: opening, size, refusals. */
  readonly store: Logger;
  /** The cluster configuration: joining, following and applying meta changes. */
  readonly meta: Logger;
  /** Hosting, retiring and repairing replicas to match placement. */
  readonly reconcile: Logger;
  /** Dialling the other members (the runtime's own transport lines are `transport` too). */
  readonly transport: Logger;
}

export function nodeLogs(root: Logger): NodeLogs {
  const of = (component: NodeLogComponent): Logger => componentLogger(root, component);
  return {
    raft: of('raft'),
    multiRaft: of('multi-raft'),
    store: of('store'),
    meta: of('meta'),
    reconcile: of('reconcile'),
    transport: of('transport'),
  };
}

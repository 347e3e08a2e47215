// The balancer's log components: each part of the balancer logs under a name whose level
// `--log-level` / TROUPE_LOG_LEVEL can set apart from the rest (docs/logging.md). One list, so
// the flag parser refuses a misspelt component instead of silently changing nothing.
import { componentLogger, type Logger, runtimeLogComponents } from '@troupe/runtime';

export const balancerLogComponents = [
  ...runtimeLogComponents,
  'router',
  'failover',
  'rereplicate',
  'health',
  'clients',
  'http',
] as const;

export type BalancerLogComponent = (typeof balancerLogComponents)[number];

/** The component loggers TroupeBalancer hands to its parts. */
export interface BalancerLogs {
  /** What routing relies on: the meta configuration learned, unreachable leaders redialled. */
  readonly router: Logger;
  /** Asking a follower to campaign when a shard lost its leader. */
  readonly failover: Logger;
  /** Moving replicas off a node down past the grace period. */
  readonly rereplicate: Logger;
  /** Node heartbeats, phi-accrual suspicion, lost node connections. */
  readonly health: Logger;
  /** Client connections: refusals, closes, socket errors. */
  readonly clients: Logger;
  /** The HTTP endpoints (/healthz, /status, /metrics, the dashboard). */
  readonly http: Logger;
}

export function balancerLogs(root: Logger): BalancerLogs {
  const of = (component: BalancerLogComponent): Logger => componentLogger(root, component);
  return {
    router: of('router'),
    failover: of('failover'),
    rereplicate: of('rereplicate'),
    health: of('health'),
    clients: of('clients'),
    http: of('http'),
  };
}

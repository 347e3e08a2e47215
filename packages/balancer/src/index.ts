// Public surface of @troupe/balancer: start a balancer in-process (the `troupe-balancer`
// command does the same from flags), its configuration and its status document.
export { TroupeBalancer } from './balancer.js';
export { balancerUsage, parseBalancerArgs } from './cli-args.js';
export {
  type BalancerConfig,
  BalancerConfigError,
  balancerConfigDefaults,
  checkBalancerConfig,
} from './config.js';
export type {
  BalancerStatus,
  GroupStatusView,
  MemberStatus,
  ReplicaStatus,
} from './http/status.js';

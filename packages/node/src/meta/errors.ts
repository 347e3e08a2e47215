// The one error the cluster-configuration modules raise on purpose: a member list, placement
// request, meta command or encoded meta record that cannot be accepted. Typed so the node can
// refuse to start (or a proposer can be told why) without parsing messages.
import { TroupeError } from '@troupe/runtime';

/** A cluster configuration (member list, placement, meta record) that cannot be accepted. */
export class ClusterConfigError extends TroupeError {
  override readonly name = 'ClusterConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_CLUSTER_CONFIG', message, options);
  }
}

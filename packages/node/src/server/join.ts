// Joining a running cluster (`--join <url>`): ask a member to add this node to the meta group
// (following NotLeader hints to the meta leader) and receive the cluster configuration, from
// which the node learns the cluster id. Joining again with the same id and address is a no-op
// that returns the current configuration, so a restarted joiner runs the same path.
import type { ChangeReply } from '@troupe/client/protocol';
import { NotLeaderError, UnavailableError } from '@troupe/client/protocol';
import type { ActorSystem, Logger } from '@troupe/runtime';
import type { ClusterMember } from '../meta/initial-cluster.js';
import type { MetaState } from '../meta/meta-state.js';
import { NodeConfigError } from './config.js';

export interface JoinRequest {
  readonly type: 'join';
  readonly member: ClusterMember;
}

/** A join is a configuration change: answered like every other (the protocol's shape). */
export type JoinReply = ChangeReply;

const attemptTimeoutMs = 3_000;
const retryDelayMs = 200;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Joins through `url`; resolves with the configuration that includes us, or throws. */
export async function joinCluster(
  system: ActorSystem,
  url: string,
  member: ClusterMember,
  log: Logger,
  deadlineMs = 30_000,
): Promise<MetaState> {
  const endMs = Date.now() + deadlineMs;
  let target = url;
  let lastError = 'no attempt made';
  while (Date.now() < endMs) {
    try {
      const peer = await system.connect(target, { timeoutMs: attemptTimeoutMs });
      const request: JoinRequest = { type: 'join', member };
      const reply = (await system
        .ref(peer, 'admin')
        .ask(request, { timeoutMs: attemptTimeoutMs })) as JoinReply;
      if (reply.ok) return reply.meta;
      lastError = `${reply.code}: ${reply.message}`;
      if (reply.code === 'TROUPE_ERR_CLUSTER_CONFIG') throw new NodeConfigError(reply.message);
      target = reply.leader?.url ?? url;
    } catch (error) {
      if (error instanceof NodeConfigError) throw error;
      lastError = error instanceof Error ? error.message : String(error);
      target = url;
    }
    log.info({ via: target, lastError }, 'join: retrying');
    await sleep(retryDelayMs);
  }
  throw new NodeConfigError(`could not join through ${url}: ${lastError}`);
}

/** The error a member answers a join with when it cannot take it itself. */
export function joinRedirect(
  leaderId: string | null,
  urlOf: (id: string) => string | null,
): JoinReply {
  const error =
    leaderId === null
      ? new UnavailableError('the meta group has no leader right now')
      : new NotLeaderError(-1, { nodeId: leaderId, url: urlOf(leaderId) });
  const leader = error instanceof NotLeaderError ? error.leader : null;
  return { ok: false, code: error.code, message: error.message, leader };
}

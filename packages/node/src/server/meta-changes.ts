// Turns admin configuration requests into meta-group proposals. The command is validated by
// an encode/decode round trip before it is proposed (a command that every replica would fail
// to decode must never reach the log), then proposed on this node's meta replica when it
// leads; otherwise the asker is sent to the meta leader.

import type { DeferredReply } from '@troupe/runtime';
import { TroupeError } from '@troupe/runtime';
import { decodeMetaCommand, encodeMetaCommand } from '../meta/meta-codec.js';
import type { MetaCommand, MetaReply, MetaState } from '../meta/meta-state.js';
import type { Outcome } from '../replica/pending-requests.js';
import type { Replica } from '../replica/replica.js';
import type { AdminRequest, ChangeReply } from './admin-endpoint.js';
import { joinRedirect } from './join.js';

export interface MetaChangeHost {
  metaReplica(): Replica | undefined;
  meta(): MetaState;
  urlOf(nodeId: string): string | null;
}

type ChangeRequest = Extract<AdminRequest, { type: 'join' | 'setShardReplicas' }>;

function commandOf(request: ChangeRequest): MetaCommand {
  if (request.type === 'join') return { type: 'addMember', member: request.member };
  const { shard, replicas, ifConfigVersion } = request;
  return { type: 'setShardReplicas', shard, replicas: [...replicas], ifConfigVersion };
}

function failure(error: unknown, fallbackCode: string): ChangeReply {
  if (error instanceof TroupeError) return { ok: false, code: error.code, message: error.message };
  return { ok: false, code: fallbackCode, message: String(error) };
}

export function proposeMetaChange(
  host: MetaChangeHost,
  request: ChangeRequest,
  reply: DeferredReply<ChangeReply>,
): void {
  let bytes: Uint8Array;
  try {
    bytes = encodeMetaCommand(commandOf(request));
    decodeMetaCommand(bytes);
  } catch (error) {
    return reply.resolve(failure(error, 'TROUPE_ERR_INVALID_ARGUMENT'));
  }
  const replica = host.metaReplica();
  if (replica === undefined || !replica.isLeader) {
    const leader = replica?.leaderId ?? host.meta().metaVoters[0] ?? null;
    return reply.resolve(joinRedirect(leader, (id) => host.urlOf(id)));
  }
  replica.propose(bytes, (outcome: Outcome) => {
    if (!outcome.ok) return reply.resolve(failure(outcome.error, 'TROUPE_ERR_INTERNAL'));
    const metaReply = outcome.value as MetaReply;
    if (!metaReply.ok)
      return reply.resolve({ ok: false, code: metaReply.code, message: metaReply.message });
    reply.resolve({ ok: true, meta: host.meta() });
  });
}

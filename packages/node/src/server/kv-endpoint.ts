// The `kv` actor: where balancers and clients send key-value requests. It validates the
// request (untrusted input: a typed error reply, one log line, nothing else happens), finds the
// shard, and hands it to that shard's replica here. Writes and linearizable reads need the
// shard leader; a replica that is not leader answers NotLeader with the leader's address.
import {
  checkRequest,
  type ErrorReply,
  type KvReply,
  type KvRequest,
  NotLeaderError,
  replyFromError,
  StorageFullError,
  shardOf,
} from '@troupe/client/protocol';
import { type Actor, type ActorContext, TroupeError } from '@troupe/runtime';
import { encodeKvCommand } from '../kv/command-codec.js';
import type { KvGroupMachine } from '../replica/kv-group-machine.js';
import type { Outcome } from '../replica/pending-requests.js';
import type { Replica } from '../replica/replica.js';

/** What the endpoint needs from the node. */
export interface KvEndpointHost {
  /** Wall-clock time in ms (Date.now), stamped on writes for session expiry. */
  wallClockMs(): number;
  shardCount(): number;
  /** The replica and machine of shard `shard` on this node, if it hosts one. */
  shard(shard: number): { replica: Replica; machine: KvGroupMachine } | undefined;
  /** Where a node listens, for leader hints. */
  urlOf(nodeId: string): string | null;
  /** A replica of `shard` on another node, when this node hosts none. */
  someReplicaOf(shard: number): string | null;
  writesAllowed(): boolean;
}

export function kvEndpoint(host: KvEndpointHost): Actor<unknown, KvReply | undefined> {
  return {
    receive(message, context) {
      const check = checkRequest(message);
      if (!check.ok) {
        context.log.warn({ code: check.error.code, reason: check.error.message }, 'bad request');
        return replyFromError(check.error);
      }
      return handle(host, check.request, context);
    },
  };
}

function handle(
  host: KvEndpointHost,
  request: KvRequest,
  context: ActorContext<unknown>,
): KvReply | undefined {
  const shard = shardOf(request.key, host.shardCount());
  const local = host.shard(shard);
  if (local === undefined) {
    const nodeId = host.someReplicaOf(shard);
    const leader = nodeId === null ? null : { nodeId, url: host.urlOf(nodeId) };
    return replyFromError(new NotLeaderError(shard, leader));
  }
  if (request.op === 'get' && request.consistency === 'stale') {
    return local.machine.read(request.key);
  }
  if (request.op !== 'get' && !host.writesAllowed()) {
    return replyFromError(new StorageFullError('the node store is nearly full: writes refused'));
  }
  const reply = context.deferReply<KvReply>();
  const done = (outcome: Outcome): void => reply.resolve(toReply(host, outcome));
  if (request.op === 'get') {
    local.replica.readLinearizable(() => local.machine.read(request.key), done);
    return undefined;
  }
  const command = encodeKvCommand({
    op: request.op,
    key: request.key,
    ...('value' in request ? { value: request.value } : {}),
    ...(request.op !== 'create' && request.ifVersion !== undefined
      ? { ifVersion: request.ifVersion }
      : {}),
    ...(request.session !== undefined ? { session: request.session } : {}),
    // Wall time, not the monotonic clock: session expiry compares it across leaders.
    nowMs: host.wallClockMs(),
  });
  local.replica.propose(command, done);
  return undefined;
}

function toReply(host: KvEndpointHost, outcome: Outcome): KvReply {
  if (outcome.ok) return outcome.value as KvReply;
  const error = outcome.error;
  if (error instanceof NotLeaderError && error.leader !== null && error.leader.url === null) {
    const nodeId = error.leader.nodeId;
    return replyFromError(new NotLeaderError(error.shard, { nodeId, url: host.urlOf(nodeId) }));
  }
  if (error instanceof TroupeError) return replyFromError(error);
  const internal: ErrorReply = { ok: false, code: 'TROUPE_ERR_INTERNAL', message: error.message };
  return internal;
}

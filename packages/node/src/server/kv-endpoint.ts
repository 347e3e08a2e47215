// The `kv` actor: where balancers and clients send key-value requests. It validates the
// request (untrusted input: a typed error reply, one log line, nothing else happens), finds the
// shard, and hands it to that shard's replica here. Writes and linearizable reads need the
// shard leader; a replica that is not leader answers NotLeader with the leader's address.
// Each reply's latency and outcome go to an optional observer (the node's metrics).
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

/** Hears how requests end, for metrics: called on the hot path, so it must be cheap. */
export interface KvEndpointObserver {
  /** A request was answered `seconds` after the actor took it; outcome: `ok` or the code. */
  requestFinished(op: string, outcome: string, seconds: number): void;
  /** A client write ended: `committed` (applied here, whatever it answered) or the code. */
  writeFinished(outcome: string): void;
}

/** The reply to send, after telling the observer; `committed`: a write that applied. */
type Answer = (reply: KvReply, committed?: boolean) => KvReply;

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
  readonly observer?: KvEndpointObserver;
}

export function kvEndpoint(host: KvEndpointHost): Actor<unknown, KvReply | undefined> {
  return {
    receive(message, context) {
      const startedMs = performance.now();
      const check = checkRequest(message);
      if (!check.ok) {
        context.log.warn({ code: check.error.code, reason: check.error.message }, 'bad request');
        return observed(host, 'invalid', startedMs)(replyFromError(check.error));
      }
      return handle(host, check.request, context, observed(host, opOf(check.request), startedMs));
    },
  };
}

/** Stale reads are served locally without Raft: a label of their own keeps latencies apart. */
function opOf(request: KvRequest): string {
  return request.op === 'get' && request.consistency === 'stale' ? 'get_stale' : request.op;
}

function observed(host: KvEndpointHost, op: string, startedMs: number): Answer {
  const observer = host.observer;
  if (observer === undefined) return (reply) => reply;
  return (reply, committed = false) => {
    const outcome = reply.ok ? 'ok' : reply.code;
    observer.requestFinished(op, outcome, (performance.now() - startedMs) / 1_000);
    const isWrite = op === 'update' || op === 'create' || op === 'delete';
    if (isWrite) observer.writeFinished(committed ? 'committed' : outcome);
    return reply;
  };
}

function handle(
  host: KvEndpointHost,
  request: KvRequest,
  context: ActorContext<unknown>,
  answer: Answer,
): KvReply | undefined {
  const shard = shardOf(request.key, host.shardCount());
  const local = host.shard(shard);
  if (local === undefined) {
    const nodeId = host.someReplicaOf(shard);
    const leader = nodeId === null ? null : { nodeId, url: host.urlOf(nodeId) };
    return answer(replyFromError(new NotLeaderError(shard, leader)));
  }
  if (request.op === 'get' && request.consistency === 'stale') {
    return answer(local.machine.read(request.key));
  }
  if (request.op !== 'get' && !host.writesAllowed()) {
    const full = new StorageFullError('the node store is nearly full: writes refused');
    return answer(replyFromError(full));
  }
  const reply = context.deferReply<KvReply>();
  const done = (outcome: Outcome): void =>
    reply.resolve(answer(toReply(host, outcome), outcome.ok));
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

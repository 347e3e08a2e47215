// Routes one client request: key -> shard -> leader (or, for a stale read, the replica with
// the lowest latency), follows NotLeader hints, waits in the hold queue while a shard has no
// reachable leader, and retries only what is safe to retry: reads, and writes that carry a
// session (the node's session table answers a duplicate from memory). Never throws: every
// outcome is a reply, and a write that may have been applied without an answer is reported
// as Indeterminate, never silently retried. A debug option, unsafe on purpose, serves
// linearizable gets from followers as stale reads so the chaos checker can be shown to catch it.
import type { ErrorReply, KvReply, KvRequest } from '@troupe/client/protocol';
import { shardOf } from '@troupe/client/protocol';
import { OverloadedError, TroupeError } from '@troupe/runtime';
import { type ClusterView, shardGroupId } from '../cluster/cluster-view.js';
import { AbandonableAttempts } from './abandonable.js';
import type { HoldQueue } from './hold-queue.js';
import type { LatencyTracker } from './latency.js';

/** Sends one request to one node's `kv` actor; rejects with the transport's typed errors. */
export type NodeAsk = (nodeId: string, request: KvRequest, timeoutMs: number) => Promise<KvReply>;

export interface RouterOptions {
  /** One attempt at one node gives up after this long (then retries if safe). */
  readonly attemptTimeoutMs: number;
  /** Pause before retrying after Unavailable or a transport failure. */
  readonly retryDelayMs: number;
  /** Attempts per request, at most (a NotLeader hint followed counts as one). */
  readonly attemptsMax: number;
  /**
   * UNSAFE (breaks linearizability on purpose; see docs/balancer.md "Debug flags"): send a
   * linearizable get to a follower as a stale read, falling back to the leader when no
   * follower is up. Exists only so the chaos suite can prove its checker catches stale reads.
   */
  readonly unsafeLinearizableReadsFromFollowers?: boolean;
}

export interface RouterHooks {
  /** An attempt at `nodeId` ended: its round trip, and the reply code (or 'ok'). */
  attempted(nodeId: string, latencyMs: number, outcome: string): void;
  retried(reason: string): void;
}

export interface RouterDeps {
  readonly view: ClusterView;
  readonly hold: HoldQueue;
  readonly latency: LatencyTracker;
  readonly ask: NodeAsk;
  /** Whether a connection to the node is open now (checked before each send). */
  readonly isConnected: (nodeId: string) => boolean;
  readonly nowMs: () => number;
  readonly hooks: RouterHooks;
}

type Attempt =
  | { readonly kind: 'done'; readonly reply: KvReply }
  | {
      readonly kind: 'retry';
      readonly reason: string;
      readonly delay: boolean;
      /** The node may have applied it (sent, no answer): a write must not report "not done". */
      readonly maybeApplied: boolean;
    };

const retryableOnTheWire = new Set(['TROUPE_ERR_NOT_LEADER', 'TROUPE_ERR_UNAVAILABLE']);

function errorReply(error: TroupeError): ErrorReply {
  return { ok: false, code: error.code, message: error.message };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Router {
  private readonly attempts = new AbandonableAttempts();

  constructor(
    private readonly deps: RouterDeps,
    private readonly options: RouterOptions,
  ) {}

  /**
   * `nodeId` is suspected or gone: stop waiting on it. Safe requests retry elsewhere at once;
   * an unsessioned write already sent there is answered Indeterminate.
   */
  abandon(nodeId: string, reason: string): number {
    return this.attempts.abandon(nodeId, reason);
  }

  async route(request: KvRequest, timeoutMs: number): Promise<KvReply> {
    const { view, nowMs } = this.deps;
    const shardCount = view.meta?.shardCount;
    if (shardCount === undefined) return unavailable('the balancer has not learned the cluster');
    const groupId = shardGroupId(shardOf(request.key, shardCount));
    const safe = request.op === 'get' || request.session !== undefined;
    const endMs = nowMs() + timeoutMs;
    let lastReason = 'no leader';
    let maybeApplied = false;
    for (let attempt = 0; attempt < this.options.attemptsMax; attempt++) {
      const remainingMs = endMs - nowMs();
      if (remainingMs <= 0) break;
      // Chosen per attempt: the follower that was up a moment ago may be suspected by now.
      const follower = this.unsafeFollower(groupId, request);
      const target = follower ?? this.target(groupId, request);
      if (target === null) {
        const held = await this.waitForLeader(groupId, remainingMs);
        if (held === null) continue;
        // An earlier attempt may have been applied: that outweighs "no leader now".
        if (!maybeApplied || request.op === 'get') return held;
        break;
      }
      const sent = follower === null ? request : asStaleRead(request);
      const outcome = await this.attempt(target, sent, groupId, safe, remainingMs);
      if (outcome.kind === 'done') return outcome.reply;
      lastReason = outcome.reason;
      maybeApplied ||= outcome.maybeApplied;
      this.deps.hooks.retried(outcome.reason);
      if (outcome.delay) await sleep(Math.min(this.options.retryDelayMs, endMs - nowMs()));
    }
    const message = `${groupId}: no answer within ${timeoutMs} ms (last: ${lastReason})`;
    if (maybeApplied && request.op !== 'get') {
      return {
        ok: false,
        code: 'TROUPE_ERR_INDETERMINATE',
        message: `${message}; it may have been applied`,
      };
    }
    return unavailable(message);
  }

  private target(groupId: string, request: KvRequest): string | null {
    const { view, latency } = this.deps;
    if (request.op === 'get' && request.consistency === 'stale') {
      const up = view.replicasOf(groupId).filter((id) => view.isUp(id));
      return latency.fastest(up);
    }
    return view.leaderOf(groupId);
  }

  /**
   * Under the unsafe option, the follower a linearizable get is sent to: the fastest up placed
   * replica other than the leader. Null when the option is off, for any other request, or when
   * no follower is up (the leader then serves it as usual).
   */
  private unsafeFollower(groupId: string, request: KvRequest): string | null {
    if (this.options.unsafeLinearizableReadsFromFollowers !== true) return null;
    if (request.op !== 'get' || request.consistency === 'stale') return null;
    const { view, latency } = this.deps;
    const leader = view.leaderOf(groupId);
    const followers = view.replicasOf(groupId).filter((id) => id !== leader && view.isUp(id));
    return latency.fastest(followers);
  }

  /** Null when a leader appeared (try again); a reply when waiting failed. */
  private async waitForLeader(groupId: string, remainingMs: number): Promise<KvReply | null> {
    try {
      const outcome = await this.deps.hold.hold(groupId, remainingMs);
      if (outcome === 'released') return null;
      return unavailable(`${groupId}: no leader within the request's deadline`);
    } catch (error) {
      if (error instanceof OverloadedError) return errorReply(error);
      throw error;
    }
  }

  private async attempt(
    nodeId: string,
    request: KvRequest,
    groupId: string,
    safe: boolean,
    remainingMs: number,
  ): Promise<Attempt> {
    const { ask, nowMs, hooks, latency, view } = this.deps;
    if (!this.deps.isConnected(nodeId)) {
      // Not sent at all: any request may go elsewhere, once the view catches up.
      if (view.leaderOf(groupId) === nodeId) view.applyLeaderHint(groupId, null);
      return { kind: 'retry', reason: 'notConnected', delay: true, maybeApplied: false };
    }
    const startMs = nowMs();
    const timeoutMs = Math.min(this.options.attemptTimeoutMs, remainingMs);
    let reply: KvReply;
    try {
      reply = await this.attempts.run(nodeId, ask(nodeId, request, timeoutMs));
    } catch (error) {
      const code = error instanceof TroupeError ? error.code : 'TROUPE_ERR_INTERNAL';
      hooks.attempted(nodeId, nowMs() - startMs, code);
      latency.penalize(nodeId, this.options.attemptTimeoutMs);
      // Only a full queue on our side (OverloadedError) proves nothing left this process; a
      // connection that dropped in flight, a timeout or an abandoned wait may follow a send.
      const sent = !(error instanceof OverloadedError);
      if (!sent || safe) {
        // Forget the leader only if it was the one that failed (not a stale read's follower).
        if (view.leaderOf(groupId) === nodeId) view.applyLeaderHint(groupId, null);
        return { kind: 'retry', reason: code, delay: true, maybeApplied: sent };
      }
      return { kind: 'done', reply: indeterminate(nodeId, code) };
    }
    const latencyMs = nowMs() - startMs;
    hooks.attempted(nodeId, latencyMs, reply.ok ? 'ok' : reply.code);
    if (reply.ok) {
      latency.record(nodeId, latencyMs);
      return { kind: 'done', reply };
    }
    return this.onErrorReply(reply, groupId, safe);
  }

  private onErrorReply(reply: ErrorReply, groupId: string, safe: boolean): Attempt {
    if (reply.code === 'TROUPE_ERR_INDETERMINATE' && safe) {
      return { kind: 'retry', reason: reply.code, delay: true, maybeApplied: true };
    }
    if (!retryableOnTheWire.has(reply.code)) return { kind: 'done', reply };
    if (reply.code === 'TROUPE_ERR_NOT_LEADER') {
      const hinted = reply.leader?.nodeId ?? null;
      const followed = hinted !== null && this.deps.view.isUp(hinted);
      this.deps.view.applyLeaderHint(groupId, followed ? hinted : null);
      return { kind: 'retry', reason: reply.code, delay: !followed, maybeApplied: false };
    }
    return { kind: 'retry', reason: reply.code, delay: true, maybeApplied: false };
  }
}

/** The node serves a stale get from its local state, with no ReadIndex round. */
function asStaleRead(request: KvRequest): KvRequest {
  return request.op === 'get' ? { ...request, consistency: 'stale' } : request;
}

function unavailable(message: string): ErrorReply {
  return { ok: false, code: 'TROUPE_ERR_UNAVAILABLE', message };
}

function indeterminate(nodeId: string, code: string): ErrorReply {
  const why = `no answer came (${code})`;
  const message = `the request reached ${nodeId} but ${why}; it may have been applied`;
  return { ok: false, code: 'TROUPE_ERR_INDETERMINATE', message };
}

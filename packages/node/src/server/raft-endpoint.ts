// The `raft` actor: receives the per-turn batches of Raft messages other nodes send (one per
// peer per turn, all shards together) and steps them into the hosted groups. Input from the
// network is untrusted: a batch that fails validation, claims another sender than the
// authenticated connection, comes from a node that is not a member, or names a group this node
// does not host is rejected and logged (rate-limited), and nothing of it is stepped.
import type { Actor, Logger } from '@troupe/runtime';
import type { Message } from '../raft/index.js';
import type { StepResult } from '../replica/multi-raft.js';
import { decodeRaftBatch } from '../replica/raft-wire.js';

export interface RaftEndpointHost {
  readonly clusterId: string;
  readonly nodeId: string;
  isMember(nodeId: string): boolean;
  /** Steps one message, or says why it was refused. */
  step(groupId: string, message: Message): StepResult;
}

/** Why a batch (or one message of it) was not stepped; logged as `reason`. */
export type RejectReason =
  | 'noSender'
  | 'invalid'
  | 'spoofed'
  | 'unknownNode'
  | 'unknownGroup'
  | 'notInConfig';

/**
 * Logs each (reason, peer) at most once per interval with a count of what it skipped, so a
 * misbehaving peer cannot flood the log while every kind of refusal is still seen.
 */
class RejectionLog {
  private readonly lastMs = new Map<string, number>();
  private readonly skipped = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  warn(reason: RejectReason, peer: string, details: Record<string, unknown> = {}): void {
    const key = `${reason}:${peer}`;
    const nowMs = Date.now();
    const last = this.lastMs.get(key);
    if (last !== undefined && nowMs - last < this.intervalMs) {
      this.skipped.set(key, (this.skipped.get(key) ?? 0) + 1);
      return;
    }
    const similarSkipped = this.skipped.get(key) ?? 0;
    this.lastMs.set(key, nowMs);
    this.skipped.delete(key);
    if (this.lastMs.size > 10_000) this.lastMs.clear();
    this.logger.warn({ ...details, reason, peer, similarSkipped }, 'raft batch rejected');
  }
}

export function raftEndpoint(host: RaftEndpointHost, logger: Logger): Actor<unknown, void> {
  const rejections = new RejectionLog(logger, 5_000);
  return {
    receive(message, context) {
      const peer = context.sender?.nodeId;
      if (peer === undefined) return rejections.warn('noSender', '?');
      const decoded = decodeRaftBatch(message, { clusterId: host.clusterId, self: host.nodeId });
      if (!decoded.ok) {
        return rejections.warn('invalid', peer, { error: decoded.error.message });
      }
      if (decoded.from !== peer) return rejections.warn('spoofed', peer, { claimed: decoded.from });
      if (!host.isMember(peer)) return rejections.warn('unknownNode', peer);
      for (const { groupId, message: raftMessage } of decoded.messages) {
        const result = host.step(groupId, raftMessage);
        if (result !== 'stepped') rejections.warn(result, peer, { groupId });
      }
    },
  };
}

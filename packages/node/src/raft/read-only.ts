// Read-index requests a leader is confirming (etcd read_only.go): each records the commit index
// at arrival and collects heartbeat acknowledgements for its context. Once a majority has
// acknowledged a context, that request and every older one are confirmed, because the
// acknowledgement proves leadership at a time after all of them arrived.
import { assert } from '@troupe/runtime/assert';
import type { NodeId } from './types.js';

/** Who asked (a follower, or this node for a local read) and with which context. */
export interface ReadRequest {
  readonly from: NodeId;
  readonly ctx: Uint8Array;
}

export interface ReadIndexStatus {
  readonly request: ReadRequest;
  /** The leader's commit index when the request arrived. */
  readonly index: number;
  readonly acks: Set<NodeId>;
}

/** Contexts are compared by content: a hex string is a compact, exact Map key. */
export function ctxKey(ctx: Uint8Array): string {
  let key = '';
  for (const byte of ctx) key += byte.toString(16).padStart(2, '0');
  return key;
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  /** Keys in arrival order; the newest is what heartbeats carry. */
  private queue: string[] = [];
  private readonly pendingMax: number;

  constructor(pendingMax: number) {
    assert(pendingMax >= 1, () => `read pendingMax ${pendingMax} < 1`);
    this.pendingMax = pendingMax;
  }

  get size(): number {
    return this.queue.length;
  }

  isFull(): boolean {
    return this.queue.length >= this.pendingMax;
  }

  /** Starts confirming a request; false if one with the same ctx is already pending. */
  addRequest(index: number, request: ReadRequest): boolean {
    assert(!this.isFull(), () => `read-only queue full at ${this.queue.length}`);
    const key = ctxKey(request.ctx);
    if (this.pending.has(key)) return false;
    this.pending.set(key, { request, index, acks: new Set() });
    this.queue.push(key);
    return true;
  }

  /** Records that `id` acknowledged a heartbeat carrying `ctx`; returns that request's acks. */
  recvAck(id: NodeId, ctx: Uint8Array): ReadonlySet<NodeId> | undefined {
    const status = this.pending.get(ctxKey(ctx));
    if (status === undefined) return undefined;
    status.acks.add(id);
    return status.acks;
  }

  /** Removes and returns the request for `ctx` and every request older than it. */
  advance(ctx: Uint8Array): ReadIndexStatus[] {
    const key = ctxKey(ctx);
    const position = this.queue.indexOf(key);
    if (position < 0) return [];
    const confirmed = this.queue.slice(0, position + 1).map((k) => {
      const status = this.pending.get(k);
      assert(status !== undefined, () => `read queue key ${k} has no status`);
      this.pending.delete(k);
      return status;
    });
    this.queue = this.queue.slice(position + 1);
    assert(this.queue.length === this.pending.size, 'read queue and map out of step');
    return confirmed;
  }

  /** The newest pending context, which a heartbeat carries to confirm everything pending. */
  lastPendingCtx(): Uint8Array | null {
    const key = this.queue[this.queue.length - 1];
    if (key === undefined) return null;
    return this.pending.get(key)?.request.ctx ?? null;
  }
}

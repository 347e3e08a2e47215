// A minimal key-value client for multi-process node tests (the real SDK is @troupe/client):
// it talks to the nodes' `kv` actors directly, follows NotLeader hints, and retries what is
// safe to retry — reads, and writes that carry a session id and sequence number.
import type { ErrorReply, KvReply, KvRequest } from '@troupe/client/protocol';
import { shardOf } from '@troupe/client/protocol';
import { ActorSystem, silentLogger } from '@troupe/runtime';
import { pack, unpack } from 'msgpackr';

export { pack, unpack };

const retryable = new Set(['TROUPE_ERR_NOT_LEADER', 'TROUPE_ERR_UNAVAILABLE']);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class KvTestClient {
  private readonly leaders = new Map<number, string>();
  /** Attempts beyond the first, over all requests: shows a test that failover really happened. */
  retries = 0;
  private nextNode = 0;

  private constructor(
    readonly system: ActorSystem,
    private readonly nodeIds: string[],
    private readonly shardCount: number,
  ) {}

  /** Connects to every node URL (nodes without a cluster secret: it proves none). */
  static async connect(urls: readonly string[], shardCount: number): Promise<KvTestClient> {
    const nodeId = `client-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
    const system = await ActorSystem.start({ nodeId, role: 'client', logger: silentLogger() });
    const nodeIds = await Promise.all(
      urls.map((url) => system.connect(url, { timeoutMs: 10_000 }).catch(() => null)),
    );
    const known = nodeIds.filter((id): id is string => id !== null);
    return new KvTestClient(system, known.length > 0 ? known : [], shardCount);
  }

  /** Connects to one more node (one that joined later) and routes to it from now on. */
  async addNode(url: string): Promise<string> {
    const nodeId = await this.system.connect(url, { timeoutMs: 10_000 });
    if (!this.nodeIds.includes(nodeId)) this.nodeIds.push(nodeId);
    return nodeId;
  }

  /** One attempt at one node: the reply, or the error the ask failed with. */
  async once(nodeId: string, request: KvRequest, timeoutMs = 3_000): Promise<KvReply> {
    return (await this.system.ref(nodeId, 'kv').ask(request, { timeoutMs })) as KvReply;
  }

  /**
   * Sends until a definite answer or the deadline. Unsessioned writes are not retried after
   * an ask that may have reached a node (the caller gets the transport error then).
   */
  async request(request: KvRequest, deadlineMs = 15_000): Promise<KvReply> {
    const shard = shardOf(request.key, this.shardCount);
    const safe = request.op === 'get' || request.session !== undefined;
    const endMs = Date.now() + deadlineMs;
    let last: KvReply | Error = new Error('no attempt made');
    for (let attempt = 0; Date.now() < endMs; attempt++) {
      if (attempt > 0) this.retries++;
      const nodeId = this.leaders.get(shard) ?? this.pickNode();
      try {
        const reply = await this.once(nodeId, request);
        if (reply.ok || !this.shouldRetry(reply, shard, safe)) return reply;
        last = reply;
      } catch (error) {
        this.leaders.delete(shard);
        if (!safe) throw error;
        last = error as Error;
        this.nextNode++;
      }
      await sleep(30);
    }
    if (last instanceof Error) throw last;
    return last;
  }

  private shouldRetry(reply: ErrorReply, shard: number, safe: boolean): boolean {
    if (reply.code === 'TROUPE_ERR_INDETERMINATE') return safe;
    if (!retryable.has(reply.code)) return false;
    const leader = reply.leader?.nodeId;
    if (leader !== undefined && this.nodeIds.includes(leader)) this.leaders.set(shard, leader);
    else {
      this.leaders.delete(shard);
      this.nextNode++;
    }
    return true;
  }

  private pickNode(): string {
    const nodeId = this.nodeIds[this.nextNode % this.nodeIds.length];
    if (nodeId === undefined) throw new Error('client is connected to no node');
    return nodeId;
  }

  async admin<T>(nodeId: string, message: { type: string }, timeoutMs = 5_000): Promise<T> {
    return (await this.system.ref(nodeId, 'admin').ask(message, { timeoutMs })) as T;
  }

  close(): Promise<void> {
    return this.system.shutdown({ timeoutMs: 1_000 });
  }
}

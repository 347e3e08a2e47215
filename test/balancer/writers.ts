// Steady write streams through balancers for failover tests: each writer sends sessioned
// updates (safe to resend) one after another and records what was acknowledged, so a test
// can prove that no acknowledged write was lost and see when writes resumed after a fault.
import type { KvRequest } from '@troupe/client/protocol';
import { FailoverTestClient } from '../harness/balancer-client.js';
import { pack, unpack } from '../harness/kv-test-client.js';

export interface Ack {
  readonly key: string;
  readonly value: number;
  readonly version: number;
  readonly sentAtMs: number;
  readonly atMs: number;
}

export class Writer {
  readonly acks: Ack[] = [];
  readonly failures: string[] = [];
  readonly client: FailoverTestClient;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    urls: readonly string[],
    /** The key of the n-th write. */
    private readonly keyOf: (n: number) => string,
  ) {
    this.client = new FailoverTestClient(urls);
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** First acknowledgement at or after `sinceMs`. */
  firstAckAfter(sinceMs: number): Ack | undefined {
    return this.acks.find((ack) => ack.atMs >= sinceMs);
  }

  /**
   * The longest any write waited past `faultMs` for its acknowledgement: what the fault cost
   * this writer (a write in flight at the fault counts from the fault, not from its send).
   */
  stallAfter(faultMs: number): number {
    let stallMs = 0;
    for (const ack of this.acks) {
      if (ack.atMs < faultMs) continue;
      stallMs = Math.max(stallMs, ack.atMs - Math.max(ack.sentAtMs, faultMs));
    }
    return stallMs;
  }

  private async run(): Promise<void> {
    for (let seq = 1; this.running; seq++) {
      const key = this.keyOf(seq);
      const request: KvRequest = {
        op: 'update',
        key,
        value: pack(seq),
        session: { id: `writer-${this.name}`, seq },
      };
      const sentAtMs = Date.now();
      try {
        const reply = await this.client.request(request, 30_000);
        if (reply.ok) {
          const ack = { key, value: seq, version: reply.version, sentAtMs, atMs: Date.now() };
          this.acks.push(ack);
        } else this.failures.push(`${key}: ${reply.code} ${reply.message}`);
      } catch (error) {
        this.failures.push(`${key}: ${String(error)}`);
      }
    }
  }
}

/** Reads every acknowledged key back (linearizable) and returns the ones that do not match. */
export async function lostWrites(
  client: FailoverTestClient,
  acks: readonly Ack[],
): Promise<string[]> {
  const latest = new Map<string, Ack>();
  for (const ack of acks) latest.set(ack.key, ack);
  const lost: string[] = [];
  for (const ack of latest.values()) {
    const reply = await client.request({ op: 'get', key: ack.key });
    if (!reply.ok || reply.op !== 'get' || reply.value === null) {
      lost.push(`${ack.key}: ${JSON.stringify(reply)}`);
      continue;
    }
    const value = unpack(reply.value) as number;
    // A later write to the same key by the same writer may only raise the value.
    if (value < ack.value || reply.version < ack.version) {
      lost.push(`${ack.key}: acked ${ack.value}@${ack.version}, read ${value}@${reply.version}`);
    }
  }
  return lost;
}

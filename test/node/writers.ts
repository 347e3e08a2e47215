// Concurrent writers for crash tests: each streams writes of fresh keys with its own session,
// retrying through failovers (safe: same session id and sequence number), and records every
// write that was acknowledged with the version the cluster gave it.
import type { KvTestClient } from '../harness/kv-test-client.js';
import { pack } from '../harness/kv-test-client.js';

export interface Acknowledged {
  readonly key: string;
  readonly value: number;
  readonly version: number;
}

export class Writers {
  readonly acknowledged: Acknowledged[] = [];
  readonly failures: string[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];

  constructor(client: KvTestClient, count: number, prefix: string) {
    for (let w = 0; w < count; w++) this.loops.push(this.loop(client, `${prefix}-w${w}`));
  }

  private async loop(client: KvTestClient, sessionId: string): Promise<void> {
    for (let seq = 1; this.running; seq++) {
      const key = `${sessionId}-${seq}`;
      const request = {
        op: 'update' as const,
        key,
        value: pack(seq),
        session: { id: sessionId, seq },
      };
      try {
        const reply = await client.request(request, 20_000);
        if (reply.ok && reply.op === 'update') {
          this.acknowledged.push({ key, value: seq, version: reply.version });
        } else if (!reply.ok) this.failures.push(`${key}: ${reply.code}`);
      } catch (error) {
        // Unacknowledged (the cluster was down past the deadline): nothing to check.
        this.failures.push(`${key}: ${String(error)}`);
      }
    }
  }

  /** Stops after each writer's write in flight settles. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

// The benchmark's Troupe target: one SDK client (createClient) through the balancers, with
// the SDK's defaults: exactly-once sessions, retries within the deadline, pipelining over one
// WebSocket. Values go as bytes, so encoding costs what a real application's payload would.
import { createClient, type TroupeClient } from '@troupe/client';
import type { BenchTarget } from './bench-target.js';

export class TroupeTarget implements BenchTarget {
  readonly name = 'troupe';

  private constructor(private readonly client: TroupeClient) {}

  static create(balancers: readonly string[], requestTimeoutMs = 10_000): TroupeTarget {
    return new TroupeTarget(createClient({ balancers, requestTimeoutMs, name: 'bench' }));
  }

  async write(key: string, value: Uint8Array): Promise<void> {
    await this.client.update(key, value);
  }

  async readLinearizable(key: string): Promise<void> {
    await this.client.get(key);
  }

  async readStale(key: string): Promise<void> {
    await this.client.get(key, { consistency: 'stale' });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

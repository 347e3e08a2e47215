// Records shard leadership during a chaos run, for the report's timeline: every `intervalMs`
// it asks a live balancer for its /status and notes each shard whose leader or term changed
// since the last answer. A poll that finds no balancer answering is skipped (a nemesis may
// have killed or cut them); the next one catches up. Times are ms since the run's origin.
import type { ChaosCluster } from './chaos-cluster.js';
import type { LeaderChange } from './report-types.js';

/** Keeps memory bounded on long runs; a run with more changes than this is noted as cut. */
const changesMax = 100_000;

export class LeaderWatch {
  readonly changes: LeaderChange[] = [];
  private readonly last = new Map<number, string>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly originMs: number,
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      // A slow poll is not stacked on: the next tick waits for it.
      this.polling = this.polling.then(() => this.poll());
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  private async poll(): Promise<void> {
    const shards = await this.cluster.shardLeaders(this.intervalMs * 2);
    if (shards === null) return;
    const timeMs = performance.now() - this.originMs;
    for (const { shard, leader, term } of shards) {
      const seen = `${leader}@${term}`;
      if (this.last.get(shard) === seen) continue;
      this.last.set(shard, seen);
      if (this.changes.length < changesMax) this.changes.push({ timeMs, shard, term, leader });
    }
  }
}

// The failover benchmark's Troupe cluster: 3 nodes (16 shards, RF 3) and 1 balancer from the
// chaos harness, where every node->node and balancer->node link runs through a LinkProxy so
// that a partition can cut the leader off. It answers what a try needs: is the cluster whole
// (every shard led, every replica up and caught up, leaders spread out and settled), which
// node leads the most shards and which shards, apply a fault to it and undo it, and read back
// acknowledged writes linearizably through the SDK.
import { createClient } from '@troupe/client';
import { ChaosCluster } from '../chaos/chaos-cluster.js';
import type { FailoverKind } from './failover-stats.js';
import type { FailoverSubject, Victim } from './failover-subject.js';
import { readBackAll } from './failover-subject.js';
import type { TargetSpec } from './target-spec.js';

/** The parts of the balancer's /status that say whether the cluster is whole. */
interface WholeStatus {
  readonly members: readonly { readonly id: string; readonly up: boolean }[];
  readonly meta: { readonly leader: string | null } | null;
  readonly shards: readonly {
    readonly groupId: string;
    readonly leader: string | null;
    readonly replicas: readonly { readonly node: string; readonly lag: number | null }[];
  }[];
}

const wholePollMs = 100;
const wholeTimeoutMs = 60_000;
/** A wait this long is worth a progress line saying what is missing. */
const wholeNoteEveryMs = 5_000;
/** Leadership must stay put this long before the cluster counts as settled. */
const settledMs = 300;
const decoder = new TextDecoder();

/** Why the cluster is not whole, or null if it is. Pure, for the wait and its error. */
export function notWhole(status: WholeStatus): string | null {
  const down = status.members.filter((m) => !m.up).map((m) => m.id);
  if (down.length > 0) return `down: ${down.join(' ')}`;
  if (status.meta?.leader == null) return 'meta group has no leader';
  if (status.shards.length === 0) return 'no shards known';
  for (const shard of status.shards) {
    if (shard.leader === null) return `${shard.groupId} has no leader`;
    const behind = shard.replicas.filter((r) => r.lag !== 0).map((r) => r.node);
    if (behind.length > 0) return `${shard.groupId}: ${behind.join(' ')} not caught up`;
  }
  const counts = status.members.map((m) => status.shards.filter((s) => s.leader === m.id).length);
  if (Math.max(...counts) - Math.min(...counts) > 1) return `leaders uneven: ${counts.join('/')}`;
  return null;
}

function leaderMap(status: WholeStatus): string {
  return status.shards.map((s) => s.leader ?? '-').join(',');
}

export class TroupeFailover implements FailoverSubject {
  readonly system = 'troupe';
  private shards = 0;

  private constructor(private readonly cluster: ChaosCluster) {}

  static async start(
    logDir: string | undefined,
    note: (why: string) => void,
  ): Promise<TroupeFailover> {
    const cluster = await ChaosCluster.start({
      nodes: 3,
      balancers: 1,
      ...(logDir === undefined ? {} : { logDir }),
    });
    try {
      const subject = new TroupeFailover(cluster);
      await subject.whole(note);
      subject.shards = (await cluster.shardLeaders())?.length ?? 0;
      return subject;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** How many shards the keys hash over (the cluster's, as its balancer reports). */
  get shardCount(): number {
    return this.shards;
  }

  get target(): TargetSpec {
    return { kind: 'troupe', balancers: this.cluster.clientUrls };
  }

  /** Waits until notWhole() finds nothing, with the same leaders for `settledMs`. */
  async whole(note: (why: string) => void): Promise<void> {
    const startMs = Date.now();
    let why = 'no status yet';
    let leaders = '';
    let sinceMs = 0;
    let noteAtMs = startMs + wholeNoteEveryMs;
    while (Date.now() < startMs + wholeTimeoutMs) {
      const status = await this.status();
      why = status === null ? 'balancer did not answer' : (notWhole(status) ?? '');
      const now = status === null || why !== '' ? '' : leaderMap(status);
      if (now !== leaders) {
        leaders = now;
        sinceMs = Date.now();
      } else if (now !== '' && Date.now() - sinceMs >= settledMs) return;
      if (Date.now() >= noteAtMs) {
        note(`not whole after ${Date.now() - startMs} ms: ${why || 'leaders moving'}`);
        noteAtMs += wholeNoteEveryMs;
      }
      await sleep(wholePollMs);
    }
    throw new Error(`the cluster was not whole within ${wholeTimeoutMs} ms: ${why}`);
  }

  /** The node leading the most shards (ties: lowest id) and the shards it leads. */
  async victim(): Promise<Victim> {
    const leaders = (await this.cluster.shardLeaders()) ?? [];
    const led = new Map<string, number[]>();
    for (const { shard, leader } of leaders) {
      if (leader !== null) led.set(leader, [...(led.get(leader) ?? []), shard]);
    }
    const ranked = [...led].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
    const top = ranked[0];
    if (top === undefined) throw new Error('no shard has a leader');
    return { victim: top[0], shards: top[1] };
  }

  async fault(kind: FailoverKind, victim: string): Promise<() => Promise<void>> {
    const c = this.cluster;
    switch (kind) {
      case 'crash':
        await c.killNode(victim);
        return () => c.startNode(victim);
      case 'hang':
        c.pauseNode(victim);
        return async () => c.resumeNode(victim);
      case 'partition':
        // Cut from the other nodes and from the balancer, both ways (isolate-node).
        c.network.isolate(victim);
        return async () => c.network.healAll();
    }
  }

  /** Keys (of `expected`) that did not hold their value on a linearizable read. */
  async readBack(keys: readonly string[], expected: (key: string) => string): Promise<string[]> {
    const client = createClient({ balancers: this.cluster.clientUrls, name: 'failover-check' });
    try {
      return await readBackAll(keys, expected, async (key) => {
        const got = await client.get<Uint8Array>(key);
        return got.value === undefined ? undefined : decoder.decode(got.value);
      });
    } finally {
      await client.close();
    }
  }

  stop(): Promise<void> {
    return this.cluster.stop();
  }

  private async status(): Promise<WholeStatus | null> {
    try {
      return await this.cluster.balancers.status<WholeStatus>('b1');
    } catch {
      return null;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

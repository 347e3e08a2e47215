// The failover benchmark's etcd: a 3-member cluster (heartbeat 100 ms, election 1000 ms, as
// the throughput comparison runs it). Every key is in its one raft group, so the victim is
// always its leader and every write is affected. The one fault is a crash (SIGKILL, then a
// restart on the same data dir). Acknowledged writes are read back through etcd3
// (linearizable range).

import { EtcdCluster } from './etcd/etcd-cluster.js';
import { EtcdTarget } from './etcd/etcd-target.js';
import type { FailoverKind } from './failover-stats.js';
import type { FailoverSubject, Victim } from './failover-subject.js';
import { readBackAll } from './failover-subject.js';
import type { TargetSpec } from './target-spec.js';

const wholePollMs = 100;
const wholeTimeoutMs = 60_000;
const wholeNoteEveryMs = 5_000;
const healthTimeoutMs = 1_000;
const decoder = new TextDecoder();

export class EtcdFailover implements FailoverSubject {
  readonly system = 'etcd';
  readonly shardCount = 1;

  private constructor(private readonly etcd: EtcdCluster) {}

  static async start(): Promise<EtcdFailover> {
    const etcd = await EtcdCluster.start({ members: 3, heartbeatMs: 100, electionMs: 1_000 });
    return new EtcdFailover(etcd);
  }

  get target(): TargetSpec {
    return { kind: 'etcd', clientUrls: this.etcd.clientUrls };
  }

  /** Every member running and healthy (etcd answers /health true after a quorum read). */
  async whole(note: (why: string) => void): Promise<void> {
    const startMs = Date.now();
    let noteAtMs = startMs + wholeNoteEveryMs;
    while (Date.now() < startMs + wholeTimeoutMs) {
      const members = this.etcd.members;
      const running = members.every((m) => m.pid !== undefined);
      if (running && (await Promise.all(members.map((m) => healthy(m.clientUrl)))).every(Boolean)) {
        if ((await this.etcd.leader()) !== undefined) return;
      }
      if (Date.now() >= noteAtMs) {
        note(`etcd not whole after ${Date.now() - startMs} ms`);
        noteAtMs += wholeNoteEveryMs;
      }
      await sleep(wholePollMs);
    }
    throw new Error(`etcd was not whole within ${wholeTimeoutMs} ms`);
  }

  async victim(): Promise<Victim> {
    return { victim: await this.etcd.waitForLeader(), shards: null };
  }

  async fault(kind: FailoverKind, victim: string): Promise<() => Promise<void>> {
    // A hang is not measured: etcd3 sets no deadline, so a put sent to a stopped member waits
    // until it runs again (seen: no write acknowledged for 60 s), and a partition would need
    // proxies on etcd's peer links.
    if (kind !== 'crash') throw new Error(`the etcd failover benchmark has no ${kind} fault`);
    await this.etcd.kill(victim, 'SIGKILL');
    return () => this.etcd.restart(victim);
  }

  async readBack(keys: readonly string[], expected: (key: string) => string): Promise<string[]> {
    const target = EtcdTarget.create(this.etcd.clientUrls);
    try {
      return await readBackAll(keys, expected, async (key) => {
        const value = await target.read(key, 'linearizable');
        return value === undefined ? undefined : decoder.decode(value);
      });
    } finally {
      await target.close();
    }
  }

  stop(): Promise<void> {
    return this.etcd.stop();
  }
}

async function healthy(clientUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${clientUrl}/health`, {
      signal: AbortSignal.timeout(healthTimeoutMs),
    });
    return response.ok && ((await response.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

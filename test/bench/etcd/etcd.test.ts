// The `--compare etcd` harness against a real 3-member etcd: the target writes and reads back
// at both consistencies, a write still succeeds after the leader is SIGKILLed, a killed member
// restarts on its data dir, and stop() leaves no process. Needs Debian's etcd-server: without
// it every test fails saying so, rather than skipping, so a missing install is never mistaken
// for a pass.
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { EtcdCluster, etcdMissingMessage, liveEtcdPids } from './etcd-cluster.js';
import { EtcdTarget } from './etcd-target.js';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

// Started by the first test that needs it rather than in beforeAll: with etcd missing, each
// test then fails with the install hint instead of vitest reporting them as skipped.
let starting: Promise<{ cluster: EtcdCluster; target: EtcdTarget }> | undefined;

function started(): Promise<{ cluster: EtcdCluster; target: EtcdTarget }> {
  starting ??= (async () => {
    if (!EtcdCluster.available()) throw new Error(etcdMissingMessage);
    const cluster = await EtcdCluster.start({ members: 3, heartbeatMs: 100, electionMs: 1_000 });
    return { cluster, target: EtcdTarget.create(cluster.clientUrls) };
  })();
  return starting;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  const made = await starting?.catch(() => undefined);
  await made?.target.close();
  await made?.cluster.stop();
});

describe('etcd target', () => {
  test('writes, then reads back linearizably and (eventually) stale', async () => {
    const { target } = await started();
    await target.write('k1', encoder.encode('v1'));
    const linearizable = await target.read('k1', 'linearizable');
    expect(linearizable && decoder.decode(linearizable)).toBe('v1');
    // A serializable read may land on a follower that has not applied the put yet.
    let stale: Uint8Array | undefined;
    for (let attempt = 0; attempt < 100 && stale === undefined; attempt++) {
      stale = await target.read('k1', 'stale');
      if (stale === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(stale && decoder.decode(stale)).toBe('v1');
    await expect(target.read('absent', 'linearizable')).resolves.toBeUndefined();
    await target.readLinearizable('k1');
    await target.readStale('k1');
    // Includes starting the cluster.
  }, 60_000);

  test('a write succeeds after the leader is SIGKILLed', async () => {
    const { cluster, target } = await started();
    const oldLeader = await cluster.waitForLeader();
    await cluster.kill(oldLeader, 'SIGKILL');
    expect(cluster.members.find((m) => m.name === oldLeader)?.pid).toBeUndefined();
    // Generous: a put caught by the failover waits out etcd's 7 s request timeout.
    await target.write('after-failover', encoder.encode('yes'));
    const read = await target.read('after-failover', 'linearizable');
    expect(read && decoder.decode(read)).toBe('yes');
    const newLeader = await cluster.waitForLeader();
    expect(newLeader).not.toBe(oldLeader);

    await cluster.restart(oldLeader);
    expect(cluster.members.find((m) => m.name === oldLeader)?.pid).toBeTypeOf('number');
  }, 60_000);

  test('stop() kills every member and removes the data dirs', async () => {
    const { cluster } = await started();
    const pids = cluster.members.map((m) => m.pid).filter((pid) => pid !== undefined);
    expect(pids).toHaveLength(3);
    const dataDirs = cluster.members.map((m) => m.dataDir);
    await cluster.stop();
    expect(pids.filter(isRunning)).toEqual([]);
    expect(liveEtcdPids()).toEqual([]);
    expect(dataDirs.filter((dir) => existsSync(dir))).toEqual([]);
  });
});

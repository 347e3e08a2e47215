// A node joins a running cluster (--join), and a shard's replica moves to it through the meta
// group: the new replica is added as a learner, catches up by snapshot transfer (the leader's
// log was compacted long before), becomes a voter, and only then is the old replica removed
// and its data deleted. The new replica converges to the same state as the others.

import { shardOf } from '@troupe/client/protocol';
import { expect, test } from 'vitest';
import { expectOk, getValue, put, useCluster } from './helpers.js';

interface Meta {
  configVersion: number;
  members: { id: string }[];
  shards: { shard: number; replicas: string[] }[];
}
interface Status {
  groups: {
    groupId: string;
    role: string;
    firstIndex: number;
    applied: number;
    voters: string[];
  }[];
}
type Hashes = Record<string, { applied: number; hash: string }>;

const ctx = useCluster({
  size: 3,
  args: ['--snapshot-entries', '40', '--log-keep-entries', '5'],
});

test('a joined node takes over a replica by snapshot and the old one is retired', async () => {
  // Shard 0 takes enough writes to snapshot (every 40 entries) and compact its log.
  const keys = shard0Keys(150);
  for (const [i, key] of keys.entries()) {
    expectOk(await put(ctx.client, key, i, { id: 'membership', seq: i + 1 }));
  }
  await ctx.cluster.addJoiner('n4', 'zone-a', 'n1');
  await ctx.cluster.start('n4');
  await ctx.client.addNode(ctx.cluster.node('n4').url);
  let meta = await ctx.client.admin<Meta>('n1', { type: 'meta' });
  for (let i = 0; i < 100 && !meta.members.some((m) => m.id === 'n4'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    meta = await ctx.client.admin<Meta>('n1', { type: 'meta' });
  }
  expect(meta.members.map((m) => m.id)).toContain('n4');
  // Move shard 0's replica on n1 (zone-a) to n4 (zone-a), keeping the preferred leader first.
  const placement = meta.shards.find((s) => s.shard === 0);
  const replicas = (placement?.replicas ?? []).map((id) => (id === 'n1' ? 'n4' : id));
  const change = {
    type: 'setShardReplicas',
    shard: 0,
    replicas,
    ifConfigVersion: meta.configVersion,
  };
  const reply = await askMetaLeader(change);
  expect(reply).toMatchObject({ ok: true });
  // The same change again, on the old version, loses the compare-on-version.
  expect(await askMetaLeader(change)).toMatchObject({
    ok: false,
    code: 'TROUPE_ERR_CONFIG_VERSION_MISMATCH',
  });
  await waitFor(async () => {
    const status = await ctx.client.admin<Status>('n4', { type: 'status' });
    const s0 = status.groups.find((g) => g.groupId === 's0');
    if (s0 === undefined) return false;
    return s0.voters.includes('n4') && !s0.voters.includes('n1');
  });
  const n4 = (await ctx.client.admin<Status>('n4', { type: 'status' })).groups.find(
    (g) => g.groupId === 's0',
  );
  // Its log starts after a snapshot: it never saw the early entries one by one.
  const all = await Promise.all(
    ['n1', 'n2', 'n3'].map((id) => ctx.client.admin<Status>(id, { type: 'status' })),
  );
  expect(
    n4?.firstIndex,
    JSON.stringify([n4, ...all.map((s) => s.groups.find((g) => g.groupId === 's0'))]),
  ).toBeGreaterThan(40);
  await waitFor(async () => {
    const hashes = await Promise.all(
      replicas.map((id) => ctx.client.admin<Hashes>(id, { type: 'stateHashes' })),
    );
    const s0 = hashes.map((h) => h.s0);
    return s0.every(
      (h) => h !== undefined && h.hash === s0[0]?.hash && h.applied === s0[0]?.applied,
    );
  });
  await waitFor(async () => {
    const status = await ctx.client.admin<Status>('n1', { type: 'status' });
    return !status.groups.some((g) => g.groupId === 's0');
  });
  // Reads of shard 0's keys still answer, now served by the new replica set.
  for (const [i, key] of keys.entries())
    expect((await getValue(ctx.client, null, key)).value).toBe(i);
}, 120_000);

function shard0Keys(count: number, shard = 0): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) {
    if (shardOf(`m-${i}`, 16) === shard) keys.push(`m-${i}`);
  }
  return keys;
}

test('a restarted replica whose log the leader compacted catches up by snapshot', async () => {
  const { cluster, client } = ctx;
  const before = (await client.admin<Status>('n3', { type: 'status' })).groups.find(
    (g) => g.groupId === 's1',
  );
  await cluster.kill('n3');
  // Enough writes to shard 1 for several snapshots (every 40 entries) while n3 is down.
  const keys = shard0Keys(120, 1);
  for (const [i, key] of keys.entries()) {
    expectOk(await put(client, key, i, { id: 'restart', seq: i + 1 }));
  }
  await cluster.start('n3');
  await waitFor(async () => {
    const hashes = await Promise.all(
      ['n2', 'n3'].map((id) => client.admin<Hashes>(id, { type: 'stateHashes' })),
    );
    return (
      hashes[0]?.s1?.hash === hashes[1]?.s1?.hash &&
      hashes[0]?.s1?.applied === hashes[1]?.s1?.applied
    );
  });
  const after = (await client.admin<Status>('n3', { type: 'status' })).groups.find(
    (g) => g.groupId === 's1',
  );
  // Its log now starts past everything it held before the kill: it installed a snapshot.
  expect(after?.firstIndex ?? 0).toBeGreaterThan((before?.applied ?? 0) + 1);
  for (const [i, key] of keys.entries()) {
    expect((await getValue(client, 'n3', key, 'stale')).value).toBe(i);
  }
}, 90_000);

async function askMetaLeader(change: Record<string, unknown>): Promise<unknown> {
  for (let attempt = 0; attempt < 50; attempt++) {
    for (const id of ['n1', 'n2', 'n3']) {
      const reply = (await ctx.client.system
        .ref(id, 'admin')
        .ask(change, { timeoutMs: 5_000 })) as {
        ok: boolean;
        code?: string;
      };
      if (reply.ok || reply.code !== 'TROUPE_ERR_NOT_LEADER') return reply;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no meta leader answered');
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const endMs = Date.now() + timeoutMs;
  while (Date.now() < endMs) {
    // A node just restarted is unreachable until the client's link redials: not yet.
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

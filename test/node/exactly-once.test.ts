// Exactly-once with real processes: a request retried (same session id and sequence number)
// after the leader that applied it was killed is answered from the session table, not applied
// again; and writers streaming creates through a leader kill never see a create applied twice.

import { shardOf } from '@troupe/client/protocol';
import { expect, test } from 'vitest';
import { pack } from '../harness/kv-test-client.js';
import { expectOk, getValue, useCluster } from './helpers.js';

const ctx = useCluster({ size: 3 });

interface GroupStatus {
  groupId: string;
  role: string;
}

/**
 * The node that leads `groupId`. A node restarted by an earlier test may not have its client
 * connection back yet (the client redials with backoff), so an unreachable node is skipped and
 * the question asked again until a leader answers.
 */
async function leaderOf(groupId: string, timeoutMs = 10_000): Promise<string> {
  const endMs = Date.now() + timeoutMs;
  while (Date.now() < endMs) {
    for (const node of ctx.cluster.nodes) {
      if (node.process === null) continue;
      const status = await ctx.client
        .admin<{ groups: GroupStatus[] }>(node.id, { type: 'status' })
        .catch(() => null);
      if (status?.groups.some((g) => g.groupId === groupId && g.role === 'leader')) return node.id;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no leader for ${groupId} within ${timeoutMs} ms`);
}

test('a create retried after its leader was killed is applied once', async () => {
  const key = 'exactly-once';
  const request = {
    op: 'create' as const,
    key,
    value: pack('first'),
    session: { id: 'retrier', seq: 1 },
  };
  const first = await ctx.client.request(request);
  expectOk(first);
  const leader = await leaderOf(`s${shardOf(key, 16)}`);
  await ctx.cluster.kill(leader);
  // The retry reaches the new leader: same session and seq, so the remembered reply returns.
  const retry = await ctx.client.request(request, 20_000);
  expect(retry).toEqual(first);
  expect(await getValue(ctx.client, null, key)).toEqual({
    value: 'first',
    version: (first as { version: number }).version,
  });
  // The same create under a new sequence number is a new request: the key exists.
  const again = await ctx.client.request({ ...request, session: { id: 'retrier', seq: 2 } });
  expect(again).toMatchObject({ ok: false, code: 'TROUPE_ERR_ALREADY_EXISTS' });
  await ctx.cluster.start(leader);
}, 60_000);

test('creates streamed through a leader kill are never applied twice', async () => {
  const versions = new Map<string, number>();
  const replies: string[] = [];
  let running = true;
  const writer = (async () => {
    for (let seq = 1; running; seq++) {
      const key = `stream-${seq}`;
      const session = { id: 'streamer', seq };
      const reply = await ctx.client.request(
        { op: 'create', key, value: pack(seq), session },
        20_000,
      );
      if (reply.ok) versions.set(key, reply.version);
      else replies.push(`${key}: ${reply.code}`);
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const retriesBeforeKill = ctx.client.retries;
  await ctx.cluster.kill(await leaderOf(`s${shardOf('stream-1', 16)}`));
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  running = false;
  await writer;
  // Some creates were in flight at the kill and had to be retried elsewhere.
  expect(ctx.client.retries).toBeGreaterThan(retriesBeforeKill);
  // A create applied twice would answer its retry with KEY_EXISTS.
  expect(replies).toEqual([]);
  for (const [key, version] of versions) {
    expect((await getValue(ctx.client, null, key)).version, key).toBe(version);
  }
}, 60_000);

// Shared steps of the node process tests: write and read through the test client, wait for
// every replica of every shard to converge, and read a node's status.
import type { KvReply } from '@troupe/client/protocol';
import { afterAll, beforeAll, expect } from 'vitest';
import { type ClusterOptions, TestCluster } from '../harness/cluster.js';
import { KvTestClient, pack, unpack } from '../harness/kv-test-client.js';
import { stopAll } from '../harness/processes.js';

export interface GroupHash {
  readonly applied: number;
  readonly hash: string;
}

export interface ClusterContext {
  readonly cluster: TestCluster;
  readonly client: KvTestClient;
}

/**
 * A running cluster and a connected client for the tests of one file: started before the
 * first test, and every process stopped (by pid) and every data dir removed after the last.
 */
export function useCluster(options: ClusterOptions = {}): ClusterContext {
  const context: { cluster?: TestCluster; client?: KvTestClient } = {};
  beforeAll(async () => {
    context.cluster = await TestCluster.create(options);
    await context.cluster.startAll();
    context.client = await connectClient(context.cluster);
  }, 60_000);
  afterAll(async () => {
    await context.client?.close();
    await context.cluster?.destroy();
    await stopAll();
  });
  return {
    get cluster(): TestCluster {
      if (context.cluster === undefined) throw new Error('cluster used before beforeAll ran');
      return context.cluster;
    },
    get client(): KvTestClient {
      if (context.client === undefined) throw new Error('client used before beforeAll ran');
      return context.client;
    },
  };
}

export async function connectClient(cluster: TestCluster, shards = 16): Promise<KvTestClient> {
  return KvTestClient.connect(
    cluster.nodes.map((n) => n.url),
    shards,
  );
}

/** Writes `value` under `key` with a session (safe to retry); returns the reply. */
export async function put(
  client: KvTestClient,
  key: string,
  value: unknown,
  session: { id: string; seq: number },
): Promise<KvReply> {
  return client.request({ op: 'update', key, value: pack(value), session });
}

export async function getValue(
  client: KvTestClient,
  nodeId: string | null,
  key: string,
  consistency: 'linearizable' | 'stale' = 'linearizable',
): Promise<{ value: unknown; version: number }> {
  const request = { op: 'get' as const, key, consistency };
  const reply =
    nodeId === null ? await client.request(request) : await client.once(nodeId, request);
  if (!reply.ok || reply.op !== 'get') throw new Error(`get ${key}: ${JSON.stringify(reply)}`);
  return { value: reply.value === null ? null : unpack(reply.value), version: reply.version };
}

/**
 * Waits until, for every group, all running replicas report the same applied index and state
 * hash; returns the hashes per node. Replicas keep applying while idle heartbeats flow, so
 * the comparison repeats until it holds.
 */
export async function waitForConvergence(
  client: KvTestClient,
  nodeIds: readonly string[],
  timeoutMs = 20_000,
): Promise<Map<string, Record<string, GroupHash>>> {
  const endMs = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < endMs) {
    try {
      const all = new Map<string, Record<string, GroupHash>>();
      for (const id of nodeIds) {
        all.set(id, await client.admin<Record<string, GroupHash>>(id, { type: 'stateHashes' }));
      }
      const mismatch = firstMismatch(all);
      if (mismatch === null) return all;
      last = mismatch;
    } catch (error) {
      // A restarted node: the client's link redials with backoff.
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`replicas did not converge: ${last}`);
}

function firstMismatch(all: Map<string, Record<string, GroupHash>>): string | null {
  const byGroup = new Map<string, Map<string, GroupHash>>();
  for (const [nodeId, groups] of all) {
    for (const [groupId, hash] of Object.entries(groups)) {
      const seen = byGroup.get(groupId) ?? new Map<string, GroupHash>();
      seen.set(nodeId, hash);
      byGroup.set(groupId, seen);
    }
  }
  for (const [groupId, seen] of byGroup) {
    const distinct = new Set([...seen.values()].map((h) => `${h.applied}:${h.hash}`));
    if (distinct.size > 1) return `${groupId}: ${JSON.stringify(Object.fromEntries(seen))}`;
  }
  return null;
}

export function expectOk(reply: KvReply): asserts reply is Extract<KvReply, { ok: true }> {
  expect(reply, JSON.stringify(reply)).toMatchObject({ ok: true });
}

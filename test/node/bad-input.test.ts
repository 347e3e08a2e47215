// Bad input to a running node: malformed or oversized client requests get typed error replies
// and the node keeps serving; Raft batches from a node that is not a member, that claim another
// sender, that name the wrong cluster, or that come from a member outside the group's
// configuration are rejected and logged, and nothing of them is applied.

import { kvLimits, shardOf } from '@troupe/client/protocol';
import { ActorSystem, silentLogger } from '@troupe/runtime';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestCluster } from '../harness/cluster.js';
import { eventually } from '../harness/eventually.js';
import { KvTestClient, pack } from '../harness/kv-test-client.js';
import { stopAll } from '../harness/processes.js';
import { expectOk } from './helpers.js';

let cluster: TestCluster;
let client: KvTestClient;

// Replication factor 1 over three members: each shard lives on one node, so a member can be
// outside a group's configuration. Only n1 runs; the tests speak for the others.
beforeAll(async () => {
  cluster = await TestCluster.create({ size: 3, args: ['--replication-factor', '1'] });
  await cluster.start('n1');
  client = await KvTestClient.connect([cluster.node('n1').url], 16);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cluster?.destroy();
  await stopAll();
});

interface Status {
  clusterId: string;
  groups: { groupId: string; term: number; voters: string[] }[];
}

function keyOnShardOf(groupId: string): string {
  for (let i = 0; ; i++) if (`s${shardOf(`k${i}`, 16)}` === groupId) return `k${i}`;
}

describe('client requests', () => {
  const cases: [string, unknown, string][] = [
    ['unknown operation', { op: 'increment', key: 'a' }, 'TROUPE_ERR_INVALID_ARGUMENT'],
    ['missing key', { op: 'get' }, 'TROUPE_ERR_INVALID_ARGUMENT'],
    ['empty key', { op: 'get', key: '' }, 'TROUPE_ERR_INVALID_ARGUMENT'],
    ['not a map', [1, 2, 3], 'TROUPE_ERR_INVALID_ARGUMENT'],
    ['value not bytes', { op: 'update', key: 'a', value: 'text' }, 'TROUPE_ERR_INVALID_ARGUMENT'],
    [
      'bad session',
      { op: 'update', key: 'a', value: pack(1), session: { id: '', seq: 0 } },
      'TROUPE_ERR_INVALID_ARGUMENT',
    ],
    [
      'negative ifVersion',
      { op: 'delete', key: 'a', ifVersion: -1 },
      'TROUPE_ERR_INVALID_ARGUMENT',
    ],
    [
      'oversized key',
      { op: 'get', key: 'k'.repeat(kvLimits.keyBytesMax + 1) },
      'TROUPE_ERR_KEY_TOO_LARGE',
    ],
    [
      'oversized value',
      { op: 'update', key: 'a', value: new Uint8Array(kvLimits.valueBytesMax + 1) },
      'TROUPE_ERR_VALUE_TOO_LARGE',
    ],
  ];
  for (const [name, request, code] of cases) {
    test(`${name}: ${code}, and the node keeps serving`, async () => {
      const reply = await client.system.ref('n1', 'kv').ask(request, { timeoutMs: 5_000 });
      expect(reply).toMatchObject({ ok: false, code });
      expectOk(await client.request({ op: 'get', key: keyOnShardOf('s0') }));
    });
  }
});

describe('raft batches', () => {
  async function sendAs(nodeId: string, batch: Record<string, unknown>): Promise<void> {
    const system = await ActorSystem.start({ nodeId, role: 'node', logger: silentLogger() });
    await system.connect(cluster.node('n1').url, { timeoutMs: 5_000 });
    system.ref('n1', 'raft').tell(batch, system.ref(nodeId, 'raft'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await system.shutdown({ timeoutMs: 1_000 });
  }

  async function status(): Promise<Status> {
    return client.admin<Status>('n1', { type: 'status' });
  }

  function voteBatch(clusterId: string, from: string, groupId: string) {
    const vote = {
      type: 'vote',
      term: 1_000,
      lastLogIndex: 1_000_000,
      lastLogTerm: 999,
      transfer: true,
    };
    return {
      clusterId,
      from,
      to: 'n1',
      configVersion: 1,
      hb: [],
      hbr: [],
      msgs: [[groupId, vote]],
    };
  }

  async function expectRejected(reason: string, run: () => Promise<void>): Promise<void> {
    const before = await status();
    const lines = cluster.node('n1').process?.lines ?? [];
    const seen = lines.length;
    await run();
    await eventually(
      () => lines.slice(seen).some((l) => l.includes(`"reason":"${reason}"`)),
      5_000,
    );
    // Nothing was stepped: no group moved to the intruder's term.
    const after = await status();
    expect(after.groups.map((g) => g.term)).toEqual(before.groups.map((g) => g.term));
  }

  test('from a node that is not a member: rejected, logged, not applied', async () => {
    const { clusterId, groups } = await status();
    const groupId = groups[0]?.groupId ?? 's0';
    await expectRejected('unknownNode', () =>
      sendAs('intruder', voteBatch(clusterId, 'intruder', groupId)),
    );
  });

  test('claiming another sender than the connection: rejected as spoofed', async () => {
    const { clusterId, groups } = await status();
    const groupId = groups[0]?.groupId ?? 's0';
    await expectRejected('spoofed', () => sendAs('n2', voteBatch(clusterId, 'n3', groupId)));
  });

  test('naming another cluster: rejected as invalid', async () => {
    const { groups } = await status();
    const groupId = groups[0]?.groupId ?? 's0';
    await expectRejected('invalid', () =>
      sendAs('n2', voteBatch('not-this-cluster', 'n2', groupId)),
    );
  });

  test('from a member outside the group configuration: rejected as notInConfig', async () => {
    const { clusterId, groups } = await status();
    const group = groups.find((g) => g.groupId !== 'meta' && !g.voters.includes('n2'));
    expect(group).toBeDefined();
    await expectRejected('notInConfig', () =>
      sendAs('n2', voteBatch(clusterId, 'n2', group?.groupId ?? 's0')),
    );
  });

  test('for a group this node does not host: rejected as unknownGroup', async () => {
    const { clusterId, groups } = await status();
    const hosted = new Set(groups.map((g) => g.groupId));
    const missing = Array.from({ length: 16 }, (_, i) => `s${i}`).find((g) => !hosted.has(g));
    expect(missing).toBeDefined();
    await expectRejected('unknownGroup', () =>
      sendAs('n2', voteBatch(clusterId, 'n2', missing ?? 's0')),
    );
  });
});

describe('admin requests', () => {
  async function askAdmin(request: unknown): Promise<unknown> {
    return client.system.ref('n1', 'admin').ask(request, { timeoutMs: 5_000 });
  }

  test('a join with a malformed member is refused before anything is proposed', async () => {
    const reply = await askAdmin({ type: 'join', member: { id: '', url: 'nowhere', zone: '?' } });
    expect(reply).toMatchObject({ ok: false, code: 'TROUPE_ERR_CLUSTER_CONFIG' });
  });

  test('a replica change naming an impossible shard is refused before anything is proposed', async () => {
    const request = { type: 'setShardReplicas', shard: -3, replicas: ['n1'], ifConfigVersion: 1 };
    expect(await askAdmin(request)).toMatchObject({ ok: false, code: 'TROUPE_ERR_CLUSTER_CONFIG' });
  });

  test('an unknown admin request is refused with InvalidMessageError', async () => {
    await expect(askAdmin({ type: 'format-disk' })).rejects.toMatchObject({
      code: 'TROUPE_ERR_INVALID_MESSAGE',
    });
  });
});

// The building block of partitions between real node processes: with --peer-via, n1 dials n2
// (and n2 dials n1) through link proxies, so every byte between them crosses a proxy. Cutting
// both proxies partitions n1 from n2 while both still reach n3: the cluster keeps taking
// writes, the proxies count the Raft traffic they drop, and after the heal the connection is
// re-established through the proxies and every replica converges.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TestCluster } from '../harness/cluster.js';
import { eventually } from '../harness/eventually.js';
import { KvTestClient, pack } from '../harness/kv-test-client.js';
import { stopAll } from '../harness/processes.js';
import { waitForConvergence } from '../node/helpers.js';
import { LinkProxy } from './net/link-proxy.js';

let cluster: TestCluster;
let client: KvTestClient;
const proxies: LinkProxy[] = [];

beforeAll(async () => {
  cluster = await TestCluster.create({ size: 3 });
  const n1 = cluster.node('n1');
  const n2 = cluster.node('n2');
  const n1ToN2 = await LinkProxy.start({ name: 'n1->n2', targetPort: n2.port });
  const n2ToN1 = await LinkProxy.start({ name: 'n2->n1', targetPort: n1.port });
  proxies.push(n1ToN2, n2ToN1);
  await Promise.all([
    cluster.start('n1', ['--peer-via', `n2=127.0.0.1:${n1ToN2.port}`]),
    cluster.start('n2', ['--peer-via', `n1=127.0.0.1:${n2ToN1.port}`]),
    cluster.start('n3'),
  ]);
  client = await KvTestClient.connect(
    cluster.nodes.map((n) => n.url),
    16,
  );
}, 60_000);

afterAll(async () => {
  await client?.close();
  await Promise.all(proxies.map((p) => p.close()));
  await cluster?.destroy();
  await stopAll();
});

function forwarded(): number {
  return proxies.reduce((sum, p) => sum + p.counters.forwardedBytes.toTarget, 0);
}

function dropped(): number {
  const counts = proxies.map((p) => p.counters.droppedBytes);
  return counts.reduce((sum, d) => sum + d.toTarget + d.fromTarget, 0);
}

async function writeKeys(prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const session = { id: `peer-via-${prefix}`, seq: i + 1 };
    const reply = await client.request({
      op: 'update',
      key: `${prefix}-${i}`,
      value: pack(i),
      session,
    });
    expect(reply.ok, JSON.stringify(reply)).toBe(true);
  }
}

test('n1 and n2 talk only through the proxies, and a cut between them is survived', async () => {
  await writeKeys('before', 20);
  await eventually(() => forwarded() > 0);
  for (const proxy of proxies) proxy.drop();
  const droppedAtCut = dropped();
  // Raft heartbeats between n1 and n2 keep coming and are thrown away.
  await eventually(() => dropped() > droppedAtCut);
  await writeKeys('during', 20);
  for (const proxy of proxies) proxy.heal();
  const forwardedAtHeal = forwarded();
  await eventually(() => forwarded() > forwardedAtHeal, 20_000);
  await writeKeys('after', 20);
  await waitForConvergence(client, ['n1', 'n2', 'n3'], 30_000);
}, 90_000);

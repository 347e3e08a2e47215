// A balancer with --peer-listen and no seeds learns the cluster from the nodes that dial it
// (nodes started with --balancer ws://<peer-listen>): it receives their heartbeats, asks one
// of them for the meta configuration, dials every member, and routes requests.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BalancerConnection } from '../harness/balancer-client.js';
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { pack, unpack } from '../harness/kv-test-client.js';
import { freePort } from '../harness/ports.js';
import { stopAll } from '../harness/processes.js';

let cluster: TestCluster;
let balancers: TestBalancers;

beforeAll(async () => {
  const peerPort = await freePort();
  cluster = await TestCluster.create({
    size: 3,
    args: ['--balancer', `ws://127.0.0.1:${peerPort}`],
  });
  balancers = await TestBalancers.create(cluster, 1);
  await balancers.start('b1', ['--peer-listen', `127.0.0.1:${peerPort}`], false);
  await cluster.startAll();
}, 60_000);

afterAll(async () => {
  await balancers?.killAll();
  await cluster?.destroy();
  await stopAll();
});

test('nodes that dial the balancer are enough for it to learn and serve the cluster', async () => {
  const http = balancers.balancer('b1').http;
  let health = 0;
  for (let i = 0; i < 100 && health !== 200; i++) {
    health = (await fetch(`${http}/healthz`)).status;
    if (health !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(health).toBe(200);
  const connection = await BalancerConnection.open(balancers.urls[0] as string);
  const write = await connection.request({ op: 'update', key: 'dialled-in', value: pack('yes') });
  expect(write.ok).toBe(true);
  const read = await connection.request({ op: 'get', key: 'dialled-in' });
  if (!read.ok || read.op !== 'get' || read.value === null) throw new Error(JSON.stringify(read));
  expect(unpack(read.value)).toBe('yes');
  const status = await balancers.status<{ members: { id: string; up: boolean }[] }>('b1');
  expect(status.members.map((m) => [m.id, m.up])).toEqual([
    ['n1', true],
    ['n2', true],
    ['n3', true],
  ]);
  connection.close();
}, 30_000);

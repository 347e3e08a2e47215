// `pnpm bench:client`: the SDK against a three-node cluster on loopback (real processes, 16
// shards, RF 3) behind one balancer, measured from one client process: one request at a time,
// then many in flight on the one connection (pipelining). The baseline, in the same run, is a
// bare protocol client (test/harness/balancer-client.ts: one WebSocket, no sessions, no
// retries) sending the same requests: what the SDK's sessions, retries and value encoding
// cost. `--write` records the figures with machine facts in bench/RESULTS.md.
import { createClient, type TroupeClient } from '@troupe/client';
import { BalancerConnection } from '../../../test/harness/balancer-client.js';
import { TestBalancers } from '../../../test/harness/balancers.js';
import { concurrent, sequential } from '../../../test/harness/bench-measure.js';
import {
  benchArgs,
  machineFacts,
  recordSection,
  runBench,
} from '../../../test/harness/bench-results.js';
import { TestCluster } from '../../../test/harness/cluster.js';
import { pack } from '../../../test/harness/kv-test-client.js';

const { values } = benchArgs({
  ops: { type: 'string', default: '500' },
  seconds: { type: 'string', default: '5' },
  write: { type: 'boolean', default: false },
});

interface Row {
  readonly scenario: string;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** `concurrency` loops, each one request at a time, for `--seconds`. */
function inFlight(
  scenario: string,
  concurrency: number,
  run: (loop: number, i: number) => Promise<void>,
): Promise<Row> {
  return concurrent(scenario, concurrency, Number(values.seconds), run);
}

async function sdkRows(client: TroupeClient): Promise<Row[]> {
  const ops = Number(values.ops);
  const value = { text: 'x'.repeat(100) };
  await client.update('k', value);
  return [
    await sequential(
      'SDK: write, 1 in flight',
      ops,
      async () => void (await client.update('k', value)),
    ),
    await sequential(
      'SDK: linearizable read, 1 in flight',
      ops,
      async () => void (await client.get('k')),
    ),
    await inFlight(
      'SDK: writes, 64 in flight',
      64,
      async (l, i) => void (await client.update(`c${l}-${i % 64}`, value)),
    ),
    await inFlight(
      'SDK: writes, 256 in flight',
      256,
      async (l, i) => void (await client.update(`d${l}-${i % 16}`, value)),
    ),
    await inFlight(
      'SDK: linearizable reads, 256 in flight',
      256,
      async (l) => void (await client.get(`d${l}-0`)),
    ),
  ];
}

async function bareRows(connection: BalancerConnection): Promise<Row[]> {
  const ops = Number(values.ops);
  const value = pack({ text: 'x'.repeat(100) });
  const ok = (reply: { ok: boolean; code?: string }): void => {
    if (!reply.ok) throw new Error(`bare client: ${reply.code}`);
  };
  return [
    await sequential('baseline, bare protocol client: write, 1 in flight', ops, async () =>
      ok(await connection.request({ op: 'update', key: 'b', value })),
    ),
    await inFlight('baseline, bare protocol client: writes, 256 in flight', 256, async (l, i) =>
      ok(await connection.request({ op: 'update', key: `e${l}-${i % 16}`, value })),
    ),
  ];
}

function table(rows: readonly Row[]): string {
  const lines = ['| scenario | throughput | p50 | p99 |', '|---|---:|---:|---:|'];
  for (const r of rows) {
    const rate = `${Math.round(r.perSecond).toLocaleString('en-US')}/s`;
    lines.push(`| ${r.scenario} | ${rate} | ${r.p50Ms.toFixed(1)} ms | ${r.p99Ms.toFixed(1)} ms |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cluster = await TestCluster.create({ size: 3 });
  await cluster.startAll();
  const balancers = await TestBalancers.create(cluster, 1);
  await balancers.startAll();
  const client = createClient({ balancers: balancers.urls, name: 'bench' });
  const connection = await BalancerConnection.open(balancers.urls[0] as string);
  // Warm up both (JIT, the cluster's first elections and snapshots) before measuring either.
  await Promise.all(
    Array.from({ length: 32 }, async (_, l) => {
      for (let i = 0; i < 20; i++) {
        await client.update(`warm-${l}`, i);
        await connection.request({ op: 'update', key: `warm-bare-${l}`, value: pack(i) });
      }
    }),
  );
  const rows = await bareRows(connection);
  rows.push(...(await sdkRows(client)));
  await client.close();
  connection.close();
  await balancers.killAll();
  await cluster.destroy();
  const facts = machineFacts([
    '- three node processes, one balancer and the client on this one machine, loopback',
    `- command: \`pnpm bench:client --ops ${values.ops} --seconds ${values.seconds}\``,
  ]);
  const section = `${facts}\n\n${table(rows)}\n`;
  process.stdout.write(`${section}\n`);
  if (values.write) recordSection('client', 'Client SDK through a balancer (issue 6)', section);
}

runBench(main);

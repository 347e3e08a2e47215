// `pnpm bench:balancer`: a three-node cluster on loopback (real processes, 16 shards, RF 3)
// behind real `troupe-balancer` processes, measured from one client process:
// - failover: SIGKILL (and SIGSTOP) of a shard's leader node while a probe writes to that shard
//   through a balancer, one write at a time; the figure is the longest any write waited past
//   the fault. The baseline, measured in the same run on the same cluster, is a balancer started
//   with --no-fast-failover: requests are held until Raft's own election timeout elects a leader;
// - requests through the balancer beside the same requests sent straight to the leader's node
//   (the cost of the extra hop), one in flight and with many sessions at once.
// `--write` records the figures with machine facts in bench/RESULTS.md.
import { shardOf } from '@troupe/client/protocol';
import { Writer } from '../../../test/balancer/writers.js';
import { BalancerConnection } from '../../../test/harness/balancer-client.js';
import { TestBalancers } from '../../../test/harness/balancers.js';
import { concurrent, percentile, sequential } from '../../../test/harness/bench-measure.js';
import {
  benchArgs,
  machineFacts,
  recordSection,
  runBench,
} from '../../../test/harness/bench-results.js';
import { TestCluster } from '../../../test/harness/cluster.js';
import { KvTestClient, pack } from '../../../test/harness/kv-test-client.js';

const { values } = benchArgs({
  kills: { type: 'string', default: '10' },
  pauses: { type: 'string', default: '4' },
  ops: { type: 'string', default: '500' },
  sessions: { type: 'string', default: '64' },
  seconds: { type: 'string', default: '5' },
  write: { type: 'boolean', default: false },
});

interface Row {
  readonly scenario: string;
  readonly perSecond?: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface Status {
  members: { id: string; up: boolean }[];
  shards: { groupId: string; leader: string | null; liveReplicas: number }[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function keysOfShard(prefix: string, shard: number): (n: number) => string {
  const keys: string[] = [];
  for (let i = 0; keys.length < 200; i++) {
    if (shardOf(`${prefix}-${i}`, 16) === shard) keys.push(`${prefix}-${i}`);
  }
  return (n) => keys[n % keys.length] as string;
}

/** Waits until every shard has a leader, all three nodes up, leaders spread evenly. */
async function settled(balancers: TestBalancers, id: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const status = await balancers.status<Status>(id).catch(() => undefined);
    if (status?.members.every((m) => m.up) === true) {
      const counts = status.members.map(
        (m) => status.shards.filter((s) => s.leader === m.id).length,
      );
      const led = counts.reduce((a, b) => a + b, 0);
      if (led === 16 && Math.max(...counts) - Math.min(...counts) <= 1) return;
    }
    await sleep(200);
  }
  throw new Error('cluster did not settle');
}

/** One fault on the leader of shard `round % 16`; returns the probe's longest stall. */
async function oneFault(
  cluster: TestCluster,
  balancers: TestBalancers,
  id: string,
  round: number,
  fault: 'SIGKILL' | 'SIGSTOP',
): Promise<number> {
  const shard = round % 16;
  const url = balancers.balancer(id).url;
  const probe = new Writer(
    `${id}-${fault}-${round}`,
    [url],
    keysOfShard(`${fault}${round}`, shard),
  );
  probe.start();
  await sleep(500);
  const status = await balancers.status<Status>(id);
  const victim = status.shards.find((s) => s.groupId === `s${shard}`)?.leader;
  if (victim === undefined || victim === null) throw new Error(`no leader for s${shard}`);
  const faultMs = Date.now();
  if (fault === 'SIGKILL') {
    await cluster.kill(victim);
    await sleep(2_000);
  } else {
    const child = cluster.node(victim).process;
    child?.kill('SIGSTOP');
    await sleep(2_500);
    child?.kill('SIGCONT');
  }
  await probe.stop();
  probe.client.close();
  if (probe.failures.length > 0) throw new Error(`probe failed: ${probe.failures[0]}`);
  if (fault === 'SIGKILL') await cluster.start(victim);
  await settled(balancers, id);
  return probe.stallAfter(faultMs);
}

async function faults(
  cluster: TestCluster,
  balancers: TestBalancers,
  id: string,
  label: string,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [fault, count] of [
    ['SIGKILL', Number(values.kills)],
    ['SIGSTOP', Number(values.pauses)],
  ] as const) {
    const stalls: number[] = [];
    for (let round = 0; round < count; round++) {
      stalls.push(await oneFault(cluster, balancers, id, round, fault));
      process.stderr.write(`${label} ${fault} ${round}: ${stalls.at(-1)} ms\n`);
    }
    stalls.sort((a, b) => a - b);
    rows.push({
      scenario: `${label}: ${fault} leader node -> writes resume (${count} runs; max)`,
      p50Ms: percentile(stalls, 0.5),
      p99Ms: stalls.at(-1) ?? 0,
    });
  }
  return rows;
}

/** Sessions writing one at a time for --seconds; seqs start at 1, as sessions require. */
function sessionsWriting(
  scenario: string,
  sessions: number,
  write: (session: number, seq: number) => Promise<void>,
): Promise<Row> {
  return concurrent(scenario, sessions, Number(values.seconds), (s, i) => write(s, i + 1));
}

function ok(reply: { ok: boolean; code?: string }, what: string): void {
  if (!reply.ok) throw new Error(`${what}: ${reply.code}`);
}

async function hops(cluster: TestCluster, balancers: TestBalancers, id: string): Promise<Row[]> {
  const ops = Number(values.ops);
  const sessions = Number(values.sessions);
  const value = pack('x'.repeat(100));
  const direct = await KvTestClient.connect(
    cluster.nodes.map((n) => n.url),
    16,
  );
  const via = await BalancerConnection.open(balancers.balancer(id).url);
  const rows: Row[] = [];
  for (const [name, tag, send] of [
    [
      'direct to the leader',
      'direct',
      (r: Parameters<KvTestClient['request']>[0]) => direct.request(r),
    ],
    [
      'through a balancer',
      'balancer',
      (r: Parameters<KvTestClient['request']>[0]) => via.request(r),
    ],
  ] as const) {
    ok(await send({ op: 'update', key: 'k', value, session: { id: `w-${tag}`, seq: 1 } }), name);
    rows.push(
      await sequential(`${name}: write, 1 in flight`, ops, async (i) =>
        ok(
          await send({ op: 'update', key: 'k', value, session: { id: `s-${tag}`, seq: i + 1 } }),
          name,
        ),
      ),
      await sequential(`${name}: linearizable read, 1 in flight`, ops, async () =>
        ok(await send({ op: 'get', key: 'k' }), name),
      ),
      await sessionsWriting(
        `${name}: writes, ${sessions} sessions concurrently`,
        sessions,
        async (s, seq) =>
          ok(
            await send({
              op: 'update',
              key: `c${s}-${seq % 64}`,
              value,
              session: { id: `c-${tag}-${s}`, seq },
            }),
            name,
          ),
      ),
    );
  }
  via.close();
  await direct.close();
  return rows;
}

function table(rows: readonly Row[]): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const rate = (v: number | undefined) =>
    v === undefined ? '' : `${Math.round(v).toLocaleString('en-US')}/s`;
  const lines = ['| scenario | throughput | p50 | p99 (max for faults) |', '|---|---:|---:|---:|'];
  for (const row of rows) {
    lines.push(
      `| ${row.scenario} | ${rate(row.perSecond)} | ${ms(row.p50Ms)} | ${ms(row.p99Ms)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cluster = await TestCluster.create({ size: 3 });
  await cluster.startAll();
  const balancers = await TestBalancers.create(cluster, 2);
  const rows: Row[] = [];
  // Baseline first: only the balancer that leaves elections to Raft's timeout is running.
  await balancers.start('b2', ['--no-fast-failover']);
  await settled(balancers, 'b2');
  rows.push(...(await faults(cluster, balancers, 'b2', 'baseline, --no-fast-failover')));
  await balancers.kill('b2');
  await balancers.start('b1');
  await settled(balancers, 'b1');
  rows.push(...(await faults(cluster, balancers, 'b1', 'fast failover (default)')));
  rows.push(...(await hops(cluster, balancers, 'b1')));
  await balancers.killAll();
  await cluster.destroy();
  const flags = Object.entries(values)
    .filter(([k]) => k !== 'write')
    .map(([k, v]) => `--${k} ${v}`)
    .join(' ');
  const facts = machineFacts([
    '- three node processes, the balancer and the client on this one machine, loopback',
    `- command: \`pnpm bench:balancer ${flags}\``,
  ]);
  const section = `${facts}\n\n${table(rows)}\n`;
  process.stdout.write(`${section}\n`);
  if (values.write) recordSection('balancer', 'Balancer: failover and routing (issue 5)', section);
}

runBench(main);

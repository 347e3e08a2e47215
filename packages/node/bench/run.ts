// `pnpm bench:node`: a three-node cluster on loopback (real `troupe-node` processes, 16 shards,
// replication factor 3) measured from one client process: sequential write and read latency,
// write throughput with many sessions, and the time from SIGKILL of a shard leader to the next
// acknowledged write to that shard. The baseline, measured in the same run, is the disk's
// floor: durable (fsynced) lmdb commits per second in one process. `--write` records the
// figures with machine facts in bench/RESULTS.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shardOf } from '@troupe/client/protocol';
import { open } from 'lmdb';
import { percentile, sequential } from '../../../test/harness/bench-measure.js';
import {
  benchArgs,
  machineFacts,
  recordSection,
  runBench,
} from '../../../test/harness/bench-results.js';
import { TestCluster } from '../../../test/harness/cluster.js';
import { KvTestClient, pack } from '../../../test/harness/kv-test-client.js';

const { values } = benchArgs({
  ops: { type: 'string', default: '500' },
  sessions: { type: 'string', default: '64' },
  seconds: { type: 'string', default: '5' },
  failovers: { type: 'string', default: '3' },
  write: { type: 'boolean', default: false },
});

interface Row {
  readonly scenario: string;
  readonly perSecond: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
}

/** The disk's floor: one small put per fsynced transaction, for one second. */
function durableCommitsPerSecond(): number {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-bench-lmdb-'));
  const env = open({ path: join(dir, 'baseline.mdb'), compression: false });
  const value = Buffer.alloc(100, 1);
  let commits = 0;
  const endMs = performance.now() + 1_000;
  while (performance.now() < endMs) {
    env.transactionSync(() => env.putSync(commits, value));
    commits++;
  }
  void env.close();
  rmSync(dir, { recursive: true, force: true });
  return commits;
}

async function mustOk(client: KvTestClient, request: Parameters<KvTestClient['request']>[0]) {
  const reply = await client.request(request);
  if (!reply.ok) throw new Error(`${request.op} ${request.key}: ${reply.code}`);
}

async function concurrentWrites(
  client: KvTestClient,
  sessions: number,
  seconds: number,
): Promise<Row> {
  const value = pack('x'.repeat(100));
  const endMs = Date.now() + seconds * 1_000;
  let acknowledged = 0;
  const writers = Array.from({ length: sessions }, async (_, w) => {
    for (let seq = 1; Date.now() < endMs; seq++) {
      const session = { id: `bench-${w}`, seq };
      await mustOk(client, { op: 'update', key: `c${w}-${seq % 64}`, value, session });
      acknowledged++;
    }
  });
  await Promise.all(writers);
  return {
    scenario: `writes, ${sessions} sessions concurrently`,
    perSecond: acknowledged / seconds,
  };
}

interface Status {
  groups: { groupId: string; role: string }[];
}

/** SIGKILL the leader of the shard of `key`; ms until a write to it is acknowledged. */
async function failoverMs(
  cluster: TestCluster,
  client: KvTestClient,
  round: number,
): Promise<number> {
  const key = `failover-${round}`;
  const groupId = `s${shardOf(key, 16)}`;
  let victim = '';
  for (const node of cluster.nodes) {
    const status = await client.admin<Status>(node.id, { type: 'status' });
    if (status.groups.some((g) => g.groupId === groupId && g.role === 'leader')) victim = node.id;
  }
  await cluster.kill(victim);
  const startMs = performance.now();
  await mustOk(client, {
    op: 'update',
    key,
    value: pack(round),
    session: { id: `fo-${round}`, seq: 1 },
  });
  const elapsedMs = performance.now() - startMs;
  await cluster.start(victim);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  return elapsedMs;
}

async function measureCluster(): Promise<Row[]> {
  const cluster = await TestCluster.create({ size: 3 });
  await cluster.startAll();
  const client = await KvTestClient.connect(
    cluster.nodes.map((n) => n.url),
    16,
  );
  const ops = Number(values.ops);
  const value = pack('x'.repeat(100));
  await mustOk(client, { op: 'update', key: 'k', value, session: { id: 'warm', seq: 1 } });
  const rows: Row[] = [
    await sequential('write, 1 in flight', ops, (i) =>
      mustOk(client, { op: 'update', key: 'k', value, session: { id: 'seq', seq: i + 1 } }),
    ),
    await sequential('linearizable read, 1 in flight', ops, () =>
      mustOk(client, { op: 'get', key: 'k' }),
    ),
    await sequential('stale read, 1 in flight', ops, () =>
      mustOk(client, { op: 'get', key: 'k', consistency: 'stale' }),
    ),
    await concurrentWrites(client, Number(values.sessions), Number(values.seconds)),
  ];
  const failovers: number[] = [];
  for (let round = 1; round <= Number(values.failovers); round++) {
    failovers.push(await failoverMs(cluster, client, round));
  }
  failovers.sort((a, b) => a - b);
  rows.push({
    scenario: `SIGKILL shard leader -> next acknowledged write (${failovers.length} runs)`,
    perSecond: 0,
    p50Ms: percentile(failovers, 0.5),
    p99Ms: failovers[failovers.length - 1] ?? 0,
  });
  await client.close();
  await cluster.destroy();
  return rows;
}

function table(rows: readonly Row[]): string {
  const ms = (v: number | undefined) => (v === undefined ? '' : `${v.toFixed(2)} ms`);
  const rate = (v: number) => (v === 0 ? '' : `${Math.round(v).toLocaleString('en-US')}/s`);
  const lines = [
    '| scenario | throughput | p50 | p99 (max for failover) |',
    '|---|---:|---:|---:|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.scenario} | ${rate(row.perSecond)} | ${ms(row.p50Ms)} | ${ms(row.p99Ms)} |`,
    );
  }
  return lines.join('\n');
}

function facts(): string {
  const flags = `--ops ${values.ops} --sessions ${values.sessions} --seconds ${values.seconds} --failovers ${values.failovers}`;
  return machineFacts([
    '- three node processes and the client on this one machine, loopback',
    `- command: \`pnpm bench:node ${flags}\``,
  ]);
}

async function main(): Promise<void> {
  const baseline = durableCommitsPerSecond();
  const rows = await measureCluster();
  rows.push({ scenario: 'baseline: fsynced lmdb commits, one process', perSecond: baseline });
  const section = `${facts()}\n\n${table(rows)}\n`;
  process.stdout.write(`${section}\n`);
  if (values.write)
    recordSection('node', 'Node: three-node cluster on loopback (issue 4)', section);
}

runBench(main);

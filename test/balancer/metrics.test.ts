// The balancer's HTTP endpoints with real processes (3 nodes, 1 balancer): /metrics is
// scraped and parsed — request counts and latency histograms, per-node phi and leaders,
// leader changes and failovers after a leader node is killed, queue depths — and /healthz,
// /status and the HTTP error answers behave as documented.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BalancerConnection } from '../harness/balancer-client.js';
import { pack } from '../harness/kv-test-client.js';
import { parsePrometheus, type Scrape } from '../harness/prometheus.js';
import { useClusterAndBalancers } from '../harness/use-cluster.js';

const env = useClusterAndBalancers({ size: 3, balancers: 1 });
let connection: BalancerConnection;

beforeAll(async () => {
  connection = await BalancerConnection.open(env.balancers.urls[0] as string);
});

afterAll(() => connection?.close());

async function scrape(): Promise<Scrape> {
  return parsePrometheus(await env.balancers.metrics('b1'));
}

const writes = 40;

test('request counts and latency histograms', async () => {
  for (let i = 0; i < writes; i++) {
    const reply = await connection.request({ op: 'update', key: `m-${i}`, value: pack(i) });
    expect(reply.ok).toBe(true);
  }
  await connection.request({ op: 'get', key: 'm-0' });
  await connection.request({ op: 'get', key: 'm-1', consistency: 'stale' });
  const bad = await connection.request({ op: 'create', key: 'm-0', value: pack(0) });
  expect(bad).toMatchObject({ ok: false, code: 'TROUPE_ERR_ALREADY_EXISTS' });
  const m = await scrape();
  const updates = { op: 'update', outcome: 'ok' };
  expect(m.value('troupe_balancer_requests_total', updates)).toBe(writes);
  expect(m.value('troupe_balancer_requests_total', { op: 'get', outcome: 'ok' })).toBe(2);
  expect(
    m.value('troupe_balancer_requests_total', {
      op: 'create',
      outcome: 'TROUPE_ERR_ALREADY_EXISTS',
    }),
  ).toBe(1);
  expect(m.types.get('troupe_balancer_request_duration_seconds')).toBe('histogram');
  const count = m.value('troupe_balancer_request_duration_seconds_count', { op: 'update' });
  expect(count).toBe(writes);
  const inf = m.value('troupe_balancer_request_duration_seconds_bucket', {
    op: 'update',
    le: '+Inf',
  });
  expect(inf).toBe(writes);
  const buckets = m.find('troupe_balancer_request_duration_seconds_bucket', { op: 'update' });
  const counts = buckets.map((b) => b.value);
  expect(counts).toEqual([...counts].sort((a, b) => a - b));
  expect(m.value('troupe_balancer_request_duration_seconds_sum', { op: 'update' })).toBeGreaterThan(
    0,
  );
  const perNode = m.find('troupe_balancer_node_requests_total', { outcome: 'ok' });
  expect(perNode.reduce((sum, s) => sum + s.value, 0)).toBeGreaterThanOrEqual(writes + 2);
}, 30_000);

test('per-node phi, up and leaders; queue depths', async () => {
  const m = await scrape();
  for (const node of ['n1', 'n2', 'n3']) {
    expect(m.value('troupe_balancer_node_phi', { node })).toBeGreaterThanOrEqual(0);
    expect(m.value('troupe_balancer_node_up', { node })).toBe(1);
  }
  const leaders = m.find('troupe_balancer_node_leaders').reduce((sum, s) => sum + s.value, 0);
  expect(leaders).toBe(17); // 16 shards and the meta group
  expect(m.value('troupe_balancer_held_requests')).toBe(0);
  expect(m.value('troupe_balancer_inflight_requests')).toBe(0);
  expect(m.value('troupe_balancer_client_connections')).toBe(1);
  expect(m.value('troupe_balancer_failovers_in_progress')).toBe(0);
  expect(m.value('troupe_balancer_shards_under_replicated')).toBe(0);
});

test('leader changes and failovers after a leader node is killed', async () => {
  const before = await scrape();
  const changesBefore = before.value('troupe_balancer_leader_changes_total');
  const status = (await (await fetch(`${env.balancers.balancer('b1').http}/status`)).json()) as {
    members: { id: string; leaders: number }[];
  };
  const victim = status.members.find((m) => m.leaders > 0)?.id as string;
  await env.cluster.kill(victim);
  for (let i = 0; i < writes; i++) {
    const session = { id: 'metrics', seq: i + 1 };
    const reply = await connection.request({
      op: 'update',
      key: `k-${i}`,
      value: pack(i),
      session,
    });
    expect(reply.ok).toBe(true);
  }
  const after = await scrape();
  expect(after.value('troupe_balancer_leader_changes_total')).toBeGreaterThan(changesBefore);
  expect(after.value('troupe_balancer_failovers_total')).toBeGreaterThan(0);
  expect(after.value('troupe_balancer_failover_duration_seconds_count')).toBeGreaterThan(0);
  expect(after.value('troupe_balancer_node_up', { node: victim })).toBe(0);
  expect(after.value('troupe_balancer_shards_under_replicated')).toBeGreaterThan(0);
  const asked = after.find('troupe_balancer_campaign_requests_total');
  expect(asked.reduce((sum, s) => sum + s.value, 0)).toBeGreaterThan(0);
  await env.cluster.start(victim);
}, 60_000);

test('/healthz, /status and HTTP errors', async () => {
  const http = env.balancers.balancer('b1').http;
  const health = await fetch(`${http}/healthz`);
  expect(health.status).toBe(200);
  const status = (await (await fetch(`${http}/status`)).json()) as Record<string, unknown>;
  expect(status).toMatchObject({ balancerId: 'b1', shardCount: 16, replicationFactor: 3 });
  expect((status.shards as unknown[]).length).toBe(16);
  expect(Object.keys(status.zones as object).sort()).toEqual(['zone-a', 'zone-b', 'zone-c']);
  expect((await fetch(`${http}/nope`)).status).toBe(404);
  const post = await fetch(`${http}/status`, { method: 'POST', body: 'x' });
  expect(post.status).toBe(405);
  expect(post.headers.get('allow')).toBe('GET, HEAD');
});

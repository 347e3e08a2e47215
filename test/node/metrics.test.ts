// The node's HTTP endpoints with three real node processes: /metrics on each node's listen port
// is scraped and parsed before and after writes — proposals by outcome, request latency, store
// commit durations, per-turn batch sizes, Raft terms and indexes per group, follower lag on
// leaders, queue depths — and /healthz, /status and the HTTP error answers behave as documented;
// the families served are exactly those docs/node.md lists.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KvReply, shardOf } from '@troupe/client/protocol';
import { expect, test } from 'vitest';
import { pack } from '../harness/kv-test-client.js';
import { repoRoot } from '../harness/processes.js';
import { parsePrometheus, type Scrape } from '../harness/prometheus.js';
import { expectOk, put, useCluster } from './helpers.js';

const shards = 4;
const ctx = useCluster({ size: 3, shards });
const nodeIds = ['n1', 'n2', 'n3'];
const groupIds = ['meta', ...Array.from({ length: shards }, (_, i) => `s${i}`)];

function httpBase(nodeId: string): string {
  return `http://127.0.0.1:${ctx.cluster.node(nodeId).port}`;
}

async function scrape(nodeId: string): Promise<Scrape> {
  const response = await fetch(`${httpBase(nodeId)}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return parsePrometheus(await response.text());
}

async function scrapeAll(): Promise<Map<string, Scrape>> {
  return new Map(await Promise.all(nodeIds.map(async (id) => [id, await scrape(id)] as const)));
}

function sum(scrapes: Iterable<Scrape>, name: string, labels: Record<string, string> = {}) {
  let total = 0;
  for (const s of scrapes) for (const sample of s.find(name, labels)) total += sample.value;
  return total;
}

const writes = 30;

test('writes move proposals, latency, store commits and batch sizes', async () => {
  // Taken right after start: a node may not have written a single turn yet.
  const before = await scrapeAll();
  for (let i = 0; i < writes; i++) {
    expectOk(await put(ctx.client, `metrics-${i}`, i, { id: 'metrics', seq: i + 1 }));
  }
  expectOk(await ctx.client.request({ op: 'get', key: 'metrics-0' }));
  const after = await scrapeAll();
  const grew = (name: string, labels: Record<string, string> = {}): number =>
    sum(after.values(), name, labels) - sum(before.values(), name, labels);

  expect(grew('troupe_node_proposals_total', { outcome: 'committed' })).toBeGreaterThanOrEqual(
    writes,
  );
  // At least: a session retry after a timeout is answered (and counted) twice.
  const updates = { op: 'update', outcome: 'ok' };
  expect(grew('troupe_node_requests_total', updates)).toBeGreaterThanOrEqual(writes);
  const latencies = grew('troupe_node_request_duration_seconds_count', { op: 'update' });
  expect(latencies).toBeGreaterThanOrEqual(writes);
  expect(grew('troupe_node_request_duration_seconds_count', { op: 'get' })).toBeGreaterThan(0);
  for (const [id, scrape] of after) {
    const was = (name: string, labels: Record<string, string> = {}): number =>
      sum([before.get(id) as Scrape], name, labels);
    // Every replica persists the new entries: each node fsynced durable transactions.
    const commits = { durable: 'true' };
    const commitCount = scrape.value('troupe_node_store_commit_duration_seconds_count', commits);
    expect(commitCount, id).toBeGreaterThan(
      was('troupe_node_store_commit_duration_seconds_count', commits),
    );
    expect(scrape.value('troupe_node_store_transactions_total', commits)).toBe(commitCount);
    expect(scrape.value('troupe_node_turns_total')).toBeGreaterThan(was('troupe_node_turns_total'));
    expect(scrape.value('troupe_node_turn_entries_appended_sum')).toBeGreaterThan(
      was('troupe_node_turn_entries_appended_sum'),
    );
    expect(scrape.value('troupe_node_turn_entries_applied_sum')).toBeGreaterThan(
      was('troupe_node_turn_entries_applied_sum'),
    );
    expect(scrape.value('troupe_node_turn_messages_count')).toBeGreaterThan(0);
  }
  const types = (after.get('n1') as Scrape).types;
  expect(types.get('troupe_node_request_duration_seconds')).toBe('histogram');
  expect(types.get('troupe_node_store_commit_duration_seconds')).toBe('histogram');
  expect(types.get('troupe_node_turn_entries_appended')).toBe('histogram');
  expect(types.get('troupe_node_proposals_total')).toBe('counter');
  expect(types.get('troupe_node_raft_term')).toBe('gauge');
}, 60_000);

/** A node and a shard it follows now (every shard has one leader and two followers). */
async function someFollower(): Promise<{ nodeId: string; groupId: string }> {
  for (const nodeId of nodeIds) {
    const status = await ctx.client.admin<{ groups: { groupId: string; role: string }[] }>(nodeId, {
      type: 'status',
    });
    const follows = status.groups.find((g) => g.groupId.startsWith('s') && g.role !== 'leader');
    if (follows !== undefined) return { nodeId, groupId: follows.groupId };
  }
  throw new Error('no node follows any shard');
}

test('a write sent to a follower is counted as refused with NOT_LEADER', async () => {
  const outcome = { outcome: 'TROUPE_ERR_NOT_LEADER' };
  // Leadership may move between asking and writing: then try again with a fresh follower.
  for (let attempt = 0; attempt < 5; attempt++) {
    const { nodeId, groupId } = await someFollower();
    let key = '';
    for (let i = 0; key === ''; i++) {
      if (`s${shardOf(`refuse-${i}`, shards)}` === groupId) key = `refuse-${i}`;
    }
    const before = sum([await scrape(nodeId)], 'troupe_node_proposals_total', outcome);
    const reply: KvReply = await ctx.client.once(nodeId, { op: 'update', key, value: pack(1) });
    if (reply.ok) continue;
    expect(reply.code).toBe('TROUPE_ERR_NOT_LEADER');
    expect((await scrape(nodeId)).value('troupe_node_proposals_total', outcome)).toBe(before + 1);
    return;
  }
  throw new Error('every write to a follower found it leading by then');
});

test('per-group Raft gauges, follower lag on leaders, queue depths', async () => {
  // Leaders settle and followers catch up once the writes above are done.
  let last = new Map<string, Scrape>();
  const settled = async (): Promise<boolean> => {
    last = await scrapeAll();
    const leaders = groupIds.map((group) =>
      sum(last.values(), 'troupe_node_raft_is_leader', { group }),
    );
    // Each group's leader reports its two followers' lag; all zero once they caught up.
    const lags = [...last.values()].flatMap((s) =>
      s.find('troupe_node_raft_follower_match_lag_entries').map((x) => x.value),
    );
    const caughtUp = lags.length === 2 * groupIds.length && lags.every((lag) => lag === 0);
    return leaders.every((n) => n === 1) && caughtUp;
  };
  const endMs = Date.now() + 20_000;
  while (!(await settled())) {
    if (Date.now() > endMs) throw new Error('leaders did not settle or followers did not catch up');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const [id, s] of last) {
    for (const group of groupIds) {
      expect(s.value('troupe_node_raft_term', { group }), `${id} ${group}`).toBeGreaterThan(0);
      expect(s.value('troupe_node_raft_commit_index', { group })).toBeGreaterThan(0);
      const commit = s.value('troupe_node_raft_commit_index', { group });
      const applied = s.value('troupe_node_raft_applied_index', { group });
      expect(s.value('troupe_node_raft_apply_lag_entries', { group })).toBe(commit - applied);
      expect(s.value('troupe_node_leader_changes_total', { group })).toBeGreaterThanOrEqual(1);
      expect(s.value('troupe_node_pending_requests', { group, kind: 'proposal' })).toBe(0);
      expect(s.value('troupe_node_reads_awaiting_read_index', { group })).toBe(0);
    }
    const peers = s.find('troupe_node_transport_queued_messages').map((x) => x.labels.peer);
    expect(peers).toEqual(expect.arrayContaining(nodeIds.filter((n) => n !== id)));
    const actors = s.find('troupe_node_actor_mailbox_depth').map((x) => x.labels.actor);
    expect(actors).toEqual(expect.arrayContaining(['raft', 'kv', 'admin']));
    expect(s.value('troupe_node_store_used_bytes')).toBeGreaterThan(0);
    expect(s.value('troupe_node_process_resident_memory_bytes')).toBeGreaterThan(0);
  }
}, 30_000);

test('/healthz, /status, 404 and 405 on the node port', async () => {
  const base = httpBase('n2');
  const health = await fetch(`${base}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.text()).toBe('ok\n');
  const status = await fetch(`${base}/status?pretty`);
  expect(status.status).toBe(200);
  expect(status.headers.get('content-type')).toBe('application/json');
  const body = (await status.json()) as { nodeId: string; groups: unknown[] };
  expect(body.nodeId).toBe('n2');
  expect(body.groups).toHaveLength(groupIds.length);
  const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(await head.text()).toBe('');
  expect((await fetch(`${base}/nope`)).status).toBe(404);
  const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
  expect(post.status).toBe(405);
  expect(post.headers.get('allow')).toBe('GET, HEAD');
});

test('every troupe_node_ family is documented in docs/node.md, and nothing more', async () => {
  const docs = readFileSync(join(repoRoot, 'docs/node.md'), 'utf8');
  const documented = [...docs.matchAll(/^\| `(troupe_node_[a-z_]+)` \|/gm)].map((m) => m[1]);
  const served = [...(await scrape('n1')).types.keys()].filter(
    (name) => !/^troupe_node_(process|nodejs)_/.test(name),
  );
  expect(served.sort()).toEqual(documented.sort());
});

// NodeMetrics over a scripted source: gauges are computed at scrape from the groups' Raft
// status (apply lag, follower match lag on a leader only, self excluded), MultiRaft's own counts
// are copied rather than counted twice, leader changes are counted as etcd counts them, and the
// hot-path observers land in the right counters and histograms.
import { expect, test } from 'vitest';
import { parsePrometheus } from '../../../../test/harness/prometheus.js';
import type { ProgressStatus, RaftStatus } from '../../src/raft/index.js';
import {
  type GroupSample,
  NodeMetrics,
  type NodeMetricsSource,
} from '../../src/server/node-metrics.js';

function progress(match: number): ProgressStatus {
  return {
    match,
    next: match + 1,
    state: 'replicate',
    recentActive: true,
    isLearner: false,
    paused: false,
    inflightMessages: 0,
    inflightBytes: 0,
    pendingSnapshotIndex: 0,
  };
}

function status(overrides: Partial<RaftStatus>): RaftStatus {
  return {
    id: 'n1',
    term: 3,
    vote: 'n1',
    role: 'follower',
    leaderId: 'n2',
    commit: 10,
    applied: 10,
    firstIndex: 1,
    lastIndex: 10,
    leadTransferee: null,
    uncommittedBytes: 0,
    confState: { voters: ['n1', 'n2', 'n3'], learners: [] },
    progress: null,
    ...overrides,
  } as RaftStatus;
}

function scripted(groups: GroupSample[]) {
  const work = { turns: 7, durableWrites: 4, applyOnlyWrites: 2 };
  const source: NodeMetricsSource = {
    groups: () => groups,
    work: () => work,
    store: () => ({ usedBytes: 4_096, fileBytes: 8_192 }),
    outboundQueues: () => [{ nodeId: 'n2', queuedMessages: 3, bufferedBytes: 120 }],
    mailboxes: () => [{ path: 'kv', depth: 5 }],
  };
  return { source, work };
}

const idle = { proposals: 0, reads: 0, readsAwaitingReadIndex: 0 };

test('per-group gauges are read from the Raft status at scrape', async () => {
  const groups: GroupSample[] = [
    {
      groupId: 's0',
      status: status({
        role: 'leader',
        leaderId: 'n1',
        commit: 40,
        applied: 37,
        lastIndex: 42,
        progress: { n1: progress(42), n2: progress(40), n3: progress(30) },
      }),
      pending: { proposals: 2, reads: 1, readsAwaitingReadIndex: 1 },
    },
    { groupId: 's1', status: status({}), pending: idle },
  ];
  const metrics = new NodeMetrics(scripted(groups).source);
  const m = parsePrometheus((await metrics.metrics()).body);
  expect(m.value('troupe_node_raft_term', { group: 's0' })).toBe(3);
  expect(m.value('troupe_node_raft_commit_index', { group: 's0' })).toBe(40);
  expect(m.value('troupe_node_raft_applied_index', { group: 's0' })).toBe(37);
  expect(m.value('troupe_node_raft_apply_lag_entries', { group: 's0' })).toBe(3);
  expect(m.value('troupe_node_raft_last_index', { group: 's0' })).toBe(42);
  expect(m.value('troupe_node_raft_is_leader', { group: 's0' })).toBe(1);
  expect(m.value('troupe_node_raft_is_leader', { group: 's1' })).toBe(0);
  const lag = m.find('troupe_node_raft_follower_match_lag_entries');
  expect(lag.map((s) => [s.labels.group, s.labels.peer, s.value])).toEqual([
    ['s0', 'n2', 2],
    ['s0', 'n3', 12],
  ]);
  expect(m.value('troupe_node_pending_requests', { group: 's0', kind: 'proposal' })).toBe(2);
  expect(m.value('troupe_node_pending_requests', { group: 's0', kind: 'read' })).toBe(1);
  expect(m.value('troupe_node_reads_awaiting_read_index', { group: 's0' })).toBe(1);
  expect(m.value('troupe_node_transport_queued_messages', { peer: 'n2' })).toBe(3);
  expect(m.value('troupe_node_transport_buffered_bytes', { peer: 'n2' })).toBe(120);
  expect(m.value('troupe_node_actor_mailbox_depth', { actor: 'kv' })).toBe(5);
  expect(m.value('troupe_node_store_used_bytes')).toBe(4_096);
  expect(m.value('troupe_node_store_file_bytes')).toBe(8_192);
  expect(m.find('troupe_node_process_cpu_user_seconds_total')).toHaveLength(1);
  // A group gone since the last scrape leaves no stale series behind.
  groups.pop();
  const next = parsePrometheus((await metrics.metrics()).body);
  expect(next.find('troupe_node_raft_term').map((s) => s.labels.group)).toEqual(['s0']);
});

test("MultiRaft's counts are copied at scrape, not counted twice", async () => {
  const { source, work } = scripted([]);
  const metrics = new NodeMetrics(source);
  let m = parsePrometheus((await metrics.metrics()).body);
  expect(m.value('troupe_node_turns_total')).toBe(7);
  expect(m.value('troupe_node_store_transactions_total', { durable: 'true' })).toBe(4);
  expect(m.value('troupe_node_store_transactions_total', { durable: 'false' })).toBe(2);
  work.turns = 9;
  m = parsePrometheus((await metrics.metrics()).body);
  expect(m.value('troupe_node_turns_total')).toBe(9);
});

test('observers land in counters and histograms', async () => {
  const metrics = new NodeMetrics(scripted([]).source);
  metrics.requestFinished('update', 'ok', 0.003);
  metrics.requestFinished('update', 'TROUPE_ERR_NOT_LEADER', 0.0002);
  metrics.writeFinished('committed');
  metrics.writeFinished('TROUPE_ERR_NOT_LEADER');
  metrics.storeCommitted(true, 0.002);
  metrics.storeCommitted(false, 0.0001);
  metrics.turnFinished(5, 3, 0);
  const m = parsePrometheus((await metrics.metrics()).body);
  expect(m.value('troupe_node_requests_total', { op: 'update', outcome: 'ok' })).toBe(1);
  expect(m.value('troupe_node_request_duration_seconds_count', { op: 'update' })).toBe(2);
  expect(m.value('troupe_node_proposals_total', { outcome: 'committed' })).toBe(1);
  expect(m.value('troupe_node_proposals_total', { outcome: 'TROUPE_ERR_NOT_LEADER' })).toBe(1);
  expect(m.value('troupe_node_store_commit_duration_seconds_count', { durable: 'true' })).toBe(1);
  expect(m.value('troupe_node_store_commit_duration_seconds_count', { durable: 'false' })).toBe(1);
  expect(m.value('troupe_node_turn_entries_appended_sum')).toBe(5);
  expect(m.value('troupe_node_turn_entries_applied_sum')).toBe(3);
  // A turn that sent nothing falls in the 0 bucket.
  expect(m.value('troupe_node_turn_messages_bucket', { le: '0' })).toBe(1);
});

test('leader changes: a new known leader counts, losing one or hearing it again does not', async () => {
  const metrics = new NodeMetrics(scripted([]).source);
  for (const leader of ['n2', 'n2', null, 'n2', 'n3', null]) metrics.leaderObserved('s0', leader);
  metrics.leaderObserved('s1', 'n1');
  const m = parsePrometheus((await metrics.metrics()).body);
  // n2, n2 again after an election (as etcd counts it), then n3.
  expect(m.value('troupe_node_leader_changes_total', { group: 's0' })).toBe(3);
  expect(m.value('troupe_node_leader_changes_total', { group: 's1' })).toBe(1);
});

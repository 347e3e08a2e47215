// Shortcuts for tests that drive one node message by message: build a node with a given log
// and membership, make it leader by answering its vote requests, read back its log.
import type { Message } from '../../../src/raft/messages.js';
import type { Entry, HardState } from '../../../src/raft/types.js';
import { confState, ofType, storageWithLog } from './builders.js';
import { TestNode, type TestNodeOptions } from './test-node.js';

export interface NodeSpec {
  readonly voters: readonly string[];
  readonly learners?: readonly string[];
  /** Terms of log entries 1..n. */
  readonly terms?: readonly number[];
  readonly hardState?: Partial<HardState>;
  readonly options?: TestNodeOptions;
}

export function newNode(id: string, spec: NodeSpec): TestNode {
  const cs = confState(spec.voters, spec.learners ?? []);
  const storage = storageWithLog(cs, spec.terms ?? [], spec.hardState ?? {});
  return new TestNode(id, storage, spec.options ?? {});
}

/**
 * Campaigns and grants every vote request, making `n` leader; returns the messages it sent
 * as leader (its first Apps).
 */
export function electLeader(n: TestNode): Message[] {
  n.node.campaign();
  for (let round = 0; round < 3; round++) {
    const msgs = n.drain();
    if (n.node.status().role === 'leader') return msgs;
    for (const req of [...ofType(msgs, 'preVote'), ...ofType(msgs, 'vote')]) {
      const type = req.type === 'vote' ? 'voteResp' : 'preVoteResp';
      n.step({ type, from: req.to, to: n.id, term: req.term, reject: false });
    }
  }
  const status = n.node.status();
  if (status.role !== 'leader') throw new Error(`${n.id} did not become leader: ${status.role}`);
  return n.drain();
}

/** The persisted log's entries (call after drain so nothing is left unstable). */
export function logEntries(n: TestNode): Entry[] {
  const first = n.storage.firstIndex();
  const last = n.storage.lastIndex();
  return n.storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER);
}

export function logTerms(n: TestNode): number[] {
  return logEntries(n).map((e) => e.term);
}

/** Answers every App in `msgs` as a follower that accepts everything would. */
export function ackApps(leader: TestNode, msgs: readonly Message[], from?: string): void {
  for (const m of ofType(msgs, 'app')) {
    if (from !== undefined && m.to !== from) continue;
    const index = m.prevLogIndex + m.entries.length;
    leader.step({
      type: 'appResp',
      from: m.to,
      to: m.from,
      term: m.term,
      reject: false,
      index,
      rejectHint: 0,
      logTerm: 0,
    });
  }
}

/**
 * Drains the nodes and delivers their messages among them (messages to others are dropped, as
 * are those `keep` refuses) until nothing moves. Returns every message delivered.
 */
export function route(
  nodes: readonly TestNode[],
  keep: (msg: Message) => boolean = () => true,
  maxRounds = 1000,
): Message[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const delivered: Message[] = [];
  for (let round = 0; round < maxRounds; round++) {
    const queue = nodes.flatMap((n) => n.drain());
    if (queue.length === 0) return delivered;
    for (const msg of queue) {
      const target = byId.get(msg.to);
      if (target === undefined || !keep(msg)) continue;
      delivered.push(msg);
      target.step(msg);
    }
  }
  throw new Error(`route did not settle in ${maxRounds} rounds`);
}
